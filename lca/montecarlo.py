"""Monte Carlo over the inventories' uncertainty, with the static factorisation as preconditioner.

For each draw ``t`` the technosphere ``A⁽ᵗ⁾`` and biosphere ``B⁽ᵗ⁾`` are sampled from their
stats_arrays distributions and the scores are (../shared/MATHS.md, Monte Carlo)::

    h⁽ᵗ⁾ = C B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹ F          (methods x demands)

Refactorising every ``A⁽ᵗ⁾`` is the baseline (bw2calc's ``next(lca)``). Here the static ``A`` is
factorised once (:mod:`lca.solver`) and used as a preconditioner ``M = A`` for every draw, with
preconditioned iterative refinement (a stationary Richardson iteration)::

    x₀ = static solution,   x_{k+1} = x_k + M⁻¹ (b − A⁽ᵗ⁾ x_k)

which converges when the spectral radius of ``I − M⁻¹ A⁽ᵗ⁾`` is below one (moderate
perturbations; ~0.05 on the 20,000-activity benchmark, 5-6 sweeps to 1e-8). Many draws are
solved together (one multi-column triangular sweep per iteration: SuperLU costs ~3.5 ms per
column in blocks of 16 against ~11 ms alone), each draw stops when the estimated error of its
scores is below ``rtol`` (see :func:`refine`), and a draw that does not converge is solved with a
fresh factorisation of its own matrix (logged). :func:`gmres` is the Krylov alternative.
``workers > 1`` forks processes that solve interleaved blocks (SuperLU solves use one core).

Direction: the adjoint ``Λ⁽ᵗ⁾ = C B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹`` (solve ``A⁽ᵗ⁾ᵀ Λᵀ = (C B⁽ᵗ⁾)ᵀ``, one right-hand side
per method) gives every demand at once, ``h = Λ F``; the forward solve ``S = (A⁽ᵗ⁾)⁻¹ F`` needs
one right-hand side per demand. ``direction="auto"`` picks the side with fewer right-hand sides.

Randomness: every resource group of a matrix is drawn by its own
``stats_arrays.MCRandomNumberGenerator``, as matrix_utils (and so bw2calc) does. With
``bw2calc_seeds=True`` every group is seeded with ``seed`` itself, exactly like bw2calc's
``seed_override``: the draws are then identical to bw2calc's, draw by draw. Note that this makes
the technosphere and biosphere groups consume the *same* stream of standard normal numbers (their
lognormal draws are correlated entry by entry). The default (``False``) derives an independent
seed for every group from ``seed`` with ``numpy.random.SeedSequence``.

No Brightway import at module level: the maths only sees numpy, scipy and stats_arrays.
:func:`from_bw2calc` reads the arrays out of a ``bw2calc.LCA`` object.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from stats_arrays import MCRandomNumberGenerator, uncertainty_choices

from .errors import NonSquareTechnosphere, PCFError, SingularTechnosphere, UncertaintyError
from .solver import Factorization, factorize

log = logging.getLogger(__name__)

TECHNOSPHERE, BIOSPHERE = 0, 1  # stream tags for derived seeds


# --------------------------------------------------------------------------------------------
# Inputs: a sparse matrix whose entries carry distributions
# --------------------------------------------------------------------------------------------


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


def _group_seeds(seed: int | None, tag: int, n_groups: int, bw2calc_seeds: bool) -> list:
    if seed is None or bw2calc_seeds:
        return [seed] * n_groups
    ss = np.random.SeedSequence([int(seed), tag])
    return [int(s.generate_state(1)[0]) for s in ss.spawn(n_groups)]


_LOGNORMAL = uncertainty_choices[2]


def _batchable(p: np.ndarray) -> bool:
    """Whether ``generate(samples=k)`` equals ``k`` calls of ``generate()`` for params ``p``.

    True when only lognormal (2) consumes random numbers (types 0 and 1 consume none) and no
    lognormal entry has bounds (bounds trigger redraws of the whole block).
    """
    types = p["uncertainty_type"]
    if not np.all(np.isin(types, (0, 1, 2))):
        return False
    logn = types == 2
    return not (np.any(np.isfinite(p["minimum"][logn])) or np.any(np.isfinite(p["maximum"][logn])))


def _first_invalid(p: np.ndarray) -> tuple[int, str] | None:
    """The first record of ``p`` that stats_arrays rejects, and why (None if all are valid).

    Each distribution validates its records at once (as ``MCRandomNumberGenerator`` does);
    only when that fails are its records checked one by one to find the offending one.
    """
    types = p["uncertainty_type"]
    for t in np.unique(types):
        idx = np.flatnonzero(types == t)
        try:
            dist = uncertainty_choices[int(t)]
        except KeyError:
            return int(idx[0]), f"unknown uncertainty type {int(t)}"
        try:
            dist.validate(p[idx])
        except Exception as exc:  # noqa: BLE001 - stats_arrays raises several types
            for i in idx:
                try:
                    dist.validate(p[i : i + 1])
                except Exception as one:  # noqa: BLE001
                    why = str(one).split(" Failing row")[0]  # its row within the 1-record array
                    return int(i), f"{type(one).__name__}: {why}"
            return int(idx[0]), f"{type(exc).__name__}: {exc}"
    return None


def _param_text(rec) -> str:
    fields = ("uncertainty_type", "loc", "scale", "shape", "minimum", "maximum")
    return ", ".join(
        f"{f}={rec[f]:g}" for f in fields
        if f in rec.dtype.names and (f == "uncertainty_type" or np.isfinite(rec[f]))
    )


def _node_key(node_id: int) -> str:
    """``(database, code)`` of a Brightway node id, or the id itself if it cannot be read."""
    try:
        import bw2data

        return repr(bw2data.get_node(id=node_id).key)
    except Exception:  # noqa: BLE001 - only names an entry in an error message
        return f"node id {node_id}"


def sample_blocks(
    matrix: UncertainMatrix,
    seed: int | None = None,
    size: int = 16,
    *,
    tag: int = TECHNOSPHERE,
    bw2calc_seeds: bool = False,
    wanted=None,
) -> Iterator[np.ndarray | None]:
    """Yield blocks of ``size`` draws (entries x draws) of every entry's value (before flip).

    ``wanted(i)`` false for block ``i`` yields ``None`` instead, after advancing the generators
    exactly as drawing would (cheaply where only lognormals consume random numbers: one
    standard normal each, as numpy's legacy ``lognormal`` does).

    One ``MCRandomNumberGenerator`` per resource group, as matrix_utils does. Column ``t`` of
    the blocks, in order, is the ``t``-th call of that generator's ``generate()``: a group is
    drawn in one ``generate(samples=size)`` call only when that gives the same numbers
    (:func:`_batchable`), otherwise draw by draw. Groups without any uncertain entry (types 0
    or 1 only) yield their static ``amount`` without consuming random numbers. Same ``seed`` →
    same draws; ``size`` does not change them.

    Raises
    ------
    UncertaintyError
        If stats_arrays rejects the parameters; the message names the offending entry (matrix
        indices, parameters and, where known, the Brightway keys of its input and output).
    """
    g = matrix.groups
    seeds = _group_seeds(seed, tag, len(g) - 1, bw2calc_seeds)
    gens = []
    for k, s in enumerate(seeds):
        p = matrix.params[g[k] : g[k + 1]]
        if len(p) == 0 or np.all(np.isin(p["uncertainty_type"], (0, 1))):
            gens.append(None)
            continue
        bad = _first_invalid(p)
        if bad is not None:
            i, why = bad
            raise UncertaintyError(
                f"cannot draw from group {k}: {matrix.describe(g[k] + i)}: {_param_text(p[i])}: "
                f"{why}"
            )
        try:
            gens.append((MCRandomNumberGenerator(p, seed=s), _batchable(p)))
        except Exception as exc:  # stats_arrays raises several types
            raise UncertaintyError(f"cannot draw from group {k}: {exc}") from exc
    block = -1
    while True:
        block += 1
        if wanted is not None and not wanted(block):
            for k, item in enumerate(gens):
                if item is None:
                    continue
                gen, batchable = item
                if batchable:
                    gen.random.standard_normal((size, int(gen.positions[_LOGNORMAL])))
                else:
                    for _ in range(size):
                        gen.generate()
            yield None
            continue
        out = np.repeat(matrix.amount[:, None], size, axis=1)
        for k, item in enumerate(gens):
            if item is None:
                continue
            gen, batchable = item
            if batchable and size > 1:
                out[g[k] : g[k + 1]] = gen.generate(samples=size)
            else:
                for t in range(size):
                    out[g[k] : g[k + 1], t] = gen.generate()
        yield out


def sample(
    matrix: UncertainMatrix,
    seed: int | None = None,
    *,
    tag: int = TECHNOSPHERE,
    bw2calc_seeds: bool = False,
) -> Iterator[np.ndarray]:
    """Yield draws of every entry's value (before the sign flip), one array per draw.

    The same draws as :func:`sample_blocks`, one at a time.
    """
    for block in sample_blocks(matrix, seed, 1, tag=tag, bw2calc_seeds=bw2calc_seeds):
        yield block[:, 0]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------

PERCENTILES = (2.5, 50.0, 97.5)


@dataclass
class Summary:
    """Statistics over draws, each an array of shape (methods, demands)."""

    mean: np.ndarray
    median: np.ndarray
    p2_5: np.ndarray
    p97_5: np.ndarray
    std: np.ndarray
    n: int


def summarize(scores: np.ndarray) -> Summary:
    """Mean, median, 2.5/97.5 percentiles and std (ddof=1) over axis 0 (the draws).

    The deterministic score is not the mean (lognormal skew): report both.
    """
    scores = np.asarray(scores, dtype=np.float64)
    p_lo, med, p_hi = np.percentile(scores, PERCENTILES, axis=0)
    std = scores.std(axis=0, ddof=1) if len(scores) > 1 else np.zeros(scores.shape[1:])
    return Summary(scores.mean(axis=0), med, p_lo, p_hi, std, len(scores))


@dataclass
class MonteCarloResult:
    """Scores per draw and how they were obtained.

    ``scores[t, m, d]``: draw ``t``, method ``m``, demand ``d``. ``deterministic[m, d]``: the
    static system's scores. ``iterations[t]``: refinement sweeps used by draw ``t`` (0 when it
    fell back to a fresh factorisation, listed in ``fallbacks``).
    """

    scores: np.ndarray
    deterministic: np.ndarray
    seed: int | None
    direction: str
    iterations: np.ndarray
    fallbacks: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> Summary:
        return summarize(self.scores)


# --------------------------------------------------------------------------------------------
# The solver
# --------------------------------------------------------------------------------------------


def _as_2d_columns(F, n: int, what: str) -> sp.csc_matrix:
    F = sp.csc_matrix(F.reshape(-1, 1) if isinstance(F, np.ndarray) and F.ndim == 1 else F)
    if F.shape[0] != n:
        raise UncertaintyError(f"{what} has {F.shape[0]} rows; the technosphere has {n}")
    return F


def refine(
    solve,
    pattern: _Pattern,
    data: np.ndarray,
    rhs: np.ndarray,
    x0: np.ndarray,
    outputs,
    *,
    rtol: float = 1e-8,
    maxiter: int = 30,
    width: int = 1,
    dual: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Preconditioned iterative refinement for many systems ``K_t x_t = b_t`` at once.

    Column ``c`` solves with ``K_t``, ``t = c // width`` (``width`` right-hand sides per matrix),
    which has the shared ``pattern`` and CSR data ``data[t]``; ``solve`` applies
    the preconditioner ``M⁻¹`` (the static factorisation) to a block of columns::

        x_{k+1} = x_k + M⁻¹ (b − K_t x_k)

    ``outputs(v, cols)`` maps columns ``cols`` of a block ``v`` to the watched outputs (the
    scores; linear in ``v``, shape outputs x columns). Column ``t`` stops when, for each output,
    ``10 max(|o(δ)|, ρ |o(δ')|) ρ/(1−ρ) ≤ rtol · |o(x)| + rtol · 1e-6 · max|o(x)|``, where ``δ``
    and ``δ'`` are the last two updates and ``ρ`` is the largest contraction
    ``‖δ_k‖∞ / ‖δ_{k−1}‖∞`` seen so far. ``|o(δ)| ρ/(1−ρ)`` bounds the remaining error of a
    linearly converging iteration (``Σ_{j>k} ρ^{j−k} |o(δ_k)|``); the factor 10 is a margin for
    ``ρ`` being estimated, and ``ρ |o(δ')|`` guards against ``o(δ)`` vanishing by cancellation.
    The first step never stops. A column whose updates stop shrinking (``ρ ≥ 1`` after 3 steps)
    or that reaches ``maxiter`` is left unconverged.

    ``dual`` (``W = M⁻ᵀ G``, one column per output, the same for every column of the block)
    switches on a cheaper, dual-weighted residual test, checked *before* each correction: the
    error of output ``o = gᵀ x`` is ``gᵀ K⁻¹ r ≈ wᵀ r`` (exact when ``K = M``), so the column
    stops when ``2 (|Wᵀ r| + max(ρ, 0.1) |W|ᵀ |r|) ≤`` the tolerance above; the second term
    bounds the error of using ``M`` for ``K``. This saves the confirming step of the δ rule.

    Returns ``(x, iterations, converged)``.
    """
    k = rhs.shape[1]
    x = np.array(x0, dtype=np.float64, copy=True)
    its = np.zeros(k, dtype=np.int64)
    done = np.zeros(k, dtype=bool)
    prev = np.full(k, np.inf)
    rho_max = np.zeros(k)
    prev_od = None
    active = np.arange(k)
    absW = None if dual is None else np.abs(dual)
    for it in range(1, maxiter + 2):
        r = rhs[:, active] - pattern.block_matvec(data, x[:, active], active // width)
        if dual is not None and it >= 2:
            out = np.abs(outputs(x[:, active], active))
            tol = rtol * out + rtol * 1e-6 * out.max(axis=0, keepdims=True)
            est = np.abs(dual.T @ r) + np.fmax(rho_max[active], 0.1) * (absW.T @ np.abs(r))
            ok = np.all(2.0 * est <= tol, axis=0)
            done[active[ok]] = True
            active, r = active[~ok], r[:, ~ok]
            if len(active) == 0:
                break
        if it > maxiter:
            break
        d = solve(r)
        x[:, active] += d
        its[active] = it
        norm = np.abs(d).max(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = norm / prev[active]
            rho_max[active] = np.fmax(rho_max[active], rho)
            r_hat = rho_max[active]
            factor = np.where(r_hat < 1.0, 10.0 * r_hat / (1.0 - r_hat), np.inf)
        prev[active] = norm
        out = np.abs(outputs(x[:, active], active))
        od = np.abs(outputs(d, active))
        if prev_od is None:
            prev_od = np.full((od.shape[0], k), np.inf)
        # guard against |o(δ)| vanishing by cancellation: it is at least ρ̂ |o(δ_{k−1})|
        err = np.maximum(od, r_hat * prev_od[:, active]) * factor
        prev_od[:, active] = od
        tol = rtol * out + rtol * 1e-6 * out.max(axis=0, keepdims=True)
        ok = np.all((err <= tol) | (norm == 0), axis=0) & (it >= 2)
        if dual is not None:
            ok &= np.all(norm == 0)  # the dual test (next pass) decides
        diverging = (rho >= 1.0) & (it >= 3)
        done[active[ok]] = True
        active = active[~ok & ~diverging]
        if len(active) == 0:
            break
    return x, its, done


def gmres(
    solve,
    pattern: _Pattern,
    data: np.ndarray,
    rhs: np.ndarray,
    x0: np.ndarray,
    outputs,
    *,
    rtol: float = 1e-8,
    maxiter: int = 30,
    width: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-preconditioned GMRES for many systems ``K_t x_t = b_t`` at once (no restart).

    Same arguments, stopping rule and returns as :func:`refine`. Each column builds its own
    Krylov space ``span{r₀, K_t M⁻¹ r₀, ...}``; the columns advance together so that every
    step applies ``M⁻¹`` to all active columns in one multi-column triangular sweep. The iterate
    ``x_i = x₀ + M⁻¹ V_i y_i`` minimises ``‖b − K_t x‖₂`` over the space (``y_i`` from the small
    least-squares problem with the Hessenberg matrix). ``δ`` of the stopping rule is
    ``x_i − x_{i−1}``.
    """
    n, k = rhs.shape
    x0 = np.array(x0, dtype=np.float64, copy=True)
    r = rhs - pattern.block_matvec(data, x0, np.arange(k) // width)
    beta = np.linalg.norm(r, axis=0)
    beta[beta == 0] = 1.0
    V = [r / beta]  # Krylov basis, each n x k
    Z = []  # M⁻¹ V
    H = np.zeros((maxiter + 1, maxiter, k))
    x = x0.copy()
    its = np.zeros(k, dtype=np.int64)
    done = np.zeros(k, dtype=bool)
    prev = np.full(k, np.inf)
    rho_max = np.zeros(k)
    prev_od = None
    active = np.arange(k)
    for i in range(maxiter):
        z = np.zeros((n, k))
        z[:, active] = solve(V[i][:, active])
        Z.append(z)
        w = np.zeros((n, k))
        w[:, active] = pattern.block_matvec(data, z[:, active], active // width)
        for j in range(i + 1):  # modified Gram-Schmidt, column-wise
            h = np.einsum("ij,ij->j", V[j], w)
            H[j, i] = h
            w -= V[j] * h
        h = np.linalg.norm(w, axis=0)
        H[i + 1, i] = h
        V.append(w / np.where(h == 0, 1.0, h))
        x_new = x.copy()
        for c in active:
            e1 = np.zeros(i + 2)
            e1[0] = beta[c]
            y = np.linalg.lstsq(H[: i + 2, : i + 1, c], e1, rcond=None)[0]
            x_new[:, c] = x0[:, c] + np.stack([Zj[:, c] for Zj in Z], axis=1) @ y
        d = (x_new - x)[:, active]
        x = x_new
        its[active] = i + 1
        norm = np.abs(d).max(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = norm / prev[active]
            rho_max[active] = np.fmax(rho_max[active], rho)
            r_hat = rho_max[active]
            factor = np.where(r_hat < 1.0, 10.0 * r_hat / (1.0 - r_hat), np.inf)
        prev[active] = norm
        out = np.abs(outputs(x[:, active], active))
        od = np.abs(outputs(d, active))
        if prev_od is None:
            prev_od = np.full((od.shape[0], k), np.inf)
        # guard against |o(δ)| vanishing by cancellation: it is at least ρ̂ |o(δ_{k−1})|
        err = np.maximum(od, r_hat * prev_od[:, active]) * factor
        prev_od[:, active] = od
        tol = rtol * out + rtol * 1e-6 * out.max(axis=0, keepdims=True)
        ok = (np.all((err <= tol) | (norm == 0), axis=0) & (i >= 1)) | (H[i + 1, i, active] == 0)
        diverging = (rho >= 1.0) & (i >= 2)
        done[active[ok]] = True
        active = active[~ok & ~diverging]
        if len(active) == 0:
            break
    return x, its, done


def monte_carlo(
    technosphere: UncertainMatrix,
    biosphere: UncertainMatrix,
    characterization: np.ndarray,
    demands,
    iterations: int = 1000,
    seed: int | None = None,
    *,
    batch: int = 16,
    rtol: float = 1e-8,
    maxiter: int = 30,
    direction: str = "auto",
    method: str = "refine",
    bw2calc_seeds: bool = False,
    factorization: Factorization | None = None,
    workers: int = 1,
) -> MonteCarloResult:
    """Scores ``h⁽ᵗ⁾ = C B⁽ᵗ⁾ (A⁽ᵗ⁾)⁻¹ F`` for ``iterations`` draws of ``A`` and ``B``.

    Parameters
    ----------
    technosphere, biosphere
        :class:`UncertainMatrix` of ``A`` (products x activities) and ``B`` (flows x activities).
    characterization
        ``c`` (one value per flow) or ``C`` (methods x flows); static.
    demands
        ``f`` (one value per product) or ``F`` (products x demands, dense or sparse).
    iterations, seed
        Number of draws; seed of the generators (``None``: not reproducible).
    batch
        Draws solved together (one multi-column triangular sweep per refinement step).
    rtol
        Relative accuracy of each score (far below Monte Carlo noise at 1e-8).
    maxiter
        Refinement steps before a draw falls back to a fresh factorisation.
    direction
        ``"adjoint"`` (one solve per method), ``"forward"`` (one per demand) or ``"auto"``.
    method
        ``"refine"`` (:func:`refine`, with the dual-weighted residual test in adjoint mode with
        up to 16 demands) or ``"gmres"`` (:func:`gmres`, more robust to large perturbations).
    bw2calc_seeds
        Seed every resource group with ``seed`` itself, to reproduce bw2calc's draws exactly.
    factorization
        The static ``A``'s factorisation, if already computed.
    workers
        Processes (``fork``; POSIX only, else 1). SuperLU's triangular solves run on one core,
        so 2 workers on 2 cores nearly halve the time. Worker ``w`` solves blocks
        ``w, w + workers, ...``; every worker draws all blocks, so results do not depend on
        ``workers``.

    Returns
    -------
    MonteCarloResult
        ``scores`` of shape (iterations, methods, demands).

    Raises
    ------
    NonSquareTechnosphere, SingularTechnosphere
        For a non-square or singular static technosphere (or a singular drawn one).
    UncertaintyError
        For mismatched shapes or parameters stats_arrays cannot draw.
    """
    t0 = time.perf_counter()
    n, m_act = technosphere.shape
    if n != m_act:
        raise NonSquareTechnosphere(n, m_act, "Monte Carlo")
    if biosphere.shape[1] != n:
        raise UncertaintyError(f"biosphere has {biosphere.shape[1]} columns; technosphere {n}")
    C = np.atleast_2d(np.asarray(characterization, dtype=np.float64))
    if C.shape[1] != biosphere.shape[0]:
        raise UncertaintyError(
            f"characterization has {C.shape[1]} flows; the biosphere has {biosphere.shape[0]}"
        )
    F = _as_2d_columns(demands, n, "demands")
    n_methods, n_demands = C.shape[0], F.shape[1]
    if direction == "auto":
        direction = "adjoint" if n_methods <= n_demands else "forward"
    if direction not in ("adjoint", "forward"):
        raise UncertaintyError(
            f"direction must be 'adjoint', 'forward' or 'auto', not {direction!r}"
        )
    adjoint = direction == "adjoint"
    if iterations < 1:
        raise UncertaintyError(f"iterations must be positive, not {iterations}")

    if method not in ("gmres", "refine"):
        raise UncertaintyError(f"method must be 'gmres' or 'refine', not {method!r}")
    iterate = gmres if method == "gmres" else refine
    A0 = technosphere.static()
    fact = factorization if factorization is not None else factorize(A0)
    pat = _Pattern(technosphere, transpose=adjoint)  # CSR of Aᵀ (adjoint) or of A (forward)
    bkeep = (biosphere.row >= 0) & (biosphere.col >= 0)
    b_row, b_col, b_sign = biosphere.row[bkeep], biosphere.col[bkeep], biosphere.sign[bkeep]
    CB_rows = C[:, b_row]  # methods x used biosphere entries

    def direct(bvals: np.ndarray) -> np.ndarray:  # e = C B (methods x activities)
        w = CB_rows * (bvals[bkeep] * b_sign)
        return np.vstack([np.bincount(b_col, weights=wi, minlength=n) for wi in w])

    # deterministic scores
    e0 = direct(biosphere.amount)
    if adjoint:
        lam0 = fact.solve_transposed(e0.T)  # n x methods
        deterministic = np.asarray((F.T @ lam0).T)
    else:
        s0 = fact.solve(F.toarray())
        deterministic = e0 @ s0
    width = n_methods if adjoint else n_demands
    # dual-weighted residual test for refine in adjoint mode: W = A⁻¹ F, once (few demands)
    dual = fact.solve(F.toarray()) if adjoint and method == "refine" and n_demands <= 16 else None
    x_static = lam0 if adjoint else s0

    kw = {"bw2calc_seeds": bw2calc_seeds}
    Fd = F.toarray() if not adjoint else None
    starts = list(range(0, iterations, batch))

    def run(worker: int, workers: int) -> list:
        """Blocks ``worker::workers``; every worker draws every block so the streams match."""

        def mine(i: int) -> bool:
            return i % workers == worker

        t_blocks = sample_blocks(technosphere, seed, batch, tag=TECHNOSPHERE, wanted=mine, **kw)
        b_blocks = sample_blocks(biosphere, seed, batch, tag=BIOSPHERE, wanted=mine, **kw)
        parts = []
        for index, start in enumerate(starts):
            t_block, b_block = next(t_blocks), next(b_blocks)
            if not mine(index):
                continue
            parts.append(solve_block(start, t_block, b_block))
        return parts

    def solve_block(start: int, t_block: np.ndarray, b_block: np.ndarray) -> tuple:
        k = min(batch, iterations - start)
        data = pat.values_block(t_block[:, :k])  # k x nnz
        rhs = np.empty((n, k * width))
        E = []
        for t in range(k):
            e_t = direct(b_block[:, t])
            E.append(e_t)
            rhs[:, t * width : (t + 1) * width] = e_t.T if adjoint else Fd
        x0 = np.tile(x_static, (1, k))
        if adjoint:
            extra = {"dual": dual} if dual is not None else {}
            x, it, ok = iterate(
                fact.solve_transposed,
                pat,
                data,
                rhs,
                x0,
                lambda v, cols: np.asarray(F.T @ v),
                rtol=rtol,
                maxiter=maxiter,
                width=width,
                **extra,
            )
        else:
            Ek = np.stack(E)  # draws x methods x n

            def outputs(v, cols):
                return np.einsum("cmn,nc->mc", Ek[cols // width], v)

            x, it, ok = iterate(fact.solve, pat, data, rhs, x0, outputs, rtol=rtol,
                               maxiter=maxiter, width=width)  # fmt: skip
        sc = np.empty((k, n_methods, n_demands))
        its = np.zeros(k, dtype=np.int64)
        fell = []
        for t in range(k):
            cols = slice(t * width, (t + 1) * width)
            if not np.all(ok[cols]):
                fell.append(start + t)
                log.warning(
                    "Monte Carlo draw %d did not converge in %d refinement steps; "
                    "solving it with a fresh factorisation", start + t, maxiter
                )  # fmt: skip
                K = pat.matrix(data[t])
                try:
                    ft = factorize(K)
                except SingularTechnosphere as exc:
                    raise SingularTechnosphere(detail=f"drawn technosphere {start + t}") from exc
                x[:, cols] = ft.solve(rhs[:, cols])  # K is Aᵀ (adjoint) or A (forward)
            else:
                its[t] = int(it[cols].max())
            if adjoint:
                sc[t] = np.asarray((F.T @ x[:, cols]).T)
            else:
                sc[t] = E[t] @ x[:, cols]
        return start, sc, its, fell

    workers = max(1, min(int(workers), len(starts)))
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        log.info("no 'fork' start method on this platform: Monte Carlo runs in one process")
        workers = 1
    with _one_blas_thread():
        parts = _dispatch(run, workers)
    scores = np.empty((iterations, n_methods, n_demands))
    its = np.zeros(iterations, dtype=np.int64)
    fallbacks: list[int] = []
    for start, sc, it_block, fell in sorted(parts, key=lambda p: p[0]):
        scores[start : start + len(sc)] = sc
        its[start : start + len(sc)] = it_block
        fallbacks.extend(fell)
    return MonteCarloResult(
        scores, deterministic, seed, direction, its, fallbacks, time.perf_counter() - t0
    )


_JOB = None  # the closure a forked worker runs (inherited through fork, never pickled)


def _one_blas_thread():
    """One BLAS thread while solving: SuperLU's solves are single-threaded, and idle OpenBLAS
    threads spinning after the small dense products were measured to double the time."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _dispatch(run, workers: int) -> list:
    """``run(0, 1)`` here, or ``run(w, workers)`` in ``workers`` forked processes."""
    global _JOB
    if workers == 1:
        return run(0, 1)
    _JOB = run
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_run_job, [(w, workers) for w in range(workers)])
    finally:
        _JOB = None
    parts = []
    for res in results:
        if isinstance(res, tuple) and res and res[0] == "error":
            _, kind, msg = res
            if kind == "SingularTechnosphere":
                raise SingularTechnosphere(detail=msg)
            raise UncertaintyError(msg)
        parts.extend(res)
    return parts


def _run_job(args: tuple[int, int]) -> list | tuple:
    try:
        with _one_blas_thread():  # OpenBLAS resets its thread pool in a forked child
            return _JOB(*args)
    except PCFError as exc:  # PCFError subclasses do not round-trip through pickle
        return ("error", type(exc).__name__, str(exc))


# --------------------------------------------------------------------------------------------
# Reading the arrays out of bw2calc
# --------------------------------------------------------------------------------------------


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


def _uncertain_matrix(mm, shape: tuple[int, int], diagonal: bool = False) -> UncertainMatrix:
    """Concatenate a matrix_utils ``MappedMatrix``'s resource groups as one UncertainMatrix."""
    from bw_processing import UNCERTAINTY_DTYPE

    rows, cols, amounts, params, flips, ids, bounds = [], [], [], [], [], [], [0]
    for group in mm.groups:
        if group.empty:
            continue
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
