"""Factorise a technosphere matrix once; solve many right-hand sides, forward and adjoint.

We wrap SuperLU ourselves instead of calling ``bw2calc.LCA.solve_linear_system`` because the
batch and adjoint paths need both ``A x = b`` and ``Aᵀ y = c`` with many right-hand sides from one
factorisation, which bw2calc does not expose. As bw2calc does, we factorise ``Aᵀ`` (the CSR
arrays of ``A`` read as CSC): on ecoinvent-like matrices this gives ~10x fewer fill-in non-zeros
than factorising ``A`` in CSC. SuperLU's ``trans='T'`` then solves the forward system with the
same factors, so one LU serves both directions exactly.

pypardiso is not used here (bw2calc uses it, where installed, for its own solves): the batch
and adjoint paths need both directions from one factorisation, which SuperLU's factors give
(``BENCH batch`` measures the result against bw2calc with pypardiso).

SuperLU says only "Factor is exactly singular". :func:`singular_columns` finds the culprits
(:func:`factorize_named` names them in the error):

1. structurally: columns no maximum matching of rows to columns covers (a product nobody makes,
   an activity that makes nothing);
2. numerically: the matrix is block-triangular over the strongly connected components of its
   graph, so it is singular iff one diagonal block is; the singular block's null vector (dense
   SVD, for blocks up to :data:`DENSE_LIMIT`) names the columns that depend on each other, else
   the whole block is named.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching
from scipy.sparse.linalg import splu

from .errors import NonSquareTechnosphere, SingularTechnosphere

log = logging.getLogger(__name__)

#: A square matrix as the solver accepts it: any scipy sparse matrix or a dense array.
Matrix: TypeAlias = "sp.spmatrix | sp.sparray | np.ndarray"


def check_square(A: Matrix, labels: Sequence[object] | None = None) -> None:
    """Raise :class:`NonSquareTechnosphere` unless ``A`` is square."""
    n, m = A.shape
    if n != m:
        raise NonSquareTechnosphere(n, m)


def zero_diagonal(A: Matrix) -> np.ndarray:
    """Indices of columns whose diagonal entry (the reference product) is zero."""
    return np.flatnonzero(sp.csr_matrix(A).diagonal() == 0)


class Factorization:
    """LU factors of a square technosphere matrix ``A``.

    ``solve(b)`` returns ``x`` with ``A x = b``; ``solve_transposed(c)`` returns ``y`` with
    ``Aᵀ y = c``. ``b``/``c`` may be a vector or a 2-D array of right-hand sides (columns).

    Raises
    ------
    NonSquareTechnosphere
        If ``A`` is not square.
    SingularTechnosphere
        If ``A`` is exactly singular; ``labels`` (one per column) name the culprits when given.
    """

    def __init__(self, A: Matrix, labels: Sequence[object] | None = None) -> None:
        check_square(A)
        A = sp.csr_matrix(A, dtype=np.float64)
        A.sum_duplicates()
        self.shape = A.shape
        self.A = A
        zero = zero_diagonal(A)
        if len(zero):
            names = [labels[i] for i in zero] if labels is not None else [int(i) for i in zero]
            raise SingularTechnosphere(names, "zero on the diagonal")
        # CSR of A has the same arrays as CSC of A.T
        at_csc = sp.csc_matrix((A.data, A.indices, A.indptr), shape=A.shape[::-1])
        try:
            self._lu = splu(at_csc)
        except RuntimeError as exc:  # "Factor is exactly singular"
            raise SingularTechnosphere(detail=str(exc)) from exc
        log.debug("factorised %s technosphere (nnz L+U=%d)", A.shape, self.nnz)

    @property
    def nnz(self) -> int:
        return int(self._lu.L.nnz + self._lu.U.nnz)

    def _check(self, x: np.ndarray) -> np.ndarray:
        if not np.all(np.isfinite(x)):
            raise SingularTechnosphere(detail="solution is not finite")
        return x

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve ``A x = b`` (forward: supply from demand)."""
        b = np.asarray(b, dtype=np.float64)
        return self._check(self._lu.solve(b, trans="T"))

    def solve_transposed(self, c: np.ndarray) -> np.ndarray:
        """Solve ``Aᵀ y = c`` (adjoint: intensities from characterised emissions)."""
        c = np.asarray(c, dtype=np.float64)
        return self._check(self._lu.solve(c))


def factorize(A: Matrix, labels: Sequence[object] | None = None) -> Factorization:
    """Factorise ``A`` once (see :class:`Factorization`)."""
    return Factorization(A, labels=labels)


#: largest strongly connected block whose null vector is computed densely
DENSE_LIMIT = 2000


def singular_columns(A: Matrix) -> list[int]:
    """Columns of a square ``A`` that make it singular (empty if it is not).

    >>> singular_columns(np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, -0.5, 1.0]]))
    [0, 1]
    >>> singular_columns(np.array([[1.0, 0.0], [0.0, 0.0]]))
    [1]
    >>> singular_columns(np.eye(2))
    []
    """
    A = sp.csr_matrix(A, dtype=np.float64)
    A.eliminate_zeros()
    n = A.shape[1]
    pattern = sp.csr_matrix((np.ones_like(A.data), A.indices, A.indptr), shape=A.shape)
    match = maximum_bipartite_matching(pattern, perm_type="column")
    covered = {int(c) for c in match if c >= 0}
    if len(covered) < n:
        return sorted(set(range(n)) - covered)
    # permute columns so the matching is on the diagonal, then split into SCC blocks
    perm = np.asarray(match)
    Ap = sp.csr_matrix(A[:, perm])
    _, labels = connected_components(Ap, directed=True, connection="strong")
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        block = Ap[rows][:, rows]
        cols = perm[rows]
        if len(rows) <= DENSE_LIMIT:
            dense = block.toarray()
            _, s, vt = np.linalg.svd(dense)
            if s[-1] <= 1e-12 * max(s[0], 1.0):
                v = np.abs(vt[-1])
                return sorted(int(j) for j in cols[v > 1e-8 * v.max()])
        else:
            try:
                splu(sp.csc_matrix(block))
            except RuntimeError:
                return sorted(int(j) for j in cols)
    return []


def factorize_named(A: Matrix, labels: Sequence[str]) -> Factorization:
    """:func:`lca.solver.factorize`, naming the activities (``labels``, one per column) of a
    singular system in the :class:`SingularTechnosphere` it raises."""
    try:
        return factorize(A, labels=labels)
    except SingularTechnosphere as exc:
        if exc.activities:
            raise
        cols = singular_columns(A)
        if not cols:
            raise
        raise SingularTechnosphere(
            [labels[j] for j in cols],
            "their columns are linearly dependent: what they make and use cancels out",
        ) from exc
