"""Sparse matrices whose entries carry stats_arrays distributions, and their sparsity patterns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import UncertaintyError


@dataclass(frozen=True)
class UncertainMatrix:
    """Entries ``(row, col)`` of a sparse matrix with a static amount and a distribution each.

    Follows bw_processing's layout: ``amount`` and the drawn values are *before* the sign flip;
    the matrix value is ``-value`` where ``flip`` is true (technosphere inputs) and ``value``
    elsewhere. Duplicate ``(row, col)`` entries are summed. An entry with ``row < 0`` or
    ``col < 0`` is drawn but not used (so that draws line up with bw2calc, which draws a resource
    group's full parameter array before masking).

    ``groups`` holds the boundaries of the resource groups: entries ``groups[g]:groups[g+1]`` are
    drawn by one generator. ``params`` is a stats_arrays parameter array (``loc``, ``scale``,
    ``shape``, ``minimum``, ``maximum``, ``negative``, ``uncertainty_type``).

    ``ids`` (optional, entries x 2): the Brightway node ids of each entry's input (row) and
    output (column), as :func:`from_bw2calc` reads them; used only to name an entry in errors.
    """

    shape: tuple[int, int]
    row: np.ndarray
    col: np.ndarray
    amount: np.ndarray
    params: np.ndarray
    flip: np.ndarray
    groups: tuple[int, ...]
    ids: np.ndarray | None = None

    @classmethod
    def from_arrays(
        cls,
        row,
        col,
        amount,
        params,
        shape: tuple[int, int],
        flip=None,
        groups: Sequence[int] | None = None,
        ids=None,
    ) -> UncertainMatrix:
        """Check and build; ``flip`` defaults to all false, ``groups`` to a single group,
        ``ids`` (Brightway ids of input and output per entry) to none."""
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        amount = np.asarray(amount, dtype=np.float64)
        n = len(row)
        flip = np.zeros(n, dtype=bool) if flip is None else np.asarray(flip, dtype=bool)
        if not (len(col) == len(amount) == len(params) == len(flip) == n):
            raise UncertaintyError(
                f"row, col, amount, params and flip must have one element per entry; got "
                f"{len(row)}, {len(col)}, {len(amount)}, {len(params)}, {len(flip)}"
            )
        names = getattr(getattr(params, "dtype", None), "names", None) or ()
        missing = {"uncertainty_type", "loc", "scale"} - set(names)
        if missing:
            raise UncertaintyError(f"params is not a stats_arrays array (missing {missing})")
        keep = (row >= 0) & (col >= 0)
        if np.any(row[keep] >= shape[0]) or np.any(col[keep] >= shape[1]):
            raise UncertaintyError(f"indices outside the matrix shape {shape}")
        groups = (0, n) if groups is None else tuple(int(g) for g in groups)
        if groups[0] != 0 or groups[-1] != n or any(np.diff(groups) < 0):
            raise UncertaintyError(f"groups {groups} do not partition {n} entries")
        if ids is not None:
            ids = np.asarray(ids, dtype=np.int64)
            if ids.shape != (n, 2):
                raise UncertaintyError(f"ids must have shape ({n}, 2), got {ids.shape}")
        return cls(tuple(shape), row, col, amount, params, flip, groups, ids)

    def describe(self, i: int) -> str:
        """Where entry ``i`` is: its matrix indices and, with ``ids``, the Brightway keys."""
        where = f"entry {i} (row {int(self.row[i])}, col {int(self.col[i])}"
        if self.ids is not None:
            inp, out = (_node_key(int(x)) for x in self.ids[i])
            where += f"; input {inp} -> output {out}"
        return where + ")"

    @property
    def sign(self) -> np.ndarray:
        return np.where(self.flip, -1.0, 1.0)

    def static(self) -> sp.csr_matrix:
        """The static (deterministic) matrix, duplicates summed."""
        keep = (self.row >= 0) & (self.col >= 0)
        v = (self.amount * self.sign)[keep]
        return sp.csr_matrix((v, (self.row[keep], self.col[keep])), shape=self.shape)


class _Pattern:
    """Sparsity pattern of a matrix (or its transpose) and the map entry -> stored position.

    ``transpose=True`` builds the pattern of ``Mᵀ`` in CSR (used for the adjoint). Values drawn
    per entry become CSR data with ``values(v)`` (duplicates summed).
    """

    def __init__(self, m: UncertainMatrix, transpose: bool = False):
        keep = (m.row >= 0) & (m.col >= 0)
        self.keep = np.flatnonzero(keep)
        r, c = m.row[keep], m.col[keep]
        nr, nc = m.shape
        if transpose:
            r, c, nr, nc = c, r, nc, nr
        key = r * nc + c
        uniq, self.pos = np.unique(key, return_inverse=True)
        self.shape = (nr, nc)
        self.nnz = len(uniq)
        self.indices = (uniq % nc).astype(np.int32)
        self.indptr = np.searchsorted(uniq // nc, np.arange(nr + 1)).astype(np.int32)
        self.sign = m.sign[keep]

    def values(self, entry_values: np.ndarray) -> np.ndarray:
        """CSR data from one draw of all entries (signed, masked, duplicates summed)."""
        v = entry_values[self.keep] * self.sign
        return np.bincount(self.pos, weights=v, minlength=self.nnz)

    def values_block(self, block: np.ndarray) -> np.ndarray:
        """CSR data (draws x nnz) from a block of draws (entries x draws)."""
        if not hasattr(self, "_gather"):
            m = len(self.pos)
            self._gather = sp.csr_matrix((self.sign, (self.pos, np.arange(m))), shape=(self.nnz, m))
        return np.ascontiguousarray((self._gather @ block[self.keep]).T)

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape)

    def block_matvec(self, data: np.ndarray, X: np.ndarray, cols=None) -> np.ndarray:
        """``Y[:, i] = M_c X[:, i]`` with ``c = cols[i]`` (``data[c]`` holds ``M_c``'s CSR data).

        The matrices share one pattern, so one CSR object is reused and only its data swapped.
        """
        cols = range(X.shape[1]) if cols is None else cols
        M = self.matrix(np.zeros(self.nnz))
        Y = np.empty((self.shape[0], X.shape[1]))
        for i, c in enumerate(cols):
            M.data = data[c]
            Y[:, i] = M @ X[:, i]
        return Y


def _node_key(node_id: int) -> str:
    """``(database, code)`` of a Brightway node id, or the id itself if it cannot be read."""
    try:
        import bw2data  # lazy on purpose: heavy (~1.4 s), needed only to name an entry in an error

        return repr(bw2data.get_node(id=node_id).key)
    except Exception:  # noqa: BLE001 - only names an entry in an error message
        return f"node id {node_id}"
