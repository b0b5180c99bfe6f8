"""Carbon content of the shipped products: fossil and biogenic kg C per unit of product.

PACT v3 requires ``fossilCarbonContent`` (kg C per declared unit; Methodology 3.3.2.4) and v2
also ``biogenicCarbonContent``. The figure is a property of the product's composition, not of
its footprint, so it is kept in its own table, ``inventories/carbon-content.csv``, one row per
product key of the shipped products (``database|code``)::

    key,unit,fossil_carbon_kg_per_unit,biogenic_carbon_kg_per_unit,status,derivation,source

``unit``
    The unit of the product's reference flow (the activity's ``unit``); the figures are per one
    such unit.
``status``
    ``computed``: both figures are given (a computed 0 is a value: ammonium nitrate has no
    carbon); the ``derivation`` gives the arithmetic (mass of each carbon-bearing constituent
    per unit x its carbon mass fraction, by stoichiometry) and ``source`` the source of each
    mass and of the fossil / biogenic attribution. ``not assessed``: both figures are empty and
    ``derivation`` says what is missing; documents then say "not assessed" (never a silent 0).

:func:`read_carbon_contents` validates every row with pydantic and raises
:class:`CarbonContentError` naming the file, the line and the column; :func:`carbon_content`
looks a product up (``None`` when the table has no row for it).

>>> c = carbon_content(("pcf-products-polypropylene", "polypropylene-resin-us"))
>>> c.status, round(c.fossil_carbon_kg_per_unit, 4), c.biogenic_carbon_kg_per_unit
('computed', 0.8563, 0.0)
>>> carbon_content("pcf-products-tshirt|tshirt-cotton-cn").assessed
False
"""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .data import inventories_dir
from .errors import InputFileError
from .files import open_text, parse_number

__all__ = [
    "COLUMNS",
    "CarbonContent",
    "CarbonContentError",
    "carbon_content",
    "carbon_content_path",
    "read_carbon_contents",
]

#: The columns of the table, in order (all required).
COLUMNS = (
    "key",
    "unit",
    "fossil_carbon_kg_per_unit",
    "biogenic_carbon_kg_per_unit",
    "status",
    "derivation",
    "source",
)
_VALUES = ("fossil_carbon_kg_per_unit", "biogenic_carbon_kg_per_unit")


class CarbonContentError(InputFileError):
    """A carbon-content table with a missing column or a bad cell: names the file, the line (the
    header is line 1) and the column."""

    def __init__(self, path, why: str, line: int | None = None, field: str | None = None):
        self.field = field
        super().__init__(path, f"{field}: {why}" if field else why, line)


class CarbonContent(BaseModel):
    """One product's carbon content, per unit of its reference flow (kg C)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: tuple[str, str]
    unit: str = Field(min_length=1)
    fossil_carbon_kg_per_unit: float | None = None
    biogenic_carbon_kg_per_unit: float | None = None
    status: Literal["computed", "not assessed"]
    derivation: str = Field(min_length=1)
    source: str = ""

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, v):
        if isinstance(v, str):
            db, sep, code = v.strip().partition("|")
            if not (sep and db.strip() and code.strip()):
                raise ValueError(f"{v!r} is not a product key 'database|code'")
            return db.strip(), code.strip()
        return v

    @field_validator(*_VALUES, mode="before")
    @classmethod
    def _number(cls, v):
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        # the engine's one rule for numbers read from files (finite, in range)
        return parse_number(v, lo=0)

    @field_validator("derivation", "source", "unit", mode="before")
    @classmethod
    def _strip(cls, v):
        return v.strip() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _status(self):
        given = [f for f in _VALUES if getattr(self, f) is not None]
        if self.status == "computed":
            missing = [f for f in _VALUES if f not in given]
            if missing:
                raise ValueError(
                    f"status 'computed' needs both figures; {missing[0]} is empty (a computed "
                    "zero is written 0)"
                )
            if not self.source:
                raise ValueError(
                    "status 'computed' needs its source (of each mass and of the "
                    "fossil / biogenic attribution)"
                )
        elif given:
            raise ValueError(
                f"status 'not assessed' takes no figure, but {given[0]} is "
                f"{getattr(self, given[0])!r} (leave it empty, or set status computed)"
            )
        return self

    @property
    def assessed(self) -> bool:
        return self.status == "computed"

    @property
    def label(self) -> str:
        return f"{self.key[0]}|{self.key[1]}"

    def for_amount(self, amount: float) -> tuple[float | None, float | None]:
        """(fossil, biogenic) kg C for ``amount`` units of the product (``None``: not assessed)."""
        f, b = self.fossil_carbon_kg_per_unit, self.biogenic_carbon_kg_per_unit
        return (None if f is None else f * amount, None if b is None else b * amount)

    def to_dict(self, amount: float = 1.0) -> dict:
        """JSON-able: the status, the figures for ``amount`` units (``None``: not assessed), the
        unit, the derivation and the source."""
        fossil, biogenic = self.for_amount(amount)
        return {
            "status": self.status,
            "fossil_carbon_kg": fossil,
            "biogenic_carbon_kg": biogenic,
            "amount": amount,
            "unit": self.unit,
            "derivation": self.derivation,
            "source": self.source,
        }


def carbon_content_path() -> Path:
    """The shipped table, ``inventories/carbon-content.csv`` (in a checkout or a wheel)."""
    return inventories_dir() / "carbon-content.csv"


def read_carbon_contents(
    path: str | os.PathLike | None = None,
) -> dict[tuple[str, str], CarbonContent]:
    """Every row of the carbon-content table at ``path`` (default: the shipped one), by key.

    Raises
    ------
    CarbonContentError
        A missing column, an empty or malformed key, a figure that is not a number >= 0, a
        status other than ``computed`` / ``not assessed``, a computed row without both figures
        or its source, a not-assessed row with a figure, or a key given twice; names the file,
        line and column.
    InputFileError
        The file cannot be read.
    """
    if path is None:
        return dict(_shipped())
    return _read(Path(path))


@functools.cache
def _shipped() -> dict[tuple[str, str], CarbonContent]:
    return _read(carbon_content_path())


def _read(path: Path) -> dict[tuple[str, str], CarbonContent]:
    reader = csv.DictReader(open_text(path))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CarbonContentError(
            path, f"no column {missing[0]!r}; the columns must be {', '.join(COLUMNS)}", 1, "header"
        )
    out: dict[tuple[str, str], CarbonContent] = {}
    for row in reader:
        line = reader.line_num
        cells = {(k or "").strip(): v for k, v in row.items() if k is not None}
        if not any((v or "").strip() for v in cells.values()):
            continue  # a blank line
        if None in row:
            raise CarbonContentError(path, "more cells than columns (a comma not quoted?)", line)
        try:
            entry = CarbonContent.model_validate({c: cells.get(c) or "" for c in COLUMNS})
        except ValidationError as exc:
            e = exc.errors()[0]
            field = str(e["loc"][0]) if e["loc"] else None
            why = str(e["msg"]).removeprefix("Value error, ")
            raise CarbonContentError(path, why, line, field or "row") from None
        if entry.key in out:
            raise CarbonContentError(path, f"{entry.label} is given twice", line, "key")
        out[entry.key] = entry
    return out


def carbon_content(key, path: str | os.PathLike | None = None) -> CarbonContent | None:
    """The carbon content of product ``key`` (``(database, code)`` or ``"database|code"``), or
    ``None`` when the table (default: the shipped one) has no row for it."""
    if isinstance(key, str):
        db, _, code = key.partition("|")
        key = (db, code)
    return read_carbon_contents(path).get(tuple(key)) if path else _shipped().get(tuple(key))
