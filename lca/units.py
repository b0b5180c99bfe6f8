"""Unit conversion through one explicit table of unit names (exact sizes; pint underneath).

Only the names in :data:`UNITS` are accepted: Brightway's unit names (``kilogram``,
``kilowatt hour``, ``ton kilometer``...), PACT's declared units (``liter``, ``piece``,
``megabit second``...) and a few short forms (``kWh``, ``MWh``, ``t``, ``GJ``...). Each maps to a
pint expression chosen by hand, because pint's own guesses are wrong for LCA data: pint's ``ton``
is the US short ton (907.18474 kg), whereas Brightway's and PACT's ``ton`` is the metric tonne
(1000 kg). Counts (``piece``, ``unit``) and money (``USD``) are dimensions of their own, so a
piece never converts to a kilogram by accident.

Every unit of the table also has its exact size in its dimension's base unit (:data:`SIZES`:
SI prefixes and the units' legal definitions, e.g. the short ton's 2000 lb of 0.45359237 kg);
a factor between two of them is the exact ratio of their sizes, rounded as pint's answer is
(15 significant digits), and is pint's factor bit for bit (tests/test_units.py compares every
pair with pint). So a conversion needs neither pint's import nor its registry (~0.3 s, paid by
a fresh ``pcf`` process at its first conversion); pint is asked only for a unit that has no
size in :data:`SIZES`.

This is the engine's one unit table: the bill of materials and supplier PCFs
(:mod:`supply_chain`), plant activity data (:mod:`factory`) and PACT declared units
(:mod:`reports`) all convert through it.

>>> conversion_factor("ton", "kilogram")
1000.0
>>> conversion_factor("kilowatt hour", "megajoule")
3.6
>>> convert_or_none(2.0, "MWh", "kilowatt hour"), convert_or_none(1.0, "piece", "kg")
(2000.0, None)
>>> conversion_factor("piece", "kilogram")
Traceback (most recent call last):
...
lca.errors.UnitMismatch: Unit mismatch: expected 'kilogram', got 'piece'
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import TYPE_CHECKING

from .errors import PCFError, UnitMismatch

__all__ = [
    "BRIGHTWAY_UNITS",
    "SIZES",
    "UNITS",
    "UnknownUnit",
    "brightway_unit",
    "canonical",
    "conversion_factor",
    "convert",
    "convert_or_none",
    "pint_name",
    "registry",
]

if TYPE_CHECKING:
    import pint


#: Accepted unit names (lower case) -> pint expression. Extend here, never by guessing.
UNITS: dict[str, str] = {
    # mass
    "kilogram": "kilogram",
    "kg": "kilogram",
    "gram": "gram",
    "g": "gram",
    "ton": "tonne",
    "tonne": "tonne",
    "metric ton": "tonne",
    "t": "tonne",
    "short ton": "short_ton",  # US short ton, only when asked for by name
    # energy
    "kilowatt hour": "kilowatt_hour",
    "kwh": "kilowatt_hour",
    "megawatt hour": "megawatt_hour",
    "mwh": "megawatt_hour",
    "gigawatt hour": "gigawatt_hour",
    "gwh": "gigawatt_hour",
    "megajoule": "megajoule",
    "mj": "megajoule",
    "gigajoule": "gigajoule",
    "gj": "gigajoule",
    "terajoule": "terajoule",
    "tj": "terajoule",
    # transport
    "ton kilometer": "tonne * kilometer",
    "tonne kilometer": "tonne * kilometer",
    "tkm": "tonne * kilometer",
    "kilogram kilometer": "kilogram * kilometer",
    "person kilometer": "piece * kilometer",
    # volume, area, length, time
    "cubic meter": "meter ** 3",
    "m3": "meter ** 3",
    "liter": "liter",
    "litre": "liter",
    "l": "liter",
    "square meter": "meter ** 2",
    "m2": "meter ** 2",
    "meter": "meter",
    "m": "meter",
    "kilometer": "kilometer",
    "km": "kilometer",
    "hour": "hour",
    "h": "hour",
    "megabit second": "megabit_second",
    # counts and money
    "piece": "piece",
    "pieces": "piece",
    "unit": "piece",
    "item": "piece",
    "p": "piece",
    "pc": "piece",
    "pcs": "piece",
    "usd": "usd",
    "us dollar": "usd",
}

#: Pint expression -> the Brightway unit name written on activities (datasets, plant products).
BRIGHTWAY_UNITS: dict[str, str] = {
    "kilowatt_hour": "kilowatt hour",
    "megajoule": "megajoule",
    "kilogram": "kilogram",
    "tonne * kilometer": "ton kilometer",
}


#: Pint expression of :data:`UNITS` -> (its dimension, its size in the base unit of that
#: dimension as an exact decimal). Base units: kilogram, joule, kilogram metre (transport),
#: piece metre (person transport), cubic metre, square metre, metre, second, and the engine's
#: own piece, usd and megabit_second (:data:`_DEFINITIONS`). Sources: the SI prefixes; the
#: hour = 3600 s, the litre = 1 dm3 and the tonne = 1000 kg (SI Brochure, 9th ed., BIPM 2019,
#: table 8), so a kilowatt hour is 1000 W x 3600 s = 3.6 MJ; the short ton = 2000 pounds of
#: exactly 0.45359237 kg (the international avoirdupois pound of 1959; pint's definitions
#: too). tests/test_units.py checks every factor against pint's.
SIZES: dict[str, tuple[str, str]] = {
    "kilogram": ("mass", "1"),
    "gram": ("mass", "0.001"),
    "tonne": ("mass", "1000"),
    "short_ton": ("mass", "907.18474"),
    "kilowatt_hour": ("energy", "3.6e6"),
    "megawatt_hour": ("energy", "3.6e9"),
    "gigawatt_hour": ("energy", "3.6e12"),
    "megajoule": ("energy", "1e6"),
    "gigajoule": ("energy", "1e9"),
    "terajoule": ("energy", "1e12"),
    "tonne * kilometer": ("mass * length", "1e6"),
    "kilogram * kilometer": ("mass * length", "1e3"),
    "piece * kilometer": ("count * length", "1e3"),
    "meter ** 3": ("volume", "1"),
    "liter": ("volume", "0.001"),
    "meter ** 2": ("area", "1"),
    "meter": ("length", "1"),
    "kilometer": ("length", "1000"),
    "hour": ("time", "3600"),
    "megabit_second": ("data transfer", "1"),
    "piece": ("count", "1"),
    "usd": ("currency", "1"),
}


class UnknownUnit(PCFError, ValueError):
    """A unit name that is not in the explicit unit table (:data:`lca.units.UNITS`)."""

    def __init__(self, unit, where: str = ""):
        self.unit, self.where = unit, where
        super().__init__(
            f"Unknown unit {unit!r}"
            + (f" in {where}" if where else "")
            + "; see lca.units.UNITS for the accepted names"
        )


#: The engine's extra dimensions (count, money, data transfer), defined in :func:`registry`.
_DEFINITIONS = ("piece = [count]", "usd = [currency]", "megabit_second = [data_transfer]")


@functools.cache
def registry() -> pint.UnitRegistry:
    """The pint registry with the engine's extra dimensions (count, money, data transfer)."""
    import pint  # heavy (~0.3 s): imported on first conversion, keeps `pcf --help` fast

    ureg = pint.UnitRegistry()
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


def _name(unit) -> str:
    return " ".join(str(unit).strip().lower().split()) if unit is not None else ""


def canonical(unit: str, where: str = "") -> str:
    """The table name of ``unit`` (case and surrounding space ignored).

    >>> canonical(" MWh "), canonical("Kilowatt  hour")
    ('mwh', 'kilowatt hour')

    Raises
    ------
    UnknownUnit
        If ``unit`` is not in :data:`UNITS`.
    """
    name = _name(unit)
    if name not in UNITS:
        raise UnknownUnit(unit, where)
    return name


def pint_name(unit: str) -> str | None:
    """The pint expression of a table unit, or None if the table lacks it: two names of the same
    unit (``kWh``, ``kilowatt hour``) give the same expression.

    >>> pint_name("kWh") == pint_name("kilowatt hour"), pint_name("bushel")
    (True, None)
    """
    return UNITS.get(_name(unit))


def brightway_unit(unit: str) -> str | None:
    """Brightway's unit name for ``unit`` when :data:`BRIGHTWAY_UNITS` has it, else None.

    >>> brightway_unit("kWh"), brightway_unit("tkm"), brightway_unit("piece")
    ('kilowatt hour', 'ton kilometer', None)
    """
    return BRIGHTWAY_UNITS.get(pint_name(unit) or "")


@functools.cache
def _size_factor(a: str, b: str) -> float | None:
    """The factor from pint expression ``a`` to ``b`` (both in :data:`SIZES`) from their exact
    sizes, rounded as :func:`_pint_factor` rounds pint's (None: different dimensions)."""
    (dim_a, size_a), (dim_b, size_b) = SIZES[a], SIZES[b]
    if dim_a != dim_b:
        return None
    return float(f"{float(Fraction(size_a) / Fraction(size_b)):.15g}")


def _pint_factor(src: str, dst: str) -> float | None:
    """pint's factor from table unit ``src`` to ``dst`` (None: different dimensions), for a
    unit without a size in :data:`SIZES` (every unit of :data:`UNITS` has one today, which
    ``tests/test_units.py`` keeps so: importing pint and building its registry costs ~0.4 s)."""
    ureg = registry()
    a, b = ureg.Quantity(1.0, UNITS[src]), ureg.Quantity(1.0, UNITS[dst])
    if a.dimensionality != b.dimensionality:
        return None
    # pint multiplies float prefixes (kWh -> MJ gives 3.5999999999999996): keep 15 digits
    return float(f"{float(a.to(b.units).magnitude):.15g}")


def conversion_factor(from_unit: str, to_unit: str, where: str = "") -> float:
    """How many ``to_unit`` one ``from_unit`` is.

    Raises
    ------
    UnknownUnit
        A name not in :data:`UNITS`.
    UnitMismatch
        The two units measure different things (e.g. ``piece`` and ``kilogram``).
    """
    src, dst = canonical(from_unit, where), canonical(to_unit, where)
    a, b = UNITS[src], UNITS[dst]
    if src == dst or a == b:
        return 1.0
    f = _size_factor(a, b) if a in SIZES and b in SIZES else _pint_factor(src, dst)
    if f is None:
        raise UnitMismatch(to_unit, from_unit, where)
    return f


def convert(amount: float, from_unit: str, to_unit: str, where: str = "") -> float:
    """``amount`` in ``from_unit`` expressed in ``to_unit`` (see :func:`conversion_factor`).

    >>> convert(2.0, "tonne", "kg")
    2000.0

    Raises
    ------
    UnknownUnit, UnitMismatch
        As :func:`conversion_factor`.
    """
    return float(amount) * conversion_factor(from_unit, to_unit, where)


def convert_or_none(amount: float, from_unit: str, to_unit: str) -> float | None:
    """:func:`convert`, or None when a unit is not in the table or the two measure different
    things (for readers that report the failure in their own words)."""
    try:
        return convert(amount, from_unit, to_unit)
    except (UnknownUnit, UnitMismatch):
        return None
