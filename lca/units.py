"""Unit conversion through one explicit table of unit names (pint underneath).

Only the names in :data:`UNITS` are accepted: Brightway's unit names (``kilogram``,
``kilowatt hour``, ``ton kilometer``...), PACT's declared units (``liter``, ``piece``,
``megabit second``...) and a few short forms (``kWh``, ``MWh``, ``t``, ``GJ``...). Each maps to a
pint expression chosen by hand, because pint's own guesses are wrong for LCA data: pint's ``ton``
is the US short ton (907.18474 kg), whereas Brightway's and PACT's ``ton`` is the metric tonne
(1000 kg). Counts (``piece``, ``unit``) and money (``USD``) are dimensions of their own, so a
piece never converts to a kilogram by accident.

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
from typing import TYPE_CHECKING

from .errors import PCFError, UnitMismatch

__all__ = [
    "BRIGHTWAY_UNITS",
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


class UnknownUnit(PCFError, ValueError):
    """A unit name that is not in the explicit unit table (:data:`lca.units.UNITS`)."""

    def __init__(self, unit, where: str = ""):
        self.unit, self.where = unit, where
        super().__init__(
            f"Unknown unit {unit!r}"
            + (f" in {where}" if where else "")
            + "; see lca.units.UNITS for the accepted names"
        )


@functools.cache
def registry() -> pint.UnitRegistry:
    """The pint registry with the engine's extra dimensions (count, money, data transfer)."""
    import pint  # heavy (~0.3 s): imported on first conversion, keeps `pcf --help` fast

    ureg = pint.UnitRegistry()
    ureg.define("piece = [count]")
    ureg.define("usd = [currency]")
    ureg.define("megabit_second = [data_transfer]")
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
def _factor(src: str, dst: str) -> float | None:
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
    if src == dst or UNITS[src] == UNITS[dst]:
        return 1.0
    f = _factor(src, dst)
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
