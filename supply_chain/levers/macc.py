"""The marginal abatement cost curve and the greedy MACC walk (the manual method the MILP is
measured against), and the table of a plan's levers; all on the portfolio abatement
``aₖ = Σₚ wₚ Δₖₚ`` (:func:`~supply_chain.levers.compiled.portfolio_abatement`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .compiled import (
    SideConstraint,
    available,
    build_plan,
    compile_problem,
    portfolio_abatement,
    target_rows,
)
from .model import TOL, ReductionPlan, ReductionProblem, Target, parse_target

__all__ = ["greedy_plan", "macc", "plan_frame"]


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
    comp = compile_problem(problem)
    a = portfolio_abatement(comp, products)
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
    comp = compile_problem(problem)
    tr = target_rows(comp, target) if target is not None else None
    a = portfolio_abatement(comp)
    avail = available(comp, target.year if target is not None else None)
    keep = np.flatnonzero((a > 0) & avail)
    order = keep[np.argsort(comp.cost[keep] / a[keep], kind="stable")]
    side = list(comp.side)
    if budget is not None:
        side.append(
            SideConstraint(
                "total_budget", "budget", np.arange(len(comp.ids)), comp.cost.copy(), budget
            )
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
    plan = build_plan(
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


def plan_frame(problem: ReductionProblem, plan: ReductionPlan):
    """The chosen levers as a table: ``lever, node, actor, kind, cost, abatement`` where
    ``abatement = Σₚ wₚ Δₖₚ`` (volume-weighted over all products)."""
    chosen = set(plan.chosen)
    a = portfolio_abatement(compile_problem(problem))
    rows = [
        (lv.id, lv.node, lv.actor, lv.kind, lv.cost, float(a[k]))
        for k, lv in enumerate(problem.levers)
        if lv.id in chosen
    ]
    return pd.DataFrame(rows, columns=["lever", "node", "actor", "kind", "cost", "abatement"])
