"""Unit conversion through an explicit table of unit names (pint underneath).

Only the names in :data:`UNITS` are accepted: Brightway's unit names (``kilogram``,
``kilowatt hour``, ``ton kilometer``...), PACT's declared units (``liter``, ``piece``,
``megabit second``...) and a few short forms. Each maps to a pint expression chosen by hand,
because pint's own guesses are wrong for LCA data: pint's ``ton`` is the US short ton
(907.18474 kg), whereas Brightway's and PACT's ``ton`` is the metric tonne (1000 kg). Counts
(``piece``, ``unit``) and money (``USD``) are dimensions of their own, so a piece never converts
to a kilogram by accident.

>>> conversion_factor("ton", "kilogram")
1000.0
>>> conversion_factor("kilowatt hour", "megajoule")
3.6
>>> conversion_factor("piece", "kilogram")
Traceback (most recent call last):
...
supply_chain.errors.BOMUnitMismatch: Unit mismatch: expected 'kilogram', got 'piece'
"""

from __future__ import annotations

import functools

from .errors import BOMUnitMismatch, UnknownUnit

#: Accepted unit names (lower case) -> pint expression. Extend here, never by guessing.
UNITS: dict[str, str] = {
    # mass
    "kilogram": "kilogram", "kg": "kilogram", "gram": "gram", "g": "gram",
    "ton": "tonne", "tonne": "tonne", "metric ton": "tonne", "t": "tonne",
    "short ton": "short_ton",  # US short ton, only when asked for by name
    # energy
    "kilowatt hour": "kilowatt_hour", "kwh": "kilowatt_hour", "megawatt hour": "megawatt_hour",
    "mwh": "megawatt_hour", "megajoule": "megajoule", "mj": "megajoule",
    "gigajoule": "gigajoule", "gj": "gigajoule",
    # transport
    "ton kilometer": "tonne * kilometer", "tonne kilometer": "tonne * kilometer",
    "tkm": "tonne * kilometer", "kilogram kilometer": "kilogram * kilometer",
    "person kilometer": "piece * kilometer",
    # volume, area, length, time
    "cubic meter": "meter ** 3", "m3": "meter ** 3", "liter": "liter", "litre": "liter",
    "l": "liter", "square meter": "meter ** 2", "m2": "meter ** 2", "meter": "meter",
    "m": "meter", "kilometer": "kilometer", "km": "kilometer", "hour": "hour", "h": "hour",
    "megabit second": "megabit_second",
    # counts and money
    "piece": "piece", "pieces": "piece", "unit": "piece", "item": "piece", "p": "piece",
    "pc": "piece", "pcs": "piece",
    "usd": "usd", "us dollar": "usd",
}


@functools.cache
def registry():
    """The pint registry with the engine's extra dimensions (count, money, data transfer)."""
    import pint

    ureg = pint.UnitRegistry()
    ureg.define("piece = [count]")
    ureg.define("usd = [currency]")
    ureg.define("megabit_second = [data_transfer]")
    return ureg


def canonical(unit: str, where: str = "") -> str:
    """The table name of ``unit`` (case and surrounding space ignored).

    Raises
    ------
    UnknownUnit
        If ``unit`` is not in :data:`UNITS`.
    """
    name = " ".join(str(unit).strip().lower().split()) if unit is not None else ""
    if name not in UNITS:
        raise UnknownUnit(unit, where)
    return name


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
    BOMUnitMismatch
        The two units measure different things (e.g. ``piece`` and ``kilogram``).
    """
    src, dst = canonical(from_unit, where), canonical(to_unit, where)
    if src == dst or UNITS[src] == UNITS[dst]:
        return 1.0
    f = _factor(src, dst)
    if f is None:
        raise BOMUnitMismatch(to_unit, from_unit, where)
    return f


def convert(amount: float, from_unit: str, to_unit: str, where: str = "") -> float:
    """``amount`` in ``from_unit`` expressed in ``to_unit`` (see :func:`conversion_factor`).

    >>> convert(2.0, "tonne", "kg")
    2000.0
    """
    return float(amount) * conversion_factor(from_unit, to_unit, where)
