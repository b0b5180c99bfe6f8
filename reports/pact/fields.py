"""The pieces of a PACT document taken from a computed result: declared unit and its conversion,
decimal strings, RFC 3339 date-times, the geography field, IPCC factors, the boundary text and
the result's figures (:func:`parts`)."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from decimal import Decimal
from importlib import resources

from lca import methods as lca_methods
from lca.errors import UnitMismatch
from lca.footprint import STAGES
from lca.units import UnknownUnit, conversion_factor
from supply_chain import pact_spec

from ..errors import InvalidDeclaration, UnsupportedUnit
from .declaration import Declaration

SPEC_VERSION = {3: "3.0.3", 2: "2.3.0"}
#: Significant digits of a computed figure. Brightway 2.5 keeps every exchange amount and
#: characterisation factor as a float32 (bw_processing ``utils.resolve_dict_iterator``: dtype
#: ``("amount", np.float32)``): a 24-bit significand, log10(2**24) = 7.2 decimal digits. A result
#: built from those numbers is known to about 7 significant digits, whatever float64 arithmetic
#: adds after them (64.68 stored as float32 comes back as 64.6800011 at 10 digits), so PACT
#: documents state computed figures with 7.
SIGNIFICANT_DIGITS = 7
#: Significant digits of an exact figure (typed by the company, a unit conversion, a count):
#: the 15 a float64 holds for any decimal, so a declared 6.8634 stays 6.8634, never 6.863400.
EXACT_DIGITS = 15

#: Brightway unit name -> (PACT declared unit, factor from the Brightway unit to it).
UNITS: dict[str, tuple[str, float]] = {
    "kilowatt hour": ("kilowatt hour", 1.0),
    "megawatt hour": ("kilowatt hour", 1000.0),
    "kilogram": ("kilogram", 1.0),
    "gram": ("kilogram", 0.001),
    "ton": ("kilogram", 1000.0),  # Brightway's "ton" is the metric tonne
    "metric ton": ("kilogram", 1000.0),
    "unit": ("piece", 1.0),
    "piece": ("piece", 1.0),
    "item": ("piece", 1.0),
    "litre": ("liter", 1.0),
    "liter": ("liter", 1.0),
    "cubic meter": ("cubic meter", 1.0),
    "megajoule": ("megajoule", 1.0),
    "kilojoule": ("megajoule", 0.001),
    "gigajoule": ("megajoule", 1000.0),
    "ton kilometer": ("ton kilometer", 1.0),
    "square meter": ("square meter", 1.0),
    "hour": ("hour", 1.0),
    "megabit second": ("megabit second", 1.0),
}


def decimal_string(x: float | Decimal, where: str = "value", *, exact: bool = False) -> str:
    """A PACT decimal string: plain notation, :data:`SIGNIFICANT_DIGITS` (7) significant digits
    for a computed figure, :data:`EXACT_DIGITS` (15: as typed) with ``exact=True`` for a figure
    that did not go through Brightway's float32 matrices (declared masses and contents, unit
    conversions). A :class:`~decimal.Decimal` is written as it is (already rounded).

    >>> decimal_string(72.299501568079), decimal_string(64.6800011), decimal_string(1e-7)
    ('72.2995', '64.68', '0.0000001')
    >>> decimal_string(6.8634, exact=True), decimal_string(-0.0)
    ('6.8634', '0')
    """
    if isinstance(x, Decimal):
        d = x
    else:
        if not (isinstance(x, (int, float)) and math.isfinite(x)):
            raise InvalidDeclaration(where, x, "must be a finite number")
        digits = EXACT_DIGITS if exact else SIGNIFICANT_DIGITS
        d = Decimal(f"{float(x):.{digits}g}")
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


def common_quantum(*figures: float) -> Decimal:
    """The decimal place to which a set of figures that add up is rounded: the unit of the
    :data:`SIGNIFICANT_DIGITS`-th significant digit of the largest of them. Rounding every part
    to one place makes sums of rounded parts exact in decimal (rule D11), and no part claims
    more precision than the float32 inputs of the total give.

    >>> common_quantum(64.6800011, 0.0), common_quantum(0.25, 72.3, -3.0), common_quantum(0.0)
    (Decimal('0.00001'), Decimal('0.00001'), Decimal('1'))
    """
    top = max((abs(f) for f in figures if math.isfinite(f)), default=0.0)
    if top == 0:
        return Decimal(1)
    exponent = Decimal(f"{top:.{SIGNIFICANT_DIGITS - 1}e}").adjusted()
    return Decimal(1).scaleb(exponent - SIGNIFICANT_DIGITS + 1)


def quantize(x: float, quantum: Decimal, where: str = "value") -> Decimal:
    """``x`` rounded (half even) to ``quantum`` (:func:`common_quantum`), as a Decimal.

    >>> quantize(64.6800011, Decimal("0.00001")), quantize(-2.999999999, Decimal("0.00001"))
    (Decimal('64.68000'), Decimal('-3.00000'))
    """
    if not (isinstance(x, (int, float)) and math.isfinite(x)):
        raise InvalidDeclaration(where, x, "must be a finite number")
    return Decimal(repr(float(x))).quantize(quantum)


def format_datetime(d: dt.datetime) -> str:
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    s = d.isoformat()
    return s[:-6] + "Z" if s.endswith("+00:00") else s


def declared_unit(unit: str, version: int = 3) -> tuple[str, float]:
    """PACT declared unit and conversion factor for a Brightway unit name.

    >>> declared_unit("unit"), declared_unit("ton")
    (('piece', 1.0), ('kilogram', 1000.0))
    """
    allowed = pact_spec.DECLARED_UNITS[str(version)]
    if unit in allowed:
        return unit, 1.0
    if unit not in UNITS:
        raise UnsupportedUnit(unit, f"PACT v{version}", set(UNITS))
    name, factor = UNITS[unit]
    if name not in allowed:
        raise UnsupportedUnit(unit, f"PACT v{version} (declared unit {name!r})", allowed)
    return name, factor


def unit_factor(product_unit: str, unit_name: str, version: int = 3) -> float:
    """How many ``unit_name`` (a PACT declared unit) one ``product_unit`` (Brightway) is.

    :func:`lca.units.conversion_factor` (pint with the engine's unit table; Brightway's
    ``ton`` is the metric tonne), falling back to :data:`UNITS` for Brightway names that table
    lacks. Raises :class:`UnsupportedUnit` naming both units when they measure different
    things (``kilogram`` declared as ``megajoule``) or the product unit is unknown.

    >>> unit_factor("kilowatt hour", "megajoule"), unit_factor("ton", "kilogram")
    (3.6, 1000.0)
    """
    if product_unit == unit_name:
        return 1.0
    try:
        return conversion_factor(product_unit, unit_name, "PACT declared unit")
    except UnknownUnit:
        mapped = UNITS.get(product_unit)
        if mapped and mapped[0] == unit_name:
            return mapped[1]
        why = "is not a known unit"
    except UnitMismatch:
        why = "measures something else"
    raise UnsupportedUnit(
        unit_name,
        f"PACT v{version} for a result in {product_unit!r}: {product_unit!r} {why}, "
        f"so it cannot be converted to {unit_name!r}",
    )


@functools.cache
def iso_countries() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 country codes (all 249 assigned), as listed in ``iso3166.tab`` of
    the IANA time-zone database (the ``tzdata`` package).

    >>> {"DE", "CN", "ZW"} <= iso_countries(), "XX" in iso_countries(), len(iso_countries())
    (True, False, 249)
    """
    tab = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab")
    lines = tab.read_text(encoding="utf-8").splitlines()
    return frozenset(ln.split("\t", 1)[0] for ln in lines if ln and not ln.startswith("#"))


def geography_fields(geo: str | None, version: int = 3) -> dict[str, str]:
    """The one PACT geography field for a region name or an ISO 3166 code (none if global).

    A country code (or a subdivision's country part) must be an assigned ISO 3166-1 alpha-2
    code: ``XX`` is an :class:`InvalidDeclaration` naming ``declaration.geography``.

    >>> geography_fields("DE"), geography_fields("CN-JS")
    ({'geographyCountry': 'DE'}, {'geographyCountrySubdivision': 'CN-JS'})
    """
    if geo is None or geo.strip().upper() in ("", "GLO", "GLOBAL"):
        return {}
    if geo in pact_spec.UN_M49_REGIONS:
        return {"geographyRegionOrSubregion": geo}
    m = re.fullmatch(r"([A-Z]{2})(-[A-Z0-9]{1,3})?", geo)
    if m and m.group(1) not in iso_countries():
        raise InvalidDeclaration(
            "declaration.geography",
            geo,
            f"{m.group(1)!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN, DE, US)",
        )
    if m:
        key = "geographyCountrySubdivision" if m.group(2) else "geographyCountry"
        return {key: geo}
    raise InvalidDeclaration(
        "declaration.geography", geo, "not a UN M49 region name nor an ISO 3166-1/-2 code"
    )


def ipcc_factors(method: tuple, decl: Declaration) -> list[str]:
    """PACT's ``ipccCharacterizationFactors`` for a method (a resolved Brightway method tuple):
    the declaration's own, else the IPCC report of the method's alias. Depends on the method
    only, so it can be checked before anything is computed."""
    if decl.ipcc_characterization_factors:
        return list(decl.ipcc_characterization_factors)
    alias = lca_methods.alias_of(tuple(method))
    ar = lca_methods.IPCC_REPORT.get(alias or "")
    if not ar:
        raise InvalidDeclaration(
            "method",
            (f"{alias} = " if alias else "") + "|".join(method),
            "PACT needs IPCC characterisation factors (AR6/AR5): use gwp100, gwp20, "
            "gwp100-ar5 or gwp20-ar5, or set declaration.ipcc_characterization_factors",
        )
    return [ar]


def boundary_description(result) -> str:
    stages = [STAGES.get(k, k) for k, v in result.by_stage.items() if v]
    gate = "cradle-to-grave" if "end_of_life" in result.by_stage else "cradle-to-gate"
    return f"{gate.capitalize()}. Life-cycle stages included: {'; '.join(stages)}."


def parts(result) -> dict[str, float]:
    """The result's figures that every document reports, in the result's unit and amount."""
    excl = result.total + result.biogenic_co2_emissions
    return {
        "total": result.total,
        "fossil": result.fossil,
        "biogenic": result.biogenic,
        "land_use": result.land_use,
        "biogenic_co2_emissions": result.biogenic_co2_emissions,
        "biogenic_co2_removals": result.biogenic_co2_removals,
        "excluding_uptake": excl,
    }
