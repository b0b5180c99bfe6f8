"""Which constraints keep a target out of reach (binding diagnosis of an infeasible target).

Each candidate side constraint (or the target year) that blocks a useful lever is relaxed on its
own and the elastic problem re-solved (:func:`~supply_chain.levers.compiled.min_shortfall`): a
constraint binds when relaxing it lowers the best shortfall.
"""

from __future__ import annotations

import logging

import numpy as np

from .compiled import min_shortfall, row_shortfall
from .model import TOL, BindingConstraint

__all__ = ["diagnose_binding"]

log = logging.getLogger(__name__)


def diagnose_binding(comp, tr, x, best, avail, year, time_limit, gap, max_checks):
    """Which constraints keep the target out of reach (see :class:`BindingConstraint`)."""
    tol = TOL * max(1.0, best)
    Mp = tr.M.maximum(0)
    out = _unreachable_targets(tr, Mp)
    cands, useful = _candidates(comp, tr, x, avail, year, Mp)
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
        _, sf_relaxed, _, _ = min_shortfall(comp, tr, side, av, time_limit, gap, min_cost=False)
        if sf_relaxed < best - tol:
            helped = True
            out.append(_binding(comp, x, cand, sf_relaxed, year, int(np.sum(useful & ~avail))))
    if not helped and cands and not any(b.kind == "target" for b in out):
        _, sf_all, _, _ = min_shortfall(
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


def _unreachable_targets(tr, Mp) -> list[BindingConstraint]:
    """The target rows no lever set reaches, whatever the side constraints and years."""
    out: list[BindingConstraint] = []
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
    return out


def _candidates(comp, tr, x, avail, year, Mp) -> tuple[list[tuple[float, int | str]], np.ndarray]:
    """Side constraints (and the year) that block a useful lever, most potential first; and
    which levers are useful."""
    sf = row_shortfall(tr, x)
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
    return cands, useful


def _binding(comp, x, cand, sf_relaxed: float, year, late: int) -> BindingConstraint:
    """The binding constraint ``cand`` (a side-constraint index or ``"year"``; ``late``: useful
    levers that take effect after the year)."""
    if cand == "year":
        return BindingConstraint(
            "year", str(year), sf_relaxed, f"{late} useful lever(s) take effect after {year}"
        )
    s = comp.side[cand]
    spent = float(s.coef @ x[s.idx])
    detail = (
        f"spent {spent:.6g} of {s.ub:.6g}"
        if s.kind.endswith("budget")
        else "members: " + ", ".join(comp.ids[k] for k in s.idx)
    )
    return BindingConstraint(s.kind, s.name, sf_relaxed, detail)
