"""Import inventories into the engine's project through bw2io, all-or-nothing.

The path for Brightway CSV/Excel inventories (the layout of ``inventories/``):

1. ``bw2io.CSVImporter`` / ``ExcelImporter`` and its own strategies (tuples, numbers, units,
   codes, biosphere links, internal technosphere links by activity hash);
2. ``match_database`` against the biosphere by name + categories + unit, within the file, and
   against every database already installed that the file names in a ``database`` column (or,
   if it names none, every installed non-biosphere database);
3. checks before anything is written: no unlinked exchange (:class:`UnlinkedExchanges` lists them
   all), every amount present and finite, every production amount positive
   (:class:`InvalidAmount`), every technosphere input's unit equal to the unit of the activity it
   links to (:class:`UnitMismatch`);
4. the write goes to a temporary database that is renamed into place only when complete, the
   previous version being moved aside (not deleted) until then, so a failure leaves neither a
   half-written database nor a damaged previous version (:func:`write_database`).
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from pathlib import Path

from .._quiet import quiet
from ..data import inventories_dir
from ..errors import InvalidAmount, InventoryError, UnitMismatch, UnlinkedExchanges
from ..project import Project
from ._write import ImportReport, write_database

log = logging.getLogger(__name__)

BIOSPHERE_FIELDS = ("name", "categories", "unit")
TECHNOSPHERE_FIELDS = ("name", "unit", "location")


def _importer_for(path: Path):
    import bw2io  # lazy on purpose: heavy (~1.4 s); `pcf --help` must stay fast

    suffix = path.suffix.lower()
    with quiet():
        if suffix == ".csv":
            return bw2io.CSVImporter(str(path))
        if suffix in (".xlsx", ".xls"):
            return bw2io.ExcelImporter(str(path))
    raise InventoryError(
        f"{path}: unsupported inventory format {suffix!r} (expected .csv or .xlsx)"
    )


def read_inventory(proj: Project, path: str | os.PathLike):
    """Extract, apply strategies and link an inventory file; return the linked bw2io importer.

    Nothing is written. Raises :class:`UnlinkedExchanges`, :class:`InvalidAmount` or
    :class:`UnitMismatch` (see module doc) naming the file, activity and exchange at fault.
    """
    path = Path(path)
    if not path.exists():
        raise InventoryError(f"{path}: no such file")
    bd = proj.bd
    try:
        imp = _importer_for(path)
    except (ValueError, KeyError, IndexError) as exc:
        raise InventoryError(f"{path}: cannot read as a Brightway inventory: {exc}") from exc
    if not getattr(imp, "data", None):
        raise InventoryError(f"{path}: no activities found")
    _check_amounts(path, imp.data)
    with quiet(), warnings.catch_warnings():
        # bw2io 0.9's own default strategy (link_technosphere_by_activity_hash) still passes the
        # deprecated ``kind=`` to itself; the warning is upstream's, not the user's data.
        warnings.filterwarnings("ignore", "`kind` is deprecated", DeprecationWarning)
        imp.apply_strategies()
        imp.match_database(proj.biosphere, fields=BIOSPHERE_FIELDS, edge_kinds=["biosphere"])
        imp.match_database(fields=TECHNOSPHERE_FIELDS)
        for other in _linked_databases(imp, bd, proj.biosphere):
            imp.match_database(
                other, fields=TECHNOSPHERE_FIELDS, edge_kinds=["technosphere", "substitution"]
            )
    unlinked = [
        {
            **{k: exc.get(k) for k in ("type", "name", "unit", "categories", "location")},
            "activity": ds.get("name"),
        }
        for ds in imp.data
        for exc in ds.get("exchanges", [])
        if not exc.get("input")
    ]
    if unlinked:
        raise UnlinkedExchanges(str(path), unlinked)
    _check_units(path, imp, bd)
    return imp


def _linked_databases(imp, bd, biosphere: str) -> list[str]:
    named = {
        exc.get("database")
        for ds in imp.data
        for exc in ds.get("exchanges", [])
        if exc.get("database") and exc.get("type") == "technosphere"
    }
    named.discard(imp.db_name)
    missing = sorted(n for n in named if n not in bd.databases)
    if missing:
        raise InventoryError(
            f"{imp.db_name}: exchanges name database(s) not installed: {', '.join(missing)}; "
            "import those first"
        )
    if named:
        return sorted(named)
    return sorted(d for d in bd.databases if d not in (biosphere, imp.db_name))


def _check_amounts(path: Path, data: list[dict]) -> None:
    for ds in data:
        for i, exc in enumerate(ds.get("exchanges", []), 1):
            where = f"{path}: activity {ds.get('name')!r}, exchange {i} ({exc.get('name')!r})"
            amount = exc.get("amount")
            try:
                value = float(amount)
            except (TypeError, ValueError):
                raise InvalidAmount(where, amount, "missing or not a number") from None
            if not math.isfinite(value):
                raise InvalidAmount(where, amount)
            if exc.get("type") == "production" and value <= 0:
                raise InvalidAmount(where, amount, "a production amount must be positive")


def _check_units(path: Path, imp, bd) -> None:
    internal = {(imp.db_name, ds.get("code")): ds for ds in imp.data}
    for ds in imp.data:
        for exc in ds.get("exchanges", []):
            if exc.get("type") not in ("technosphere", "substitution"):
                continue
            key = tuple(exc["input"])
            if key in internal:
                unit = internal[key].get("unit")
            else:
                unit = bd.get_activity(key).get("unit")
            if unit and exc.get("unit") and unit != exc.get("unit"):
                raise UnitMismatch(
                    unit,
                    exc.get("unit"),
                    f"{path}: activity {ds.get('name')!r}, input {exc.get('name')!r} "
                    f"(linked to {key})",
                )


def import_inventory(
    proj: Project, path: str | os.PathLike, overwrite: bool = True
) -> ImportReport:
    """Import one Brightway CSV/Excel inventory file into the project, all-or-nothing.

    With ``overwrite`` an existing database of the same name is replaced only once the new one is
    fully written; without it an existing database raises :class:`InventoryError`.
    """
    path = Path(path)
    with proj.lock():
        imp = read_inventory(proj, path)
        data = {(imp.db_name, ds["code"]): ds for ds in imp.data}
        return write_database(
            proj, imp.db_name, data, metadata=imp.metadata, overwrite=overwrite, source=str(path)
        )


def shipped_inventories(root: str | os.PathLike | None = None) -> list[Path]:
    """The inventory files shipped in ``inventories/``: background first, then products."""
    root = Path(root) if root else inventories_dir()
    files = []
    for sub in ("background", "products"):
        files += sorted((root / sub).glob("*.csv")) + sorted((root / sub).glob("*.xlsx"))
    return files
