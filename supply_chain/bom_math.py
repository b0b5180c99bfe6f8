"""Bill-of-materials maths on arrays: levels (one vectorised Kahn sort), topological order and
the roll-up ``x = (I − Q)⁻¹ d`` / supply ``m = (I − Qᵀ)⁻¹ f`` as triangular solves.

``Q[p, c]`` is the quantity of component ``c`` per unit of parent ``p``; pure functions, arrays
in and arrays out (the graph-level roll-up is :func:`supply_chain.roll_up.rollup`).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve_triangular

try:  # the C++ kernels behind scipy.sparse's row indexing and mat-vec products
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
    from scipy.sparse._sparsetools import csr_row_index as _csr_row_index
except ImportError:  # pragma: no cover - private module moved: same maths in numpy below
    _csc_matvec = _csr_matvec = _csr_matvecs = _csr_row_index = None

from .errors import BOMCycle

__all__ = [
    "bom_levels",
    "level_bounds",
    "rollup_csr",
    "rollup_edges",
    "rollup_levels",
    "rollup_vector",
    "supply_levels",
    "supply_vector",
    "topological_order",
]


def _kahn(
    indptr: np.ndarray, indices: np.ndarray, n: int, max_passes: int, data: np.ndarray | None = None
) -> tuple[list, int]:
    """Vectorised Kahn over a CSR adjacency (row = parent): the levels and how many nodes were
    released.

    Each numpy pass releases every node whose last parent was released in the pass before, so
    the passes are the levels and each costs only the edges it touches; a node released by two
    parents at once is adjacent after the sort and kept once; no node is touched again once
    released, so in-degrees need no marking. Without ``data`` a level is its node indices
    (sorted). With ``data`` (the roll-up) the nodes without components (empty rows) are left
    out of the levels and count as released from the start, and a level is ``(rows, indptr,
    indices, data)``: the sub-matrix of its rows, gathered once.

    >>> import scipy.sparse as sp
    >>> adj = sp.csr_matrix(([1, 1, 1], ([2, 2, 0], [0, 1, 1])), shape=(3, 3))
    >>> levels, done = _kahn(adj.indptr, adj.indices, 3, 10)
    >>> [lv.tolist() for lv in levels], done
    ([[2], [0], [1]], 3)
    """
    rowlen = np.diff(indptr)
    inner = rowlen > 0
    rollup = data is not None
    indeg = np.zeros(n, dtype=indices.dtype)
    one = indeg.dtype.type(1)
    np.add.at(indeg, indices, one)
    start = indeg == 0
    frontier = np.flatnonzero(start & inner if rollup else start)
    frontier = frontier.astype(indptr.dtype, copy=False)
    done = n - int(np.count_nonzero(inner)) if rollup else 0
    levels: list = []
    while len(frontier) and len(levels) < max_passes:
        done += len(frontier)
        if rollup:
            ptr, kids, vals = _csr_rows(indptr, indices, data, rowlen, frontier)
            levels.append((frontier, ptr, kids, vals))
            kids = np.compress(inner[kids], kids)
        else:
            levels.append(frontier)
            counts = rowlen[frontier]
            total = int(counts.sum())
            if not total:
                break
            offsets = np.cumsum(counts) - counts
            kids = indices[np.repeat(indptr[frontier] - offsets, counts) + np.arange(total)]
        np.subtract.at(indeg, kids, one)
        frontier = np.compress(indeg[kids] == 0, kids)
        if len(frontier) > 1:
            frontier.sort()
            keep = np.empty(len(frontier), dtype=bool)
            keep[0] = True
            np.not_equal(frontier[1:], frontier[:-1], out=keep[1:])
            frontier = np.compress(keep, frontier)
        frontier = frontier.astype(indptr.dtype, copy=False)
    return levels, done


def _csr_rows(indptr, indices, data, rowlen, rows):
    """Rows ``rows`` of a CSR matrix, as ``(indptr, indices, data)`` of the sub-matrix."""
    m = len(rows)
    ptr = np.empty(m + 1, dtype=indptr.dtype)
    ptr[0] = 0
    np.cumsum(rowlen[rows], out=ptr[1:])
    nnz = int(ptr[-1])
    if _csr_row_index is None:  # pragma: no cover
        pos = np.repeat(indptr[rows] - ptr[:-1], rowlen[rows]) + np.arange(nnz)
        return ptr, indices[pos], data[pos]
    kids = np.empty(nnz, dtype=indices.dtype)
    vals = np.empty(nnz, dtype=data.dtype)
    _csr_row_index(m, rows, indptr, indices, data, kids, vals)
    return ptr, kids, vals


def bom_levels(
    parent: np.ndarray, child: np.ndarray, n: int, max_passes: int = 5000, grouped: bool = False
) -> np.ndarray:
    """Level of every node: the length of the longest path to it from a root (roots are 0).

    ``parent[k] → child[k]`` are the edges of a graph on nodes ``0..n-1``; every component has
    a higher level than each of its parents. ``grouped``: the edges are sorted by parent (the
    arrays are then the graph's adjacency, not built again). Vectorised Kahn: each numpy pass releases all nodes
    whose parents are done, so the number of passes is the BOM's depth and each costs only the
    edges it touches. Past ``max_passes`` levels (a long chain) networkx levels the rest.

    Raises
    ------
    BOMCycle
        Naming one cycle (as node indices) when the graph is not a DAG.

    >>> bom_levels(np.array([2, 2, 0]), np.array([0, 1, 1]), 3).tolist()
    [1, 2, 0]
    """
    parent = np.asarray(parent, dtype=np.int64)
    child = np.asarray(child, dtype=np.int64)
    if grouped:  # the edges come by parent: their CSR adjacency is the arrays as they are
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(parent, minlength=n), out=indptr[1:])
        indices = child
    else:
        adj = sp.csr_matrix((np.ones(len(parent), dtype=np.int8), (parent, child)), shape=(n, n))
        # duplicate edges are kept as stored entries only once; that does not change levels
        indptr, indices = adj.indptr, adj.indices
    levels, _done = _kahn(indptr, indices, n, max_passes)
    level = np.full(n, -1, dtype=np.int64)
    for depth, frontier in enumerate(levels):
        level[frontier] = depth
    rest = np.flatnonzero(level < 0)
    if len(rest):
        sub = (level[parent] < 0) & (level[child] < 0)
        H = nx.DiGraph()
        H.add_nodes_from(rest.tolist())
        H.add_edges_from(zip(parent[sub].tolist(), child[sub].tolist()))
        try:
            for g, nodes in enumerate(nx.topological_generations(H)):
                level[np.fromiter(nodes, dtype=np.int64)] = len(levels) + g
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(H)
            raise BOMCycle([u for u, _v, *_ in cycle]) from None
    return level


def topological_order(parent: np.ndarray, child: np.ndarray, n: int) -> np.ndarray:
    """Node indices with every parent before its components (by :func:`bom_levels`).

    >>> topological_order(np.array([2, 2, 0]), np.array([0, 1, 1]), 3).tolist()
    [2, 0, 1]
    """
    return np.argsort(bom_levels(parent, child, n), kind="stable")


def rollup_vector(Q: sp.spmatrix, d: np.ndarray) -> np.ndarray:
    """Footprint of every node ``x = (I − Q)⁻¹ d`` for ``Q`` strictly upper triangular.

    ``Q[p, c]`` is the quantity of ``c`` per unit of ``p`` with nodes in topological order
    (:func:`topological_order`); ``d`` one column per right-hand side. One sparse triangular
    solve, no inversion.

    >>> Q = sp.csr_matrix([[0, 2.0, 0], [0, 0, 3.0], [0, 0, 0]])
    >>> rollup_vector(Q, np.array([1.0, 0.5, 0.1])).tolist()   # 1 + 2 (0.5 + 3 x 0.1)
    [2.6, 0.8, 0.1]
    """
    Q = sp.csr_matrix(Q)
    if Q.nnz == 0:
        return np.array(d, dtype=np.float64)
    M = sp.csr_matrix((-Q.data, Q.indices, Q.indptr), shape=Q.shape)
    M.sort_indices()
    return spsolve_triangular(M, np.asarray(d, dtype=np.float64), lower=False, unit_diagonal=True)


def supply_vector(Q: sp.spmatrix, f: np.ndarray) -> np.ndarray:
    """Amount of every node needed for demand ``f``: ``m = (I − Qᵀ)⁻¹ f``.

    ``m = f + Qᵀ m`` is the roll-up of the reversed BOM (components pointing at the parents
    that use them), so this is :func:`rollup_csr` on ``Qᵀ``: nodes in any order, one sweep by
    level, no triangular solve over the whole matrix.

    >>> Q = sp.csr_matrix([[0, 2.0, 0], [0, 0, 3.0], [0, 0, 0]])
    >>> supply_vector(Q, np.array([1.0, 0, 0])).tolist()
    [1.0, 2.0, 6.0]
    """
    Qt = sp.csr_matrix(sp.csr_matrix(Q).T)
    if Qt.nnz == 0:
        return np.array(f, dtype=np.float64)
    return rollup_csr(Qt, f)


def rollup_csr(
    Q: sp.csr_matrix, d: np.ndarray, max_passes: int = 5000, overwrite: bool = False
) -> np.ndarray:
    """Roll-up ``x = (I − Q)⁻¹ d`` of a BOM held as a CSR matrix, in one sweep by level.

    ``Q[p, c]`` is the quantity of ``c`` per unit of ``p``, nodes in *any* order (the array
    counterpart of a networkx adjacency). The levels come from a vectorised Kahn pass over the
    parts that have components (as :func:`bom_levels`, leaves left out), which gathers each
    level's rows of ``Q`` once; the components of a level-``L`` part are all deeper, so sweeping
    the levels from the deepest up, ``x_p += Σ_c Q_pc x_c`` (a sparse mat-vec on the level's
    rows) is final for every part of a level at once: the unit-triangular solve of
    :func:`rollup_vector`, organised by level, with no reordering of the whole matrix (a
    million parts in well under a tenth of a second). ``d`` may have several columns;
    ``overwrite=True`` lets the result take ``d``'s place (a C-ordered float64 ``d`` is then
    not copied, which a large block of right-hand sides is worth).
    A BOM deeper than ``max_passes`` levels is ordered by :func:`topological_order` and solved
    with :func:`rollup_vector` instead.

    Raises
    ------
    BOMCycle
        If the BOM has a cycle (named by node indices).

    >>> Q = sp.csr_matrix(([2.0, 1.0, 3.0], ([0, 0, 1], [1, 2, 2])), shape=(3, 3))
    >>> rollup_csr(Q, np.array([1.0, 0.0, 0.5])).tolist()   # x2=0.5, x1=1.5, x0=1+3+0.5
    [4.5, 1.5, 0.5]
    """
    Q = sp.csr_matrix(Q)
    x = np.array(d, dtype=np.float64, order="C", copy=None if overwrite else True)
    n = x.shape[0]
    indptr = Q.indptr
    indices = Q.indices.astype(indptr.dtype, copy=False)
    data = Q.data.astype(np.float64, copy=False)
    levels, done = _kahn(indptr, indices, n, max_passes - 1, data)
    if done < n:  # a cycle (named by bom_levels) or a very deep BOM
        coo = Q.tocoo()
        order = topological_order(coo.row, coo.col, n)
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n)
        Qs = sp.csr_matrix((coo.data, (pos[coo.row], pos[coo.col])), shape=(n, n))
        xs = rollup_vector(Qs, x[order])
        x[order] = xs
        return x
    k = int(np.prod(x.shape[1:], dtype=np.int64))
    xv = x.reshape(n, k)  # a view: one column per right-hand side
    if not k:
        return x
    for rows, ptr, kids, vals in reversed(levels):
        # y = x_rows + Q[rows] x: the components of a level are all in deeper levels, final
        y = xv[rows]
        if _csr_matvec is None:  # pragma: no cover
            y += sp.csr_matrix((vals, kids, ptr), shape=(len(rows), n)) @ xv
        elif k == 1:
            _csr_matvec(len(rows), n, ptr, kids, vals, xv.ravel(), y.ravel())
        else:
            _csr_matvecs(len(rows), n, k, ptr, kids, vals, xv.ravel(), y.ravel())
        xv[rows] = y
    return x


#: More levels than this: the level sweeps below hand over to :func:`rollup_csr` (a long
#: chain: one kernel call per level would be a Python loop over the parts)
MAX_LEVEL_SWEEPS = 5000


def level_bounds(levels: np.ndarray) -> np.ndarray | None:
    """Where the levels of parts sorted by level (:func:`bom_levels`, ``np.sort``-ed) change:
    ``bounds[k]:bounds[k + 1]`` are the positions of one level; None past
    :data:`MAX_LEVEL_SWEEPS` levels.

    >>> level_bounds(np.array([0, 1, 1, 2])).tolist()
    [0, 1, 3, 4]
    """
    n = len(levels)
    if n and int(levels[-1]) - int(levels[0]) >= MAX_LEVEL_SWEEPS:
        return None
    return np.r_[0, np.flatnonzero(levels[1:] != levels[:-1]) + 1, n].astype(np.int64)


def rollup_levels(
    Q: sp.csr_matrix, d: np.ndarray, bounds: np.ndarray | None, overwrite: bool = False
) -> np.ndarray:
    """:func:`rollup_csr` for parts in topological order by level: ``bounds`` are the level
    boundaries (:func:`level_bounds`; every component of a part is in a deeper level, so
    each level is a block of rows of ``Q`` and its parts' components come after it).

    The sweep from the deepest level up is :func:`rollup_csr`'s, on blocks of rows that need
    no gathering and no Kahn pass: each part's sum runs over its components in the same
    order, so the result is the same to the last bit. ``bounds`` None: :func:`rollup_csr`.

    >>> Q = sp.csr_matrix(([2.0, 1.0, 3.0], ([0, 0, 1], [1, 2, 2])), shape=(3, 3))
    >>> rollup_levels(Q, np.array([1.0, 0.0, 0.5]), np.array([0, 1, 2, 3])).tolist()
    [4.5, 1.5, 0.5]
    """
    if bounds is None or _csr_matvec is None:
        return rollup_csr(Q, d, overwrite=overwrite)
    Q = sp.csr_matrix(Q)
    x = np.array(d, dtype=np.float64, order="C", copy=None if overwrite else True)
    n = x.shape[0]
    k = int(np.prod(x.shape[1:], dtype=np.int64))
    if not k or not Q.nnz:
        return x
    xv = x.reshape(n, k)
    flat = xv.reshape(-1)
    indptr, indices = Q.indptr, Q.indices
    data = Q.data.astype(np.float64, copy=False)
    for lo, hi in reversed(list(itertools.pairwise(bounds.tolist()))):  # the deepest first
        if indptr[lo] == indptr[hi]:  # no part of the level has components
            continue
        y = xv[lo:hi].reshape(-1)  # a view: summed into in place
        if k == 1:
            _csr_matvec(hi - lo, n, indptr[lo : hi + 1], indices, data, flat, y)
        else:
            _csr_matvecs(hi - lo, n, k, indptr[lo : hi + 1], indices, data, flat, y)
    return x


def supply_levels(Q: sp.csr_matrix, f: np.ndarray, bounds: np.ndarray | None) -> np.ndarray:
    """:func:`supply_vector` for parts in topological order by level (``bounds``: see
    :func:`rollup_levels`): ``m = f + Qᵀ m`` swept from the top level down, each level's
    amounts final before they pass to the components, with no transpose of ``Q``. A part's
    amount adds its parents' shares in the order of their positions, as the transposed
    roll-up does: the same result to the last bit. ``bounds`` None: :func:`supply_vector`.

    >>> Q = sp.csr_matrix([[0, 2.0, 0], [0, 0, 3.0], [0, 0, 0]])
    >>> supply_levels(Q, np.array([1.0, 0, 0]), np.array([0, 1, 2, 3])).tolist()
    [1.0, 2.0, 6.0]
    """
    if bounds is None or _csc_matvec is None:
        return supply_vector(Q, f)
    Q = sp.csr_matrix(Q)
    m = np.array(f, dtype=np.float64)
    n = len(m)
    indptr, indices = Q.indptr, Q.indices
    data = Q.data.astype(np.float64, copy=False)
    for lo, hi in itertools.pairwise(bounds.tolist()):
        if indptr[lo] == indptr[hi]:
            continue
        # the level's rows of Q as columns of Qᵀ: m[c] += Q[p, c] m[p]
        _csc_matvec(n, hi - lo, indptr[lo : hi + 1], indices, data, m[lo:hi].copy(), m)
    return m


def rollup_edges(parent: np.ndarray, child: np.ndarray, q: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Roll-up from edge arrays (nodes ``0..n-1``, ``n = len(d)``; duplicate edges add up).

    >>> rollup_edges(np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([2.0, 1.0, 3.0]),
    ...              np.array([1.0, 0.0, 0.5])).tolist()
    [4.5, 1.5, 0.5]
    """
    n = np.shape(d)[0]
    Q = sp.csr_matrix((np.asarray(q, dtype=np.float64), (parent, child)), shape=(n, n))
    return rollup_csr(Q, d)
