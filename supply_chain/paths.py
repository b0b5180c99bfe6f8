"""Supply-chain paths: structural path analysis (SPA) and path exchange.

Notation (../shared/MATHS.md, "Structural path analysis"): the normalised technosphere
``T = Ã`` holds inputs per unit of output (``T[i, j]``: units of product ``i`` per unit of
product ``j``), ``ẽ`` direct emissions per unit of output and ``λ`` cradle-to-gate intensities,
so that ``λ = ẽ + Tᵀ λ``. A path ``p = (j₀ ← j₁ ← … ← jₙ)`` from the demand ``f`` contributes
``ẽ_{jₙ} · T_{jₙ jₙ₋₁} ⋯ T_{j₁ j₀} · f_{j₀}``; the sum over all paths is the score ``h = λ f``.

:func:`structural_paths` enumerates paths best-first with a priority queue keyed by each path's
upper bound ``amount(p) · λ_{tail}`` — everything that can still be found below that path. A
branch whose bound falls below ``cutoff · |h|`` is pruned; ``coverage = Σ enumerated paths / h``
says how much of the score the enumerated paths explain. Because ``λ`` comes from one adjoint
solve, bounds cost nothing: no linear solve per visited node.

The same applies to a BOM joined to the Brightway technosphere (:func:`combined_system`): BOM
parts, their links to background activities and the background's own supply chains form one
normalised system, and SPA runs over all of it.

Path exchange (Lenzen & Crawford 2009): a supplier's primary cradle-to-gate value ``vᵢ`` replaces
activity ``i``'s background value inside one study; :func:`path_exchange` computes the exact
intensities of every activity after the exchange from the existing factorisation.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from lca import maths, methods

log = logging.getLogger(__name__)


# -- pure maths ----------------------------------------------------------------------------------
def normalized_technosphere(A: sp.spmatrix, e: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray]:
    """``(T, ẽ)`` with ``T = −offdiag(A) diag(A)⁻¹`` and ``ẽ = e / diag(A)``.

    ``A`` is square with each activity's reference product on the diagonal (Brightway's
    assembled sign convention, inputs negative). Then ``λ = ẽ + Tᵀ λ`` holds for ``λ = e A⁻¹``.

    >>> A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
    >>> T, et = normalized_technosphere(A, np.array([1.0, 10.0]))
    >>> T.toarray().tolist(), et.tolist()   # 0.2 l fuel per kWh; 0.1 kg per kWh, per l
    ([[0.0, 0.0], [0.2, 0.0]], [0.1, 0.1])
    """
    A = sp.csc_matrix(A, dtype=np.float64)
    diag = A.diagonal()
    off = sp.csc_matrix(A - sp.diags(diag))
    T = sp.csc_matrix(-off @ sp.diags(1.0 / diag))
    T.eliminate_zeros()
    T.sort_indices()
    return T, np.asarray(e, dtype=np.float64) / diag


def path_exchange(
    fact, diag: np.ndarray, lam: np.ndarray, replacements: Mapping[int, float]
) -> np.ndarray:
    """Intensities after replacing the cradle-to-gate value of some products (exact).

    Product ``i`` (row of ``A``) becomes a black box worth ``vᵢ`` per unit: its own inputs are cut
    and everything that uses it, directly or further downstream, changes. With ``R`` the replaced
    rows, ``Z = (I − Tᵀ)⁻¹ E_R = A⁻ᵀ diag(A) E_R`` (``|R|`` adjoint solves with the existing
    factorisation) and ``r`` solving ``Z_RR r = v − λ_R``::

        λ' = λ + Z r

    (a rank-|R| update of ``λ = ẽ + Tᵀ λ`` with rows ``R`` fixed; Lenzen & Crawford 2009). The
    shared database is not touched.

    >>> A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])   # Heijungs & Suh
    >>> lam = maths.intensities(A, np.array([1.0, 10.0]))  # [0.12, 0.1] kg CO2 per kWh, per l
    >>> path_exchange(A, A.diagonal(), lam, {1: 0.05}).round(12).tolist()
    [0.11, 0.05]
    """
    if not replacements:
        return np.array(lam, dtype=np.float64)
    rows = np.fromiter(replacements, dtype=np.int64)
    v = np.fromiter(replacements.values(), dtype=np.float64, count=len(rows))
    n = len(lam)
    E = np.zeros((n, len(rows)))
    E[rows, np.arange(len(rows))] = np.asarray(diag, dtype=np.float64)[rows]
    fact = maths._fact(fact)
    Z = np.asarray(fact.solve_transposed(E)).reshape(n, len(rows))
    r = np.linalg.solve(Z[rows, :], v - np.asarray(lam)[rows])
    return np.asarray(lam, dtype=np.float64) + Z @ r


@dataclass
class SupplyPath:
    """One supply-chain path: ``nodes[0]`` is the demanded product, ``nodes[-1]`` the tail.

    ``amount``: units of the tail's product this path needs; ``value``: its direct emissions
    on this path (``amount · ẽ_tail``); ``cumulative``: ``amount · λ_tail`` (the bound).
    """

    nodes: tuple
    amount: float
    value: float
    cumulative: float


@dataclass
class SPAResult:
    """Top paths by ``|value|``, with the score, cutoff and coverage of the enumeration."""

    paths: list[SupplyPath]
    total: float
    coverage: float
    cutoff: float
    n_enumerated: int
    truncated: bool = False
    labels: Sequence | None = field(default=None, repr=False)

    def to_frame(self, sep: str = " <- "):
        """Table of the top paths plus a "rest" row, so ``value`` sums to ``total``.

        Columns: ``rank``, ``path`` (labels from the product to the tail), ``depth``, ``tail``,
        ``amount``, ``value``, ``share``.
        """
        import pandas as pd

        lab = (lambda i: str(self.labels[i])) if self.labels is not None else str
        rows = [
            (
                k + 1,
                sep.join(lab(i) for i in p.nodes),
                len(p.nodes) - 1,
                lab(p.nodes[-1]),
                p.amount,
                p.value,
            )
            for k, p in enumerate(self.paths)
        ]
        rest = self.total - sum(p.value for p in self.paths)
        rows.append((None, "rest", None, None, None, rest))
        df = pd.DataFrame(rows, columns=["rank", "path", "depth", "tail", "amount", "value"])
        df["share"] = df["value"] / self.total if self.total else np.nan
        df.attrs.update(
            coverage=self.coverage,
            cutoff=self.cutoff,
            n_enumerated=self.n_enumerated,
            truncated=self.truncated,
        )
        return df


def structural_paths(
    T: sp.spmatrix,
    e: np.ndarray,
    lam: np.ndarray,
    f: np.ndarray,
    cutoff: float = 0.005,
    top: int = 20,
    max_paths: int = 2_000_000,
    labels: Sequence | None = None,
) -> SPAResult:
    """Best-first structural path analysis (see module doc).

    Parameters
    ----------
    T, e
        Normalised technosphere and direct emissions per unit (:func:`normalized_technosphere`).
    lam
        Intensities ``λ`` (``λ = ẽ + Tᵀ λ``), e.g. :func:`lca.maths.intensities`.
    f
        Demand (units of each product).
    cutoff
        Prune a path when ``|amount · λ_tail| < cutoff · |h|``; in (0, 1).
    top
        How many paths to return (by ``|value|``).
    max_paths
        Safety limit on enumerated paths (``truncated`` is set if reached).

    Examples
    --------
    Heijungs & Suh, 1000 kWh: electricity's own 100 kg and the fuel behind it, 20 kg.

    >>> A = sp.csr_matrix([[10.0, 0.0], [-2.0, 100.0]])
    >>> T, et = normalized_technosphere(A, np.array([1.0, 10.0]))
    >>> lam = maths.intensities(A, np.array([1.0, 10.0]))
    >>> r = structural_paths(T, et, lam, np.array([1000.0, 0.0]), cutoff=0.01)
    >>> [(p.nodes, round(p.value, 9)) for p in r.paths], round(r.coverage, 12)
    ([((0,), 100.0), ((0, 1), 20.0)], 1.0)
    """
    if not 0.0 < cutoff < 1.0:
        raise ValueError(f"cutoff must be in (0, 1), got {cutoff!r}")
    T = sp.csc_matrix(T)
    indptr, indices, data = T.indptr, T.indices, T.data
    e = np.asarray(e, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    total = float(lam @ f)
    cut = abs(total) * cutoff
    node: list[int] = []
    parent: list[int] = []
    amount: list[float] = []
    heap: list = []
    for j in np.flatnonzero(f):
        node.append(int(j))
        parent.append(-1)
        amount.append(float(f[j]))
        heapq.heappush(heap, (-abs(f[j] * lam[j]), len(node) - 1))
    found_v: list[float] = []
    found_p: list[int] = []
    truncated = False
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        _, pid = pop(heap)
        j, a = node[pid], amount[pid]
        v = a * e[j]
        if v != 0.0:
            found_v.append(v)
            found_p.append(pid)
        s, t = indptr[j], indptr[j + 1]
        if s == t:
            continue
        kids = indices[s:t]
        ca = a * data[s:t]
        bound = ca * lam[kids]
        keep = np.flatnonzero(np.abs(bound) >= cut)
        if not len(keep):
            continue
        base = len(node)
        node.extend(kids[keep].tolist())
        amount.extend(ca[keep].tolist())
        parent.extend([pid] * len(keep))
        for k, b in enumerate((-np.abs(bound[keep])).tolist()):
            push(heap, (b, base + k))
        if len(node) > max_paths:
            truncated = True
            log.warning("SPA stopped at %d paths (max_paths); raise cutoff", max_paths)
            break
    values = np.asarray(found_v)
    covered = float(values.sum()) if len(values) else 0.0
    idx, _rest = maths.top_with_rest(values, top)
    paths = []
    for k in idx:
        pid = found_p[k]
        seq = []
        p = pid
        while p >= 0:
            seq.append(node[p])
            p = parent[p]
        tail = node[pid]
        paths.append(
            SupplyPath(
                tuple(reversed(seq)), amount[pid], float(values[k]), amount[pid] * float(lam[tail])
            )
        )
    return SPAResult(
        paths,
        total,
        covered / total if total else float("nan"),
        cutoff,
        len(found_v),
        truncated,
        labels,
    )


# -- on engine systems and rolled-up BOMs ----------------------------------------------------------
def activity_paths(
    engine, product, method=None, amount: float = 1.0, cutoff: float = 0.005, top: int = 20
) -> SPAResult:
    """SPA of a Brightway product (technosphere only); labels are ``database|code``."""
    method = methods.resolve(method)
    node = engine.node(product)
    sysm = engine.system_for([node])
    e = maths.direct_intensities(engine.characterization(sysm, method), sysm.B)
    lam = maths.intensities(sysm.fact, e)  # e is kept for the path analysis
    T, et = normalized_technosphere(_aligned(sysm), e)
    f = engine.demand_vector(sysm, node, amount)
    labels = [f"{k[0]}|{k[1]}" for k in _row_keys(sysm)]
    return structural_paths(T, et, lam, f, cutoff=cutoff, top=top, labels=labels)


def _aligned(sysm) -> sp.csr_matrix:
    """``A`` with rows permuted so that activity ``j``'s product is row ``j``."""
    perm = np.array([sysm.product_index[int(i)] for i in sysm.activity_ids])
    if np.array_equal(perm, np.arange(len(perm))):
        return sysm.A
    return sp.csr_matrix(sysm.A[perm])


def _row_keys(sysm) -> list:
    keys = [None] * len(sysm.keys)
    for j, nid in enumerate(sysm.activity_ids):
        keys[sysm.product_index[int(nid)]] = sysm.keys[j]
    return keys


def combined_system(result) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, list]:
    """BOM + background technosphere as one normalised system ``(T, ẽ, λ, labels)``.

    Indices ``0..nb-1`` are the BOM parts (topological order of ``result``), then the background
    products. BOM edges carry ``Q``; a part linked to a Brightway activity has an input of
    ``factor`` units of that product (its direct emissions stay its own); the background keeps
    its own structure, with exchanged products (path exchange) cut and valued at the supplier's
    value. ``λ`` is ``[x, λ_background]``, consistent with ``T`` and ``ẽ``.
    """
    nb = len(result.nodes)
    bg = result.background
    own_ext = result.own.copy()
    e_bom = own_ext
    labels = [str(p) for p in result.nodes]
    if bg is None:
        T = sp.csc_matrix(result.Q.T)
        return T, e_bom, result.x.copy(), labels
    sysm = bg.system
    A = _aligned(sysm)
    T_bg, e_bg = normalized_technosphere(A, bg.e)
    if bg.exchanged:
        rows = np.fromiter(bg.exchanged, dtype=np.int64)
        keep = np.ones(T_bg.shape[1])
        keep[rows] = 0.0
        T_bg = sp.csc_matrix(T_bg @ sp.diags(keep))
        T_bg.eliminate_zeros()
        e_bg = e_bg.copy()
        e_bg[rows] = np.fromiter(bg.exchanged.values(), dtype=np.float64, count=len(rows))
    nt = T_bg.shape[0]
    link_rows, link_cols, link_vals = [], [], []
    e_bom = result.own.copy()
    for i, (row, factor) in result.links.items():
        link_rows.append(row)
        link_cols.append(i)
        link_vals.append(factor)
        e_bom[i] -= factor * float(bg.lam[row])
    L = sp.csc_matrix((link_vals, (link_rows, link_cols)), shape=(nt, nb))
    T = sp.bmat([[sp.csc_matrix(result.Q.T), None], [L, T_bg]], format="csc")
    T.sort_indices()
    lam = np.concatenate([result.x, bg.lam])
    labels += [f"{k[0]}|{k[1]}" for k in _row_keys(sysm)]
    return T, np.concatenate([e_bom, e_bg]), lam, labels


def bom_paths(result, part=None, cutoff: float = 0.005, top: int = 20) -> SPAResult:
    """SPA over a rolled-up BOM and the Brightway technosphere behind it (one unit of ``part``).

    >>> from supply_chain.bom import new_bom, add_part
    >>> from supply_chain.roll_up import rollup
    >>> G = new_bom("bike")
    >>> add_part(G, "frame", "bike", 1, "piece", direct=2.0)
    >>> add_part(G, "steel", "frame", 4.0, "kg", direct=2.0)
    >>> r = bom_paths(rollup(G), cutoff=0.01)
    >>> [(" <- ".join(r.labels[i] for i in p.nodes), p.value) for p in r.paths]
    [('bike <- frame <- steel', 8.0), ('bike <- frame', 2.0)]
    """
    part = result.root if part is None else part
    T, e, lam, labels = combined_system(result)
    f = np.zeros(len(lam))
    f[result.index[part]] = 1.0
    return structural_paths(T, e, lam, f, cutoff=cutoff, top=top, labels=labels)
