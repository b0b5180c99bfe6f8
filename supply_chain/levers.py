"""Reduction levers and the coordinated reduction solver (MILP through ``scipy.optimize.milp``).

A *lever* ``k`` is one change at one node of the supply chain (a supplier switches to green
electricity, uses recycled content, improves a process, is replaced by another supplier, moves
freight to another mode) with a cost ``Cₖ`` and an effect ``Δₖₚ`` on the footprint of every
product ``p`` that uses the node (``Δ > 0`` is a *reduction*, per unit of product). A lever at a
supplier shared by several products is one binary variable ``xₖ``: its cost is paid once and its
effect reaches every product (../shared/MATHS.md, "Reduction levers").

Cheapest plan reaching a target (``h⁰ₚ`` baseline per unit, ``wₚ`` annual volume)::

    minimise   Σₖ Cₖ xₖ
    subject to Σₖ Δₖₚ xₖ ≥ Rₚ                       for every product p in scope   (scope "each")
           or  Σₖ aₖ xₖ ≥ R,  aₖ = Σₚ wₚ Δₖₚ                                    (scope "portfolio")
               Σ_{k∈G} xₖ ≤ 1                        for every exclusive group G
               xₐ + x_b ≤ 1                          for every pairwise exclusion
               Σ_{k∈actor} Cₖ xₖ ≤ budgetₐ           for every actor with a budget
               Σₖ Cₖ xₖ ≤ total budget               (optional)
               xₖ = 0                                for levers available after the target year

with ``Rₚ = h⁰ₚ − Tₚ`` the required cut (``Tₚ = (1 − v/100) h⁰ₚ`` for a ``v`` % target). The dual
question (:func:`solve_budget`) maximises ``Σₖ aₖ xₖ`` under ``Σₖ Cₖ xₖ ≤ budget`` and the same
side constraints. When no plan reaches the target, :func:`solve_target` returns the best
achievable plan (it minimises the volume-weighted shortfall ``Σ wₚ uₚ`` with ``Σₖ Δₖₚ xₖ + uₚ ≥
Rₚ``, then the cost of reaching that shortfall) and names the binding constraints: those whose
removal alone lowers the shortfall, or the target itself when no lever set can reach it.

Effects. ``Δ`` is exact for changes of a supplier's PCF, of the biosphere ``B`` or of a leaf's
direct footprint (``h`` is linear in them). For a change ``δAᵢⱼ`` of the technosphere it is the
first-order estimate ``Δ = λᵢ sⱼ δAᵢⱼ`` (``∂h/∂Aᵢⱼ = −λᵢ sⱼ``, :mod:`lca.maths`), so a plan of
technosphere levers is re-solved exactly with :func:`verify_plan` after choosing.

User input is pydantic (:class:`Lever`, :class:`Target`, :class:`ReductionProblem`, bounds
checked; malformed input raises :class:`LeverError`); results are dataclasses
(:class:`ReductionPlan`, :class:`Verification`, :class:`UncertainPlan`) and DataFrames
(:func:`macc`).

CSV layout (:func:`load_levers_csv`), one row per (lever, product) effect::

    lever,node,actor,kind,cost,product,delta,exclusive_group,excludes,year,description
    L1,supplier-a|cell,supplier-a,green_electricity,10,pack-1,20,a-power,,2028,PPA 100 % wind
    L1,,,,,pack-2,10,,,,
    L2,supplier-a|cell,supplier-a,green_electricity,7,pack-1,12,a-power,,,rooftop PV

``lever`` and ``cost`` are required; lever-level columns may be left blank on a lever's further
rows (a non-blank value that disagrees with an earlier one is an error); ``actor`` defaults to
``node``; ``excludes`` lists lever ids separated by ``;``. :func:`read_problem` also reads the
baselines (``product,footprint[,volume]``) and actor budgets (``actor,budget``).
"""

from __future__ import annotations

import csv
import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.optimize import Bounds, LinearConstraint, milp

from lca import maths
from lca.errors import PCFError
from lca.solver import Factorization, factorize

from .errors import LeverError

log = logging.getLogger(__name__)

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
        for p, h in self.baseline.items():
            if not math.isfinite(h):
                raise LeverError(f"baseline of {p!r} is not finite", product=p)
        for p, w in self.volumes.items():
            if p not in self.baseline:
                raise LeverError(f"volume given for {p!r}, which has no baseline", product=p)
            if not (math.isfinite(w) and w >= 0):
                raise LeverError(f"volume of {p!r} must be finite and ≥ 0, got {w!r}", product=p)
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
        return self


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


# --------------------------------------------------------------------------------------------
# compiled arrays
# --------------------------------------------------------------------------------------------
@dataclass
class _Side:
    kind: str
    name: str
    idx: np.ndarray
    coef: np.ndarray
    ub: float


@dataclass
class _Compiled:
    ids: list[str]
    products: list[str]
    h0: np.ndarray
    w: np.ndarray
    cost: np.ndarray
    D: sp.csr_matrix  # levers x products
    actors: list[str]
    year: np.ndarray  # float, nan = always available
    side: list[_Side]


def _compile(problem: ReductionProblem) -> _Compiled:
    products = list(problem.baseline)
    pidx = {p: i for i, p in enumerate(products)}
    ids = [lv.id for lv in problem.levers]
    kidx = {k: i for i, k in enumerate(ids)}
    rows, cols, vals = [], [], []
    for k, lv in enumerate(problem.levers):
        for p, d in lv.effects.items():
            if d != 0.0:
                rows.append(k)
                cols.append(pidx[p])
                vals.append(d)
    L, P = len(ids), len(products)
    D = sp.csr_matrix((vals, (rows, cols)), shape=(L, P), dtype=np.float64)
    cost = np.array([lv.cost for lv in problem.levers], dtype=np.float64)
    actors = [lv.actor for lv in problem.levers]
    side: list[_Side] = []
    groups: dict[str, list[int]] = {}
    for k, lv in enumerate(problem.levers):
        if lv.exclusive_group:
            groups.setdefault(lv.exclusive_group, []).append(k)
    for g, idx in groups.items():
        if len(idx) > 1:
            side.append(_Side("exclusive_group", g, np.array(idx), np.ones(len(idx)), 1.0))
    pairs = set()
    for k, lv in enumerate(problem.levers):
        for o in lv.excludes:
            pairs.add(tuple(sorted((k, kidx[o]))))
    for a, b in sorted(pairs):
        side.append(_Side("exclusion", f"{ids[a]} / {ids[b]}", np.array([a, b]), np.ones(2), 1.0))
    by_actor: dict[str, list[int]] = {}
    for k, a in enumerate(actors):
        by_actor.setdefault(a, []).append(k)
    for a, budget in problem.budgets.items():
        idx = np.array(by_actor[a])
        side.append(_Side("actor_budget", a, idx, cost[idx], float(budget)))
    if problem.total_budget is not None:
        side.append(
            _Side("total_budget", "total", np.arange(L), cost.copy(), float(problem.total_budget))
        )
    year = np.array([np.nan if lv.year is None else lv.year for lv in problem.levers], dtype=float)
    w = np.array([problem.volumes.get(p, 1.0) for p in products], dtype=np.float64)
    h0 = np.array([problem.baseline[p] for p in products], dtype=np.float64)
    return _Compiled(ids, products, h0, w, cost, D, actors, year, side)


def _side_matrix(comp: _Compiled, side: Sequence[_Side], n_extra: int = 0):
    L = len(comp.ids)
    if not side:
        return None
    r = np.concatenate([np.full(len(s.idx), i) for i, s in enumerate(side)])
    c = np.concatenate([s.idx for s in side])
    v = np.concatenate([s.coef for s in side])
    M = sp.csr_matrix((v, (r, c)), shape=(len(side), L + n_extra))
    return LinearConstraint(M, -np.inf, np.array([s.ub for s in side]))


def _available(comp: _Compiled, year: int | None) -> np.ndarray:
    if year is None:
        return np.ones(len(comp.ids), dtype=bool)
    return ~(comp.year > year)  # nan compares False: always available


def _milp(c, integrality, ub, constraints, time_limit, gap):
    opts = {"time_limit": float(time_limit), "mip_rel_gap": float(gap), "presolve": True}
    t0 = time.perf_counter()
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(np.zeros(len(c)), ub),
        constraints=[k for k in constraints if k is not None],
        options=opts,
    )
    dt = time.perf_counter() - t0
    log.debug("milp: %d vars, status %s (%s) in %.3f s", len(c), res.status, res.message, dt)
    return res, dt


def _status(res, time_limit: float | None = None) -> str:
    if res.status == 0:
        return "optimal"
    if res.status == 1 and res.x is not None:
        return "time_limit"
    if res.status == 2:
        return "infeasible"
    if res.status == 1:  # the limit struck before HiGHS had any feasible plan
        limit = f" of {float(time_limit):g} s" if time_limit is not None else ""
        raise LeverError(
            f"no reduction plan was found within the MILP time limit{limit} (HiGHS: "
            f"{res.message}); allow more time (time_limit, pcf reduce --time-limit)",
            constraint="time_limit",
        )
    raise PCFError(f"MILP solver failed: {res.message}")


# --------------------------------------------------------------------------------------------
# target rows
# --------------------------------------------------------------------------------------------
@dataclass
class _TargetRows:
    M: sp.csr_matrix  # target rows x levers
    R: np.ndarray  # required reduction per row
    weight: np.ndarray  # shortfall weight per row
    names: list[str]
    value: float | None  # portfolio cap
    caps: dict[str, float]  # per-product caps


def _target_rows(comp: _Compiled, target: Target) -> _TargetRows:
    pidx = {p: i for i, p in enumerate(comp.products)}
    if target.products is None:
        scope = np.arange(len(comp.products))
    else:
        for p in target.products:
            if p not in pidx:
                raise LeverError(
                    f"target names product {p!r}, which has no baseline",
                    product=p,
                    constraint="target",
                )
        scope = np.array([pidx[p] for p in target.products], dtype=int)
    h0, w = comp.h0[scope], comp.w[scope]
    if target.scope == "portfolio":
        base = float(w @ h0)
        cap = base * (1 - target.value / 100) if target.kind == "percent" else target.value
        M = sp.csr_matrix(np.asarray(comp.D[:, scope] @ w).reshape(1, -1))
        return _TargetRows(M, np.array([base - cap]), np.ones(1), ["portfolio"], cap, {})
    caps = (
        h0 * (1 - target.value / 100)
        if target.kind == "percent"
        else np.full(len(scope), target.value)
    )
    M = sp.csr_matrix(comp.D[:, scope].T)
    names = [comp.products[i] for i in scope]
    weight = np.where(w > 0, w, 1.0)
    return _TargetRows(M, h0 - caps, weight, names, None, dict(zip(names, caps.tolist())))


def _shortfall(tr: _TargetRows, x: np.ndarray) -> np.ndarray:
    got = tr.M @ x
    return np.maximum(tr.R - got, 0.0)


def _min_shortfall(comp, tr, side, avail, time_limit, gap, min_cost=True):
    """Elastic solve: minimise Σ weight·u, then (optionally) cost at that shortfall."""
    L, m = len(comp.ids), len(tr.R)
    A = sp.hstack([tr.M, sp.identity(m, format="csr")], format="csr")
    rows = LinearConstraint(A, tr.R, np.inf)
    sidec = _side_matrix(comp, side, n_extra=m)
    ub = np.concatenate([avail.astype(float), np.full(m, np.inf)])
    integ = np.concatenate([np.ones(L), np.zeros(m)])
    c = np.concatenate([np.zeros(L), tr.weight])
    res, dt = _milp(c, integ, ub, [rows, sidec], time_limit, gap)
    status = _status(res, time_limit)
    if status == "infeasible":  # cannot happen: x = 0, u = R⁺ is always feasible
        raise PCFError("elastic reduction problem reported infeasible")
    best = float(res.fun)
    x = res.x
    if min_cost and best > 0:
        cap = LinearConstraint(
            sp.csr_matrix(c.reshape(1, -1)), -np.inf, best + TOL * max(1.0, abs(best)) + 1e-9
        )
        c2 = np.concatenate([comp.cost, np.zeros(m)])
        res2, dt2 = _milp(c2, integ, ub, [rows, sidec, cap], time_limit, gap)
        dt += dt2
        if res2.x is not None:
            x = res2.x
    return (x[:L] > 0.5).astype(float), best, status, dt


# --------------------------------------------------------------------------------------------
# solvers
# --------------------------------------------------------------------------------------------
def solve_target(
    problem: ReductionProblem,
    target: Target | str,
    *,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-6,
    max_binding_checks: int = 25,
) -> ReductionPlan:
    """Cheapest set of levers that brings the product(s) to ``target`` (module doc formulation).

    Parameters
    ----------
    problem : levers, baselines, volumes and budgets.
    target : a :class:`Target` or text for :func:`parse_target` (``"30%"``, ``"120"``).
    time_limit, mip_rel_gap : HiGHS options (seconds; relative optimality gap).
    max_binding_checks : when the target is out of reach, at most this many candidate
        constraints are each relaxed and re-solved to tell which ones bind.

    Returns
    -------
    ReductionPlan
        ``status="optimal"`` with the least-cost plan; or ``status="infeasible"`` with the best
        achievable plan (least weighted shortfall ``Σ wₚ max(0, Rₚ − Σₖ Δₖₚ xₖ)``, then least
        cost), ``met=False``, the remaining ``shortfall`` and the ``binding`` constraints.
        Never raises for an unreachable target.

    Raises
    ------
    LeverError
        If the target names a product without a baseline.
    """
    if isinstance(target, str):
        target = parse_target(target)
    t0 = time.perf_counter()
    comp = _compile(problem)
    tr = _target_rows(comp, target)
    avail = _available(comp, target.year)
    L = len(comp.ids)
    rows = LinearConstraint(tr.M, tr.R, np.inf)
    res, _ = _milp(
        comp.cost,
        np.ones(L),
        avail.astype(float),
        [rows, _side_matrix(comp, comp.side)],
        time_limit,
        mip_rel_gap,
    )
    status = _status(res, time_limit)
    if status != "infeasible":
        x = (res.x > 0.5).astype(float)
        gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
        plan = _plan(problem, comp, x, "target", status, tr, gap, time.perf_counter() - t0)
        log.info("target plan: %d levers, cost %.6g (%s)", len(plan.chosen), plan.cost, status)
        return plan
    x, best, _st, _ = _min_shortfall(comp, tr, comp.side, avail, time_limit, mip_rel_gap)
    binding = _binding(
        comp, tr, x, best, avail, target.year, time_limit, mip_rel_gap, max_binding_checks
    )
    plan = _plan(problem, comp, x, "target", "infeasible", tr, 0.0, time.perf_counter() - t0)
    plan.binding = binding
    plan.met = False
    log.info(
        "target out of reach: best shortfall %.6g; binding: %s",
        plan.shortfall,
        ", ".join(f"{b.kind}:{b.name}" for b in binding) or "none found",
    )
    return plan


def solve_budget(
    problem: ReductionProblem,
    budget: float | None = None,
    *,
    products: Sequence[str] | None = None,
    year: int | None = None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-6,
    cheapest: bool = True,
) -> ReductionPlan:
    """Most portfolio reduction for a budget: maximise ``Σₖ aₖ xₖ`` (``aₖ = Σₚ wₚ Δₖₚ``).

    Subject to ``Σₖ Cₖ xₖ ≤ budget`` (``None``: only the problem's own budgets), the exclusive
    groups, exclusions and actor budgets; ``products`` restricts ``aₖ`` to some products;
    levers after ``year`` are excluded. With ``cheapest=True`` a second solve picks the cheapest
    plan among those with the maximum reduction.

    Raises
    ------
    LeverError
        If ``budget`` is negative or not finite, or ``products`` names an unknown product.
    """
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise LeverError(f"budget must be finite and ≥ 0, got {budget!r}", constraint="budget")
    t0 = time.perf_counter()
    comp = _compile(problem)
    target = Target(kind="percent", value=0.0, products=tuple(products) if products else None)
    tr = _target_rows(comp, target)
    a = np.asarray(tr.M.todense()).ravel()
    side = list(comp.side)
    L = len(comp.ids)
    if budget is not None:
        side.append(_Side("total_budget", "budget", np.arange(L), comp.cost.copy(), budget))
    avail = _available(comp, year).astype(float)
    sidec = _side_matrix(comp, side)
    res, _ = _milp(-a, np.ones(L), avail, [sidec], time_limit, mip_rel_gap)
    status = _status(res, time_limit)
    x = (res.x > 0.5).astype(float)
    if cheapest and status == "optimal" and float(a @ x) > 0:
        best = float(a @ x)
        floor = LinearConstraint(
            sp.csr_matrix(a.reshape(1, -1)), best - TOL * max(1.0, abs(best)), np.inf
        )
        res2, _ = _milp(comp.cost, np.ones(L), avail, [sidec, floor], time_limit, mip_rel_gap)
        if res2.x is not None:
            x = (res2.x > 0.5).astype(float)
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    plan = _plan(problem, comp, x, "budget", status, None, gap, time.perf_counter() - t0)
    log.info(
        "budget plan: %d levers, cost %.6g, reduction %.6g",
        len(plan.chosen),
        plan.cost,
        plan.portfolio_reduction,
    )
    return plan


def _plan(problem, comp, x, question, status, tr, gap, seconds) -> ReductionPlan:
    chosen_idx = np.flatnonzero(x > 0.5)
    red = np.asarray(comp.D.T @ x).ravel()
    fp = comp.h0 - red
    by_actor: dict[str, float] = {}
    for k in chosen_idx:
        by_actor[comp.actors[k]] = by_actor.get(comp.actors[k], 0.0) + float(comp.cost[k])
    plan = ReductionPlan(
        question=question,
        status=status,
        chosen=[comp.ids[k] for k in chosen_idx],
        cost=float(comp.cost @ x),
        cost_by_actor=by_actor,
        baseline=dict(zip(comp.products, comp.h0.tolist())),
        reduction=dict(zip(comp.products, red.tolist())),
        footprint=dict(zip(comp.products, fp.tolist())),
        volumes=dict(zip(comp.products, comp.w.tolist())),
        portfolio_baseline=float(comp.w @ comp.h0),
        portfolio_footprint=float(comp.w @ fp),
        mip_gap=gap,
        seconds=seconds,
    )
    if tr is not None:
        plan.target_value, plan.targets = tr.value, tr.caps
        sf = _shortfall(tr, x)
        plan.shortfall = float(tr.weight @ sf)
        plan.met = bool(np.all(sf <= TOL * np.maximum(1.0, np.abs(tr.R))))
        if plan.met:
            plan.shortfall = 0.0
    return plan


def _binding(comp, tr, x, best, avail, year, time_limit, gap, max_checks):
    """Which constraints keep the target out of reach (see :class:`BindingConstraint`)."""
    out: list[BindingConstraint] = []
    tol = TOL * max(1.0, best)
    # the target itself: no lever set reaches it, whatever the side constraints and years
    Mp = tr.M.maximum(0)
    potential = np.asarray(Mp.sum(axis=1)).ravel()
    for name, r, pot in zip(tr.names, tr.R, potential):
        if r > pot + TOL * max(1.0, abs(r)):
            out.append(
                BindingConstraint(
                    "target",
                    name,
                    float("nan"),
                    f"all levers together cut {pot:.6g}, the target needs {r:.6g}",
                )
            )
    # candidates: side constraints (and the year) that block a useful lever
    sf = _shortfall(tr, x)
    useful = np.asarray(tr.M[sf > 0].maximum(0).sum(axis=0)).ravel() > 0
    chosen = x > 0.5
    cands: list[tuple[float, int | str]] = []
    for i, s in enumerate(comp.side):
        blocked = s.idx[useful[s.idx] & ~chosen[s.idx]]
        if not len(blocked):
            continue
        if s.kind in ("actor_budget", "total_budget"):
            slack = s.ub - float(s.coef @ x[s.idx])
            cost_of = dict(zip(s.idx.tolist(), s.coef.tolist()))
            if not any(cost_of[k] > slack + 1e-9 for k in blocked.tolist()):
                continue
        elif not chosen[s.idx].any():
            continue
        cands.append((-float(np.asarray(Mp[:, blocked].sum())), i))
    if year is not None and np.any(useful & ~avail):
        cands.append((-float(np.asarray(Mp[:, np.flatnonzero(useful & ~avail)].sum())), "year"))
    cands.sort(key=lambda t: t[0])
    if len(cands) > max_checks:
        log.info(
            "binding analysis: checking %d of %d candidate constraints", max_checks, len(cands)
        )
    helped = False
    for _, cand in cands[:max_checks]:
        if cand == "year":
            side, av = comp.side, np.ones_like(avail)
        else:
            side, av = [s for j, s in enumerate(comp.side) if j != cand], avail
        _, sf_relaxed, _, _ = _min_shortfall(comp, tr, side, av, time_limit, gap, min_cost=False)
        if sf_relaxed < best - tol:
            helped = True
            if cand == "year":
                out.append(
                    BindingConstraint(
                        "year",
                        str(year),
                        sf_relaxed,
                        f"{int(np.sum(useful & ~avail))} useful lever(s) take effect after {year}",
                    )
                )
            else:
                s = comp.side[cand]
                spent = float(s.coef @ x[s.idx])
                detail = (
                    f"spent {spent:.6g} of {s.ub:.6g}"
                    if s.kind.endswith("budget")
                    else "members: " + ", ".join(comp.ids[k] for k in s.idx)
                )
                out.append(BindingConstraint(s.kind, s.name, sf_relaxed, detail))
    if not helped and cands and not any(b.kind == "target" for b in out):
        _, sf_all, _, _ = _min_shortfall(
            comp, tr, [], np.ones_like(avail), time_limit, gap, min_cost=False
        )
        if sf_all < best - tol:
            names = [
                ("year" if c == "year" else f"{comp.side[c].kind}:{comp.side[c].name}")
                for _, c in cands[:max_checks]
            ]
            out.append(
                BindingConstraint(
                    "combination", "; ".join(names), sf_all, "no single constraint binds alone"
                )
            )
    out.sort(key=lambda b: (b.kind != "target", b.shortfall_if_relaxed))
    return out


# --------------------------------------------------------------------------------------------
# MACC and the greedy baseline
# --------------------------------------------------------------------------------------------
def macc(problem: ReductionProblem, products: Sequence[str] | None = None):
    """Marginal abatement cost curve: levers ordered by ``Cₖ / aₖ`` (``aₖ = Σₚ wₚ Δₖₚ``).

    Levers with ``aₖ ≤ 0`` are left out (listed in ``df.attrs["left_out"]``). Ties keep the
    input order. Exclusions and budgets are *not* applied (that is what the MILP is for).

    Returns
    -------
    pandas.DataFrame
        Columns ``lever, node, actor, kind, cost, abatement, mac`` (cost per unit abated),
        ``cumulative_abatement, cumulative_cost, exclusive_group``.
    """
    import pandas as pd

    comp = _compile(problem)
    tr = _target_rows(
        comp, Target(kind="percent", value=0.0, products=tuple(products) if products else None)
    )
    a = np.asarray(tr.M.todense()).ravel()
    keep = np.flatnonzero(a > 0)
    mac = comp.cost[keep] / a[keep]
    order = keep[np.argsort(mac, kind="stable")]
    levers = problem.levers
    df = pd.DataFrame(
        {
            "lever": [comp.ids[k] for k in order],
            "node": [levers[k].node for k in order],
            "actor": [comp.actors[k] for k in order],
            "kind": [levers[k].kind for k in order],
            "cost": comp.cost[order],
            "abatement": a[order],
            "mac": comp.cost[order] / a[order],
        }
    )
    df["cumulative_abatement"] = df["abatement"].cumsum()
    df["cumulative_cost"] = df["cost"].cumsum()
    df["exclusive_group"] = [levers[k].exclusive_group for k in order]
    df.attrs["left_out"] = [comp.ids[k] for k in np.flatnonzero(a <= 0)]
    return df


def greedy_plan(
    problem: ReductionProblem, target: Target | str | None = None, budget: float | None = None
) -> ReductionPlan:
    """Walk the MACC: take each lever in order unless an exclusion or budget forbids it.

    With a ``target``, stop once it is met (for scope ``"each"``, take a lever only if it cuts a
    product still above its target); with a ``budget`` only, take every lever that fits. This is
    the usual manual method and the baseline the MILP is measured against
    (``benchmarks/bench_milp.py``); it is not optimal (status ``"heuristic"``).
    """
    if isinstance(target, str):
        target = parse_target(target)
    t0 = time.perf_counter()
    comp = _compile(problem)
    tr = _target_rows(comp, target) if target is not None else None
    a = np.asarray(_target_rows(comp, Target(value=0.0)).M.todense()).ravel()
    avail = _available(comp, target.year if target is not None else None)
    keep = np.flatnonzero((a > 0) & avail)
    order = keep[np.argsort(comp.cost[keep] / a[keep], kind="stable")]
    side = list(comp.side)
    if budget is not None:
        side.append(
            _Side("total_budget", "budget", np.arange(len(comp.ids)), comp.cost.copy(), budget)
        )
    member: dict[int, list[int]] = {}
    for i, s in enumerate(side):
        for k in s.idx.tolist():
            member.setdefault(k, []).append(i)
    used = np.zeros(len(side))
    coef = [dict(zip(s.idx.tolist(), s.coef.tolist())) for s in side]
    x = np.zeros(len(comp.ids))
    Mc = tr.M.tocsc() if tr is not None else None
    got = np.zeros(len(tr.R)) if tr is not None else None
    for k in order.tolist():
        if tr is not None:
            need = tr.R - got > TOL * np.maximum(1.0, np.abs(tr.R))
            if not need.any():
                break
            col = Mc[:, k].toarray().ravel()
            if not np.any(col[need] > 0):
                continue
        if any(used[i] + coef[i][k] > side[i].ub + 1e-9 for i in member.get(k, [])):
            continue
        for i in member.get(k, []):
            used[i] += coef[i][k]
        x[k] = 1.0
        if tr is not None:
            got += col
    plan = _plan(
        problem,
        comp,
        x,
        "target" if tr is not None else "budget",
        "heuristic",
        tr,
        float("nan"),
        time.perf_counter() - t0,
    )
    return plan


# --------------------------------------------------------------------------------------------
# effects from exchange changes; exact verification
# --------------------------------------------------------------------------------------------
def system_sensitivities(
    A_or_fact, B: sp.spmatrix, c: np.ndarray, F
) -> tuple[np.ndarray, np.ndarray]:
    """``λ = c B A⁻¹`` (per product row) and ``S = A⁻¹ F`` (activities × demands).

    ``F`` holds one demand per column (a vector is one demand). One factorisation serves both.
    """
    fact = A_or_fact if isinstance(A_or_fact, Factorization) else factorize(A_or_fact)
    lam = maths.lcia_intensities(fact, c, B)
    F = F.toarray() if sp.issparse(F) else np.asarray(F, dtype=np.float64)
    S = maths.supply(fact, F.reshape(F.shape[0], -1))
    return np.asarray(lam).ravel(), np.asarray(S).reshape(F.shape[0], -1)


def lever_effects(
    changes: Iterable[ExchangeChange], lam: np.ndarray, S: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Reduction ``Δₚ`` of each demand's score (columns of ``S``) for a list of exchange changes.

    Technosphere ``δAᵢⱼ``: ``Δₚ = λᵢ Sⱼₚ δAᵢⱼ`` (first order, from ``∂h/∂Aᵢⱼ = −λᵢ sⱼ``);
    biosphere ``δBₖⱼ``: ``Δₚ = −cₖ δBₖⱼ Sⱼₚ`` (exact). Effects of several changes add.

    Examples
    --------
    Heijungs & Suh: cutting fuel use from 2 to 1.5 l per 10 kWh (``δA₁₀ = +0.5``) saves
    ``λ_fuel s_elec 0.5 = 0.1 × 100 × 0.5 = 5`` kg CO2 per 1000 kWh.

    >>> import numpy as np
    >>> lam, S = np.array([0.12, 0.1]), np.array([[100.0], [2.0]])
    >>> ch = ExchangeChange(matrix="technosphere", row=1, col=0, delta=0.5)
    >>> lever_effects([ch], lam, S, np.array([1.0, 0.0, 0.0])).round(12).tolist()
    [5.0]
    """
    S = np.atleast_2d(np.asarray(S, dtype=np.float64).T).T
    out = np.zeros(S.shape[1])
    for ch in changes:
        if ch.matrix == "technosphere":
            out += lam[ch.row] * S[ch.col] * ch.delta
        else:
            out -= c[ch.row] * ch.delta * S[ch.col]
    return out


def estimate_effects(
    levers: Sequence[Lever], A_or_fact, B: sp.spmatrix, c: np.ndarray, F, products: Sequence[str]
) -> list[Lever]:
    """Fill ``effects`` of every lever that has ``changes`` with :func:`lever_effects`.

    ``F`` has one demand column per entry of ``products`` (e.g. one unit of each product).
    Levers without changes are returned as they are; effects computed here replace given ones.
    """
    if sp.issparse(F):
        F = F.toarray()
    F = np.asarray(F, dtype=np.float64).reshape(np.shape(F)[0], -1)
    if F.shape[1] != len(products):
        raise LeverError(f"F has {F.shape[1]} demand column(s) but {len(products)} product(s)")
    n_act, n_flow = B.shape[1], B.shape[0]
    for lv in levers:
        for ch in lv.changes:
            lim = n_act if ch.matrix == "technosphere" else n_flow
            if ch.row >= lim or ch.col >= n_act:
                raise LeverError(
                    f"lever {lv.id!r}: {ch.matrix} change ({ch.row}, {ch.col}) is "
                    f"outside the matrix",
                    lever=lv.id,
                )
    lam, S = system_sensitivities(A_or_fact, B, c, F)
    out = []
    for lv in levers:
        if lv.changes:
            d = lever_effects(lv.changes, lam, S, c)
            lv = lv.model_copy(update={"effects": dict(zip(products, d.tolist()))})
        out.append(lv)
    return out


def apply_changes(
    A: sp.spmatrix, B: sp.spmatrix, changes: Iterable[ExchangeChange]
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Copies ``A + δA`` and ``B + δB`` (the inputs are not modified; deltas add up)."""
    A, B = sp.csr_matrix(A, dtype=np.float64), sp.csr_matrix(B, dtype=np.float64)
    da = [(ch.row, ch.col, ch.delta) for ch in changes if ch.matrix == "technosphere"]
    db = [(ch.row, ch.col, ch.delta) for ch in changes if ch.matrix == "biosphere"]

    def add(M, d):
        if not d:
            return M.copy()
        r, cc, v = zip(*d)
        return sp.csr_matrix(M + sp.csr_matrix((v, (r, cc)), shape=M.shape))

    return add(A, da), add(B, db)


@dataclass
class Verification:
    """Linear estimate versus exact re-solve of a plan, per product (per unit of demand).

    ``linear``: ``Σₖ Δₖₚ xₖ``; ``exact``: ``h⁰ₚ − h¹ₚ`` with ``h¹`` from the changed, refactorised
    system; ``footprint``: ``h¹ₚ``.
    """

    products: list[str]
    baseline: np.ndarray
    linear: np.ndarray
    exact: np.ndarray
    footprint: np.ndarray

    def to_frame(self):
        """Columns ``product, baseline, linear_reduction, exact_reduction, footprint, error``
        (``error = linear − exact``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "product": self.products,
                "baseline": self.baseline,
                "linear_reduction": self.linear,
                "exact_reduction": self.exact,
                "footprint": self.footprint,
                "error": self.linear - self.exact,
            }
        )


def verify_changes(
    levers: Sequence[Lever],
    A: sp.spmatrix,
    B: sp.spmatrix,
    c: np.ndarray,
    F,
    products: Sequence[str],
) -> Verification:
    """Apply all ``changes`` of ``levers`` to copies of ``A``, ``B``; refactorise; re-score.

    ``h¹ = c B¹ (A¹)⁻¹ F`` (one factorisation, one adjoint solve). ``linear`` is the sum of the
    levers' ``effects`` for each product (0 for a product a lever does not name).
    """
    F = F.toarray() if sp.issparse(F) else np.asarray(F, dtype=np.float64)
    F = F.reshape(F.shape[0], -1)
    changes = [ch for lv in levers for ch in lv.changes]
    lam0 = maths.lcia_intensities(factorize(A), c, B)
    h0 = np.asarray(maths.batch_scores(lam0, F)).ravel()
    A1, B1 = apply_changes(A, B, changes)
    lam1 = maths.lcia_intensities(factorize(A1), c, B1)
    h1 = np.asarray(maths.batch_scores(lam1, F)).ravel()
    lin = np.array([sum(lv.effects.get(p, 0.0) for lv in levers) for p in products])
    return Verification(list(products), h0, lin, h0 - h1, h1)


def verify_plan(
    plan: ReductionPlan,
    problem: ReductionProblem,
    A: sp.spmatrix,
    B: sp.spmatrix,
    c: np.ndarray,
    F,
    products: Sequence[str],
) -> Verification:
    """Exact re-solve of ``plan``'s chosen levers (see :func:`verify_changes`)."""
    by_id = {lv.id: lv for lv in problem.levers}
    return verify_changes([by_id[k] for k in plan.chosen], A, B, c, F, products)


def effects_from_supplier_pcf(
    old_pcf: float, new_pcf: float, quantities: Mapping[str, float]
) -> dict[str, float]:
    """Exact effect of a supplier PCF change: ``Δₚ = (PCF⁰ − PCF¹) qₚ``.

    ``quantities``: product → units of the supplier's product in one unit of each product.

    >>> effects_from_supplier_pcf(10.0, 6.0, {"pack": 2.5})
    {'pack': 10.0}
    """
    return {p: (old_pcf - new_pcf) * q for p, q in quantities.items()}


# --------------------------------------------------------------------------------------------
# uncertainty
# --------------------------------------------------------------------------------------------
@dataclass
class UncertainPlan:
    """A plan evaluated over Monte Carlo draws of its levers' effects.

    ``probability``: share of draws in which the target is met; ``by_product``: per product in
    scope (scope ``"each"``); ``footprint_quantiles``: portfolio footprint at 5/50/95 %.
    """

    probability: float
    by_product: dict[str, float]
    footprint_quantiles: dict[str, float]
    n_draws: int


def evaluate_plan(
    problem: ReductionProblem, plan: ReductionPlan, target: Target | str, factors: np.ndarray
) -> UncertainPlan:
    """Probability that ``plan`` meets ``target`` when lever ``k``'s effects are ``φₖ Δₖₚ``.

    ``factors`` is an (draws × levers) array of multiplicative factors ``φ``, one column per
    lever of ``problem`` in order (e.g. lognormal with median 1). A draw meets the target when
    ``Σₖ φₖ Δₖₚ xₖ ≥ Rₚ`` for every target row.
    """
    if isinstance(target, str):
        target = parse_target(target)
    comp = _compile(problem)
    factors = np.asarray(factors, dtype=np.float64)
    if factors.ndim != 2 or factors.shape[1] != len(comp.ids):
        raise LeverError(f"factors must be draws x {len(comp.ids)} levers, got {factors.shape}")
    x = np.isin(comp.ids, plan.chosen).astype(float)
    tr = _target_rows(comp, target)
    got = (factors * x) @ tr.M.T.toarray()  # draws x rows
    ok = got >= tr.R - TOL * np.maximum(1.0, np.abs(tr.R))
    red = (factors * x) @ comp.D.toarray()  # draws x products
    port = comp.w @ comp.h0 - red @ comp.w
    q = np.quantile(port, [0.05, 0.5, 0.95])
    by_product = dict(zip(tr.names, ok.mean(axis=0).tolist())) if target.scope == "each" else {}
    return UncertainPlan(
        float(ok.all(axis=1).mean()),
        by_product,
        {"p05": float(q[0]), "p50": float(q[1]), "p95": float(q[2])},
        factors.shape[0],
    )


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
_LEVER_COLS = (
    "node",
    "actor",
    "kind",
    "cost",
    "exclusive_group",
    "excludes",
    "year",
    "description",
)


def load_levers_csv(path: str | Path) -> list[Lever]:
    """Read levers from the CSV layout in the module doc (one row per lever × product).

    Raises
    ------
    LeverError
        Missing ``lever``/``cost`` column, a non-numeric ``cost``/``delta``/``year``, a lever's
        rows that disagree, or any bound violated (names the file, row and lever).
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        missing = {"lever", "cost", "node"} - cols
        if missing:
            raise LeverError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        data: dict[str, dict] = {}
        for n, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            lid = row.get("lever", "")
            if not lid:
                raise LeverError(f"{path}:{n}: empty lever id")
            d = data.setdefault(lid, {"id": lid, "effects": {}})
            for col in _LEVER_COLS:
                v = row.get(col, "")
                if not v:
                    continue
                if col in d and d[col] != v:
                    raise LeverError(
                        f"{path}:{n}: lever {lid!r} has {col}={v!r}, earlier {d[col]!r}", lever=lid
                    )
                d[col] = v
            p = row.get("product", "")
            if p:
                try:
                    delta = float(row.get("delta", ""))
                except ValueError:
                    raise LeverError(
                        f"{path}:{n}: lever {lid!r}: delta {row.get('delta')!r} is not a number",
                        lever=lid,
                        product=p,
                    ) from None
                d["effects"][p] = d["effects"].get(p, 0.0) + delta
    out = []
    for lid, d in data.items():
        try:
            if "cost" not in d:
                raise ValueError("no cost")
            d["cost"] = float(d["cost"])
            if "year" in d:
                d["year"] = int(d["year"])
        except ValueError:
            raise LeverError(
                f"{path}: lever {lid!r}: cost/year missing or not a number", lever=lid
            ) from None
        if "excludes" in d:
            d["excludes"] = tuple(x.strip() for x in d["excludes"].split(";") if x.strip())
        try:
            out.append(Lever(**d))
        except LeverError as exc:
            raise LeverError(
                f"{path}: {exc}",
                lever=exc.lever or lid,
                product=exc.product,
                constraint=exc.constraint,
            ) from None
    log.info("read %d levers from %s", len(out), path)
    return out


def _read_pairs(path: Path, key: str, value: str, extra: str | None = None):
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not {key, value} <= set(reader.fieldnames or []):
            raise LeverError(f"{path}: needs columns {key},{value}")
        out, more = {}, {}
        for n, row in enumerate(reader, start=2):
            try:
                out[row[key].strip()] = float(row[value])
                if extra and (row.get(extra) or "").strip():
                    more[row[key].strip()] = float(row[extra])
            except (ValueError, TypeError):
                raise LeverError(
                    f"{path}:{n}: {value} {row.get(value)!r} is not a number",
                    constraint=row.get(key),
                ) from None
    return out, more


def read_problem(
    levers_csv: str | Path,
    baseline_csv: str | Path,
    budgets_csv: str | Path | None = None,
    total_budget: float | None = None,
) -> ReductionProblem:
    """A :class:`ReductionProblem` from CSV files.

    ``baseline_csv``: columns ``product,footprint[,volume]``; ``budgets_csv``: ``actor,budget``.
    """
    levers = load_levers_csv(levers_csv)
    baseline, volumes = _read_pairs(Path(baseline_csv), "product", "footprint", "volume")
    budgets = _read_pairs(Path(budgets_csv), "actor", "budget")[0] if budgets_csv else {}
    return ReductionProblem(
        levers=tuple(levers),
        baseline=baseline,
        volumes=volumes,
        budgets=budgets,
        total_budget=total_budget,
    )


def plan_frame(problem: ReductionProblem, plan: ReductionPlan):
    """The chosen levers as a table: ``lever, node, actor, kind, cost, abatement`` where
    ``abatement = Σₚ wₚ Δₖₚ`` (volume-weighted over all products)."""
    import pandas as pd

    w, chosen = plan.volumes, set(plan.chosen)
    rows = [
        (lv.id, lv.node, lv.actor, lv.kind, lv.cost, sum(w[p] * d for p, d in lv.effects.items()))
        for lv in problem.levers
        if lv.id in chosen
    ]
    return pd.DataFrame(rows, columns=["lever", "node", "actor", "kind", "cost", "abatement"])
