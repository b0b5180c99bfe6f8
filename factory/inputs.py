"""Reading a plant's activity-data file (the layout of ``inventories/factory/README.md``).

One long table, one row per datum, as CSV or as the first sheet (or a sheet named ``activity``)
of an Excel workbook. Columns (header names are case-insensitive; order is free):

``period, section, item, amount, unit, region, product, vintage, retired, comment``

This module only reads and checks the *form* of the data (known sections, numbers, units present,
no negative amounts, allocation keys that add up); whether an item names a known fuel, grid
region or material is checked where factors are resolved (:mod:`factory.factors`). Every error names
the file, the row (as a spreadsheet shows it: the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lca.errors import KeyErrorMessage, PCFError
from lca.files import open_text, parse_number
from lca.units import pint_name

log = logging.getLogger(__name__)

COLUMNS = (
    "period",
    "section",
    "item",
    "amount",
    "unit",
    "region",
    "product",
    "vintage",
    "retired",
    "comment",
)
REQUIRED_COLUMNS = ("period", "section", "item", "amount", "unit")

#: Sections of the layout and what their ``item`` names.
SECTIONS = {
    "plant": "the plant's identifier (region: its grid region)",
    "fuel": "a fuel burned on site (scope 1, stationary combustion)",
    "process": "a greenhouse gas released by a process: refrigerant leak, carbonate CO2 (scope 1)",
    "electricity": "electricity bought from the grid (region: grid region; scope 2)",
    "heat": "heat or steam bought (scope 2)",
    "certificate": "a contractual instrument: GEC, green_power_trade, I-REC, PPA (scope 2, market)",
    "onsite": "electricity generated and consumed on site: solar_pv, wind, hydro, fossil",
    "production": "a product and the amount made (unit: its declared unit)",
    "allocation": "an allocation key value (item: key name; product: product or TOTAL)",
    "purchased": "a purchased good (scope 3, category 1)",
    "offset": "an offset credit retired: CCER, VER (kept outside the footprint)",
}

#: Units of offsets (mass of CO2e).
CO2E_UNITS = {"kg co2e": 1.0, "t co2e": 1000.0, "tco2e": 1000.0, "kgco2e": 1.0}
#: Currency units: an allocation key in one of these is an *economic* key.
CURRENCIES = {"CNY", "RMB", "USD", "EUR", "JPY", "KRW", "GBP", "HKD"}
TOTAL = "TOTAL"
#: A reporting period: a year (``2024``) or a month (``2024-03``).
PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
#: Accepted spellings of the yes/no ``retired`` column (empty means no).
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0", "")


class FactoryInputError(PCFError, ValueError):
    """A plant activity-data file that cannot be used as it is; names file, row and column."""

    def __init__(self, path, row: int | None, column: str | None, message: str):
        self.path, self.row, self.column = str(path), row, column
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class MissingUnit(FactoryInputError):
    """An amount without a unit, or a unit that cannot be converted to the one needed."""


class NegativeAmount(FactoryInputError):
    """A negative, missing or non-numeric amount."""


class UnknownFactoryItem(FactoryInputError, KeyErrorMessage):
    """A section, fuel, grid region, instrument, gas, material or product that is not known."""


class CertificateOverclaim(FactoryInputError):
    """More contractual-instrument MWh claimed than grid electricity bought (double counting)."""


class AllocationKeyMismatch(FactoryInputError):
    """Allocation key values that do not add up to the plant total, or do not cover the products."""


@dataclass
class Record:
    """One data row of the activity file."""

    row: int
    period: str
    section: str
    item: str
    amount: float | None
    unit: str
    region: str = ""
    product: str = ""
    vintage: str = ""
    retired: str = ""
    comment: str = ""


@dataclass
class PlantData:
    """A plant's activity data as read, with where every value came from."""

    path: Path
    plant: str
    region: str
    records: list[Record] = field(default_factory=list)

    @property
    def periods(self) -> list[str]:
        return sorted({r.period for r in self.records if r.period})

    def of(self, period: str, section: str) -> list[Record]:
        return [r for r in self.records if r.period == period and r.section == section]


def read_rows(path: str | os.PathLike) -> list[list[str]]:
    """The raw rows of an activity-data file, header first: a ``.csv`` file as text, anything
    else as an Excel workbook (the ``activity`` sheet, else the first)."""
    path = Path(path)
    return _rows_csv(path) if path.suffix.lower() == ".csv" else _rows_xlsx(path)


def _rows_csv(path: Path) -> list[list[str]]:
    return [list(r) for r in csv.reader(open_text(path))]


def _rows_xlsx(path: Path) -> list[list[str]]:
    import openpyxl  # lazy on purpose: only .xlsx files need it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise FactoryInputError(
            path, None, None, f"not a readable Excel workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        ws = wb["activity"] if "activity" in wb.sheetnames else wb.worksheets[0]
        return [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _cell_text(v) -> str:
    """Excel cell → text as a CSV would hold it (2024.0 → "2024")."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_plant(path: str | os.PathLike) -> PlantData:
    """Read and check a plant activity-data file (CSV or Excel); see the module doc.

    Raises
    ------
    FactoryInputError
        (or a subclass) naming the file, row and column at fault.
    """
    path = Path(path)
    rows, col = _table(path)
    records: list[Record] = []
    plant = region = None
    for i, raw in enumerate(rows[1:], start=2):
        cell = {
            c: (raw[j].strip() if j < len(raw) and raw[j] is not None else "")
            for c, j in col.items()
        }
        if not any(cell.values()) or cell.get("period", "").startswith("#"):
            continue  # blank line or comment
        section = cell["section"].lower()
        if section not in SECTIONS:
            raise UnknownFactoryItem(
                path,
                i,
                "section",
                f"unknown section {cell['section']!r}; expected one of {', '.join(SECTIONS)}",
            )
        if not cell["item"]:
            raise FactoryInputError(path, i, "item", f"empty item in section {section!r}")
        if section == "plant":
            if plant is not None:
                raise FactoryInputError(path, i, "item", "a second plant row; one plant per file")
            plant, region = cell["item"], cell.get("region", "")
            if not region:
                raise FactoryInputError(path, i, "region", "the plant row needs its grid region")
            continue
        if not cell["period"]:
            raise FactoryInputError(path, i, "period", "empty period (e.g. 2024 or 2024-03)")
        if not PERIOD.match(cell["period"]):
            raise FactoryInputError(
                path,
                i,
                "period",
                f"period {cell['period']!r} is neither a year (2024) nor a month (2024-03)",
            )
        amount = _amount(path, i, cell["amount"])
        if not cell["unit"]:
            raise MissingUnit(path, i, "unit", f"amount {cell['amount']} has no unit")
        retired = cell.get("retired", "").lower()
        if retired not in YES + NO:
            raise FactoryInputError(
                path,
                i,
                "retired",
                f"{cell['retired']!r} is not yes or no "
                f"(accepted: {', '.join(YES)} / {', '.join(n for n in NO if n)} or empty)",
            )
        records.append(
            Record(
                i,
                cell["period"],
                section,
                cell["item"],
                amount,
                cell["unit"],
                cell.get("region", ""),
                cell.get("product", ""),
                cell.get("vintage", ""),
                retired,
                cell.get("comment", ""),
            )
        )
    if plant is None:
        raise FactoryInputError(
            path, None, "section", "no 'plant' row (section plant, item <plant id>, region <grid>)"
        )
    data = PlantData(path, plant, region, records)
    for period in data.periods:
        _check_period(data, period)
    log.info(
        "read plant %s from %s: %d rows, periods %s",
        plant,
        path,
        len(records),
        ", ".join(data.periods),
    )
    return data


def _table(path: Path) -> tuple[list[list[str]], dict[str, int]]:
    """The rows of the file (header first) and the position of each known column in them."""
    if not path.exists():
        raise FactoryInputError(path, None, None, "no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _rows_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _rows_xlsx(path)
    else:
        raise FactoryInputError(
            path, None, None, f"unsupported format {suffix!r} (expected .csv or .xlsx)"
        )
    if not rows:
        raise FactoryInputError(path, None, None, "empty file")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FactoryInputError(
            path,
            1,
            missing[0],
            f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}",
        )
    return rows, {c: header.index(c) for c in COLUMNS if c in header}


def _amount(path: Path, row: int, text: str) -> float:
    """A row's amount: a finite number >= 0 (``,`` thousands separators allowed)."""
    if not text:
        raise NegativeAmount(path, row, "amount", "missing amount")
    try:
        return parse_number(text.replace(",", ""), lo=0)
    except ValueError as exc:
        note = (
            "; consumption and output cannot be negative" if text.lstrip().startswith("-") else ""
        )
        raise NegativeAmount(path, row, "amount", f"{text!r}: {exc}{note}") from None


def _check_period(data: PlantData, period: str) -> None:
    path = data.path
    prods = data.of(period, "production")
    names = [r.item for r in prods]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        r = next(r for r in prods if r.item in dup)
        raise FactoryInputError(path, r.row, "item", f"product {r.item!r} listed twice in {period}")
    known = set(names)
    for r in data.records:
        if (
            r.period == period
            and r.product
            and r.section != "production"
            and r.product not in known
            and not (r.section == "allocation" and r.product == TOTAL)
        ):
            raise UnknownFactoryItem(
                path,
                r.row,
                "product",
                f"product {r.product!r} has no production row in period {period}",
            )
    for r in prods:
        if r.amount == 0:
            raise NegativeAmount(path, r.row, "amount", "a production amount must be positive")
    check_allocation_keys(data, period)


def allocation_keys(data: PlantData, period: str) -> dict[str, dict]:
    """Allocation keys of a period: name -> {basis, unit, values{product: v}, total, rows}."""
    keys: dict[str, dict] = defaultdict(lambda: {"values": {}, "rows": {}, "total": None})
    for r in data.of(period, "allocation"):
        k = keys[r.item]
        if not r.product:
            raise FactoryInputError(
                data.path,
                r.row,
                "product",
                f"allocation key {r.item!r}: name the product (or {TOTAL})",
            )
        unit = r.unit.strip()
        if "unit" in k and _norm_key_unit(unit) != _norm_key_unit(k["unit"]):
            raise MissingUnit(
                data.path,
                r.row,
                "unit",
                f"allocation key {r.item!r} mixes units {k['unit']!r} and {unit!r}",
            )
        k["unit"] = unit
        k["basis"] = "economic" if unit.upper() in CURRENCIES else "physical"
        if r.product == TOTAL:
            k["total"], k["total_row"] = r.amount, r.row
        else:
            if r.product in k["values"]:
                raise FactoryInputError(
                    data.path,
                    r.row,
                    "product",
                    f"allocation key {r.item!r} repeats product {r.product!r}",
                )
            k["values"][r.product], k["rows"][r.product] = r.amount, r.row
    return dict(keys)


def _norm_key_unit(u: str) -> str:
    return u.strip().upper() if u.strip().upper() in CURRENCIES else (pint_name(u) or u.strip())


def check_allocation_keys(data: PlantData, period: str, rel_tol: float = 1e-6) -> None:
    """Every allocation key covers every product and its values sum to the stated plant total.

    Raises :class:`AllocationKeyMismatch` naming the TOTAL row (or the first row of the key).
    """
    products = [r.item for r in data.of(period, "production")]
    for name, k in allocation_keys(data, period).items():
        first = min(list(k["rows"].values()) + [k.get("total_row", 10**9)])
        missing = [p for p in products if p not in k["values"]]
        if missing:
            raise AllocationKeyMismatch(
                data.path,
                first,
                "product",
                f"allocation key {name!r} ({period}) has no value for "
                f"product(s) {', '.join(missing)}",
            )
        if k["total"] is None:
            raise AllocationKeyMismatch(
                data.path,
                first,
                "product",
                f"allocation key {name!r} ({period}) needs a {TOTAL} row "
                "with the plant total, to check the products add up",
            )
        s = sum(k["values"].values())
        if not math.isclose(s, k["total"], rel_tol=rel_tol, abs_tol=1e-12):
            raise AllocationKeyMismatch(
                data.path,
                k["total_row"],
                "amount",
                f"allocation key {name!r} ({period}): products sum to {s:g} {k['unit']} but the "
                f"plant total is {k['total']:g} {k['unit']}",
            )
        if s <= 0:
            raise AllocationKeyMismatch(
                data.path,
                k["total_row"],
                "amount",
                f"allocation key {name!r} ({period}) sums to zero",
            )
