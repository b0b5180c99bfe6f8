"""Reading the arrays :func:`monte_carlo` needs out of a ``bw2calc.LCA`` object."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import NonSquareTechnosphere, UncertaintyError
from ._matrix import UncertainMatrix


@dataclass
class StochasticSystem:
    """The arrays :func:`monte_carlo` needs, read from a ``bw2calc.LCA`` object.

    ``products``/``activities``/``flows`` map Brightway integer ids to matrix indices (bw2calc's
    ``lca.dicts``); ``characterization`` is the static CF per biosphere row; ``seed`` is the
    LCA's ``seed_override`` (pass it with ``bw2calc_seeds=True`` to reproduce its draws).
    """

    technosphere: UncertainMatrix
    biosphere: UncertainMatrix
    characterization: np.ndarray
    products: dict
    activities: dict
    flows: dict
    seed: int | None

    def demand_vector(self, demand: dict) -> np.ndarray:
        """``f`` from ``{product id: amount}``."""
        f = np.zeros(self.technosphere.shape[0])
        for key, amount in demand.items():
            f[self.products[key]] += amount
        return f


def _group_key(group) -> tuple[str, str]:
    """A resource group's stable name: its datapackage's name and its own label."""
    return str(group.package.metadata.get("name", "")), str(group.label)


def _uncertain_matrix(mm, shape: tuple[int, int], diagonal: bool = False) -> UncertainMatrix:
    """Concatenate a matrix_utils ``MappedMatrix``'s resource groups as one UncertainMatrix.

    The groups are taken in the order of their names (:func:`_group_key`), not in bw2calc's
    order: bw2data lists a demand's databases in the order of a ``set`` of their names, which
    changes with ``PYTHONHASHSEED``, and the derived seed of a group follows its position
    (:func:`lca.montecarlo.sample_blocks`). Sorted, the same seed gives the same draws to the
    same entries in every process.
    """
    from bw_processing import UNCERTAINTY_DTYPE  # lazy on purpose: heavy (~0.6 s) import

    rows, cols, amounts, params, flips, ids, bounds = [], [], [], [], [], [], [0]
    for group in sorted((g for g in mm.groups if not g.empty), key=_group_key):
        if not group.vector or group.is_interface():
            raise UncertaintyError(f"resource group {group.label!r}: only static vectors supported")
        if group.has_rescale:
            raise UncertaintyError(f"resource group {group.label!r}: rescale arrays not supported")
        indices = group.get_indices_data()
        n = len(indices)
        keep = (
            np.ones(n, dtype=bool) if group.custom_filter_mask is None else group.custom_filter_mask
        )
        row = np.full(n, -1, dtype=np.int64)
        col = np.full(n, -1, dtype=np.int64)
        row[keep] = group.row_mapped
        col[keep] = group.row_mapped if diagonal else group.col_mapped
        row[col < 0] = -1
        col[row < 0] = -1
        amount = np.asarray(group.get_resource_by_suffix("data"), dtype=np.float64)
        if mm.use_distributions and group.has_distributions:
            p = group.get_resource_by_suffix("distributions")
        else:  # static group: drawn as its amount, no random numbers consumed
            p = np.zeros(n, dtype=UNCERTAINTY_DTYPE)
            p["loc"] = amount
            for f in ("scale", "shape", "minimum", "maximum"):
                p[f] = np.nan
        flip = group.get_resource_by_suffix("flip") if group.has_flip else np.zeros(n, bool)
        rows.append(row), cols.append(col), amounts.append(amount), params.append(p)
        flips.append(np.asarray(flip, dtype=bool))
        ids.append(np.column_stack([indices["row"], indices["row" if diagonal else "col"]]))
        bounds.append(bounds[-1] + n)
    return UncertainMatrix.from_arrays(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(amounts),
        np.concatenate(params), shape, flip=np.concatenate(flips), groups=bounds,
        ids=np.concatenate(ids).reshape(-1, 2),
    )  # fmt: skip


def from_bw2calc(lca) -> StochasticSystem:
    """Read technosphere, biosphere and characterisation arrays from a ``bw2calc.LCA``.

    ``lca`` must have run ``lci()`` and ``lcia()``; build it with ``use_distributions=True``
    (and ``seed_override``) to get the distributions. Static amounts come from each
    datapackage's ``data`` array; signs from its ``flip`` array (technosphere inputs); the
    characterisation factors are taken as static (their uncertainty, if any, is ignored).
    Duplicate entries are summed (bw2data's datapackages sum within a group; groups of different
    databases do not overlap).

    Raises
    ------
    UncertaintyError
        For array or interface resource groups and rescaled data (not supported).
    """
    if not hasattr(lca, "characterization_mm"):
        raise UncertaintyError("run lca.lci() and lca.lcia() before from_bw2calc(lca)")
    n_p, n_a = lca.technosphere_matrix.shape
    if n_p != n_a:
        raise NonSquareTechnosphere(n_p, n_a, "from_bw2calc")
    tech = _uncertain_matrix(lca.technosphere_mm, (n_p, n_a))
    bio = _uncertain_matrix(lca.biosphere_mm, lca.biosphere_matrix.shape)
    c = np.zeros(lca.biosphere_matrix.shape[0])
    for group in lca.characterization_mm.groups:
        if group.empty:
            continue
        data = group.apply_masks(np.asarray(group.get_resource_by_suffix("data"), np.float64))
        np.add.at(c, group.row_masked, data)
    return StochasticSystem(
        tech, bio, c, dict(lca.dicts.product), dict(lca.dicts.activity),
        dict(lca.dicts.biosphere), lca.seed_override,
    )  # fmt: skip
