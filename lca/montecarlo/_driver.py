"""The Monte Carlo driver: draw, solve in blocks (optionally in forked workers), collect."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..distributed import WorkerCache
from ..errors import NonSquareTechnosphere, PCFError, SingularTechnosphere, UncertaintyError
from ..solver import Factorization, factorize
from ._iterative import gmres, refine
from ._matrix import UncertainMatrix, _Pattern
from ._results import MonteCarloResult
from ._sampling import BIOSPHERE, TECHNOSPHERE, ChunkSampler, run_entropy, sample_blocks

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
    executor=None,
    progress=None,
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
        ``w, w + workers, ...``; draws are seeded per chunk of draws
        (:func:`lca.montecarlo.sample_blocks`), so results do not depend on ``workers``.
    executor
        Runs the blocks elsewhere instead, e.g. on a dask cluster
        (:class:`lca.distributed.DaskExecutor`): ``executor.run(spec, tasks, progress)`` with
        ``tasks`` lists of block indices returns their parts and the static scores (see
        :func:`run_task` and :func:`collect_parts`). The blocks and their draws are the same,
        so the scores are bit-identical to a run in this process (on workers with the same
        CPU and numerical libraries).
    progress
        ``progress(done, total)`` after each block of draws (each finished task with
        ``executor``; once at the end with forked ``workers``).

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
    spec = JobSpec(
        technosphere,
        biosphere,
        C,
        F,
        iterations,
        seed if bw2calc_seeds else run_entropy(seed),
        adjoint=direction == "adjoint",
        method=method,
        batch=batch,
        rtol=rtol,
        maxiter=maxiter,
        bw2calc_seeds=bw2calc_seeds,
    )
    if executor is not None:
        # the workers solve the draws and bring back the static scores with them: each has
        # factorised the static technosphere for its first task anyway. Building it here as
        # well (a factorisation, ~1 s on the 20,000-activity bench) would take a core from
        # the workers of a local cluster while they run.
        parts, deterministic = executor.run(spec, spec.tasks(), progress)
    else:
        job = _Job(spec, factorization)
        n_blocks = len(job.starts)
        workers = max(1, min(int(workers), n_blocks))
        if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
            log.info("no 'fork' start method on this platform: Monte Carlo runs in one process")
            workers = 1
        with _one_blas_thread():
            if workers == 1:
                parts = job.run_blocks(range(n_blocks), progress)
            else:
                parts = _dispatch(job, workers)
                if progress is not None:
                    progress(n_blocks, n_blocks)
        deterministic = job.deterministic
    scores, its, fallbacks = _collect(parts, iterations, C.shape[0], F.shape[1])
    return MonteCarloResult(
        scores, deterministic, seed, direction, its, fallbacks, time.perf_counter() - t0
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


@dataclass(frozen=True, eq=False)
class JobSpec:
    """Everything a process needs to solve blocks of draws of one Monte Carlo run: the arrays
    that travel to cluster workers (no factorisation: each worker factorises once, see
    :func:`run_task`). ``seed`` is the run's entropy (the user's seed, or fresh for ``None``)."""

    technosphere: UncertainMatrix
    biosphere: UncertainMatrix
    C: np.ndarray
    F: sp.csc_matrix
    iterations: int
    seed: int | None
    adjoint: bool
    method: str
    batch: int
    rtol: float
    maxiter: int
    bw2calc_seeds: bool

    @property
    def n_blocks(self) -> int:
        return -(-self.iterations // self.batch)

    def tasks(self, per_task: int | None = None) -> list[list[int]]:
        """Blocks grouped into tasks of consecutive blocks (default: one block each, at most
        ~1,000 tasks; with ``bw2calc_seeds`` 8 tasks, as each draws past the blocks before it)."""
        n = self.n_blocks
        if per_task is None:
            per_task = -(-n // 8) if self.bw2calc_seeds else max(1, -(-n // 1000))
        return [list(range(i, min(n, i + per_task))) for i in range(0, n, per_task)]

    def token(self) -> str:
        """A hash of the content: the key of a worker's cached factorisation."""
        h = hashlib.sha256()
        for m in (self.technosphere, self.biosphere):
            for a in (m.row, m.col, m.amount, m.params, m.flip, np.asarray(m.groups)):
                h.update(np.ascontiguousarray(a).tobytes())
            h.update(repr(m.shape).encode())
        for a in (self.C, self.F.data, self.F.indices, self.F.indptr):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((self.F.shape, self.iterations, self.seed, self.adjoint, self.method,
                       self.batch, self.rtol, self.maxiter, self.bw2calc_seeds)).encode())  # fmt: skip
        return h.hexdigest()


class _Job:
    """One Monte Carlo run in one process: the static solution and what every block of draws
    needs. :meth:`run_blocks` is what a worker does (this process, a forked one or a cluster
    worker); the arithmetic of a block is the same whichever worker solves it.
    """

    def __init__(self, spec: JobSpec, factorization: Factorization | None = None) -> None:
        technosphere, biosphere, C, F = spec.technosphere, spec.biosphere, spec.C, spec.F
        adjoint, method, iterations = spec.adjoint, spec.method, spec.iterations
        self.spec = spec
        self.technosphere, self.biosphere, self.F = technosphere, biosphere, F
        self.iterations, self.seed, self.batch = iterations, spec.seed, spec.batch
        self.adjoint, self.rtol, self.maxiter = adjoint, spec.rtol, spec.maxiter
        self.bw2calc_seeds = spec.bw2calc_seeds
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
        self.starts = list(range(0, iterations, spec.batch))
        self._samplers: tuple[ChunkSampler, ChunkSampler] | None = None  # built on first use

    def direct(self, bvals: np.ndarray) -> np.ndarray:
        """``e = C B`` (methods x activities) for the biosphere values ``bvals``."""
        w = self.CB_rows * (bvals[self.bkeep] * self.b_sign)
        return np.vstack([np.bincount(self.b_col, weights=wi, minlength=self.n) for wi in w])

    def run_blocks(self, blocks, progress=None) -> list:
        """Solve the blocks ``blocks`` (indices, increasing): ``[(start, scores, steps, fell)]``.

        Draws are sampled from the first block's first draw on; only the blocks asked for are
        drawn (with ``bw2calc_seeds``, the others are drawn past).
        """
        blocks = sorted(int(b) for b in blocks)
        if not blocks:
            return []
        first, wanted = blocks[0], set(blocks)

        def mine(i: int) -> bool:
            return first + i in wanted

        batch, bw2 = self.batch, self.bw2calc_seeds
        if bw2:  # one stream per group: the blocks before are drawn past
            kw = {"wanted": mine, "bw2calc_seeds": True, "start": first * batch}
            t_blocks = sample_blocks(self.technosphere, self.seed, batch, tag=TECHNOSPHERE, **kw)
            b_blocks = sample_blocks(self.biosphere, self.seed, batch, tag=BIOSPHERE, **kw)
        elif self._samplers is None:  # seeded per chunk: only the blocks asked for are drawn
            self._samplers = (
                ChunkSampler(self.technosphere, self.seed, TECHNOSPHERE),
                ChunkSampler(self.biosphere, self.seed, BIOSPHERE),
            )
        parts = []
        for index in range(first, blocks[-1] + 1):
            if bw2:
                t_block, b_block = next(t_blocks), next(b_blocks)
            if index not in wanted:
                continue
            start = self.starts[index]
            if not bw2:
                t_block = self._samplers[0].draws(start, start + batch)
                b_block = self._samplers[1].draws(start, start + batch)
            parts.append(self.solve_block(start, t_block, b_block))
            if progress is not None:
                progress(len(parts), len(blocks))
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
        """Draw ``draw`` solved with a fresh factorisation (refinement did not converge).

        Logged at INFO, not WARNING: the draw is then solved exactly, so nothing is lost and a
        user has nothing to act on (the demo printed it as a warning on most runs)."""
        log.info(
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


def _dispatch(job: _Job, workers: int) -> list:
    """``job.run_blocks(w::workers)`` in ``workers`` forked processes."""
    global _JOB
    blocks = list(range(len(job.starts)))
    _JOB = job.run_blocks
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_run_job, [blocks[w::workers] for w in range(workers)])
    finally:
        _JOB = None
    return _parts(results)


def _parts(results: list) -> list:
    """The parts of every worker's result, re-raising an error a worker returned."""
    parts = []
    for res in results:
        if isinstance(res, tuple) and res and res[0] == "error":
            _, kind, msg = res
            if kind == "SingularTechnosphere":
                raise SingularTechnosphere(detail=msg)
            raise UncertaintyError(msg)
        parts.extend(res)
    return parts


def _run_job(blocks: list) -> list | tuple:
    try:
        with _one_blas_thread():  # OpenBLAS resets its thread pool in a forked child
            return _JOB(blocks)
    except PCFError as exc:  # PCFError subclasses do not round-trip through pickle
        return ("error", type(exc).__name__, str(exc))


#: Jobs a cluster worker has built (factorised), by :meth:`JobSpec.token`; the last two kept.
_WORKER_JOBS = WorkerCache(keep=2)


def run_task(spec: JobSpec, token: str, blocks: list) -> dict | tuple:
    """What a cluster worker runs for one task: ``{"parts": the parts of blocks,
    "deterministic": the static scores}``.

    The worker builds (and factorises) the job once per ``token`` and reuses it for every later
    task of the run; the static scores come with each task (methods x demands: a few numbers),
    so the caller need not factorise too. Errors come back as ``("error", kind, message)``:
    the project's errors do not round-trip through pickle. Use :func:`collect_parts` on the
    results.
    """
    try:
        # one task at a time per worker process: a job's samplers and factorisation are not
        # shared between threads (SuperLU solves on one core: run 1 thread per worker process)
        with _WORKER_JOBS.lock:
            job = _WORKER_JOBS.get(token, lambda: _Job(spec))
            with _one_blas_thread():
                return {"parts": job.run_blocks(blocks), "deterministic": job.deterministic}
    except PCFError as exc:
        return ("error", type(exc).__name__, str(exc))


def collect_parts(results: list) -> tuple[list, np.ndarray]:
    """The parts of :func:`run_task` results and the static scores they carry, re-raising
    the first error one returned."""
    parts = _parts([r if isinstance(r, tuple) else r["parts"] for r in results])
    return parts, results[0]["deterministic"]
