"""Import one or several inventories in any supported format, all-or-nothing as a whole.

:func:`import_many` reads and checks every file first (nothing is written if one of them fails),
then writes all of them in one step (:func:`lca.imports.write_databases`: any failure rolls every
one back); :func:`import_any` is the same for one file or folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import DatabaseFromSeveralFiles, InventoryError
from ..project import Project
from ._brightway import pending_inventory
from ._formats import detect_format, read_any
from ._notes import Notes
from ._useeio import DEFAULT_DATABASE, pending_useeio
from ._write import ImportReport, Pending, import_lock, write_databases


def import_any(
    proj: Project,
    path: str | os.PathLike,
    name: str | None = None,
    overwrite: bool = True,
    link_biosphere_by_name: bool = False,
    drop_unlinked: bool = False,
    replace_shipped: bool = False,
    allocation: str | None = None,
) -> ImportReport:
    """Detect the format of ``path`` and import it into the project, all-or-nothing.

    Parameters
    ----------
    proj
        The open project.
    path
        A file or folder (see :func:`lca.imports.detect_format`).
    name
        Database name. Default: the file's own (SimaPro project name), else the file or folder
        name (``"useeio"`` for USEEIO). A Brightway CSV/Excel file names its database itself
        (its ``Database,<name>`` row): ``name`` is refused for it.
    overwrite
        Replace an existing database of that name (only once the new one is complete).
    link_biosphere_by_name, drop_unlinked
        How to handle exchanges that do not link (:mod:`lca.imports._formats`); both off by
        default, and refused for a Brightway CSV/Excel file (which links strictly).
    replace_shipped
        Allow replacing a database imported from the engine's inventories package.
    allocation
        How to allocate processes with several products where the source declares no
        allocation (:mod:`lca.imports._allocation`: ``mass``, ``price``, ``equal``,
        ``manual_allocation`` or a property name; default: by mass when every product has one).

    Raises
    ------
    UnlinkedExchanges
        Listing every unlinked exchange; nothing was written.
    InventoryError
        Unreadable or unsupported file (named), a replacement that would break other databases
        or replace a shipped one, or the write failed (project unchanged).
    """
    return import_many(
        proj,
        [path],
        name=name,
        overwrite=overwrite,
        link_biosphere_by_name=link_biosphere_by_name,
        drop_unlinked=drop_unlinked,
        replace_shipped=replace_shipped,
        allocation=allocation,
    )[0]


def import_many(
    proj: Project,
    paths: Sequence[str | os.PathLike],
    name: str | None = None,
    overwrite: bool = True,
    link_biosphere_by_name: bool = False,
    drop_unlinked: bool = False,
    replace_shipped: bool = False,
    allocation: str | None = None,
) -> list[ImportReport]:
    """Import several files or folders as one all-or-nothing step (options as
    :func:`import_any`; ``name`` only with one path). Every file is read and checked before
    anything is written; a failure then names its file and nothing was written."""
    paths = [Path(p) for p in paths]
    if name and len(paths) > 1:
        raise InventoryError(
            f"--name / name={name!r} names one database: give one file, not {len(paths)}"
        )
    what = paths[0] if len(paths) == 1 else f"{len(paths)} files"
    with import_lock(proj, what):
        items: list[Pending] = []
        for p in paths:  # a file may link to a database read before it in the same import
            items.append(
                pending_any(
                    proj,
                    p,
                    name=name,
                    link_biosphere_by_name=link_biosphere_by_name,
                    drop_unlinked=drop_unlinked,
                    pending={i.name: i for i in items},
                    allocation=allocation,
                )
            )
        names = [i.name for i in items]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise DatabaseFromSeveralFiles(
                twice[0], [i.source for i in items if i.name == twice[0]]
            )
        return write_databases(proj, items, overwrite=overwrite, replace_shipped=replace_shipped)


def pending_any(
    proj: Project,
    path: Path,
    name: str | None = None,
    link_biosphere_by_name: bool = False,
    drop_unlinked: bool = False,
    pending: Mapping[str, Pending] | None = None,
    allocation: str | None = None,
) -> Pending:
    """Read, link and check ``path`` in its format; what to write (nothing is written).
    ``pending``: databases read before it in the same import (a Brightway CSV/Excel file may
    link to them)."""
    fmt = detect_format(path)
    if fmt == "brightway":
        given = [
            opt
            for opt, on in (
                (f"--name {name}", name),
                ("--link-biosphere-by-name", link_biosphere_by_name),
                ("--drop-unlinked", drop_unlinked),
            )
            if on
        ]
        if given:
            raise InventoryError(
                f"{path}: {', '.join(given)} does not apply to a Brightway CSV/Excel file: its "
                "database name is its 'Database,<name>' row and every exchange must link "
                "(fix the file); nothing was written"
            )
        item = pending_inventory(proj, path, pending, allocation=allocation)
    elif fmt == "useeio":
        item = pending_useeio(proj, path, name or DEFAULT_DATABASE, drop_unlinked=drop_unlinked)
    else:
        return _pending_read(
            proj, path, fmt, name, link_biosphere_by_name, drop_unlinked, allocation
        )
    item.format = fmt
    return item


def _pending_read(
    proj, path, fmt, name, link_biosphere_by_name, drop_unlinked, allocation
) -> Pending:
    notes = Notes()
    db_name, data, metadata = read_any(
        proj,
        path,
        name=name,
        link_biosphere_by_name=link_biosphere_by_name,
        drop_unlinked=drop_unlinked,
        fmt=fmt,
        notes=notes,
        allocation=allocation,
    )
    digest = None
    if path.is_file():
        h = hashlib.sha256(path.read_bytes())
        h.update(f"|{fmt}|{link_biosphere_by_name}|{drop_unlinked}|{allocation}".encode())
        digest = h.hexdigest()
    return Pending(
        db_name, data, metadata, source=str(path), digest=digest, notes=notes, format=fmt
    )
