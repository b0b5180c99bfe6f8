"""Import inventories into the engine's project through bw2io, all-or-nothing.

The path for Brightway CSV/Excel inventories (the layout of ``inventories/``):

1. ``bw2io.CSVImporter`` / ``ExcelImporter`` and its own strategies (tuples, numbers, units,
   codes, biosphere links, internal technosphere links by activity hash);
2. ``match_database`` against the biosphere by name + categories + unit, within the file, and
   against every database already installed that the file names in a ``database`` column (or,
   if it names none, every installed non-biosphere database);
   project, database and activity parameters and exchange formulas evaluated with
   bw2parameters (:mod:`lca.imports._parameters`);
3. checks before anything is written: no unlinked exchange (:class:`UnlinkedExchanges` lists them
   all), every amount present and finite, every production amount non-zero (negative is the
   waste convention; :class:`InvalidAmount`), every exchange's uncertainty fields valid for
   stats_arrays (:class:`InvalidUncertainty`), every technosphere input's unit equal to the unit of the
   activity it links to (:class:`UnitMismatch`);
4. the write goes to a temporary database that is renamed into place only when complete, the
   previous version being moved aside (not deleted) until then, so a failure leaves neither a
   half-written database nor a damaged previous version (:func:`write_database`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from .._quiet import quiet
from ..data import inventories_dir
from ..errors import (
    DuplicateCode,
    InputFileError,
    InvalidAmount,
    InventoryError,
    UnitMismatch,
    UnlinkedExchanges,
)
from ..files import decode_text, read_text
from ..project import Project
from ._allocation import allocate
from ._parameters import evaluate_parameters
from ._uncertainty import check_uncertainties
from ._write import ImportReport, Pending, import_lock, is_shipped_file, write_databases

log = logging.getLogger(__name__)

BIOSPHERE_FIELDS = ("name", "categories", "unit")
TECHNOSPHERE_FIELDS = ("name", "unit", "location")


#: what bw2io's CSV/Excel extractors raise on a file that is not what it claims to be
_READ_ERRORS = (ValueError, KeyError, IndexError, TypeError, OSError, zipfile.BadZipFile, EOFError)


@contextlib.contextmanager
def _utf8(path: Path) -> Iterator[Path]:
    """``path`` itself if it is UTF-8, else a UTF-8 copy of it (UTF-16, GBK/GB18030: see
    :func:`lca.files.read_text`, whose :class:`InputFileError` names the file otherwise)."""
    raw = path.read_bytes()
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 byte-order marks
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            yield path
            return
    text = decode_text(raw, path)  # the bytes already read, not the file again
    tmp = Path(tempfile.mkdtemp(prefix="pcf-utf8-"))
    try:
        copy = tmp / path.name
        copy.write_text(text, encoding="utf-8")
        log.info("%s: read as a non-UTF-8 text file", path)
        yield copy
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _importer_for(path: Path):
    import bw2io  # lazy on purpose: heavy (~1.4 s); `pcf --help` must stay fast

    suffix = path.suffix.lower()
    try:
        with quiet(), warnings.catch_warnings():
            # openpyxl on workbooks written by Excel with data-validation / conditional-format
            # extensions it does not read (bw2io's own fixtures): they hold no inventory data
            warnings.filterwarnings("ignore", "Unknown extension is not supported", UserWarning)
            warnings.filterwarnings("ignore", "Conditional Formatting extension", UserWarning)
            if suffix == ".csv":
                with _utf8(path) as src:
                    return bw2io.CSVImporter(str(src))
            if suffix in (".xlsx", ".xls"):
                return bw2io.ExcelImporter(str(path))
    except InputFileError:
        raise
    except AssertionError as exc:
        # bw2io asserts the metadata section's name: a 'Database,' row without one
        if "valid name" not in str(exc):
            raise
        raise InventoryError(
            f"{path}: the 'Database' row gives no database name (write 'Database,<name>' "
            "on the first row)"
        ) from exc
    except _READ_ERRORS as exc:
        what = "Brightway inventory CSV" if suffix == ".csv" else "Excel workbook (.xlsx)"
        raise InventoryError(
            f"{path}: not a readable {what} ({type(exc).__name__}: {exc})"
        ) from exc
    raise InventoryError(
        f"{path}: unsupported inventory format {suffix!r} (expected .csv or .xlsx)"
    )


def read_inventory(
    proj: Project, path: str | os.PathLike, pending: Mapping[str, Pending] | None = None
):
    """Extract, apply strategies and link an inventory file; return the linked bw2io importer.

    ``pending``: databases read earlier in the same all-or-nothing import (not written yet),
    by name; the file links to them as to installed ones (their new version wins).

    Nothing is written. Raises :class:`UnlinkedExchanges`, :class:`InvalidAmount` or
    :class:`UnitMismatch` (see module doc) naming the file, activity and exchange at fault.
    """
    from bw2io.strategies import link_iterable_by_fields  # lazy on purpose: bw2io is heavy

    path = Path(path)
    if not path.exists():
        raise InventoryError(f"{path}: no such file")
    bd = proj.bd
    imp = _importer_for(path)
    if not getattr(imp, "data", None):
        raise InventoryError(f"{path}: no activities found")
    _check_duplicate_codes(path, imp.data)
    _check_amounts(path, imp.data)
    with quiet(), warnings.catch_warnings():
        # bw2io 0.9's own default strategy (link_technosphere_by_activity_hash) still passes the
        # deprecated ``kind=`` to itself; the warning is upstream's, not the user's data.
        warnings.filterwarnings("ignore", "`kind` is deprecated", DeprecationWarning)
        imp.apply_strategies()
        if evaluate_parameters(path, imp):  # exchanges given by formulas: their values now
            _check_amounts(path, imp.data, formulas=True)
        check_uncertainties(path, imp.data)
        imp.match_database(proj.biosphere, fields=BIOSPHERE_FIELDS, edge_kinds=["biosphere"])
        imp.match_database(fields=TECHNOSPHERE_FIELDS)
        for other in _linked_databases(imp, bd, proj.biosphere, pending):
            if pending and other in pending:
                link_iterable_by_fields(
                    imp.data,
                    other=[
                        dict(ds, database=other, code=code)
                        for (_, code), ds in pending[other].data.items()
                    ],
                    fields=TECHNOSPHERE_FIELDS,
                    edge_kinds=["technosphere", "substitution"],
                )
                continue
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
        _check_unlinked_units(path, imp, bd, proj.biosphere, pending)
        raise UnlinkedExchanges(str(path), unlinked)
    _check_units(path, imp, bd, pending)
    return imp


def _check_duplicate_codes(path: Path, data: list[dict]) -> None:
    """Two activities with one code: bw2data would keep only the last (and links to the first
    would go unlinked). Name the code and the rows (of a CSV) or activities."""
    seen: dict[str, list[str]] = {}
    for ds in data:
        if ds.get("code"):
            seen.setdefault(str(ds["code"]), []).append(str(ds.get("name")))
    dups = {c: names for c, names in seen.items() if len(names) > 1}
    if not dups:
        return
    rows: dict[str, list[int]] = {}
    if path.suffix.lower() == ".csv":
        for i, line in enumerate(read_text(path).splitlines(), 1):
            cells = line.split(",", 2)
            if len(cells) > 1 and cells[0].strip().lower() == "code":
                rows.setdefault(cells[1].strip().strip('"'), []).append(i)
    code, names = next(iter(sorted(dups.items())))
    at = rows.get(code)
    where = (
        "rows " + ", ".join(map(str, at[:-1])) + f" and {at[-1]}"
        if at and len(at) > 1
        else "activities " + ", ".join(repr(n) for n in names)
    )
    raise DuplicateCode(path, code, where, more=len(dups) - 1)


def _check_unlinked_units(
    path: Path, imp, bd, biosphere: str, pending: Mapping[str, Pending] | None = None
) -> None:
    """An unlinked technosphere input that would link but for its unit: :class:`UnitMismatch`
    naming the exchange and both units (rather than "unlinked")."""
    from bw2data.backends import ActivityDataset as AD  # lazy on purpose: bw2data is heavy

    others = [o for o in _linked_databases(imp, bd, biosphere, pending) if o in bd.databases]
    for ds in imp.data:
        for exc in ds.get("exchanges", []):
            if exc.get("input") or exc.get("type") not in ("technosphere", "substitution"):
                continue
            name, loc = exc.get("name"), exc.get("location")
            units = {
                d.get("unit")
                for d in imp.data
                if d.get("name") == name and d.get("location") == loc
            }
            if others and not units:
                query = AD.select(AD.data).where(
                    AD.database.in_(others), AD.name == name, AD.location == loc
                )
                units = {(row.data or {}).get("unit") for row in query}
            units.discard(None)
            if units and exc.get("unit") not in units:
                raise UnitMismatch(
                    " or ".join(sorted(units)),
                    exc.get("unit"),
                    f"{path}: activity {ds.get('name')!r}, input {name!r} @ {loc} (the "
                    f"activity of that name and location is in {' or '.join(sorted(units))})",
                )


def _linked_databases(
    imp, bd, biosphere: str, pending: Mapping[str, Pending] | None = None
) -> list[str]:
    named = {
        exc.get("database")
        for ds in imp.data
        for exc in ds.get("exchanges", [])
        if exc.get("database") and exc.get("type") == "technosphere"
    }
    named.discard(imp.db_name)
    missing = sorted(n for n in named if n not in bd.databases and n not in (pending or {}))
    if missing:
        raise InventoryError(
            f"{imp.db_name}: exchanges name database(s) not installed: {', '.join(missing)}; "
            "import those first"
        )
    if named:
        return sorted(named)
    return sorted(d for d in bd.databases if d not in (biosphere, imp.db_name))


def _check_amounts(path: Path, data: list[dict], formulas: bool = False) -> None:
    """Amounts present, finite, production non-zero. An exchange given by a ``formula`` is
    checked once its formula is evaluated (``formulas=True``: only those)."""
    for ds in data:
        for i, exc in enumerate(ds.get("exchanges", []), 1):
            if bool(exc.get("formula") not in (None, "")) != formulas:
                continue
            where = f"{path}: activity {ds.get('name')!r}, exchange {i} ({exc.get('name')!r})"
            amount = exc.get("amount")
            try:
                value = float(amount)
            except (TypeError, ValueError):
                raise InvalidAmount(where, amount, "missing or not a number") from None
            if not math.isfinite(value):
                raise InvalidAmount(where, amount)
            if exc.get("type") == "production" and value == 0:
                # negative is the waste convention of ecoinvent and bw2io's exports (a treatment
                # "produces" -1 kg of the waste it takes), which bw2calc computes; zero is none
                raise InvalidAmount(where, amount, "a production amount must not be zero")


def _where(path: Path, ds: dict) -> str:
    """``path``, or the dataset's own file in it (an ecoSpold2 folder: bw2io keeps the name)."""
    name = ds.get("filename")
    return str(Path(path) / name) if name and Path(path).is_dir() else str(path)


def _check_units(path: Path, imp, bd, pending: Mapping[str, Pending] | None = None) -> None:
    internal = {(imp.db_name, ds.get("code")): ds for ds in imp.data}
    for item in (pending or {}).values():
        internal.update(item.data)
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
                    f"{_where(path, ds)}: activity {ds.get('name')!r}, input "
                    f"{exc.get('name')!r} (linked to {key})",
                )


def import_inventory(
    proj: Project,
    path: str | os.PathLike,
    overwrite: bool = True,
    replace_shipped: bool = False,
) -> ImportReport:
    """Import one Brightway CSV/Excel inventory file into the project, all-or-nothing.

    With ``overwrite`` an existing database of the same name is replaced only once the new one is
    fully written; without it an existing database raises :class:`InventoryError`. A database
    that already holds exactly this file is left alone (the report says ``unchanged``); a
    shipped database is replaced by another file only with ``replace_shipped``; the databases
    that link to a replaced one keep working (:func:`lca.imports.write_databases`).
    """
    path = Path(path)
    with import_lock(proj, path):
        item = pending_inventory(proj, path)
        return write_databases(proj, [item], overwrite=overwrite, replace_shipped=replace_shipped)[
            0
        ]


def pending_inventory(
    proj: Project,
    path: str | os.PathLike,
    pending: Mapping[str, Pending] | None = None,
    allocation: str | None = None,
) -> Pending:
    """Read and check a Brightway CSV/Excel file (:func:`read_inventory`); what to write.
    Processes with several products are allocated (:mod:`lca.imports._allocation`;
    ``allocation``: the strategy where the file declares none)."""
    path = Path(path)
    imp = read_inventory(proj, path, pending)
    item = Pending(
        imp.db_name,
        {(imp.db_name, ds["code"]): ds for ds in imp.data},
        dict(imp.metadata),
        source=str(path),
        digest=hashlib.sha256(path.read_bytes()).hexdigest(),
        shipped=is_shipped_file(path),
    )
    for ds in imp.data:
        for e in ds.get("exchanges", []):
            if e.get("formula"):
                item.notes.add(
                    "converted",
                    f"{path}: activity {ds.get('name')!r}, exchange {e.get('name')!r}: amount "
                    f"{e.get('amount')!r} from formula {e['formula']!r} (bw2parameters)",
                )
    item.data = allocate(item.data, imp.db_name, str(path), item.notes, allocation, imp.metadata)
    return item


def shipped_inventories(root: str | os.PathLike | None = None) -> list[Path]:
    """The inventory files shipped in ``inventories/``: background first, then products.

    In each folder ``pcf-background.csv`` comes first: the other background files link to its
    datasets (electricity, fuels), and ``pcf-background-*.csv`` sorts before it by name."""
    root = Path(root) if root else inventories_dir()
    files = []
    for sub in ("background", "products"):
        found = sorted((root / sub).glob("*.csv")) + sorted((root / sub).glob("*.xlsx"))
        files += sorted(found, key=lambda p: p.name != "pcf-background.csv")  # stable
    return files
