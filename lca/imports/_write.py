"""Write a database all-or-nothing: a temporary database renamed into place when complete."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from .._quiet import quiet
from ..errors import InventoryError
from ..project import Project

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import wrote."""

    database: str
    path: str
    activities: int
    exchanges: int
    replaced: bool


TEMP_MARK = ".pcf-import-"
BACKUP_MARK = ".pcf-backup-"


def write_database(
    proj: Project,
    name: str,
    data: dict,
    metadata: dict | None = None,
    overwrite: bool = True,
    source: str = "",
) -> ImportReport:
    """Write ``data`` (bw2data's ``{(name, code): dataset}``) as database ``name``, atomically.

    The one implementation of "replace a database all-or-nothing" (the importers and
    :func:`factory.plant.write_product_activities` use it):

    1. the data go to a temporary database ``<name>.pcf-import-<id>`` (a failure here never
       touches an existing ``name``);
    2. an existing ``name`` (only with ``overwrite``; otherwise :class:`InventoryError`) is
       renamed aside to ``<name>.pcf-backup-<id>``, intact;
    3. the temporary database is renamed to ``name``;
    4. the backup is deleted.

    A failure in 1-3 deletes the temporary and any partial ``name``/backup database and restores
    the previous ``name`` from its backup, then raises :class:`InventoryError`. Should even the
    restore fail, the backup is kept and the error names it. Call it holding ``proj.lock()``;
    links to ``(name, code)`` inside ``data`` are retargeted on the way.
    """
    bd = proj.bd
    where = source or name
    exists = name in bd.databases
    if exists and not overwrite:
        raise InventoryError(f"{where}: database {name!r} already exists")
    tag = uuid.uuid4().hex[:8]
    tmp, backup = f"{name}{TEMP_MARK}{tag}", f"{name}{BACKUP_MARK}{tag}"
    stage = "write"
    try:
        with quiet():
            db = bd.Database(tmp)
            db.register(**{k: v for k, v in (metadata or {}).items() if k != "name"})
            db.write(_retarget({k: _clean(v) for k, v in data.items()}, name, tmp))
            if exists:
                stage = "backup"
                bd.Database(name).rename(backup)
            stage = "swap"
            db.rename(name)
    except Exception as exc:
        kept = _roll_back(bd, name, tmp, backup if exists else None, stage)
        raise InventoryError(f"{where}: writing database {name!r} failed: {exc}{kept}") from exc
    if exists:
        _drop(bd, backup, "the backup of the previous version")
    n_exc = sum(len(ds.get("exchanges", [])) for ds in data.values())
    log.info("imported %s: %d activities, %d exchanges", name, len(data), n_exc)
    return ImportReport(name, str(source), len(data), n_exc, exists)


def _roll_back(bd, name: str, tmp: str, backup: str | None, stage: str) -> str:
    """Undo a failed :func:`write_database` at ``stage``; return a note for the error message.

    ``write``: only the temporary database exists. ``backup``: ``name`` is still intact, a
    partial backup may exist. ``swap``: the backup is complete, ``name`` may be partial.
    """
    note = ""
    if backup is None:
        if stage == "swap":  # name did not exist before: whatever is there now is partial
            _drop(bd, name, "the partial database")
    elif stage == "backup":
        if name in bd.databases:
            _drop(bd, backup, "the partial backup")
        else:  # pragma: no cover - bw2data deletes the old name last, after a complete copy
            note = _restore(bd, name, backup)
    elif stage == "swap":
        _drop(bd, name, "the partial database")
        note = _restore(bd, name, backup)
    _drop(bd, tmp, "the temporary database")
    return note


def _restore(bd, name: str, backup: str) -> str:
    try:
        with quiet():
            bd.Database(backup).rename(name)
    except Exception as exc:
        log.exception("could not restore %r from its backup %r", name, backup)
        _drop(bd, name, "the partial database")
        return f"; restoring the previous version failed too ({exc}): it is kept as {backup!r}"
    log.info("restored the previous version of %r", name)
    return "; the previous version was restored"


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
