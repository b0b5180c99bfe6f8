"""User input of the reduction problem (pydantic, bounds checked) and the plan it gives back.

:class:`Lever`, :class:`Target` and :class:`ReductionProblem` are frozen pydantic models whose
validation errors are :class:`~supply_chain.errors.LeverError` naming the lever, product or
constraint at fault; :class:`ReductionPlan` and :class:`BindingConstraint` are the results of
the solvers (:mod:`supply_chain.levers.milp`). The formulation is in :mod:`supply_chain.levers`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import LeverError

__all__ = [
    "TOL",
    "BindingConstraint",
    "ExchangeChange",
    "Lever",
    "LeverKind",
    "ReductionPlan",
    "ReductionProblem",
    "Target",
    "parse_target",
]


LeverKind = Literal[
    "green_electricity",
    "recycled_content",
    "efficiency",
    "supplier_switch",
    "transport_mode",
    "other",
]

#: Relative tolerance used when comparing reductions with requirements.
TOL = 1e-7


class _Input(BaseModel):
    """Frozen, strict-keys input model whose validation errors are :class:`LeverError`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _as_lever_error(type(self).__name__, data, exc) from None


def _as_lever_error(model: str, data: dict, exc: ValidationError) -> LeverError:
    parts, lever = [], data.get("id") if model == "Lever" else None
    for err in exc.errors():
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, LeverError):
            return original
        loc = list(err["loc"])
        if model == "ReductionProblem" and len(loc) >= 2 and loc[0] == "levers":
            try:
                item = list(data["levers"])[int(loc[1])]
                lever = item.id if isinstance(item, Lever) else item.get("id", loc[1])
            except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                lever = str(loc[1])
            loc = [f"lever {lever!r}"] + loc[2:]
        parts.append(f"{'.'.join(map(str, loc)) or model}: {err['msg']}")
    head = f"{model} {lever!r}" if lever is not None else model
    return LeverError(f"{head}: " + "; ".join(parts), lever=lever)


class ExchangeChange(_Input):
    """A change ``δ`` of one stored matrix entry (Brightway signs: technosphere inputs < 0).

    ``matrix="technosphere"``: ``Aᵢⱼ ← Aᵢⱼ + δ`` (row ``i`` the product, column ``j`` the
    activity); cutting fuel use from 2 to 1.5 l is ``δ = +0.5`` since the input is stored as −2.
    ``matrix="biosphere"``: ``Bₖⱼ ← Bₖⱼ + δ`` (row ``k`` the elementary flow).
    """

    matrix: Literal["technosphere", "biosphere"]
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    delta: float = Field(allow_inf_nan=False)


class Lever(_Input):
    """One reduction lever at one node (see module doc).

    Parameters
    ----------
    id : lever id, unique in a problem.
    node : the node where the change happens (``database|code`` or a supplier name).
    actor : who pays and whose budget applies (defaults to ``node``).
    kind : one of :data:`LeverKind`.
    cost : ``Cₖ ≥ 0`` (any currency, e.g. annualised EUR).
    effects : product → ``Δₖₚ``, the footprint reduction per unit of product (negative = the
        lever increases that product's footprint).
    changes : the exchange changes behind the lever (for :func:`estimate_effects` and
        :func:`verify_plan`).
    exclusive_group : at most one lever of a group is chosen.
    excludes : ids of levers that cannot be chosen together with this one.
    year : first year the lever takes effect; excluded from targets with an earlier year.
    """

    id: str = Field(min_length=1)
    node: str = Field(min_length=1)
    actor: str = ""
    kind: LeverKind = "other"
    cost: float = Field(ge=0, allow_inf_nan=False)
    effects: dict[str, float] = Field(default_factory=dict)
    changes: tuple[ExchangeChange, ...] = ()
    exclusive_group: str | None = None
    excludes: tuple[str, ...] = ()
    year: int | None = Field(default=None, ge=1900, le=2200)
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _default_actor(cls, data):
        if isinstance(data, dict) and not data.get("actor"):
            data = {**data, "actor": data.get("node") or ""}
        return data

    @model_validator(mode="after")
    def _check(self):
        for p, d in self.effects.items():
            if not math.isfinite(d):
                raise LeverError(
                    f"lever {self.id!r}: effect on {p!r} is not finite ({d!r})",
                    lever=self.id,
                    product=p,
                )
        if self.id in self.excludes:
            raise LeverError(
                f"lever {self.id!r} excludes itself", lever=self.id, constraint="excludes"
            )
        return self


class Target(_Input):
    """A reduction target.

    ``kind="percent"``: cut ``value`` % of the baseline (``0 ≤ value ≤ 100``);
    ``kind="absolute"``: footprint at most ``value`` (per unit for scope ``"each"``, volume-
    weighted total for ``"portfolio"``). ``products`` restricts the target to some products (one
    product: ``products=("p",)``); ``year`` drops levers whose ``year`` is later.
    """

    kind: Literal["percent", "absolute"] = "percent"
    value: float = Field(allow_inf_nan=False)
    scope: Literal["portfolio", "each"] = "portfolio"
    products: tuple[str, ...] | None = None
    year: int | None = Field(default=None, ge=1900, le=2200)

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "percent" and not 0.0 <= self.value <= 100.0:
            raise LeverError(
                f"percent target must be within [0, 100], got {self.value}", constraint="target"
            )
        if self.kind == "absolute" and self.value < 0:
            raise LeverError(f"absolute target must be ≥ 0, got {self.value}", constraint="target")
        return self


def parse_target(
    text: str,
    scope: str = "portfolio",
    year: int | None = None,
    products: Sequence[str] | None = None,
) -> Target:
    """``"30%"`` → a 30 % cut; ``"120"`` → footprint ≤ 120 (see :class:`Target`).

    >>> parse_target("30%").value, parse_target("30%").kind
    (30.0, 'percent')
    """
    t = str(text).strip()
    try:
        if t.endswith("%"):
            return Target(
                kind="percent",
                value=float(t[:-1]),
                scope=scope,
                year=year,
                products=tuple(products) if products else None,
            )
        return Target(
            kind="absolute",
            value=float(t),
            scope=scope,
            year=year,
            products=tuple(products) if products else None,
        )
    except ValueError as exc:
        if isinstance(exc, LeverError):
            raise
        raise LeverError(
            f"cannot read target {text!r} (e.g. '30%' or '120')", constraint="target"
        ) from None


class ReductionProblem(_Input):
    """Levers plus the products they act on.

    ``baseline``: product → ``h⁰ₚ`` (footprint per unit); ``volumes``: product → ``wₚ ≥ 0``
    (default 1); ``budgets``: actor → maximum spend; ``total_budget``: maximum total spend.
    Every product named in a lever's effects must have a baseline; every lever id in
    ``excludes`` and every actor in ``budgets`` must exist.
    """

    levers: tuple[Lever, ...]
    baseline: dict[str, float]
    volumes: dict[str, float] = Field(default_factory=dict)
    budgets: dict[str, float] = Field(default_factory=dict)
    total_budget: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self):
        self._check_products()
        self._check_levers()
        self._check_budgets()
        return self

    def _check_products(self) -> None:
        """Finite baselines; volumes finite, ≥ 0 and of products with a baseline."""
        for p, h in self.baseline.items():
            if not math.isfinite(h):
                raise LeverError(f"baseline of {p!r} is not finite", product=p)
        for p, w in self.volumes.items():
            if p not in self.baseline:
                raise LeverError(f"volume given for {p!r}, which has no baseline", product=p)
            if not (math.isfinite(w) and w >= 0):
                raise LeverError(f"volume of {p!r} must be finite and ≥ 0, got {w!r}", product=p)

    def _check_levers(self) -> None:
        """Unique lever ids, effects on products with a baseline, exclusions of known levers."""
        ids = set()
        for lv in self.levers:
            if lv.id in ids:
                raise LeverError(f"duplicate lever id {lv.id!r}", lever=lv.id)
            ids.add(lv.id)
            for p in lv.effects:
                if p not in self.baseline:
                    raise LeverError(
                        f"lever {lv.id!r} acts on {p!r}, which has no baseline",
                        lever=lv.id,
                        product=p,
                    )
        for lv in self.levers:
            for o in lv.excludes:
                if o not in ids:
                    raise LeverError(
                        f"lever {lv.id!r} excludes unknown lever {o!r}",
                        lever=lv.id,
                        constraint="excludes",
                    )

    def _check_budgets(self) -> None:
        """Budgets of actors who own a lever, finite and ≥ 0."""
        actors = {lv.actor for lv in self.levers}
        for a, b in self.budgets.items():
            if a not in actors:
                raise LeverError(
                    f"budget for actor {a!r}, who owns no lever", constraint=f"budget:{a}"
                )
            if not (math.isfinite(b) and b >= 0):
                raise LeverError(
                    f"budget of actor {a!r} must be finite and ≥ 0, got {b!r}",
                    constraint=f"budget:{a}",
                )


# --------------------------------------------------------------------------------------------
# results (dataclasses)
# --------------------------------------------------------------------------------------------
@dataclass
class BindingConstraint:
    """A constraint that keeps a target out of reach.

    ``kind``: ``"actor_budget"``, ``"total_budget"``, ``"exclusive_group"``, ``"exclusion"``,
    ``"year"``, ``"combination"`` (only several relaxed together help) or ``"target"`` (no lever
    set reaches it, whatever the budgets: ``name`` is the product, or ``"portfolio"``).
    ``shortfall_if_relaxed`` is the best shortfall with this constraint removed (0: the target
    becomes reachable); ``nan`` for ``"target"``.
    """

    kind: str
    name: str
    shortfall_if_relaxed: float
    detail: str = ""


@dataclass
class ReductionPlan:
    """A chosen set of levers and what it does (reductions are the linear ``Σₖ Δₖₚ xₖ``).

    ``status``: ``"optimal"`` (target met at least cost / most reduction for the budget),
    ``"infeasible"`` (target out of reach: the plan is the best achievable, see ``binding``),
    ``"time_limit"`` (best plan found, optimality not proven), ``"heuristic"`` (greedy MACC).
    ``target_value`` is the portfolio footprint cap (scope ``"portfolio"``) and ``targets``
    the per-unit caps of each product in scope (scope ``"each"``). ``shortfall`` is the
    volume-weighted footprint above the target(s) that remains.
    """

    question: str
    status: str
    chosen: list[str]
    cost: float
    cost_by_actor: dict[str, float]
    baseline: dict[str, float]
    reduction: dict[str, float]
    footprint: dict[str, float]
    volumes: dict[str, float]
    portfolio_baseline: float
    portfolio_footprint: float
    target_value: float | None = None
    targets: dict[str, float] = field(default_factory=dict)
    met: bool = True
    shortfall: float = 0.0
    binding: list[BindingConstraint] = field(default_factory=list)
    mip_gap: float = 0.0
    seconds: float = 0.0

    @property
    def portfolio_reduction(self) -> float:
        """``Σₚ wₚ Σₖ Δₖₚ xₖ``."""
        return self.portfolio_baseline - self.portfolio_footprint

    def to_frame(self):
        """One row per product: ``product, volume, baseline, reduction, footprint, target``
        (per unit; ``target`` NaN when the product has no own target)."""
        import pandas as pd

        rows = [
            (
                p,
                self.volumes[p],
                self.baseline[p],
                self.reduction[p],
                self.footprint[p],
                self.targets.get(p, np.nan),
            )
            for p in self.baseline
        ]
        return pd.DataFrame(
            rows, columns=["product", "volume", "baseline", "reduction", "footprint", "target"]
        )

    def to_dict(self) -> dict:
        return asdict(self)
