"""The health of a Brightway project: what can be broken in it, how to find it, how to mend it.

A project breaks in a few known ways: a database registered in bw2data's metadata
(``databases.json``) without rows in SQLite, or rows whose database is not registered (two
writers without a lock); an empty biosphere or missing climate methods (an interrupted first
run); temporary ``<db>.pcf-import-<id>`` / ``<db>.pcf-backup-<id>`` databases of a killed import
(:func:`lca.imports.write_database`); exchanges whose input no longer exists; a database group
whose technosphere is not square; processed datapackages and search indexes of databases no
longer registered (bw2data deletes neither, :mod:`lca._db_files`).

:func:`check_project` finds each of them (:class:`Finding`); :func:`repair_project` mends what it
can, logging each action; :func:`clean_leftovers` (also run when a project is opened) undoes
killed imports: a temporary database is dropped, a backup whose replacement never finished is
restored. Every function here writes only when its caller holds the project's write lock.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from peewee import fn

from ._db_files import orphan_files, remove_database_files, remove_orphan_files
from ._marks import BACKUP_MARK, TEMP_MARK
from ._quiet import quiet
from .methods import REQUIRED_METHODS

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project

log = logging.getLogger("lca.project")

#: Prefix of a project being built by :func:`lca.project.open_project` (a directory in the
#: Brightway directory, moved into place when complete).
SETUP_MARK = ".pcf-setup-"
_LEFTOVER = re.compile(
    rf"(?P<base>.+)(?P<mark>{re.escape(TEMP_MARK)}|{re.escape(BACKUP_MARK)})(?P<tag>[0-9A-Za-z]+)"
)


@dataclass(frozen=True)
class Finding:
    """One check of :func:`check_project`: ``ok``, what was found, and what ``--repair`` does."""

    check: str
    ok: bool
    detail: str
    repair: str = ""


def _models():
    from bw2data.backends import ActivityDataset, ExchangeDataset

    return ActivityDataset, ExchangeDataset


def stored_databases() -> dict[str, int]:
    """Database names that have rows in SQLite, with their number of activities (0: only
    exchanges remain)."""
    AD, ED = _models()
    counts = dict(AD.select(AD.database, fn.COUNT(AD.id)).group_by(AD.database).tuples())
    for (db,) in ED.select(ED.output_database).distinct().tuples():
        counts.setdefault(db, 0)
    return counts


def _rows(name: str) -> int:
    AD, _ = _models()
    return AD.select().where(AD.database == name).count()


def _drop(bd, name: str) -> None:
    """Delete database ``name``: its registration and every row stored under its name."""
    AD, ED = _models()
    with quiet():
        if name in bd.databases:
            del bd.databases[name]
        AD.delete().where(AD.database == name).execute()
        ED.delete().where(ED.output_database == name).execute()
    remove_database_files(bd, name)


def leftovers(proj: Project) -> list[str]:
    """Temporary and backup databases of killed imports (registered or only stored)."""
    names = set(proj.bd.databases) | set(stored_databases())
    return sorted(n for n in names if _LEFTOVER.fullmatch(n))


def setup_leftovers(proj: Project) -> list:
    """Directories of set-ups that never finished (``.pcf-setup-*`` in the Brightway dir)."""
    return sorted(p for p in proj.base_dir.glob(SETUP_MARK + "*") if p.is_dir())


def clean_leftovers(proj: Project, level: int = logging.WARNING) -> list[str]:
    """Undo killed imports and set-ups; return (and log, at ``level``) what was done. Hold the
    write lock.

    For each import (``<db>.pcf-import-<id>`` and/or ``<db>.pcf-backup-<id>``): if the backup
    is complete and the replacement never finished (its temporary database is still there, or
    ``<db>`` is missing or empty), ``<db>`` is restored from the backup; if the replacement
    finished, the backup is dropped; temporary databases are dropped; a ``<db>`` left empty by
    an unfinished first import is dropped.
    """
    bd = proj.bd
    done: list[str] = []
    for path in setup_leftovers(proj):
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed the unfinished set-up {path.name}")
    imports: dict[tuple[str, str], dict[str, str]] = {}
    for name in leftovers(proj):
        m = _LEFTOVER.fullmatch(name)
        kind = "import" if m["mark"] == TEMP_MARK else "backup"
        imports.setdefault((m["base"], m["tag"]), {})[kind] = name
    for (base, _), parts in sorted(imports.items()):
        tmp, backup = parts.get("import"), parts.get("backup")
        base_ok = base in bd.databases and _rows(base) > 0
        if backup and tmp is None and base_ok:
            _drop(bd, backup)
            done.append(f"dropped {backup!r} (the replacement of {base!r} had finished)")
        elif backup and backup in bd.databases and _rows(backup) > 0:
            if tmp:
                _drop(bd, tmp)
            _drop(bd, base)
            with quiet():
                bd.Database(backup).rename(base)
            remove_database_files(bd, backup)
            done.append(f"restored {base!r} from {backup!r} (its replacement never finished)")
        else:
            if backup:
                _drop(bd, backup)
                done.append(f"dropped the partial backup {backup!r}")
            if tmp:
                partial = base in bd.databases and not base_ok and _rows(tmp) > 0
                _drop(bd, tmp)
                done.append(f"dropped the temporary database {tmp!r} of an unfinished import")
                if partial:
                    _drop(bd, base)
                    done.append(f"dropped {base!r}, left empty by an unfinished import")
    for line in done:
        log.log(level, "cleaned up: %s", line)
    return done


def setup_problems(proj: Project) -> list[str]:
    """What is wrong with the project's set-up: an empty biosphere, missing or empty methods."""
    bd = proj.bd
    problems = []
    if proj.biosphere in bd.databases and _rows(proj.biosphere) == 0:
        problems.append(f"biosphere database {proj.biosphere!r} is registered but empty")
    for m in REQUIRED_METHODS:
        if m in bd.methods and not bd.methods[m].get("num_cfs"):
            problems.append(f"method {'|'.join(m)} is registered without factors")
    return problems


def repair_setup(proj: Project) -> list[str]:
    """Drop an empty biosphere (and the methods linked to it) and methods without factors, so
    that :func:`lca.project.ensure_setup` builds them again. Hold the write lock."""
    bd = proj.bd
    done = []
    empty_bio = proj.biosphere in bd.databases and _rows(proj.biosphere) == 0
    if empty_bio:
        _drop(bd, proj.biosphere)
        done.append(f"dropped the empty biosphere database {proj.biosphere!r}")
    for m in REQUIRED_METHODS:
        if m in bd.methods and (empty_bio or not bd.methods[m].get("num_cfs")):
            with quiet():
                bd.Method(m).deregister()
            done.append(f"dropped method {'|'.join(m)} (to be installed again)")
    for line in done:
        log.warning("half-built project %r: %s", proj.name, line)
    return done


def mend(proj: Project, setup: bool) -> None:
    """Undo what interrupted runs left behind: killed imports always; a half-built set-up
    (an empty biosphere, methods without factors) when ``setup`` (it is then rebuilt)."""
    broken = setup_problems(proj) if setup else []
    if not (broken or leftovers(proj) or setup_leftovers(proj)):
        return
    with proj.write_lock("repair of an interrupted run"):
        clean_leftovers(proj)
        broken = setup_problems(proj) if setup else []
        if broken:
            log.warning(
                "project %r is half-built (%s; an interrupted set-up): rebuilding it",
                proj.name,
                "; ".join(broken),
            )
            repair_setup(proj)


def _missing_methods(bd) -> list:
    return [m for m in REQUIRED_METHODS if m not in bd.methods or not bd.methods[m].get("num_cfs")]


def _dangling(bd) -> dict[str, int]:
    """Per database, the exchanges whose input node does not exist."""
    from bw2data.backends import sqlite3_lci_db

    sql = (
        "SELECT e.output_database, count(*) FROM exchangedataset e LEFT JOIN activitydataset a "
        "ON a.database = e.input_database AND a.code = e.input_code WHERE a.id IS NULL "
        "GROUP BY e.output_database"
    )
    return dict(sqlite3_lci_db.db.execute_sql(sql).fetchall())


def _square(bd, biosphere: str) -> list[str]:
    """Database groups (linked by technosphere exchanges) whose activities and products differ
    in number, as ``"a+b: N activities, M products"``."""
    AD, ED = _models()
    labels = bd.labels
    produce = set(labels.technosphere_positive_edge_types)
    consume = set(labels.technosphere_negative_edge_types)
    processes = {
        (db, code)
        for db, code in AD.select(AD.database, AD.code)
        .where(AD.type << list(labels.process_node_types))
        .tuples()
    }
    parent = {db: db for db, _ in processes}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    products: set = set()
    produced: set = set()
    for out_db, out_code, in_db, in_code, kind in (
        ED.select(ED.output_database, ED.output_code, ED.input_database, ED.input_code, ED.type)
        .where(ED.type << sorted(produce | consume))
        .tuples()
    ):
        if in_db == biosphere or out_db == biosphere:
            continue
        products.add((in_db, in_code))
        if kind in produce:
            produced.add((out_db, out_code))
        parent[find(in_db)] = find(out_db)
    products |= processes - produced  # a process without a production exchange makes itself
    groups: dict[str, list[int]] = {}
    for key in processes:
        groups.setdefault(find(key[0]), [0, 0])[0] += 1
    for key in products:
        groups.setdefault(find(key[0]), [0, 0])[1] += 1
    members: dict[str, set[str]] = {}
    for db in parent:
        members.setdefault(find(db), set()).add(db)
    return [
        f"{'+'.join(sorted(members[g]))}: {n_act} activities, {n_prod} products"
        for g, (n_act, n_prod) in sorted(groups.items())
        if n_act != n_prod
    ]


def check_project(proj: Project) -> list[Finding]:
    """Every check, in order; each :class:`Finding` says what ``--repair`` would do."""
    bd = proj.bd
    stored = stored_databases()
    registered = set(bd.databases)
    left = leftovers(proj)
    setups = setup_leftovers(proj)
    normal = [n for n in registered if n not in left and n != proj.biosphere]
    empty = sorted(n for n in normal if stored.get(n, 0) == 0)
    orphans = sorted(n for n in stored if n not in registered and n not in left)
    bio_rows = stored.get(proj.biosphere, 0) if proj.biosphere in registered else None
    missing = _missing_methods(bd)
    dangling = _dangling(bd)
    square = _square(bd, proj.biosphere)
    files = orphan_files(bd)

    def names(items) -> str:
        return ", ".join(repr(x) for x in items)

    return [
        Finding(
            "registered databases are stored",
            not empty,
            f"registered without activities: {names(empty)}" if empty else f"{len(normal)} ok",
            "deregister them" if empty else "",
        ),
        Finding(
            "stored databases are registered",
            not orphans,
            f"rows of unregistered databases: {names(orphans)}" if orphans else "no orphan rows",
            "re-register those with activities, delete the other rows" if orphans else "",
        ),
        Finding(
            "biosphere",
            bool(bio_rows),
            f"{proj.biosphere!r}: "
            + ("missing" if bio_rows is None else f"{bio_rows} flows" if bio_rows else "empty"),
            "" if bio_rows else "rebuild it (and the climate methods)",
        ),
        Finding(
            "climate methods",
            not missing,
            f"missing: {names('|'.join(m) for m in missing)}"
            if missing
            else f"{len(REQUIRED_METHODS)} installed",
            "install them" if missing else "",
        ),
        Finding(
            "leftover temporary databases",
            not (left or setups),
            names([*left, *(p.name for p in setups)]) if left or setups else "none",
            "drop them, restoring backups of unfinished replacements" if left or setups else "",
        ),
        Finding(
            "files of deleted databases",
            not files,
            f"{len(files)} processed/search file(s) of unregistered databases: "
            + names(p.name for p in files[:6])
            + (", ..." if len(files) > 6 else "")
            if files
            else "none",
            "delete them" if files else "",
        ),
        Finding(
            "dangling exchanges",
            not dangling,
            "; ".join(
                f"{db}: {n} exchange(s) to missing inputs" for db, n in sorted(dangling.items())
            )
            if dangling
            else "none",
            "",  # the missing inputs must come back: re-import the database that had them
        ),
        Finding(
            "square technosphere",
            not square,
            "; ".join(square) if square else "every database group",
            "",
        ),
    ]


def repair_rows(proj: Project) -> list[str]:
    """Mend the databases :func:`check_project` finds broken (leftovers, orphan rows, registered
    but empty databases, a half-built set-up); return what was done, each action logged. Hold
    the write lock; :func:`lca.project.repair_project` then builds what set-up lacks."""
    bd = proj.bd
    done = clean_leftovers(proj)
    stored = stored_databases()
    for name in sorted(n for n in stored if n not in bd.databases):
        if stored[name]:
            with quiet():
                bd.Database(name).register()
                bd.Database(name).process()
            done.append(f"re-registered {name!r} ({stored[name]} activities were stored)")
        else:
            _drop(bd, name)
            done.append(f"deleted the orphan exchanges of unregistered {name!r}")
    for name in sorted(bd.databases):
        if name != proj.biosphere and _rows(name) == 0:
            _drop(bd, name)
            done.append(f"deregistered {name!r} (no activities stored)")
    done += repair_setup(proj)
    done += [
        f"deleted {p.parent.name}/{p.name} (of an unregistered database)"
        for p in remove_orphan_files(bd)
    ]
    for m in _missing_methods(bd):
        if m in bd.methods:
            with quiet():
                bd.Method(m).deregister()
    for line in done:
        log.info("repair: %s", line)
    return done
