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
