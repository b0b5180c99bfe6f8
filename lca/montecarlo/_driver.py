"""The Monte Carlo driver: draw, solve in blocks (optionally in forked workers), collect."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import time

import numpy as np
import scipy.sparse as sp

from ..errors import NonSquareTechnosphere, PCFError, SingularTechnosphere, UncertaintyError
from ..solver import Factorization, factorize
from ._iterative import gmres, refine
from ._matrix import UncertainMatrix, _Pattern
from ._results import MonteCarloResult
from ._sampling import BIOSPHERE, TECHNOSPHERE, sample_blocks

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional dependency
    threadpool_limits = None

log = logging.getLogger(__name__)


def _as_2d_columns(F, n: int, what: str) -> sp.csc_matrix:
    F = sp.csc_matrix(F.reshape(-1, 1) if isinstance(F, np.ndarray) and F.ndim == 1 else F)
    if F.shape[0] != n:
        raise UncertaintyError(f"{what} has {F.shape[0]} rows; the technosphere has {n}")
    return F


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
    C, F, direction = _checked(
        technosphere, biosphere, characterization, demands, iterations, direction, method
    )
    job = _Job(
        technosphere,
        biosphere,
        C,
        F,
        iterations,
        seed,
        adjoint=direction == "adjoint",
        method=method,
        batch=batch,
        rtol=rtol,
        maxiter=maxiter,
        bw2calc_seeds=bw2calc_seeds,
        factorization=factorization,
    )
    workers = max(1, min(int(workers), len(job.starts)))
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        log.info("no 'fork' start method on this platform: Monte Carlo runs in one process")
        workers = 1
    with _one_blas_thread():
        parts = _dispatch(job.run, workers)
    scores, its, fallbacks = _collect(parts, iterations, C.shape[0], F.shape[1])
    return MonteCarloResult(
        scores, job.deterministic, seed, direction, its, fallbacks, time.perf_counter() - t0
    )


def _checked(
    technosphere: UncertainMatrix,
    biosphere: UncertainMatrix,
    characterization,
    demands,
    iterations: int,
    direction: str,
    method: str,
) -> tuple[np.ndarray, sp.csc_matrix, str]:
    """``C`` (2-D), ``F`` (sparse columns) and the resolved direction; raises on bad input."""
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
    if direction == "auto":
        direction = "adjoint" if C.shape[0] <= F.shape[1] else "forward"
    if direction not in ("adjoint", "forward"):
        raise UncertaintyError(
            f"direction must be 'adjoint', 'forward' or 'auto', not {direction!r}"
        )
    if iterations < 1:
        raise UncertaintyError(f"iterations must be positive, not {iterations}")
    if method not in ("gmres", "refine"):
        raise UncertaintyError(f"method must be 'gmres' or 'refine', not {method!r}")
    return C, F, direction


class _Job:
    """One Monte Carlo run: the static solution and what every block of draws needs.

    :meth:`run` is what a worker does (in this process or a forked one); the arithmetic is
    the same whichever worker solves a block.
    """

    def __init__(
        self,
        technosphere: UncertainMatrix,
        biosphere: UncertainMatrix,
        C: np.ndarray,
        F: sp.csc_matrix,
        iterations: int,
        seed: int | None,
        *,
        adjoint: bool,
        method: str,
        batch: int,
        rtol: float,
        maxiter: int,
        bw2calc_seeds: bool,
        factorization: Factorization | None,
    ) -> None:
        self.technosphere, self.biosphere, self.F = technosphere, biosphere, F
        self.iterations, self.seed, self.batch = iterations, seed, batch
        self.adjoint, self.rtol, self.maxiter = adjoint, rtol, maxiter
        self.bw2calc_seeds = bw2calc_seeds
        self.n = technosphere.shape[0]
        self.n_methods, self.n_demands = C.shape[0], F.shape[1]
        self.iterate = gmres if method == "gmres" else refine
        A0 = technosphere.static()
        fact = factorization if factorization is not None else factorize(A0)
        self.fact = fact
        self.pat = _Pattern(technosphere, transpose=adjoint)  # CSR of Aᵀ (adjoint) or of A
        self.bkeep = (biosphere.row >= 0) & (biosphere.col >= 0)
        b_row = biosphere.row[self.bkeep]
        self.b_col, self.b_sign = biosphere.col[self.bkeep], biosphere.sign[self.bkeep]
        self.CB_rows = C[:, b_row]  # methods x used biosphere entries

        # deterministic scores
        e0 = self.direct(biosphere.amount)
        if adjoint:
            lam0 = fact.solve_transposed(e0.T)  # n x methods
            self.deterministic = np.asarray((F.T @ lam0).T)
        else:
            s0 = fact.solve(F.toarray())
            self.deterministic = e0 @ s0
        self.width = self.n_methods if adjoint else self.n_demands
        # dual-weighted residual test for refine in adjoint mode: W = A⁻¹ F, once (few demands)
        few = adjoint and method == "refine" and self.n_demands <= 16
        self.dual = fact.solve(F.toarray()) if few else None
        self.x_static = lam0 if adjoint else s0
        self.Fd = F.toarray() if not adjoint else None
        self.starts = list(range(0, iterations, batch))

    def direct(self, bvals: np.ndarray) -> np.ndarray:
        """``e = C B`` (methods x activities) for the biosphere values ``bvals``."""
        w = self.CB_rows * (bvals[self.bkeep] * self.b_sign)
        return np.vstack([np.bincount(self.b_col, weights=wi, minlength=self.n) for wi in w])

    def run(self, worker: int, workers: int) -> list:
        """Blocks ``worker::workers``; every worker draws every block so the streams match."""

        def mine(i: int) -> bool:
            return i % workers == worker

        seed, batch, bw2 = self.seed, self.batch, self.bw2calc_seeds
        t_blocks = sample_blocks(
            self.technosphere, seed, batch, tag=TECHNOSPHERE, wanted=mine, bw2calc_seeds=bw2
        )
        b_blocks = sample_blocks(
            self.biosphere, seed, batch, tag=BIOSPHERE, wanted=mine, bw2calc_seeds=bw2
        )
        parts = []
        for index, start in enumerate(self.starts):
            t_block, b_block = next(t_blocks), next(b_blocks)
            if not mine(index):
                continue
            parts.append(self.solve_block(start, t_block, b_block))
        return parts

    def solve_block(self, start: int, t_block: np.ndarray, b_block: np.ndarray) -> tuple:
        """``(start, scores, refinement steps, draws that fell back)`` of one block of draws."""
        k = min(self.batch, self.iterations - start)
        width = self.width
        data = self.pat.values_block(t_block[:, :k])  # k x nnz
        rhs = np.empty((self.n, k * width))
        E = []
        for t in range(k):
            e_t = self.direct(b_block[:, t])
            E.append(e_t)
            rhs[:, t * width : (t + 1) * width] = e_t.T if self.adjoint else self.Fd
        x, it, ok = self._iterate(data, rhs, np.tile(self.x_static, (1, k)), E)
        sc = np.empty((k, self.n_methods, self.n_demands))
        its = np.zeros(k, dtype=np.int64)
        fell = []
        for t in range(k):
            cols = slice(t * width, (t + 1) * width)
            if not np.all(ok[cols]):
                fell.append(start + t)
                x[:, cols] = self._fresh(start + t, data[t], rhs[:, cols])
            else:
                its[t] = int(it[cols].max())
            if self.adjoint:
                sc[t] = np.asarray((self.F.T @ x[:, cols]).T)
            else:
                sc[t] = E[t] @ x[:, cols]
        return start, sc, its, fell

    def _iterate(self, data: np.ndarray, rhs: np.ndarray, x0: np.ndarray, E: list) -> tuple:
        """The block's solutions by :func:`refine` or :func:`gmres` from the static ``x0``."""
        F, width = self.F, self.width
        if self.adjoint:
            extra = {"dual": self.dual} if self.dual is not None else {}
            return self.iterate(
                self.fact.solve_transposed,
                self.pat,
                data,
                rhs,
                x0,
                lambda v, cols: np.asarray(F.T @ v),
                rtol=self.rtol,
                maxiter=self.maxiter,
                width=width,
                **extra,
            )
        Ek = np.stack(E)  # draws x methods x n

        def outputs(v, cols):
            return np.einsum("cmn,nc->mc", Ek[cols // width], v)

        return self.iterate(self.fact.solve, self.pat, data, rhs, x0, outputs, rtol=self.rtol,
                            maxiter=self.maxiter, width=width)  # fmt: skip

    def _fresh(self, draw: int, values: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Draw ``draw`` solved with a fresh factorisation (refinement did not converge)."""
        log.warning(
            "Monte Carlo draw %d did not converge in %d refinement steps; "
            "solving it with a fresh factorisation", draw, self.maxiter
        )  # fmt: skip
        K = self.pat.matrix(values)
        try:
            ft = factorize(K)
        except SingularTechnosphere as exc:
            raise SingularTechnosphere(detail=f"drawn technosphere {draw}") from exc
        return ft.solve(rhs)  # K is Aᵀ (adjoint) or A (forward)


def _collect(parts: list, iterations: int, n_methods: int, n_demands: int) -> tuple:
    """The blocks' results in draw order: ``(scores, refinement steps, fallbacks)``."""
    scores = np.empty((iterations, n_methods, n_demands))
    its = np.zeros(iterations, dtype=np.int64)
    fallbacks: list[int] = []
    for start, sc, it_block, fell in sorted(parts, key=lambda p: p[0]):
        scores[start : start + len(sc)] = sc
        its[start : start + len(sc)] = it_block
        fallbacks.extend(fell)
    return scores, its, fallbacks


_JOB = None  # the closure a forked worker runs (inherited through fork, never pickled)


def _one_blas_thread():
    """One BLAS thread while solving: SuperLU's solves are single-threaded, and idle OpenBLAS
    threads spinning after the small dense products were measured to double the time."""
    if threadpool_limits is None:  # pragma: no cover - optional
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
