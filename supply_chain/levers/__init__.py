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

Modules: :mod:`~supply_chain.levers.model` (inputs and plans), :mod:`~.compiled` (arrays and the
MILP call), :mod:`~.milp` (the solvers), :mod:`~.binding` (what keeps a target out of reach),
:mod:`~.macc` (MACC, greedy walk, plan table), :mod:`~.effects` (effects from exchange changes),
:mod:`~.verification` (exact re-solve, the verified re-solve, uncertainty), :mod:`~.io` (the
levers CSV, read once) and :mod:`~.changes` (the model change behind a lever).
"""

from ..errors import LeverError
from ._rows import LeverRow, read_lever_rows
from .changes import CHANGE_KINDS, LeverChange, lever_changes, parse_key, read_lever_changes
from .compiled import CompiledProblem, compile_problem, portfolio_abatement
from .effects import (
    apply_changes,
    effects_from_supplier_pcf,
    estimate_effects,
    lever_effects,
    system_sensitivities,
)
from .io import (
    baseline_csv_text,
    check_levers_csv,
    levers_csv_text,
    load_levers_csv,
    read_baseline,
    read_pairs,
    read_problem,
    write_baseline_csv,
    write_levers_csv,
)
from .macc import greedy_plan, macc, plan_frame
from .milp import lp_relaxation_bound, solve_budget, solve_target
from .model import (
    BindingConstraint,
    ExchangeChange,
    Lever,
    LeverKind,
    ReductionPlan,
    ReductionProblem,
    Target,
    parse_target,
)
from .verification import (
    UncertainPlan,
    Verification,
    VerifiedPlan,
    check_plan,
    evaluate_plan,
    solve_verified,
    verify_changes,
    verify_plan,
)

__all__ = [
    "CHANGE_KINDS",
    "BindingConstraint",
    "CompiledProblem",
    "ExchangeChange",
    "Lever",
    "LeverChange",
    "LeverError",
    "LeverKind",
    "LeverRow",
    "ReductionPlan",
    "ReductionProblem",
    "Target",
    "UncertainPlan",
    "Verification",
    "VerifiedPlan",
    "apply_changes",
    "baseline_csv_text",
    "check_levers_csv",
    "check_plan",
    "compile_problem",
    "effects_from_supplier_pcf",
    "estimate_effects",
    "evaluate_plan",
    "greedy_plan",
    "lever_changes",
    "lever_effects",
    "levers_csv_text",
    "load_levers_csv",
    "lp_relaxation_bound",
    "macc",
    "parse_key",
    "parse_target",
    "plan_frame",
    "portfolio_abatement",
    "read_baseline",
    "read_lever_changes",
    "read_lever_rows",
    "read_pairs",
    "read_problem",
    "solve_budget",
    "solve_target",
    "solve_verified",
    "system_sensitivities",
    "verify_changes",
    "verify_plan",
    "write_baseline_csv",
    "write_levers_csv",
]
