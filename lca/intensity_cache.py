"""Characterised background intensities ``λ = c B A⁻¹`` kept on disk between ``pcf`` calls.

A roll-up that links BOM parts to Brightway activities needs ``λ`` of the background (one
factorisation of ``A`` and one adjoint solve, :func:`lca.maths.intensities`) and nothing else of
the system but the linked activities' product rows and units. On an unchanged project that
answer does not change between calls, while building it costs seconds (bw2calc's import and
matrix assembly, the metadata of every activity, the factorisation). This module stores it per
``(databases, method)`` in the project's own folder and hands it back as long as nothing it
was computed from has changed.

What the entry depends on, all of it in its fingerprint (compared in full on every read):

* every database of the system (the linked databases and everything they depend on, as
  :meth:`~lca.footprint.FootprintEngine.databases_needed` collects them, plus the biosphere):
  its ``modified`` / ``processed`` stamps in bw2data's metadata (set whenever an exchange is
  saved or the database is written or processed) and the size, modification time (ns) and
  inode of its processed datapackage, the file bw2calc builds the matrices from;
* the method: its metadata and the size, modification time and inode of its processed
  datapackage and of the intermediate file the characterisation factors are read from
  (:meth:`~lca.footprint.FootprintEngine.characterization`);
* :data:`CACHE_VERSION` and the installed bw2calc and bw2data versions.

An entry is one ``.npz`` file (numpy arrays only, read with ``allow_pickle=False``) written
atomically (:func:`lca._outputs.write_atomic`); inside :func:`deferred` (what a ``pcf`` command
uses) only once the block has ended without an error, so a failed command leaves the project
folder as it found it. There is one file per ``(databases, method)``,
overwritten when rebuilt, so the folder does not grow with edits. A file that cannot be read
(truncated, corrupted, another layout) is logged and ignored: the caller computes ``λ`` again
and writes the file anew. A project folder that cannot be written only costs the speed-up
(logged).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .project import file_stamp, package_versions

__all__ = [
    "CACHE_VERSION",
    "FOLDER",
    "CachedIntensities",
    "Fingerprint",
    "cache_path",
    "database_stamps",
    "defer",
    "deferred",
    "fingerprint",
    "lookup",
    "method_stamp",
    "store",
]

log = logging.getLogger(__name__)

#: Bumped whenever what is stored, or how ``λ`` is computed, changes.
CACHE_VERSION = 1
#: The cache's folder inside the Brightway project's folder.
FOLDER = "pcf-intensities"

#: Entries waiting for the end of the innermost :func:`deferred` block (None: write at once).
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("pending", default=None)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold the entries :func:`store` is given inside the block; write them when it ends
    without an exception, drop them when it raises (a failed command changes nothing on
    disk). Nested blocks hand their entries to the enclosing one."""
    token = _pending.set([])
    try:
        yield
    except BaseException:
        _pending.reset(token)
        raise
    held = _pending.get()
    _pending.reset(token)
    for write in held:
        defer(write)  # to the enclosing block, or now


def defer(write) -> None:
    """Run ``write()`` (an entry of :func:`store`, or another cache's write, e.g.
    :mod:`lca.units`' known factors) when the enclosing :func:`deferred` block ends without an
    exception, or now outside one."""
    held = _pending.get()
    if held is None:
        write()
    else:
        held.append(write)


@dataclass
class Fingerprint:
    """What an entry was computed from (see module doc): ``text`` is compared in full."""

    databases: frozenset
    method: tuple
    text: str
    path: Path


@dataclass
class CachedIntensities:
    """One entry: per activity column ``j`` of the system, its key ``keys[j]`` (database,
    code), node id, product row, activity column and unit; ``lam`` per product row and ``e``
    (``c B``) per activity column, as :func:`supply_chain.roll_up.background_intensities`
    computes them."""

    databases: frozenset
    method: tuple
    db_names: list
    db_index: np.ndarray
    codes: np.ndarray
    activity_ids: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    units: np.ndarray
    lam: np.ndarray
    e: np.ndarray
    _pos: dict | None = field(default=None, repr=False)

    def _index(self) -> dict:
        """``{(database, code): column position}``, built on first use: one dict from the
        entry's arrays at once (zip, no loop of Python statements per activity)."""
        if self._pos is None:
            names = np.asarray(self.db_names, dtype=object)[self.db_index].tolist()
            self._pos = dict(zip(zip(names, self.codes.tolist()), range(len(names))))
        return self._pos

    def position(self, key) -> int | None:
        """The column position of activity ``key`` in the entry, or None."""
        pos = self._index()
        got = pos.get(key)  # keys as read from a BOM: two strings
        return pos.get((str(key[0]), str(key[1]))) if got is None else got

    def positions(self, keys) -> list:
        """:meth:`position` of each of ``keys``, in one pass (None for a key not in the
        entry)."""
        got = list(map(self._index().get, keys))
        if None in got:  # keys of other types (e.g. a code given as a number)
            got = [self.position(k) if j is None else j for k, j in zip(keys, got)]
        return got


def database_stamps(engine, names) -> list:
    """Per database of ``names`` (in order): name, bw2data's ``modified`` / ``processed``
    stamps (:meth:`~lca.footprint.FootprintEngine.stamp` processes an edited database first,
    as a build would), its number of activities and :func:`file_stamp` of its processed
    datapackage, the file bw2calc builds the matrices from."""
    bd = engine.project.bd
    out = []
    for (name, modified, processed), d in zip(engine.stamp(names), names):
        db = bd.Database(d)
        dp = Path(db.dirpath_processed()) / db.filename_processed()
        out.append([name, modified, processed, bd.databases[d].get("number"), file_stamp(dp)])
    return out


def method_stamp(engine, method: tuple) -> list:
    """``method``, its metadata and :func:`file_stamp` of its processed datapackage and of
    the intermediate file its characterisation factors are read from."""
    bd = engine.project.bd
    m = bd.Method(method)
    inter = Path(bd.projects.dir) / "intermediate" / f"{m.filename}.pickle"
    return [
        list(method),
        bd.methods[method],
        file_stamp(m.filepath_processed()),
        file_stamp(inter),
    ]


def cache_path(project, databases: frozenset, method: tuple) -> Path:
    """The file of the entry for ``databases`` and ``method`` in ``project``'s folder."""
    name = json.dumps([sorted(databases), list(method)], ensure_ascii=False)
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
    return Path(project.bd.projects.dir) / FOLDER / f"{digest}.npz"


def fingerprint(engine, databases: frozenset, method: tuple) -> Fingerprint | None:
    """The fingerprint of ``λ`` of the system of ``databases`` under ``method`` as the project
    holds them now; None when a database or the method is not there (no entry applies)."""
    bd = engine.project.bd
    method = tuple(method)
    if method not in bd.methods or any(d not in bd.databases for d in databases):
        return None
    bio = engine.project.biosphere
    every = sorted(set(databases) | ({bio} if bio in bd.databases else set()))
    text = json.dumps(
        {
            "version": CACHE_VERSION,
            "packages": package_versions("bw2calc", "bw2data"),
            "databases": database_stamps(engine, every),
            "method": method_stamp(engine, method),
        },
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return Fingerprint(
        frozenset(databases), method, text, cache_path(engine.project, databases, method)
    )


def lookup(fp: Fingerprint) -> CachedIntensities | None:
    """The entry of ``fp`` if its file holds one computed from exactly what ``fp`` describes;
    None when there is no file or it is stale; a file that cannot be read is logged and
    treated as missing (it is written again after the next build)."""
    path = fp.path
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            if str(z["fingerprint"][()]) != fp.text:
                log.info("background intensities in %s are stale: recomputing", path)
                return None
            got = CachedIntensities(
                databases=fp.databases,
                method=fp.method,
                db_names=[str(x) for x in z["db_names"].tolist()],
                db_index=z["db_index"].astype(np.int64),
                codes=z["codes"],
                activity_ids=z["activity_ids"].astype(np.int64),
                rows=z["rows"].astype(np.int64),
                cols=z["cols"].astype(np.int64),
                units=z["units"],
                lam=z["lam"].astype(np.float64),
                e=z["e"].astype(np.float64),
            )
        n = len(got.codes)
        same = {len(got.db_index), len(got.activity_ids), len(got.rows), len(got.cols)}
        same |= {len(got.units), len(got.e)}
        if same != {n} or (n and (got.rows.max() >= len(got.lam) or got.rows.min() < 0)):
            raise ValueError("arrays of inconsistent lengths")
        if n and (got.db_index.min() < 0 or got.db_index.max() >= len(got.db_names)):
            raise ValueError("database index out of range")
        if not np.isfinite(got.lam).all():
            raise ValueError("non-finite intensities")
    except Exception as exc:  # noqa: BLE001 - any unreadable file is only a cache miss
        log.warning("ignoring unreadable background cache %s (%s): recomputing", path, exc)
        return None
    log.info("background intensities of %s from %s", sorted(fp.databases), path)
    return got


def store(fp: Fingerprint, sysm, lam: np.ndarray, e: np.ndarray) -> None:
    """Write the entry of ``fp`` from system ``sysm`` (built from what ``fp`` describes; the
    fingerprint is taken before the build, so a database changed meanwhile leaves an entry
    that no later read accepts) and its ``lam``, ``e``. A project folder that cannot be
    written is logged (the roll-up does not depend on it). Inside :func:`deferred`, the file
    is written when the block ends without an error."""

    if frozenset(sysm.databases) != fp.databases:
        return  # a larger system (from the engine's memory): another layout
    names = sorted({k[0] for k in sysm.keys})
    idx = {d: i for i, d in enumerate(names)}
    ids = np.asarray(sysm.activity_ids, dtype=np.int64)
    arrays = {
        "fingerprint": np.array(fp.text),
        "db_names": np.array(names, dtype=str),
        "db_index": np.array([idx[k[0]] for k in sysm.keys], dtype=np.int32),
        "codes": np.array([str(k[1]) for k in sysm.keys], dtype=str),
        "activity_ids": ids,
        "rows": np.array([sysm.product_index[int(i)] for i in ids], dtype=np.int64),
        "cols": np.array([sysm.activity_index[int(i)] for i in ids], dtype=np.int64),
        "units": np.array([u or "" for u in sysm.units], dtype=str),
        "lam": np.asarray(lam, dtype=np.float64),
        "e": np.asarray(e, dtype=np.float64),
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    defer(functools.partial(_write, fp.path, buf.getvalue(), fp.databases))


def _write(path: Path, data: bytes, databases) -> Path | None:
    from ._outputs import write_atomic
    from .errors import PCFError

    try:
        write_atomic(path, data)
    except (PCFError, OSError) as exc:
        log.warning("background intensities not cached (%s)", exc)
        return None
    log.info("background intensities of %s cached in %s", sorted(databases), path)
    return path
