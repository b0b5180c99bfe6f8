"""The reduction problem of a levers file on a :class:`~supply_chain.model.SupplyChainModel`
and the exact check of a solved plan on it (``pcf reduce --bom``).

:func:`model_problem` builds the problem with the model's effects and baseline (and keeps the
values written in the files as :class:`ShippedValues`, to tell whether they are current);
:func:`check_plan_on_model` re-solves a plan exactly (:func:`supply_chain.levers.check_plan`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import LeverError
from .levers import (
    LeverChange,
    ReductionPlan,
    ReductionProblem,
    check_plan,
    load_levers_csv,
    read_baseline,
    read_lever_changes,
)
from .model import SupplyChainModel

__all__ = ["ShippedValues", "check_plan_on_model", "model_problem"]


@dataclass(frozen=True)
class ShippedValues:
    """The baseline and lever deltas as written in the files (to tell whether they are
    current): ``baseline`` ``{product: footprint}``, ``deltas`` ``{lever: {product: Δ}}``."""

    baseline: dict[str, float]
    deltas: dict[str, dict[str, float]]


def model_problem(
    model: SupplyChainModel, levers_csv: str | os.PathLike, baseline_csv: str | os.PathLike
) -> tuple[ReductionProblem, dict[str, LeverChange], ShippedValues]:
    """The reduction problem of a levers file on the model: levers with model-computed effects,
    the model's baseline footprint for its product and the files' volumes.

    Returns ``(problem, changes, shipped)``; ``shipped`` holds the baseline and deltas written
    in the files (to check them).

    Raises
    ------
    LeverError
        A malformed levers or baseline file, or a change the model cannot apply.
    """
    levers = load_levers_csv(levers_csv)
    changes = read_lever_changes(levers_csv)
    shipped_base, volumes = read_baseline(baseline_csv)
    shipped = ShippedValues(shipped_base, {lv.id: dict(lv.effects) for lv in levers})
    levers = model.with_effects(levers, changes)
    baseline = dict(shipped_base)
    baseline[model.product] = model.total
    problem = ReductionProblem(levers=tuple(levers), baseline=baseline, volumes=volumes)
    return problem, changes, shipped


def check_plan_on_model(
    problem: ReductionProblem,
    plan: ReductionPlan,
    model: SupplyChainModel,
    changes: Mapping[str, LeverChange],
) -> dict[str, object]:
    """Exact re-solve of a solved plan on the model (``pcf reduce --bom``).

    Returns the :class:`ExactCheck` as a dict plus ``product``, ``model_effects`` (the effects
    the model computes for the levers with a change), ``stale_levers`` (those whose given
    ``delta`` differs from the model's) and ``target_met_exact``
    (:func:`supply_chain.levers.check_plan`).

    Raises
    ------
    LeverError
        If the model's product has no baseline in ``problem``, or a change cannot be applied.
    """
    if model.product not in problem.baseline:
        raise LeverError(
            f"the BOM's product {model.product!r} is not in the baseline "
            f"({', '.join(problem.baseline)})",
            product=model.product,
        )
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    model_effects = model.effects({k: v for k, v in changes.items() if k in effects})
    checked = check_plan(
        problem, plan, lambda chosen: model.verify(chosen, changes, effects), model.product
    )
    ver = checked.check.to_dict()
    ver["product"] = model.product
    ver["model_effects"] = model_effects
    ver["stale_levers"] = [
        k for k, d in model_effects.items() if abs(d - effects[k]) > 1e-6 * max(1.0, abs(d))
    ]
    ver["target_met_exact"] = checked.target_met_exact
    return ver
