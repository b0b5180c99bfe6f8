"""The least-cost plan for a target and the most reduction for a budget (MILP, HiGHS).

The formulation is in :mod:`supply_chain.levers`; the arrays and the MILP call in
:mod:`supply_chain.levers.compiled`; which constraints keep a target out of reach in
:mod:`supply_chain.levers.binding`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..errors import LeverError
from .binding import diagnose_binding
from .compiled import (
    SideConstraint,
    _opt,
    available,
    build_plan,
    compile_problem,
    milp_status,
    min_shortfall,
    portfolio_abatement,
    run_milp,
    side_matrix,
    target_rows,
)
from .model import TOL, ReductionPlan, ReductionProblem, Target, parse_target

__all__ = ["lp_relaxation_bound", "solve_budget", "solve_target"]

log = logging.getLogger(__name__)


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
    comp = compile_problem(problem)
    tr = target_rows(comp, target)
    avail = available(comp, target.year)
    L = len(comp.ids)
    rows = _opt("LinearConstraint")(tr.M, tr.R, np.inf)
    res, _ = run_milp(
        comp.cost,
        np.ones(L),
        avail.astype(float),
        [rows, side_matrix(comp, comp.side)],
        time_limit,
        mip_rel_gap,
    )
    status = milp_status(res, time_limit)
    if status != "infeasible":
        x = (res.x > 0.5).astype(float)
        gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
        plan = build_plan(problem, comp, x, "target", status, tr, gap, time.perf_counter() - t0)
        log.info("target plan: %d levers, cost %.6g (%s)", len(plan.chosen), plan.cost, status)
        return plan
    x, best, _st, _ = min_shortfall(comp, tr, comp.side, avail, time_limit, mip_rel_gap)
    binding = diagnose_binding(
        comp, tr, x, best, avail, target.year, time_limit, mip_rel_gap, max_binding_checks
    )
    plan = build_plan(problem, comp, x, "target", "infeasible", tr, 0.0, time.perf_counter() - t0)
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
    comp = compile_problem(problem)
    a = portfolio_abatement(comp, products)
    side = list(comp.side)
    L = len(comp.ids)
    if budget is not None:
        side.append(
            SideConstraint("total_budget", "budget", np.arange(L), comp.cost.copy(), budget)
        )
    avail = available(comp, year).astype(float)
    sidec = side_matrix(comp, side)
    res, _ = run_milp(-a, np.ones(L), avail, [sidec], time_limit, mip_rel_gap)
    status = milp_status(res, time_limit)
    x = (res.x > 0.5).astype(float)
    if cheapest and status == "optimal" and float(a @ x) > 0:
        best = float(a @ x)
        floor = _opt("LinearConstraint")(
            sp.csr_matrix(a.reshape(1, -1)), best - TOL * max(1.0, abs(best)), np.inf
        )
        res2, _ = run_milp(comp.cost, np.ones(L), avail, [sidec, floor], time_limit, mip_rel_gap)
        if res2.x is not None:
            x = (res2.x > 0.5).astype(float)
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    plan = build_plan(problem, comp, x, "budget", status, None, gap, time.perf_counter() - t0)
    log.info(
        "budget plan: %d levers, cost %.6g, reduction %.6g",
        len(plan.chosen),
        plan.cost,
        plan.portfolio_reduction,
    )
    return plan


def lp_relaxation_bound(problem: ReductionProblem, target: Target | str) -> float:
    """Least cost of the LP relaxation of :func:`solve_target` (``0 ≤ xₖ ≤ 1``): a lower bound
    on the MILP optimum (``benchmarks/bench_milp.py`` reports the gap to it).

    >>> from supply_chain.levers.model import Lever
    >>> pb = ReductionProblem(levers=[Lever(id="L1", node="n", cost=10, effects={"p": 40})],
    ...                       baseline={"p": 100})
    >>> lp_relaxation_bound(pb, "20%")   # half of L1 cuts 20
    5.0
    """
    if isinstance(target, str):
        target = parse_target(target)
    comp = compile_problem(problem)
    tr = target_rows(comp, target)
    rows = _opt("LinearConstraint")(tr.M, tr.R, np.inf)
    res, _ = run_milp(
        comp.cost,
        np.zeros(len(comp.ids)),
        available(comp, target.year).astype(float),
        [rows, side_matrix(comp, comp.side)],
        60.0,
        1e-6,
    )
    return float(res.fun)
