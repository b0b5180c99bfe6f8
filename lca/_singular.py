"""Which activities make a technosphere matrix singular: the columns to name in the error.

SuperLU says only "Factor is exactly singular". :func:`singular_columns` finds the culprits:

1. structurally: columns no maximum matching of rows to columns covers (a product nobody makes,
   an activity that makes nothing);
2. numerically: the matrix is block-triangular over the strongly connected components of its
   graph, so it is singular iff one diagonal block is; the singular block's null vector (dense
   SVD, for blocks up to :data:`DENSE_LIMIT`) names the columns that depend on each other, else
   the whole block is named.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching
from scipy.sparse.linalg import splu

from .errors import SingularTechnosphere
from .solver import Factorization, Matrix, factorize

__all__ = ["factorize_named", "singular_columns"]

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
