"""The zero-carbon-factory levers as pure functions over a small energy state.

A :class:`LeverState` holds what the levers act on, taken from one period's inventory:

- ``fuel_mj``, ``fuel_kg``: fuel energy burned (MJ, NCV) and its scope-1 emissions (kg CO2e);
- ``process_kg``: scope-1 process emissions (refrigerants, carbonates), untouched by the levers;
- ``heat_kg``: market-based scope-2 emissions of purchased heat, untouched by the levers;
- ``electricity_kwh``: electricity that must be bought or made renewably
  (grid purchases + on-site renewable generation);
- ``green_kwh``: the part of it that is renewable with a qualifying claim (instruments that meet
  the Scope 2 Quality Criteria + on-site renewable generation);
- ``uncovered_factor``: market-based kg CO2e per kWh of the rest (the residual mix the plant's
  purchases fall back to).

Formulas (each lever returns a new state; :func:`emissions` turns a state into totals):

- efficiency ``e``:          ``fuel_mj, fuel_kg, electricity_kwh  ×= (1 − e)``; contracted green
  kWh stay as bought, capped at the new demand;
- electrification of heat ``x`` with ``k`` kWh of electricity per MJ of fuel replaced:
  ``fuel_* ×= (1 − x)``; ``electricity_kwh += x · fuel_mj · k``;
- green-power share ``g``:   ``green_kwh = max(green_kwh, g · electricity_kwh)``;
- emissions:                 ``scope1 = fuel_kg + process_kg``;
  ``scope2_market = (electricity_kwh − green_kwh) · uncovered_factor + heat_kg``.

``k`` depends on the two technologies' efficiencies (boiler vs heat pump or electric boiler) and
is the user's assumption: there is no default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .inputs import FactoryInputError


@dataclass(frozen=True)
class LeverState:
    fuel_mj: float
    fuel_kg: float
    process_kg: float
    heat_kg: float
    electricity_kwh: float
    green_kwh: float
    uncovered_factor: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class WhatIf:
    """The what-if levers of a gap report; ``None`` leaves a lever out.

    Parameters
    ----------
    green
        Qualifying green-power share of electricity to reach (0-1).
    electrify
        Fraction of fuel heat electrified (0-1); needs ``kwh_per_mj``.
    kwh_per_mj
        kWh of electricity per MJ of fuel replaced (> 0).
    efficiency
        Fraction of all energy use (fuel and electricity) saved (0-1).

    >>> WhatIf(green=0.6, efficiency=0.1).to_dict()
    {'green': 0.6, 'efficiency': 0.1}
    >>> WhatIf.names()
    ('green', 'electrify', 'kwh_per_mj', 'efficiency')
    """

    green: float | None = None
    electrify: float | None = None
    kwh_per_mj: float | None = None
    efficiency: float | None = None

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The lever names, in order (the keyword arguments of :func:`factory.gap_report`)."""
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict:
        """The levers that are set (not ``None``)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def _fraction(name: str, v: float) -> float:
    if not (0.0 <= v <= 1.0):
        raise FactoryInputError("lever", None, name, f"{name} must be between 0 and 1, got {v!r}")
    return float(v)


def efficiency(state: LeverState, pct: float) -> LeverState:
    """Cut all energy use (fuel and electricity) by the fraction ``pct``."""
    f = 1.0 - _fraction("efficiency", pct)
    elec = state.electricity_kwh * f
    return replace(
        state,
        fuel_mj=state.fuel_mj * f,
        fuel_kg=state.fuel_kg * f,
        electricity_kwh=elec,
        green_kwh=min(state.green_kwh, elec),
    )


def electrify_heat(state: LeverState, fraction: float, kwh_per_mj: float) -> LeverState:
    """Replace ``fraction`` of fuel with electricity, ``kwh_per_mj`` kWh per MJ of fuel replaced."""
    x = _fraction("electrify_heat", fraction)
    if x and not (kwh_per_mj is not None and kwh_per_mj > 0):
        raise FactoryInputError(
            "lever",
            None,
            "kwh_per_mj",
            "electrifying heat needs kWh of electricity per MJ of fuel "
            "replaced (> 0); it depends on your boiler and heat pump",
        )
    return replace(
        state,
        fuel_mj=state.fuel_mj * (1 - x),
        fuel_kg=state.fuel_kg * (1 - x),
        electricity_kwh=state.electricity_kwh + x * state.fuel_mj * (kwh_per_mj or 0.0),
    )


def green_share(state: LeverState, share: float) -> LeverState:
    """Raise the qualifying green-power share of electricity to at least ``share``."""
    g = _fraction("green_share", share)
    return replace(state, green_kwh=max(state.green_kwh, g * state.electricity_kwh))


def emissions(state: LeverState) -> dict:
    """Scope 1, market-based scope 2, their sum (the residual) and the green share of a state."""
    s1 = state.fuel_kg + state.process_kg
    s2 = max(state.electricity_kwh - state.green_kwh, 0.0) * state.uncovered_factor + state.heat_kg
    share = state.green_kwh / state.electricity_kwh if state.electricity_kwh else 0.0
    return {
        "scope1_kg": s1,
        "scope2_market_kg": s2,
        "residual_kg": s1 + s2,
        "green_share": share,
        "electricity_kwh": state.electricity_kwh,
    }


def what_if(state: LeverState, levers: WhatIf) -> list[dict]:
    """Each lever of ``levers`` alone, then all together (efficiency → electrification → green
    power).

    Returns rows ``{"lever", "scope1_kg", "scope2_market_kg", "residual_kg", "green_share",
    "electricity_kwh", "change_kg"}``; the first row is the baseline.
    """
    base = emissions(state)
    rows = [{"lever": "baseline", **base, "change_kg": 0.0}]
    steps = []
    eff, electrify, kwh_per_mj, green = (
        levers.efficiency,
        levers.electrify,
        levers.kwh_per_mj,
        levers.green,
    )
    if eff:
        steps.append((f"efficiency {eff:.0%}", lambda s: efficiency(s, eff)))
    if electrify:
        steps.append(
            (
                f"electrify {electrify:.0%} of fuel heat",
                lambda s: electrify_heat(s, electrify, kwh_per_mj),
            )
        )
    if green is not None:
        steps.append((f"green power share {green:.0%}", lambda s: green_share(s, green)))
    combined = state
    for label, fn in steps:
        e = emissions(fn(state))
        rows.append({"lever": label, **e, "change_kg": e["residual_kg"] - base["residual_kg"]})
        combined = fn(combined)
    if len(steps) > 1:
        e = emissions(combined)
        rows.append(
            {"lever": "all levers", **e, "change_kg": e["residual_kg"] - base["residual_kg"]}
        )
    return rows
