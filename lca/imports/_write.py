"""Write databases all-or-nothing: temporary databases renamed into place when all are complete.

Replacing a database must not break the databases that use it. Their exchanges point at
``(database, code)`` keys, which survive a replacement if the same codes exist; but bw2data's
*processed* datapackages of those dependents store the integer ids of the nodes they consume,
and a replaced database gets new nodes with new ids. A dependent whose datapackage was not
rebuilt then hands bw2calc ids no activity has ("NonsquareTechnosphere: 131 activities and 133
products"). So :func:`write_databases` refuses a replacement that would remove codes a
dependent uses (naming the dependents and the codes), and reprocesses every dependent after
the swap.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._db_files import remove_database_files
from .._marks import BACKUP_MARK, TEMP_MARK
from .._quiet import quiet
from ..data import inventories_dir
from ..errors import DatabaseExists, DependentsWouldBreak, InventoryError, ShippedDatabase
from ..project import Project
from ._notes import Notes, link_counts, read_counts

log = logging.getLogger(__name__)

#: the folders of the inventories package whose files are the shipped databases
SHIPPED_FOLDERS = ("background", "products")


@dataclass
class ImportReport:
    """What an import read and wrote (``unchanged``: the database already held exactly this
    file, and nothing was written).

    ``read``: counts of activities, product nodes and exchanges by type; ``links``: how many
    exchanges link within the database, to the biosphere and to each other database;
    ``linked`` / ``converted`` / ``assumed`` / ``dropped``: the full, located lists of
    :class:`lca.imports._notes.Notes` (links made by a rule the user chose, conversions,
    defaults taken where the file says nothing, data not imported).
    """

    database: str
    path: str
    activities: int
    exchanges: int
    replaced: bool
    unchanged: bool = False
    format: str = ""
    read: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    linked: list = field(default_factory=list)
    converted: list = field(default_factory=list)
    assumed: list = field(default_factory=list)
    dropped: list = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready (``pcf import --json`` / ``--report``)."""
        return asdict(self)


@dataclass
class Pending:
    """One database to write: bw2data's ``{(name, code): dataset}`` and its metadata.

    ``digest``: the SHA-256 of the source file (recorded as ``pcf_source_sha256``; a database
    that already records it is left as it is). ``shipped``: the source is a file of the
    inventories package (recorded as ``pcf_shipped``).
    """

    name: str
    data: dict
    metadata: dict = field(default_factory=dict)
    source: str = ""
    digest: str | None = None
    shipped: bool = False
    #: Called (no arguments) once every item of the write is in place, inside the
    #: all-or-nothing step (an exception rolls every item back): e.g. a USEEIO model installs
    #: its own methods, whose factors must point at the new nodes' ids.
    after_write: Callable[[], object] | None = None
    #: what the reader linked by rule, converted, assumed and dropped (the import's report)
    notes: Notes = field(default_factory=Notes)
    #: the format it was read in (:data:`lca.imports.FORMATS`)
    format: str = ""


def import_lock(proj: Project, what: str | os.PathLike):
    """The project's write lock, taken once around a whole import (``what``: shown to a
    writer that has to wait)."""
    return proj.write_lock(f"import {what}")


def is_shipped_file(path: str | Path) -> bool:
    """Whether ``path`` is one of the inventories package's database files."""
    try:
        rel = Path(path).resolve().relative_to(inventories_dir().resolve())
    except (ValueError, OSError):
        return False
    return len(rel.parts) == 2 and rel.parts[0] in SHIPPED_FOLDERS


def is_shipped(meta: dict) -> bool:
    """Whether a database's metadata says it was imported from the inventories package."""
    return bool(meta.get("pcf_shipped")) or (
        bool(meta.get("pcf_source_path")) and is_shipped_file(meta["pcf_source_path"])
    )


def write_database(
    proj: Project,
    name: str,
    data: dict,
    metadata: dict | None = None,
    overwrite: bool = True,
    source: str = "",
    replace_shipped: bool = False,
) -> ImportReport:
    """Write ``data`` (bw2data's ``{(name, code): dataset}``) as database ``name``, atomically.

    One database through :func:`write_databases` (see there). Call it holding the project's
    write lock.
    """
    item = Pending(name, data, dict(metadata or {}), source)
    return write_databases(proj, [item], overwrite=overwrite, replace_shipped=replace_shipped)[0]


def write_databases(
    proj: Project,
    items: list[Pending],
    overwrite: bool = True,
    replace_shipped: bool = False,
) -> list[ImportReport]:
    """Write several databases as one all-or-nothing step.

    The one implementation of "replace databases all-or-nothing" (every importer and
    :func:`factory.allocation.write_product_activities` use it):

    0. checks, before anything is written: a database that already records the item's
       ``digest`` is left alone (reported ``unchanged``); an existing database is replaced only
       with ``overwrite``; a shipped database (:func:`is_shipped`) only by a shipped file or with
       ``replace_shipped``; a replacement must keep every code other databases link to;
    1. each item is written to a temporary database ``<name>.pcf-import-<id>``;
    2. each existing ``name`` is renamed aside to ``<name>.pcf-backup-<id>`` and the temporary
       database renamed to ``name``;
    3. the backups are deleted and the databases that link to a replaced one are reprocessed
       (their processed data hold the old nodes' integer ids).

    A failure in 1-2 rolls every item back (temporary and partial databases deleted, previous
    versions restored from their backups) and raises :class:`InventoryError` saying nothing was
    written. Should even a restore fail, the backup is kept and the error names it. Call it
    holding the project's write lock.
    """
    bd = proj.bd
    reports: list[ImportReport] = []
    todo: list[Pending] = []
    for item in items:
        meta = bd.databases.get(item.name)
        if meta is not None and item.digest and meta.get("pcf_source_sha256") == item.digest:
            log.info("%s: %s unchanged, nothing written", item.source, item.name)
            reports.append(_report(item, proj.biosphere, replaced=False, unchanged=True))
            continue
        if meta is not None:
            _check_replace(item, meta, overwrite, replace_shipped)
        todo.append(item)
        reports.append(_report(item, proj.biosphere, replaced=meta is not None))
    replacing = {i.name for i in todo if i.name in bd.databases}
    dependents = _check_dependents(bd, todo, replacing)
    _write_all(bd, todo)
    for dep in sorted(dependents):
        log.info("reprocessing %s (it links to a replaced database)", dep)
        with quiet():
            bd.Database(dep).process()
    return reports


def _report(item: Pending, biosphere: str, replaced: bool, unchanged: bool = False) -> ImportReport:
    read = read_counts(item.data)
    return ImportReport(
        item.name,
        str(item.source),
        len(item.data),
        read["exchanges"],
        replaced,
        unchanged,
        format=item.format or str(item.metadata.get("format", "")),
        read=read,
        links=link_counts(item.name, item.data, biosphere),
        **item.notes.as_dict(),
    )


def _check_replace(item: Pending, meta: dict, overwrite: bool, replace_shipped: bool) -> None:
    where = item.source or item.name
    if not overwrite:
        raise DatabaseExists(where, item.name)
    if is_shipped(meta) and not item.shipped and not replace_shipped:
        raise ShippedDatabase(where, item.name, meta.get("pcf_source_path"))


def _check_dependents(bd, todo: list[Pending], replacing: set[str]) -> set[str]:
    """Databases outside ``todo`` that link to a replaced database; raise if a code they use
    would disappear."""
    from bw2data.backends import ExchangeDataset as ED  # lazy on purpose: bw2data is heavy

    batch = {i.name for i in todo}
    dependents: set[str] = set()
    for item in todo:
        if item.name not in replacing:
            continue
        used: dict[str, set[str]] = {}
        rows = (
            ED.select(ED.output_database, ED.input_code)
            .where((ED.input_database == item.name) & (ED.output_database != item.name))
            .distinct()
            .tuples()
        )
        for db, code in rows:
            if db not in batch and TEMP_MARK not in db and BACKUP_MARK not in db:
                used.setdefault(db, set()).add(code)
        dependents |= set(used)
        codes = {code for _, code in item.data}
        lost = {db: sorted(c - codes) for db, c in used.items() if c - codes}
        if lost:
            raise DependentsWouldBreak(item.source or item.name, item.name, lost)
    return dependents


def _write_all(bd, todo: list[Pending]) -> None:
    """Steps 1-3 of :func:`write_databases` for the checked items."""
    tag = uuid.uuid4().hex[:8]
    done: list[tuple[str, str | None]] = []  # (name, backup) of items swapped in
    temps: list[str] = []
    item = None
    stage = "write"
    try:
        with quiet():
            # one item after the other, each swapped in before the next is written: a later
            # item may link to an earlier one (a product file after its background)
            for item in todo:
                stage = "write"
                tmp = f"{item.name}{TEMP_MARK}{tag}"
                temps.append(tmp)
                db = bd.Database(tmp)
                db.register(**_metadata(item))
                db.write(_retarget({k: _clean(v) for k, v in item.data.items()}, item.name, tmp))
                backup = None
                if item.name in bd.databases:
                    stage = "backup"
                    backup = f"{item.name}{BACKUP_MARK}{tag}"
                    bd.Database(item.name).rename(backup)
                stage = "swap"
                bd.Database(tmp).rename(item.name)
                done.append((item.name, backup))
                stage = "next"
            for item in todo:
                if item.after_write is not None:
                    stage = "after"
                    item.after_write()
    except Exception as exc:
        notes = _roll_back(bd, todo, temps, done, item, stage, tag)
        _remove_files(bd, todo, tag)
        failed = item.name if item is not None else "?"
        where = (item.source or failed) if item is not None else "?"
        tail = "" if "failed too" in notes else "; nothing was written"
        raise InventoryError(
            f"{where}: writing database {failed!r} failed: {exc}{notes}{tail}"
        ) from exc
    for _, backup in done:
        if backup:
            _drop(bd, backup, "the backup of the previous version")
    _remove_files(bd, todo, tag)
    for item in todo:
        log.info("imported %s: %d activities", item.name, len(item.data))


def _remove_files(bd, todo: list[Pending], tag: str) -> None:
    """Remove the processed datapackages and search indexes bw2data leaves behind for this
    write's temporary and backup databases (deleted or renamed away by now), and those of a
    new database whose write was rolled back (only of names no longer registered)."""
    for item in todo:
        for name in (item.name, f"{item.name}{TEMP_MARK}{tag}", f"{item.name}{BACKUP_MARK}{tag}"):
            remove_database_files(bd, name)


def _metadata(item: Pending) -> dict:
    meta = {k: v for k, v in item.metadata.items() if k != "name"}
    if item.source:
        meta.setdefault("pcf_source_path", str(item.source))
    if item.digest:
        meta["pcf_source_sha256"] = item.digest
    meta["pcf_shipped"] = bool(item.shipped)
    return meta


def _roll_back(bd, todo, temps, done, item, stage, tag) -> str:
    """Undo a failed :func:`_write_all`: the item at ``stage`` and every item swapped before it;
    return a note for the error message.

    ``backup``: ``name`` is still intact, a partial backup may exist. ``swap``: the backup is
    complete, ``name`` may be partial.
    """
    notes = []
    if item is not None and stage in ("backup", "swap"):
        backup = f"{item.name}{BACKUP_MARK}{tag}"
        if stage == "backup":
            if item.name in bd.databases:
                _drop(bd, backup, "the partial backup")
            else:  # pragma: no cover - bw2data deletes the old name last, after a full copy
                notes.append(_restore(bd, item.name, backup))
        else:
            _drop(bd, item.name, "the partial database")
            if backup in bd.databases:
                notes.append(_restore(bd, item.name, backup))
    for name, backup in reversed(done):
        _drop(bd, name, "the new version")
        if backup:
            notes.append(_restore(bd, name, backup))
    for tmp in temps:
        _drop(bd, tmp, "the temporary database")
    return "".join(n for n in notes if n)


def _restore(bd, name: str, backup: str) -> str:
    try:
        with quiet():
            bd.Database(backup).rename(name)
    except Exception as exc:
        log.exception("could not restore %r from its backup %r", name, backup)
        _drop(bd, name, "the partial database")
        return f"; restoring the previous version failed too ({exc}): it is kept as {backup!r}"
    log.info("restored the previous version of %r", name)
    return f"; the previous version of {name!r} was restored"


def _drop(bd, name: str, what: str) -> None:
    """Delete database ``name`` if registered; a failure is logged, not raised."""
    if name not in bd.databases:
        return
    try:
        with quiet():
            del bd.databases[name]
    except Exception:
        log.warning("could not delete %s %r", what, name, exc_info=True)


def _clean(ds: dict) -> dict:
    ds = {k: v for k, v in ds.items() if k not in ("database",)}
    ds["exchanges"] = [
        {k: v for k, v in e.items() if k != "database"} for e in ds.get("exchanges", [])
    ]
    return ds


def _retarget(data: dict, name: str, tmp: str) -> dict:
    """Point keys and internal links from database ``name`` to ``tmp``."""
    out = {}
    for (_, code), ds in data.items():
        ds = dict(ds, database=tmp)
        ds["exchanges"] = [
            dict(e, input=(tmp, e["input"][1])) if next(iter(e["input"])) == name else e
            for e in ds["exchanges"]
        ]
        out[(tmp, code)] = ds
    return out
