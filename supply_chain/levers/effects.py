"""Lever effects from exchange changes: ``Δ = λᵢ sⱼ δAᵢⱼ`` (first order) for the technosphere,
exact for the biosphere and for a supplier's PCF; and the changed matrices for an exact
re-solve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from lca import maths
from lca.solver import Factorization, factorize

from ..errors import LeverError
from .model import ExchangeChange, Lever

__all__ = [
    "apply_changes",
    "effects_from_supplier_pcf",
    "estimate_effects",
    "lever_effects",
    "system_sensitivities",
]


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


def effects_from_supplier_pcf(
    old_pcf: float, new_pcf: float, quantities: Mapping[str, float]
) -> dict[str, float]:
    """Exact effect of a supplier PCF change: ``Δₚ = (PCF⁰ − PCF¹) qₚ``.

    ``quantities``: product → units of the supplier's product in one unit of each product.

    >>> effects_from_supplier_pcf(10.0, 6.0, {"pack": 2.5})
    {'pack': 10.0}
    """
    return {p: (old_pcf - new_pcf) * q for p, q in quantities.items()}
