"""Life-cycle inventory and impact maths as small pure functions (arrays in, arrays out).

Notation (Heijungs & Suh 2002; ../shared/MATHS.md): ``A`` technosphere (products x activities,
production positive, inputs negative), ``B`` biosphere (flows x activities), ``c`` one method's
characterisation factors per flow (``C``: methods x flows), ``f`` final demand, ``s`` supply
(scaling) vector, ``g`` inventory, ``h`` score, ``λ`` cradle-to-gate intensities.

No Brightway import here: these functions only see numpy and scipy.sparse. Each formula lives in
exactly one function; everything else in the project calls these.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp

from .solver import Factorization, Matrix, factorize

#: A technosphere matrix, or its factorisation reused across calls.
MatrixOrFactorization: TypeAlias = "Matrix | Factorization"


def _fact(A_or_fact: MatrixOrFactorization) -> Factorization:
    return A_or_fact if isinstance(A_or_fact, Factorization) else factorize(A_or_fact)


def supply_chain_mask(A: sp.spmatrix, f: np.ndarray) -> np.ndarray:
    """The activities in the supply chain of demand ``f``: those reachable from a demanded
    activity through the inputs of ``A`` (``j`` uses ``i`` when ``Aᵢⱼ ≠ 0``). Outside it the
    supply is exactly 0, though a solve of a system shared by several products leaves round-off
    there (~1e-16): set ``s[~mask] = 0`` so no such activity shows up in a table.

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix([[1.0, 0.0, 0.0], [-2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> supply_chain_mask(A, np.array([1.0, 0.0, 0.0])).tolist()
    [True, True, False]
    """
    from scipy.sparse.csgraph import breadth_first_order

    G = sp.csr_matrix(sp.csr_matrix(A).T)  # edge j -> i when j uses i
    mask = np.zeros(G.shape[0], dtype=bool)
    for j in np.flatnonzero(np.asarray(f).reshape(G.shape[0], -1).any(axis=1)):
        if not mask[j]:
            mask[breadth_first_order(G, int(j), directed=True, return_predecessors=False)] = True
    return mask


def reaches(A: sp.spmatrix, targets: np.ndarray) -> np.ndarray:
    """The activities whose supply chain contains one of ``targets`` (a boolean mask): the
    activities that reach a target through the inputs of ``A`` (the reverse of
    :func:`supply_chain_mask`; a target reaches itself). One breadth-first search from a node
    joined to every target, over the edges ``i -> j`` when ``j`` uses ``i``.

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix([[1.0, 0.0, 0.0], [-2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> reaches(A, np.array([False, True, False])).tolist()  # 0 uses 1
    [True, True, False]
    """
    from scipy.sparse.csgraph import breadth_first_order

    targets = np.asarray(targets, dtype=bool)
    n = targets.size
    if not targets.any():
        return np.zeros(n, dtype=bool)
    E = sp.coo_matrix(A)
    keep = E.row != E.col
    t = np.flatnonzero(targets)
    # edge i -> j when j uses i (A_ij != 0), and the extra node n -> every target
    G = sp.csr_matrix(
        (
            np.ones(int(keep.sum()) + t.size, dtype=np.int8),
            (np.r_[E.row[keep], np.full(t.size, n)], np.r_[E.col[keep], t]),
        ),
        shape=(n + 1, n + 1),
    )
    out = np.zeros(n + 1, dtype=bool)
    out[breadth_first_order(G, n, directed=True, return_predecessors=False)] = True
    return out[:n]


def supply(A_or_fact: MatrixOrFactorization, f: np.ndarray) -> np.ndarray:
    """Supply (scaling) vector ``s = A⁻¹ f`` (solved, never inverted).

    ``f`` may be a vector or an (activities x demands) array; ``A_or_fact`` a matrix or a
    :class:`~lca.solver.Factorization` reused across calls.

    Examples
    --------
    Heijungs & Suh (2002): electricity makes 10 kWh from 2 l fuel; fuel makes 100 l.

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
    >>> supply(A, np.array([1000.0, 0.0])).round(12).tolist()
    [100.0, 2.0]
    """
    return _fact(A_or_fact).solve(f)


def inventory(B: sp.spmatrix, s: np.ndarray) -> np.ndarray:
    """Life-cycle inventory ``g = B s`` (elementary flows; columns if ``s`` is 2-D)."""
    return B @ s


def characterized_inventory(c: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Contribution of each elementary flow to the score: ``cₖ gₖ`` (sums to ``h``)."""
    return np.asarray(c) * np.asarray(g)


def score(c: np.ndarray, g: np.ndarray) -> float | np.ndarray:
    """Impact score ``h = c g`` (``c`` one method, or ``C`` methods x flows)."""
    return np.asarray(c) @ np.asarray(g)


def direct_intensities(C: np.ndarray | sp.spmatrix, B: sp.spmatrix) -> np.ndarray:
    """Characterised direct emissions per unit of each activity: ``e = C B`` (methods x acts).

    ``C`` may be one method's vector (result is a vector) or a methods x flows matrix.
    """
    C = np.asarray(C.toarray() if isinstance(C, sp.spmatrix | sp.sparray) else C, np.float64)
    E = np.asarray(sp.csr_matrix(B).T @ np.atleast_2d(C).T).T
    return E[0] if C.ndim == 1 else E


def intensities(A_or_fact: MatrixOrFactorization, e: np.ndarray) -> np.ndarray:
    """Cradle-to-gate intensities ``λ = e A⁻¹``: solve ``Aᵀ λᵀ = eᵀ`` once per method.

    ``λⱼ`` is the score of one unit of activity ``j``'s reference product, so the score of any
    demand is ``λ f``. ``e`` (``= c B``) may be a vector or a methods x activities array.

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
    >>> e = np.array([1.0, 10.0])  # kg CO2 emitted per unit of each activity
    >>> intensities(A, e).round(12).tolist()  # per kWh, per litre
    [0.12, 0.1]
    """
    e = np.asarray(e, dtype=np.float64)
    return _fact(A_or_fact).solve_transposed(e.T).T


def lcia_intensities(
    A_or_fact: MatrixOrFactorization, C: np.ndarray | sp.spmatrix, B: sp.spmatrix
) -> np.ndarray:
    """Cradle-to-gate intensities from the characterisation and the biosphere:
    ``λ = C B A⁻¹`` (:func:`direct_intensities`, then :func:`intensities`): the one place this
    composition is written.

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
    >>> B = sp.csr_matrix([[1.0, 10.0]])  # kg CO2 per unit of each activity
    >>> lcia_intensities(A, np.array([1.0]), B).round(12).tolist()
    [0.12, 0.1]
    """
    return intensities(A_or_fact, direct_intensities(C, B))


def batch_scores(lam: np.ndarray, F: np.ndarray | sp.spmatrix) -> np.ndarray:
    """Scores of many demands under many methods: ``H = λ F`` (methods x demands).

    ``F`` holds one demand per column. One factorisation and one adjoint solve per method
    (:func:`intensities`) replace one forward solve per demand.
    """
    lam = np.atleast_2d(lam)
    return np.asarray((sp.csc_matrix(F).T @ lam.T).T) if sp.issparse(F) else lam @ F


def process_contributions(e: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Direct contribution of each activity to the score: ``eⱼ sⱼ`` (sums to ``h``)."""
    return np.asarray(e) * np.asarray(s)


def edge_contributions(A: sp.spmatrix, s: np.ndarray, lam: np.ndarray) -> sp.csr_matrix:
    """Upstream contribution through every supplier edge ``i → j``: ``−Aᵢⱼ sⱼ λᵢ``.

    Entry (i, j) is the whole cradle-to-gate score of the product ``i`` that activity ``j``
    consumes for the demand. The diagonal (own production) is dropped.
    """
    A = sp.coo_matrix(A)
    off = A.row != A.col
    r, c, v = A.row[off], A.col[off], A.data[off]
    return sp.csr_matrix((-v * s[c] * lam[r], (r, c)), shape=A.shape)


def first_tier(
    A: sp.spmatrix, e: np.ndarray, s: np.ndarray, lam: np.ndarray, j: int
) -> tuple[float, np.ndarray]:
    """First-tier contributions of activity ``j`` supplying ``sⱼ`` units.

    Returns ``(direct, upstream)``: ``direct = eⱼ sⱼ`` and ``upstream[i] = −Aᵢⱼ sⱼ λᵢ`` for every
    product ``i`` ≠ ``j`` (zero elsewhere). When the demand is ``fⱼ`` on ``j`` alone,
    ``direct + Σ upstream = h``.
    """
    col = sp.csc_matrix(A)[:, j].toarray().ravel()
    col[j] = 0.0
    return float(e[j] * s[j]), -col * s[j] * lam


def tag_contributions(
    A: sp.spmatrix,
    e: np.ndarray,
    s: np.ndarray,
    f: np.ndarray,
    tags: np.ndarray,
    lam_u: np.ndarray | None = None,
) -> dict:
    """Score by tag (e.g. life-cycle stage) when only some activities carry a tag.

    Let ``T`` be the tagged activities and ``U`` the untagged ones (``tags[j]`` is ``None`` or
    ``""``). Untagged activities (the background) belong to the tag of the tagged activity they
    supply. With ``λᵁ = e_U A_UU⁻¹`` (intensities computed within ``U`` only)::

        h = Σ_{j∈T} eⱼ sⱼ  +  Σ_{i∈U, j∈T} λᵁᵢ (−Aᵢⱼ) sⱼ  +  λᵁ f_U

    The first two sums go to ``tags[j]``; the last term (demand placed directly on untagged
    activities) goes to the key ``None``. Exact, including untagged activities that consume
    tagged ones (``s_U = A_UU⁻¹ (f_U − A_UT s_T)``). The values sum to ``h``.

    ``lam_u`` (``λᵁ`` over the untagged activities, in their order) may be given by a caller
    with a cheaper way to compute it (for a BOM, the roll-up of the untagged sub-BOM);
    otherwise ``A_UU`` is factorised here.
    """
    tags = np.asarray(tags, dtype=object)
    tagged = np.array([t not in (None, "") for t in tags], dtype=bool)
    U = np.flatnonzero(~tagged)
    # a tagged activity outside the product's supply chain (s = 0: a system shared by several
    # products) contributes nothing and must not show its tag as a stage at 0
    T = np.flatnonzero(tagged & (np.asarray(s) != 0))
    A = sp.csr_matrix(A)
    lam = np.zeros(A.shape[1])
    if len(U):
        lam[U] = intensities(A[U][:, U], e[U]) if lam_u is None else lam_u
    values = [e[T] * s[T]]  # direct, then what the untagged activities supply, in that order
    labels = [tags[T]]
    if len(T) and len(U):
        A_UT = sp.coo_matrix(A[U][:, T])
        values.append(lam[U][A_UT.row] * (-A_UT.data) * s[T][A_UT.col])
        labels.append(tags[T[A_UT.col]])
    out = group_sum(np.concatenate(values), np.concatenate(labels))
    if len(U) and np.any(f[U] != 0):
        out[None] = out.get(None, 0.0) + float(lam[U] @ f[U])
    return out


def group_sum(values: np.ndarray, groups: Iterable[Hashable]) -> dict:
    """Sum ``values`` by the label in ``groups`` (one label per value), labels in order of first
    appearance; each group's values are added in their order (``np.bincount``), as a loop would.

    >>> group_sum(np.array([1.0, 2.0, 4.0]), ["b", "a", "b"])
    {'b': 5.0, 'a': 2.0}
    """
    import pandas as pd

    values = np.asarray(values, dtype=np.float64)
    labels = np.empty(len(values), dtype=object)
    labels[:] = list(groups)
    if not len(values):
        return {}
    codes, uniques = pd.factorize(labels, use_na_sentinel=False)
    sums = np.bincount(codes, weights=values, minlength=len(uniques))
    return {g: float(v) for g, v in zip(uniques, sums)}


def sensitivity_technosphere(A: sp.spmatrix, s: np.ndarray, lam: np.ndarray) -> sp.csr_matrix:
    """``∂h/∂Aᵢⱼ = −λᵢ sⱼ`` at every non-zero of ``A`` (one forward and one adjoint solve)."""
    A = sp.coo_matrix(A)
    return sp.csr_matrix((-lam[A.row] * s[A.col], (A.row, A.col)), shape=A.shape)


def sensitivity_biosphere(B: sp.spmatrix, c: np.ndarray, s: np.ndarray) -> sp.csr_matrix:
    """``∂h/∂Bₖⱼ = cₖ sⱼ`` at every non-zero of ``B``."""
    B = sp.coo_matrix(B)
    return sp.csr_matrix((c[B.row] * s[B.col], (B.row, B.col)), shape=B.shape)


def top_with_rest(values: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """Indices of the ``n`` largest ``|values|`` (descending) and the sum of all the others.

    ``values[idx].sum() + rest == values.sum()``, so a table built from it adds up.
    """
    values = np.asarray(values, dtype=np.float64)
    n = min(n, len(values))
    if n == 0:
        return np.array([], dtype=int), float(values.sum())
    idx = np.argpartition(-np.abs(values), n - 1)[:n]
    idx = idx[np.argsort(-np.abs(values[idx]), kind="stable")]
    rest = float(values.sum() - values[idx].sum())
    return idx, rest
