"""The zero-carbon-factory view: every period side by side, the gap to zero, the levers.

``residual`` = scope 1 + market-based scope 2 (after green power); ``gap_to_zero`` =
max(residual − retired offsets, 0). Offsets are reported beside, never inside a footprint.
"""

from __future__ import annotations

from .levers import WhatIf, what_if
from .results import PlantInventory


def trajectory(plant: PlantInventory) -> list[dict]:
    """Every period side by side: scopes, green share, residual, offsets, gap, change vs previous;
    ``scope1_sources`` counts the period's scope-1 lines (0: no source reported).

    ``residual`` = scope 1 + market-based scope 2 (after green power); ``gap_to_zero`` =
    max(residual − retired offsets, 0). Offsets are reported beside, never inside a footprint.
    """
    rows, prev = [], None
    for p, inv in plant.periods.items():
        residual = inv.scope1 + inv.scope2_market
        units = {v["unit"] for v in inv.production.values()}
        volume = sum(v["amount"] for v in inv.production.values()) if len(units) == 1 else None
        row = {
            "period": p,
            "scope1": inv.scope1,
            "scope1_sources": inv.scope1_sources,
            "scope2_location": inv.scope2_location,
            "scope2_market": inv.scope2_market,
            "scope1_2_location": inv.scope1 + inv.scope2_location,
            "residual": residual,
            "green_share": inv.electricity["green_share"],
            "offsets_retired": inv.offsets_retired,
            "gap_to_zero": max(residual - inv.offsets_retired, 0.0),
            "production": volume,
            "production_unit": units.pop() if volume is not None else None,
            "residual_per_unit": residual / volume if volume else None,
            "change_vs_previous": None,
            "change_vs_previous_pct": None,
        }
        if prev is not None:
            row["change_vs_previous"] = residual - prev
            row["change_vs_previous_pct"] = (residual - prev) / prev if prev else None
        rows.append(row)
        prev = residual
    return rows


def gap_report(
    plant: PlantInventory,
    period: str | None = None,
    *,
    green: float | None = None,
    electrify: float | None = None,
    kwh_per_mj: float | None = None,
    efficiency: float | None = None,
) -> dict:
    """The zero-carbon-factory view: trajectory over all periods, the gap of ``period``
    (default latest), the offsets still needed, and the levers' what-if (the keyword
    arguments are the fields of :class:`factory.levers.WhatIf`)."""
    inv = plant.get(period)
    levers = what_if(inv.lever_state, WhatIf(green, electrify, kwh_per_mj, efficiency))
    for row in levers:
        row["offsets_needed"] = max(row["residual_kg"] - inv.offsets_retired, 0.0)
    traj = trajectory(plant)
    cur = next(r for r in traj if r["period"] == inv.period)
    return {
        "plant": plant.plant,
        "period": inv.period,
        "unit": inv.unit,
        "method": list(inv.method),
        "residual": cur["residual"],
        "green_share": cur["green_share"],
        "offsets_retired": inv.offsets_retired,
        "offsets_needed": cur["gap_to_zero"],
        "note": (
            "Residual = scope 1 + market-based scope 2 after qualifying green power. Offsets "
            "(CCER, VER) close the gap to net zero for the plant only; ISO 14067 keeps them "
            "out of product footprints, so they are shown beside, never subtracted."
        ),
        "trajectory": traj,
        "levers": levers,
    }
