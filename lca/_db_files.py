"""The files bw2data keeps beside SQLite for each database, and those no database owns any more.

Each database has a processed datapackage (``processed/<safe name>.zip``) and a search index
(``search/<safe name>``). bw2data deletes neither when a database is deleted or renamed, so every
import (its temporary ``<db>.pcf-import-<id>`` and backup ``<db>.pcf-backup-<id>`` databases)
would leave two files behind. :func:`remove_database_files` removes the files of a database that
is no longer registered; :func:`orphan_files` lists the files that belong to no registered
database, method, normalisation or weighting (``pcf doctor``).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["database_files", "orphan_files", "remove_database_files", "remove_orphan_files"]


def database_files(bd, name: str) -> list[Path]:
    """The processed datapackage and search index paths of database ``name`` (existing or not)."""
    db = bd.Database(name)  # (not ``filepath_processed``: it needs metadata and may process)
    return [
        Path(db.dirpath_processed()) / db.filename_processed(),
        Path(bd.projects.dir) / "search" / db.filename,
    ]


def remove_database_files(bd, name: str) -> list[Path]:
    """Remove the processed datapackage and search index of ``name`` if it is not registered;
    return the paths removed. A failure is logged, not raised (the files are only clutter)."""
    if name in bd.databases:
        return []
    removed = []
    for path in database_files(bd, name):
        try:
            if path.is_file():
                path.unlink()
                removed.append(path)
        except OSError:
            log.warning("could not remove %s of deleted database %r", path, name, exc_info=True)
    return removed


def _owned(bd) -> set[str]:
    """File names (in ``processed/`` and ``search/``) of every registered object."""
    names = set()
    for name in bd.databases:
        names.update(p.name for p in database_files(bd, name))
    for registry, cls in (
        (bd.methods, bd.Method),
        (bd.normalizations, bd.Normalization),
        (bd.weightings, bd.Weighting),
    ):
        for key in registry:
            names.add(cls(key).filename_processed())
    return names


def orphan_files(bd) -> list[Path]:
    """Processed datapackages (``*.zip``) and search indexes that no registered database,
    method, normalisation or weighting owns (left by deleted or renamed databases)."""
    base = Path(bd.projects.dir)
    owned = _owned(bd)
    found = [p for p in (base / "processed").glob("*.zip") if p.is_file()]
    found += [p for p in (base / "search").glob("*") if p.is_file()]
    return sorted(p for p in found if p.name not in owned)


def remove_orphan_files(bd) -> list[Path]:
    """Delete :func:`orphan_files`; return those removed (a failure is logged, not raised)."""
    removed = []
    for path in orphan_files(bd):
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            log.warning("could not remove orphan file %s", path, exc_info=True)
    return removed
