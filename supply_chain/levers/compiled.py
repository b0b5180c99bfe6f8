"""The reduction problem compiled to arrays, and the MILP call (``scipy.optimize.milp``/HiGHS).

:func:`compile_problem` turns a :class:`~supply_chain.levers.model.ReductionProblem` into the
arrays every solver works on (costs, the sparse effect matrix ``D`` (levers × products), the
side constraints); :func:`target_rows` the rows ``M x ≥ R`` of a target;
:func:`portfolio_abatement` the volume-weighted abatement ``aₖ = Σₚ wₚ Δₖₚ`` of every lever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lca.errors import PCFError

from ..errors import LeverError
from .model import TOL, ReductionPlan, ReductionProblem, Target

__all__ = [
    "CompiledProblem",
    "SideConstraint",
    "TargetRows",
    "available",
    "build_plan",
    "compile_problem",
    "milp_status",
    "min_shortfall",
    "portfolio_abatement",
    "row_shortfall",
    "run_milp",
    "side_matrix",
    "target_rows",
]

log = logging.getLogger(__name__)

#: What is used from scipy.optimize, imported on first use (``scipy.optimize`` takes ~0.2 s to
#: import, and most commands that import the levers never solve): ``compiled.milp`` etc. stay
#: module attributes (tests replace ``milp``).
_OPTIMIZE = ("Bounds", "LinearConstraint", "milp")


def __getattr__(name: str):
    if name in _OPTIMIZE:
        import scipy.optimize

        value = globals()[name] = getattr(scipy.optimize, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _opt(name: str):
    """``scipy.optimize.<name>``, or what replaced this module's attribute of that name."""
    return globals().get(name) or __getattr__(name)


@dataclass
class SideConstraint:
    kind: str
    name: str
    idx: np.ndarray
    coef: np.ndarray
    ub: float


@dataclass
class CompiledProblem:
    ids: list[str]
    products: list[str]
    h0: np.ndarray
    w: np.ndarray
    cost: np.ndarray
    D: sp.csr_matrix  # levers x products
    actors: list[str]
    year: np.ndarray  # float, nan = always available
    side: list[SideConstraint]


def compile_problem(problem: ReductionProblem) -> CompiledProblem:
    """The arrays of ``problem``: costs, the effect matrix ``D`` (levers × products), volumes,
    baselines, years and the side constraints (exclusive groups, exclusions, budgets)."""
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
    side: list[SideConstraint] = []
    groups: dict[str, list[int]] = {}
    for k, lv in enumerate(problem.levers):
        if lv.exclusive_group:
            groups.setdefault(lv.exclusive_group, []).append(k)
    for g, idx in groups.items():
        if len(idx) > 1:
            side.append(SideConstraint("exclusive_group", g, np.array(idx), np.ones(len(idx)), 1.0))
    pairs = set()
    for k, lv in enumerate(problem.levers):
        for o in lv.excludes:
            pairs.add(tuple(sorted((k, kidx[o]))))
    for a, b in sorted(pairs):
        side.append(
            SideConstraint("exclusion", f"{ids[a]} / {ids[b]}", np.array([a, b]), np.ones(2), 1.0)
        )
    by_actor: dict[str, list[int]] = {}
    for k, a in enumerate(actors):
        by_actor.setdefault(a, []).append(k)
    for a, budget in problem.budgets.items():
        idx = np.array(by_actor[a])
        side.append(SideConstraint("actor_budget", a, idx, cost[idx], float(budget)))
    if problem.total_budget is not None:
        side.append(
            SideConstraint(
                "total_budget", "total", np.arange(L), cost.copy(), float(problem.total_budget)
            )
        )
    year = np.array([np.nan if lv.year is None else lv.year for lv in problem.levers], dtype=float)
    w = np.array([problem.volumes.get(p, 1.0) for p in products], dtype=np.float64)
    h0 = np.array([problem.baseline[p] for p in products], dtype=np.float64)
    return CompiledProblem(ids, products, h0, w, cost, D, actors, year, side)


def side_matrix(comp: CompiledProblem, side: Sequence[SideConstraint], n_extra: int = 0):
    """The side constraints as one ``LinearConstraint`` (``None`` when there are none);
    ``n_extra`` zero columns after the levers (slack variables)."""
    L = len(comp.ids)
    if not side:
        return None
    r = np.concatenate([np.full(len(s.idx), i) for i, s in enumerate(side)])
    c = np.concatenate([s.idx for s in side])
    v = np.concatenate([s.coef for s in side])
    M = sp.csr_matrix((v, (r, c)), shape=(len(side), L + n_extra))
    return _opt("LinearConstraint")(M, -np.inf, np.array([s.ub for s in side]))


def available(comp: CompiledProblem, year: int | None) -> np.ndarray:
    """Which levers take effect by ``year`` (all when ``year`` is ``None``)."""
    if year is None:
        return np.ones(len(comp.ids), dtype=bool)
    return ~(comp.year > year)  # nan compares False: always available


def run_milp(c, integrality, ub, constraints, time_limit, gap):
    """``scipy.optimize.milp`` (HiGHS) on ``0 ≤ x ≤ ub``: ``(result, seconds)``."""
    opts = {"time_limit": float(time_limit), "mip_rel_gap": float(gap), "presolve": True}
    t0 = time.perf_counter()
    res = _opt("milp")(
        c,
        integrality=integrality,
        bounds=_opt("Bounds")(np.zeros(len(c)), ub),
        constraints=[k for k in constraints if k is not None],
        options=opts,
    )
    dt = time.perf_counter() - t0
    log.debug("milp: %d vars, status %s (%s) in %.3f s", len(c), res.status, res.message, dt)
    return res, dt


def milp_status(res, time_limit: float | None = None) -> str:
    """``"optimal"``, ``"time_limit"`` (a plan, optimality not proven) or ``"infeasible"``.

    Raises
    ------
    LeverError
        When the time limit struck before any feasible plan was found.
    PCFError
        When HiGHS failed otherwise.
    """
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
class TargetRows:
    M: sp.csr_matrix  # target rows x levers
    R: np.ndarray  # required reduction per row
    weight: np.ndarray  # shortfall weight per row
    names: list[str]
    value: float | None  # portfolio cap
    caps: dict[str, float]  # per-product caps


def target_rows(comp: CompiledProblem, target: Target) -> TargetRows:
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
        return TargetRows(M, np.array([base - cap]), np.ones(1), ["portfolio"], cap, {})
    caps = (
        h0 * (1 - target.value / 100)
        if target.kind == "percent"
        else np.full(len(scope), target.value)
    )
    M = sp.csr_matrix(comp.D[:, scope].T)
    names = [comp.products[i] for i in scope]
    weight = np.where(w > 0, w, 1.0)
    return TargetRows(M, h0 - caps, weight, names, None, dict(zip(names, caps.tolist())))


def row_shortfall(tr: TargetRows, x: np.ndarray) -> np.ndarray:
    """Shortfall ``max(0, R − M x)`` of every target row for the lever choice ``x``."""
    got = tr.M @ x
    return np.maximum(tr.R - got, 0.0)


def portfolio_abatement(comp: CompiledProblem, products: Sequence[str] | None = None) -> np.ndarray:
    """Volume-weighted abatement of every lever, ``aₖ = Σₚ wₚ Δₖₚ`` over ``products`` (all
    products of the problem by default): the one formula behind the MACC, the budget solve, the
    greedy walk, the plan table and the supplier scorecard.

    Raises
    ------
    LeverError
        If ``products`` names a product without a baseline.

    >>> from supply_chain.levers.model import Lever, ReductionProblem
    >>> pb = ReductionProblem(levers=[Lever(id="L1", node="n", cost=1, effects={"a": 2, "b": 1})],
    ...                       baseline={"a": 10, "b": 5}, volumes={"a": 3})
    >>> portfolio_abatement(compile_problem(pb)).tolist()   # 3 x 2 + 1 x 1
    [7.0]
    """
    scope = tuple(products) if products else None
    tr = target_rows(comp, Target(kind="percent", value=0.0, products=scope))
    return np.asarray(tr.M.todense()).ravel()


def min_shortfall(comp, tr, side, avail, time_limit, gap, min_cost=True):
    """Elastic solve: minimise Σ weight·u, then (optionally) cost at that shortfall."""
    L, m = len(comp.ids), len(tr.R)
    A = sp.hstack([tr.M, sp.identity(m, format="csr")], format="csr")
    rows = _opt("LinearConstraint")(A, tr.R, np.inf)
    sidec = side_matrix(comp, side, n_extra=m)
    ub = np.concatenate([avail.astype(float), np.full(m, np.inf)])
    integ = np.concatenate([np.ones(L), np.zeros(m)])
    c = np.concatenate([np.zeros(L), tr.weight])
    res, dt = run_milp(c, integ, ub, [rows, sidec], time_limit, gap)
    status = milp_status(res, time_limit)
    if status == "infeasible":  # cannot happen: x = 0, u = R⁺ is always feasible
        raise PCFError("elastic reduction problem reported infeasible")
    best = float(res.fun)
    x = res.x
    if min_cost and best > 0:
        cap = _opt("LinearConstraint")(
            sp.csr_matrix(c.reshape(1, -1)), -np.inf, best + TOL * max(1.0, abs(best)) + 1e-9
        )
        c2 = np.concatenate([comp.cost, np.zeros(m)])
        res2, dt2 = run_milp(c2, integ, ub, [rows, sidec, cap], time_limit, gap)
        dt += dt2
        if res2.x is not None:
            x = res2.x
    return (x[:L] > 0.5).astype(float), best, status, dt


def build_plan(problem, comp, x, question, status, tr, gap, seconds) -> ReductionPlan:
    """The :class:`ReductionPlan` of the lever choice ``x`` (``tr``: the target rows, or
    ``None`` for a budget question)."""
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
        sf = row_shortfall(tr, x)
        plan.shortfall = float(tr.weight @ sf)
        plan.met = bool(np.all(sf <= TOL * np.maximum(1.0, np.abs(tr.R))))
        if plan.met:
            plan.shortfall = 0.0
    return plan
