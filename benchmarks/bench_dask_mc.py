"""BENCH dask-mc: 2,000 Monte Carlo draws on a dask LocalCluster of 2 worker processes against
the same run in 1 process, both timed in this run.

System: :func:`benchmarks.synthetic.generate` (20,000 activities; lognormal uncertainty on 60 %
of the technosphere inputs and 80 % of the emissions), as plain arrays
(:class:`lca.montecarlo.UncertainMatrix`, no Brightway), GWP100 over its three gases, demand one
unit of activity 123 (as ``BENCH montecarlo``).

- ``baseline``: :func:`lca.montecarlo.monte_carlo` in this process (one factorisation,
  preconditioned refinement, blocks of 16 draws).
- ``ours``: the same call with the executor of :func:`lca.distributed.cluster` ``(workers=2)``
  (what ``--workers 2`` uses: a ``LocalCluster`` of 2 processes, 1 thread each, 127.0.0.1): the
  arrays are scattered to both workers, each factorises once and solves its share of the
  blocks. Timed from the call to the last result; the cluster's start-up is printed apart
  (and the efficiency with it included).

``ratio = baseline / ours`` (the speed-up, target 1.6); parallel efficiency = ratio / 2 (target
>= 0.8 on 2 cores). For reference, the forked workers of ``monte_carlo(workers=2)`` (no dask)
are timed in the same run: they show what the machine allows at that moment. The scores must be bit-identical (same seed; seeds per chunk of draws).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see benchmarks/__main__.py

import logging
import resource
import time

import numpy as np

ITERATIONS = 2000
WORKERS = 2
SEED = 20240601
TARGET = 1.6


def _rss_gib(who) -> float:
    return resource.getrusage(who).ru_maxrss / 2**20  # KiB on Linux


def main() -> dict:
    from lca.distributed import cluster

    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines: start, stop
    from lca.montecarlo import UncertainMatrix, monte_carlo

    from .synthetic import generate

    system = generate()
    n = system.n
    tech = UncertainMatrix.from_arrays(
        system.tech_row, system.tech_col, np.abs(system.tech_amount), system.tech_params,
        (n, n), flip=system.tech_flip,
    )  # fmt: skip
    bio = UncertainMatrix.from_arrays(
        system.bio_row, system.bio_col, system.bio_amount, system.bio_params, (len(system.cf), n)
    )
    f = np.zeros(n)
    f[123] = 1.0
    load = os.getloadavg()

    t0 = time.perf_counter()
    one = monte_carlo(tech, bio, system.cf, f, iterations=ITERATIONS, seed=SEED)
    baseline = time.perf_counter() - t0

    t0 = time.perf_counter()
    with cluster(workers=WORKERS) as executor:
        executor.client.wait_for_workers(WORKERS, timeout=120)
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        dist = monte_carlo(
            tech, bio, system.cf, f, iterations=ITERATIONS, seed=SEED, executor=executor
        )
        ours = time.perf_counter() - t0
        workers_rss = [
            w.get("metrics", {}).get("memory", 0) / 2**30
            for w in executor.client.scheduler_info(n_workers=-1)["workers"].values()
        ]
    # reference in the same conditions: the forked workers monte_carlo already had (one machine)
    t0 = time.perf_counter()
    forked = monte_carlo(tech, bio, system.cf, f, iterations=ITERATIONS, seed=SEED, workers=WORKERS)
    fork_s = time.perf_counter() - t0
    equal = np.array_equal(dist.scores, one.scores)
    ratio = baseline / ours
    s = one.summary()
    print(
        f"dask-mc: {ITERATIONS} draws, {n:,} activities; 1 process {baseline:.2f} s, "
        f"LocalCluster of {WORKERS} processes {ours:.2f} s (+ start-up {startup:.2f} s, not in "
        f"ours); load average before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"dask-mc: parallel efficiency {ratio / WORKERS:.2f} (target >= 0.8; with start-up "
        f"{baseline / (ours + startup) / WORKERS:.2f}); results bit-identical: "
        f"{'yes' if equal else 'NO'}; mean {s.mean[0, 0]:.4f}, 95% interval "
        f"{s.p2_5[0, 0]:.4f} - {s.p97_5[0, 0]:.4f}; fallbacks {len(one.fallbacks)}"
    )
    print(
        f"dask-mc: reference, {WORKERS} forked processes (monte_carlo(workers={WORKERS}), no "
        f"dask) in the same run: {fork_s:.2f} s, efficiency {baseline / fork_s / WORKERS:.2f}; "
        f"equal: {'yes' if np.array_equal(forked.scores, one.scores) else 'NO'} (when this is "
        f"low too, the machine, not dask, limits the speed-up: other processes, shared cache)"
    )
    print(
        f"dask-mc: peak RSS this process {_rss_gib(resource.RUSAGE_SELF):.2f} GiB, workers at the "
        f"end {', '.join(f'{m:.2f}' for m in workers_rss)} GiB (limit 2 GiB each)"
    )
    if not equal:
        raise SystemExit("dask-mc: the cluster's scores differ from the single-process run")
    print(
        f"BENCH dask-mc: ours={ours:.3f} baseline={baseline:.3f} ratio={ratio:.2f} "
        f"target={TARGET:g}",
        flush=True,
    )
    # the workers' memory as the scheduler last saw it (RUSAGE_CHILDREN would mix in every
    # child process the run of all benchmarks has waited for)
    others = max(workers_rss, default=0.0)
    return {"ours": ours, "baseline": baseline, "ratio": ratio, "rss_workers": others}


if __name__ == "__main__":
    main()
