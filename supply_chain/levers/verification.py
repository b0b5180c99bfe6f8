"""Checking a plan: linear estimate versus exact re-solve, the verified re-solve that meets the
*stated* target exactly, and the chance that a plan meets its target under uncertain effects.

The rule "the exact footprint meets the stated cap" is written once, here
(:func:`check_plan`, :func:`solve_verified`, both returning a :class:`VerifiedPlan`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lca import maths
from lca.solver import factorize

from ..errors import LeverError
from .compiled import compile_problem, target_rows
from .effects import apply_changes
from .milp import solve_target
from .model import TOL, Lever, ReductionPlan, ReductionProblem, Target, parse_target

__all__ = [
    "ExactFootprint",
    "UncertainPlan",
    "Verification",
    "VerifiedPlan",
    "check_plan",
    "evaluate_plan",
    "solve_verified",
    "verify_changes",
    "verify_plan",
]


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
    comp = compile_problem(problem)
    factors = np.asarray(factors, dtype=np.float64)
    if factors.ndim != 2 or factors.shape[1] != len(comp.ids):
        raise LeverError(f"factors must be draws x {len(comp.ids)} levers, got {factors.shape}")
    x = np.isin(comp.ids, plan.chosen).astype(float)
    tr = target_rows(comp, target)
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


class ExactFootprint(Protocol):
    """What an exact check of a plan reports, per unit of the product
    (e.g. :class:`supply_chain.model.ExactCheck`)."""

    footprint_linear: float
    footprint_exact: float

    def to_dict(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class VerifiedPlan:
    """A plan with its exact check against the *stated* target (:func:`solve_verified`).

    ``check`` is the last exact check (``footprint_linear``, ``footprint_exact`` per unit of
    ``product``); ``target_met_exact``: exact footprint ≤ ``cap_per_unit`` (``None`` when the
    target gives no cap per unit of ``product``); ``cap_per_unit`` / ``cap_portfolio``: the
    stated target; ``solved_cap_per_unit`` / ``solved_cap_portfolio``: the cap of the last
    solve; ``tightening_per_unit``: stated − solved (0 when no re-solve was needed);
    ``solves``: MILP solves made.
    """

    plan: ReductionPlan
    check: ExactFootprint
    product: str
    target_met_exact: bool | None
    cap_per_unit: float | None
    cap_portfolio: float | None
    solved_cap_per_unit: float | None
    solved_cap_portfolio: float | None
    tightening_per_unit: float | None
    solves: int

    def verification(self) -> dict[str, object]:
        """The exact check plus ``product``, ``target_met_exact`` and ``solves``."""
        return {
            **self.check.to_dict(),
            "product": self.product,
            "target_met_exact": self.target_met_exact,
            "solves": self.solves,
        }

    def caps(self) -> dict[str, float | None]:
        """``cap_per_unit``, ``cap_portfolio``, ``solved_cap_per_unit``,
        ``solved_cap_portfolio``, ``tightening_per_unit``."""
        return {
            "cap_per_unit": self.cap_per_unit,
            "cap_portfolio": self.cap_portfolio,
            "solved_cap_per_unit": self.solved_cap_per_unit,
            "solved_cap_portfolio": self.solved_cap_portfolio,
            "tightening_per_unit": self.tightening_per_unit,
        }


def _cap_per_unit(
    problem: ReductionProblem, plan: ReductionPlan, product: str, cap_portfolio: float | None
) -> float | None:
    """The cap per unit of ``product``: its own target, or a portfolio cap over one product
    divided by its volume."""
    volume = problem.volumes.get(product, 1.0)
    cap = plan.targets.get(product)
    if cap is None and cap_portfolio is not None and volume and len(problem.baseline) == 1:
        cap = cap_portfolio / volume
    return cap


def _met(check: ExactFootprint, cap: float | None) -> bool | None:
    if cap is None:
        return None
    return bool(check.footprint_exact <= cap * (1 + 1e-9) + 1e-12)


def _verified(problem, plan, check, product, cap_unit, stated, solved, solves) -> VerifiedPlan:
    volume = problem.volumes.get(product, 1.0)
    solved_unit = plan.targets.get(product)
    if solved_unit is None and solved is not None and cap_unit is not None and volume:
        solved_unit = solved / volume
    tightening = cap_unit - solved_unit if None not in (cap_unit, solved_unit) else None
    return VerifiedPlan(
        plan,
        check,
        product,
        _met(check, cap_unit),
        cap_unit,
        stated,
        solved_unit,
        solved,
        tightening,
        solves,
    )


def check_plan(
    problem: ReductionProblem,
    plan: ReductionPlan,
    verify: Callable[[list[str]], ExactFootprint],
    product: str,
) -> VerifiedPlan:
    """The exact check ``verify(plan.chosen)`` of a plan against its stated target, without
    re-solving (a plan from :func:`~supply_chain.levers.milp.solve_budget` has no target:
    ``target_met_exact`` is then ``None``)."""
    stated = plan.target_value
    cap_unit = _cap_per_unit(problem, plan, product, stated)
    return _verified(problem, plan, verify(plan.chosen), product, cap_unit, stated, stated, 1)


def solve_verified(
    problem: ReductionProblem,
    target: Target | str,
    verify: Callable[[list[str]], ExactFootprint],
    product: str,
    *,
    max_solves: int = 5,
) -> VerifiedPlan:
    """Least-cost plan for ``target`` (:func:`~supply_chain.levers.milp.solve_target`) whose
    exact footprint meets the *stated* cap.

    ``verify(chosen)`` is the exact check of a plan (e.g.
    :meth:`supply_chain.model.SupplyChainModel.verify`). While the exact footprint misses the
    stated cap (the first-order effects overstated the cut), the plan is re-solved for a
    portfolio cap tightened by the volume-weighted gap ``exact − linear``, at most
    ``max_solves`` solves in all. The stated cap stays the yardstick: the tightened one is only
    a means to reach it.

    Raises
    ------
    LeverError
        If the target cannot be read or names a product without a baseline.
    """
    if isinstance(target, str):
        target = parse_target(target)
    plan = solve_target(problem, target)
    volume = problem.volumes.get(product, 1.0)
    stated = plan.target_value  # portfolio cap of the stated target (None for scope "each")
    cap_unit = _cap_per_unit(problem, plan, product, stated)
    check = verify(plan.chosen)
    solves, solved = 1, stated
    while (
        plan.met
        and stated is not None
        and _met(check, cap_unit) is False
        and solves < max_solves
        and check.footprint_exact > check.footprint_linear
    ):
        # the first-order estimate overstated the cut: tighten the cap by the gap and re-solve
        solved -= volume * (check.footprint_exact - check.footprint_linear)
        solved -= 1e-9 * abs(solved)
        solved = max(solved, 0.0)
        plan = solve_target(
            problem,
            Target(
                kind="absolute",
                value=solved,
                scope="portfolio",
                year=target.year,
                products=target.products,
            ),
        )
        check = verify(plan.chosen)
        solves += 1
    return _verified(problem, plan, check, product, cap_unit, stated, solved, solves)
