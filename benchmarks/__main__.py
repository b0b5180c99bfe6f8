"""``python -m benchmarks``: our paths against bw2calc on the same synthetic 20,000-activity data.

Each benchmark prints one line ``BENCH <name>: ours=<s> baseline=<s> ratio=<x> target=<x>``
(``ratio = baseline / ours``, higher is better; ``target`` is the ratio we aim for), after a
few lines of detail (accuracy, memory, how the baseline was extrapolated).

* ``batch``: 1,000 product footprints. Ours: one factorisation of ``A`` and one adjoint solve
  (:func:`lca.maths.intensities`, :func:`lca.maths.batch_scores`). Baseline: bw2calc
  ``lci(demand)`` + ``lcia()`` per demand with the factorisation reused (pypardiso caches it);
  ``BATCH_TIMED`` demands are timed and scaled to 1,000.
* ``montecarlo``: 1,000 draws. Ours: :func:`lca.montecarlo.monte_carlo` on the arrays read
  from the stochastic bw2calc LCA (:func:`lca.montecarlo.from_bw2calc`), including reading
  and the static factorisation. Baseline: ``bc.LCA(..., use_distributions=True,
  seed_override=SEED)``, ``lci()``, ``lcia()`` and ``next(lca)`` per draw; ``MC_TIMED`` draws
  are timed and scaled to 1,000 (plus the measured set-up). With ``bw2calc_seeds=True`` our
  draws are bw2calc's, so the scores are compared draw by draw.

Other modules ``benchmarks/bench_*.py`` with a ``main()`` run afterwards. After each benchmark,
one line ``RSS <name>: peak=<GiB>`` gives its peak resident memory (:mod:`benchmarks._rss`;
a ``main()`` whose work runs in other processes returns their peak as ``rss_workers``). ``python -m benchmarks
batch milp`` runs only those named (``bench_`` prefix dropped).
"""

from __future__ import annotations

import os

# SuperLU's solves are single-threaded; OpenBLAS threads left spinning by small dense products
# slow them down, most of all in forked Monte Carlo workers. Must be set before numpy loads.
# (pypardiso, bw2calc's solver, uses MKL's threads, which this does not touch.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import importlib
import logging
import pkgutil
import resource
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from scipy import stats

from lca.maths import batch_scores, direct_intensities, intensities
from lca.montecarlo import from_bw2calc, monte_carlo
from lca.solver import factorize

from ._rss import children_peak_gib, fresh_start, rss_line
from .brightway import open_project
from .synthetic import generate

N_DEMANDS = 1000
BATCH_TIMED = 100
MC_ITERATIONS = 1000
MC_TIMED = 20
MC_WORKERS = 2  # forked processes: SuperLU solves on one core each (bw2calc: pypardiso threads)
SEED = 20240601


def bench_line(name: str, ours: float, baseline: float, target: float) -> None:
    print(
        f"BENCH {name}: ours={ours:.3f} baseline={baseline:.3f} "
        f"ratio={baseline / ours:.1f} target={target:g}",
        flush=True,
    )


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def bench_batch(system, bc, method, ids) -> None:
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(system.n, size=N_DEMANDS, replace=False)
    F = sp.csc_matrix(
        (np.ones(N_DEMANDS), (chosen, np.arange(N_DEMANDS))), shape=(system.n, N_DEMANDS)
    )
    A, B = system.A, system.B

    tracemalloc.start()
    t0 = time.perf_counter()
    fact = factorize(A)
    lam = intensities(fact, direct_intensities(system.cf, B))
    ours_scores = batch_scores(lam, F)[0]
    ours = time.perf_counter() - t0
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    t0 = time.perf_counter()
    lca = bc.LCA({ids[int(chosen[0])]: 1.0}, method)
    lca.lci()
    lca.lcia()
    setup = time.perf_counter() - t0
    base_scores = np.empty(BATCH_TIMED)
    t0 = time.perf_counter()
    for i in range(BATCH_TIMED):
        lca.lci(demand={ids[int(chosen[i])]: 1.0})
        lca.lcia()
        base_scores[i] = lca.score
    loop = time.perf_counter() - t0
    baseline = setup + loop * N_DEMANDS / BATCH_TIMED

    rel = np.abs(ours_scores[:BATCH_TIMED] / base_scores - 1).max()
    print(
        f"batch: {N_DEMANDS} demands; baseline timed on {BATCH_TIMED} demands "
        f"({loop / BATCH_TIMED * 1e3:.1f} ms each) and scaled to {N_DEMANDS}, plus set-up "
        f"{setup:.2f} s; factors nnz(L+U)={fact.nnz:,}"
    )
    print(
        f"batch: max relative difference ours vs bw2calc = {rel:.1e} (must be <= 1e-9); "
        f"peak numpy memory (tracemalloc) {traced / 2**20:.0f} MiB; "
        f"process peak RSS so far {peak_rss_gib():.2f} GiB (limit 2 GiB)"
    )
    if not rel <= 1e-9:
        raise SystemExit(f"batch: results differ from bw2calc ({rel:.2e})")
    bench_line("batch", ours, baseline, 10)


def bench_montecarlo(system, bc, method, ids) -> None:
    demand = {ids[123]: 1.0}
    t0 = time.perf_counter()
    lca = bc.LCA(demand, method, use_distributions=True, seed_override=SEED)
    lca.lci()
    lca.lcia()
    setup = time.perf_counter() - t0
    base = [lca.score]
    t0 = time.perf_counter()
    for _ in range(MC_TIMED):
        next(lca)
        base.append(lca.score)
    loop = time.perf_counter() - t0
    base = np.array(base)
    baseline = setup + loop * (MC_ITERATIONS - 1) / MC_TIMED

    t0 = time.perf_counter()
    stoch = from_bw2calc(lca)
    result = monte_carlo(
        stoch.technosphere,
        stoch.biosphere,
        stoch.characterization,
        stoch.demand_vector(demand),
        iterations=MC_ITERATIONS,
        seed=SEED,
        bw2calc_seeds=True,
        workers=MC_WORKERS,
    )
    ours = time.perf_counter() - t0
    h = result.scores[:, 0, 0]
    same = np.abs(h[: len(base)] / base - 1).max()
    s = result.summary()
    its = np.bincount(result.iterations)
    print(
        f"montecarlo: baseline timed on {MC_TIMED} next(lca) draws "
        f"({loop / MC_TIMED:.3f} s each) and scaled to {MC_ITERATIONS}, plus set-up {setup:.2f} s"
    )
    print(
        f"montecarlo: ours {ours / MC_ITERATIONS * 1e3:.1f} ms/draw with {MC_WORKERS} worker "
        f"processes (incl. reading the arrays from the LCA and factorising); refinement sweeps "
        f"per draw "
        f"{ {k: int(v) for k, v in enumerate(its) if v} }; fallbacks {len(result.fallbacks)}"
    )
    print(
        f"montecarlo: draw-by-draw (same seeds as bw2calc), first {len(base)} draws: "
        f"max relative difference {same:.1e}"
    )
    bm, bse = base.mean(), base.std(ddof=1) / np.sqrt(len(base))
    ks = stats.ks_2samp(h, base)
    print(
        f"montecarlo: ours ({MC_ITERATIONS} draws) mean={s.mean[0, 0]:.4f} "
        f"median={s.median[0, 0]:.4f} p2.5={s.p2_5[0, 0]:.4f} p97.5={s.p97_5[0, 0]:.4f} "
        f"std={s.std[0, 0]:.4f}; deterministic={result.deterministic[0, 0]:.4f}"
    )
    print(
        f"montecarlo: bw2calc ({len(base)} draws) mean={bm:.4f} ± {bse:.4f} (s.e.) "
        f"median={np.median(base):.4f} p2.5={np.percentile(base, 2.5):.4f} "
        f"p97.5={np.percentile(base, 97.5):.4f}; mean difference {(s.mean[0, 0] - bm) / bse:+.2f}"
        f" s.e.; two-sample KS p={ks.pvalue:.2f}"
    )
    if not same <= 1e-8:
        raise SystemExit(f"montecarlo: draws differ from bw2calc ({same:.2e})")
    bench_line("montecarlo", ours, baseline, 10)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks named in ``argv`` (default: all), ours first, then ``bench_*``."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    wanted = set(sys.argv[1:] if argv is None else argv)
    failed = []
    if not wanted or wanted & {"batch", "montecarlo"}:
        t0 = time.perf_counter()
        system = generate()
        _, bc, method, ids = open_project(system)
        print(
            f"synthetic system: {system.n:,} activities, {len(system.tech_row):,} technosphere "
            f"and {len(system.bio_row):,} biosphere exchanges; ready in "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        for name, fn in (("batch", bench_batch), ("montecarlo", bench_montecarlo)):
            if not wanted or name in wanted:
                fresh_start()
                fn(system, bc, method, ids)
                # montecarlo forks its workers (waited for: their peak is in RUSAGE_CHILDREN)
                rss_line(name, children_peak_gib() if name == "montecarlo" else None)
    here = __name__.rpartition(".")[0] or "benchmarks"
    pkg = importlib.import_module(here)
    for info in pkgutil.iter_modules(pkg.__path__):
        name = info.name.removeprefix("bench_")
        if info.name.startswith("bench_") and (
            not wanted or name in wanted or name.replace("_", "-") in wanted
        ):
            try:
                mod = importlib.import_module(f"{here}.{info.name}")
                if hasattr(mod, "main"):
                    fresh_start()
                    out = mod.main()
                    # a benchmark that runs its work in other processes returns their peak
                    others = out.get("rss_workers") if isinstance(out, dict) else None
                    rss_line(name.replace("_", "-"), others)
            except Exception as exc:  # noqa: BLE001 - keep running the others; report at end
                print(f"benchmark {info.name} failed: {exc!r}", file=sys.stderr, flush=True)
                failed.append(info.name)
    if failed:
        raise SystemExit(f"failed benchmarks: {', '.join(failed)}")


if __name__ == "__main__":
    main()
