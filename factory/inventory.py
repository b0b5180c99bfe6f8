"""A plant's GHG inventory (GHG Protocol Corporate Standard, scope 1/2/3), every period.

Input: one plant's activity data in the layout of ``inventories/factory/README.md`` (read by
:mod:`factory.inputs`); factors from :mod:`factory.factors`; scope 2 (dual reporting, green
power, the over-claim rule) in :mod:`factory.scope2`. Scope 1 is stationary combustion (fuels ×
their direct emissions) and process gases; scope 3 category 1 is the purchased goods'
cradle-to-gate footprint. Offsets are never subtracted: they are listed beside.
"""

from __future__ import annotations

import os

from lca.project import Project
from lca.units import convert_or_none

from .factors import FactorResolver
from .inputs import (
    CO2E_UNITS,
    FactoryInputError,
    MissingUnit,
    PlantData,
    allocation_keys,
    read_plant,
)
from .levers import LeverState
from .results import PeriodInventory, PlantInventory, SourceLine, make_line, scaled
from .scope2 import RETIRED, electricity_balance, electricity_scope2, heat_lines, onsite_kwh


def plant_inventory(
    project: Project,
    path: str | os.PathLike | PlantData,
    method=None,
    factor_map: str | os.PathLike | dict | None = None,
    max_vintage_gap: int = 0,
) -> PlantInventory:
    """The GHG inventory of a plant's activity-data file, every period (see module doc).

    Parameters
    ----------
    project
        Open project holding the factor databases (``pcf-background`` for grids, the residual-mix
        proxy and fuels; ``pcf-factory-factors`` for the renewable-instrument rate).
    path
        The plant's activity-data file (CSV/Excel), or data already read by
        :func:`factory.inputs.read_plant`.
    method
        Method alias or tuple (default ``gwp100``, IPCC 2021 GWP100).
    factor_map
        Factor map file (default ``inventories/factory/factor-map.csv``) or a loaded map.
    max_vintage_gap
        Years an instrument's vintage may lie from the period's year (Scope 2 Quality Criteria:
        "as close as possible"; default 0, the same year).

    Raises
    ------
    FactoryInputError
        Or a subclass (:class:`UnknownFactoryItem`, :class:`MissingUnit`,
        :class:`NegativeAmount`, :class:`CertificateOverclaim`,
        :class:`AllocationKeyMismatch`), naming file, row and column.
    """
    data = path if isinstance(path, PlantData) else read_plant(path)
    res = FactorResolver(project, method, factor_map, path=str(data.path))
    periods = {p: period_inventory(data, p, res, max_vintage_gap) for p in data.periods}
    if not periods:
        raise FactoryInputError(data.path, None, "period", "no data rows")
    return PlantInventory(data.plant, data.region, str(data.path), periods)


def _fuel_lines(data: PlantData, period: str, res: FactorResolver) -> tuple[list, float]:
    """Stationary combustion lines, and the MJ of fuel burned."""
    lines, mj = [], 0.0
    for rec in data.of(period, "fuel"):
        e = res.entry("fuel", rec)
        f = res.direct((e["database"], e["code"]), rec)
        amt = res.amount_in(rec, f.unit, e.get("ncv_mj_per_kg", ""))
        lines.append(
            make_line(
                "1",
                "stationary_combustion",
                rec,
                "technosphere",
                f.key,
                f.name,
                amt,
                f.unit,
                scaled(f.by_gas, amt),
            )
        )
        mj += amt if f.unit == "megajoule" else 0.0
    return lines, mj


def _process_lines(data: PlantData, period: str, res: FactorResolver) -> list[SourceLine]:
    """Process-gas lines: the gas mass × its characterisation factor."""
    lines = []
    for rec in data.of(period, "process"):
        key, gas, cf = res.gas(rec)
        kg = convert_or_none(rec.amount, rec.unit, "kilogram")
        if kg is None:
            raise MissingUnit(
                data.path, rec.row, "unit", f"a gas mass needs kg or t, got {rec.unit!r}"
            )
        lines.append(
            make_line(
                "1", "process", rec, "biosphere", key, rec.item, kg, "kilogram", {gas: kg * cf}
            )
        )
    return lines


def _purchased_lines(data: PlantData, period: str, res: FactorResolver) -> list[SourceLine]:
    """Scope 3 category 1: the purchased goods' cradle-to-gate footprints."""
    lines = []
    for rec in data.of(period, "purchased"):
        e = res.entry("material", rec)
        node = res.node((e["database"], e["code"]), rec, "item")
        amt = res.amount_in(rec, node.get("unit", ""))
        f = res.cradle_to_gate(node.key, amt, rec)
        lines.append(
            make_line(
                "3", "purchased_goods", rec, "technosphere", f.key, f.name, amt, f.unit, f.by_gas
            )
        )
    return lines


def _offsets(data: PlantData, period: str, notes: list[str]) -> list[dict]:
    """Offset credits of the period (counted when retired); kept outside the footprint."""
    offsets = []
    for rec in data.of(period, "offset"):
        k = CO2E_UNITS.get(rec.unit.strip().lower())
        if k is None:
            raise MissingUnit(
                data.path, rec.row, "unit", f"offsets need 't CO2e' or 'kg CO2e', got {rec.unit!r}"
            )
        counted = rec.retired in RETIRED
        if not counted:
            notes.append(f"row {rec.row}: offset {rec.item} not retired; not counted")
        offsets.append(
            {
                "row": rec.row,
                "item": rec.item,
                "kg_co2e": rec.amount * k,
                "vintage": rec.vintage,
                "retired": rec.retired,
                "counted": counted,
            }
        )
    return offsets


def _total(lines: list[SourceLine]) -> float:
    """Sum of the lines' totals, added in order (as a running total would)."""
    out = 0.0
    for ln in lines:
        out += ln.total
    return out


def period_inventory(
    data: PlantData, period: str, res: FactorResolver, max_gap: int = 0
) -> PeriodInventory:
    """One period's inventory (:func:`plant_inventory` for every period of a file)."""
    fuel, fuel_mj = _fuel_lines(data, period, res)
    process = _process_lines(data, period, res)
    s2 = electricity_scope2(data, period, res, max_gap)
    heat = heat_lines(data, period, res)
    onsite_ren, onsite_other = onsite_kwh(data, period, res)
    electricity = electricity_balance(s2, onsite_ren, onsite_other)
    purchased = _purchased_lines(data, period, res)
    notes = list(s2.notes)
    offsets = _offsets(data, period, notes)

    production = {
        r.item: {"amount": r.amount, "unit": r.unit, "row": r.row}
        for r in data.of(period, "production")
    }
    if not production:
        notes.append(f"{period}: no production rows; allocation to products is not possible")
    bought = electricity["purchased_kwh"]
    uncovered_factor = (
        s2.uncovered_kg / s2.uncovered_kwh
        if s2.uncovered_kwh
        else s2.residual_weighted / bought
        if bought
        else 0.0
    )
    state = LeverState(
        fuel_mj=fuel_mj,
        fuel_kg=_total(fuel),
        process_kg=_total(process),
        heat_kg=_total([ln for ln in heat if ln.scope == "2-market"]),
        electricity_kwh=bought + onsite_ren,
        green_kwh=electricity["green_kwh"],
        uncovered_factor=uncovered_factor,
    )
    return PeriodInventory(
        plant=data.plant,
        period=period,
        method=res.method,
        unit=res.unit,
        lines=fuel + process + s2.lines + heat + purchased,
        electricity=electricity,
        instruments=s2.instruments,
        production=production,
        offsets=offsets,
        allocation_keys=allocation_keys(data, period),
        notes=notes,
        lever_state=state,
    )
