"""Monte Carlo on dask.distributed (lca.distributed): a LocalCluster of 2 worker processes on
127.0.0.1, in this test session; bounded by timeouts. The scores equal the single-process run
bit for bit (same seed): draws are seeded per chunk of draws, not per worker."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bw_processing import UNCERTAINTY_DTYPE
from stats_arrays import MCRandomNumberGenerator
from typer.testing import CliRunner

from lca.montecarlo import (
    CHUNK,
    TECHNOSPHERE,
    UncertainMatrix,
    chunk_seed,
    monte_carlo,
    sample_blocks,
)
from pcf.app import app

TIMEOUT = 60  # seconds for the cluster to start and for any one run
DB = "dist-test"
runner = CliRunner()


def params(amount, sigma):
    p = np.zeros(len(amount), dtype=UNCERTAINTY_DTYPE)
    for f in ("scale", "shape", "minimum", "maximum"):
        p[f] = np.nan
    p["loc"] = amount
    unc = sigma > 0
    p["uncertainty_type"][unc] = 2
    p["loc"][unc] = np.log(amount[unc])
    p["scale"][unc] = sigma[unc]
    return p


def small_system(n=50, seed=0):
    """Seeded productive system: unit diagonal, 5 inputs per activity (sum 0.2-0.6), 2 flows,
    lognormal uncertainty on 60 % of the inputs and on every emission."""
    rng = np.random.default_rng(seed)
    rows, cols = [np.arange(n)], [np.arange(n)]
    for j in range(n):
        rows.append(rng.choice(np.delete(np.arange(n), j), size=5, replace=False))
        cols.append(np.full(5, j))
    row, col = np.concatenate(rows), np.concatenate(cols)
    w = rng.random(len(row) - n)
    colsum = np.bincount(col[n:], weights=w, minlength=n)
    amount = np.concatenate([np.ones(n), w / colsum[col[n:]] * rng.uniform(0.2, 0.6, n)[col[n:]]])
    flip = np.arange(len(row)) >= n
    sig = np.where(flip & (rng.random(len(row)) < 0.6), rng.uniform(0.05, 0.3, len(row)), 0.0)
    # two resource groups, as two databases would give
    tech = UncertainMatrix.from_arrays(
        row, col, amount, params(amount, sig), (n, n), flip=flip, groups=(0, n + 40, len(row))
    )
    b_row = np.concatenate([np.zeros(n, int), np.ones(n // 2, int)])
    b_col = np.concatenate([np.arange(n), rng.choice(n, n // 2, replace=False)])
    b_amt = rng.lognormal(0, 1, len(b_row))
    bio = UncertainMatrix.from_arrays(
        b_row, b_col, b_amt, params(b_amt, rng.uniform(0.1, 0.5, len(b_row))), (2, n)
    )
    return tech, bio


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            timeout=TIMEOUT,
        ) as cluster,
        distributed.Client(cluster, timeout=TIMEOUT) as client,
    ):
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield client


def test_chunk_seeds_are_seedsequence_spawns_keyed_by_chunk():
    """Draw ``t`` comes from chunk ``t // CHUNK``, seeded by ``SeedSequence([seed, tag])``
    spawned per chunk, then per group; a block's size or start does not change the draws."""
    tech, _ = small_system()
    seed = 2024
    chunk3 = np.random.SeedSequence([seed, TECHNOSPHERE]).spawn(4)[3]
    group1 = chunk3.spawn(2)[1]
    assert chunk_seed(seed, TECHNOSPHERE, 3, 1) == int(group1.generate_state(1)[0])
    g0, g1 = tech.groups[1], tech.groups[2]
    want = MCRandomNumberGenerator(tech.params[g0:g1], seed=int(group1.generate_state(1)[0]))
    want = want.generate(samples=CHUNK)
    one = np.hstack([b for _, b in zip(range(8), sample_blocks(tech, seed, 10))])  # 80 draws
    np.testing.assert_array_equal(one[g0:g1, 3 * CHUNK : 4 * CHUNK], want)
    odd = next(sample_blocks(tech, seed, 23, start=37))  # straddles chunks 2, 3 and 4
    np.testing.assert_array_equal(odd, one[:, 37:60])


@pytest.mark.parametrize(
    ("batch", "bw2calc_seeds", "direction"),
    [(8, False, "adjoint"), (12, False, "forward"), (16, True, "adjoint")],
)
def test_cluster_scores_bit_identical_to_one_process(dask_client, batch, bw2calc_seeds, direction):
    from lca.distributed import DaskExecutor

    tech, bio = small_system()
    C = np.array([[1.0, 29.8], [1.0, 0.0]])
    F = np.eye(50)[:, [0, 7, 49]]
    kw = {"iterations": 60, "seed": 9, "batch": batch, "bw2calc_seeds": bw2calc_seeds,
          "direction": direction}  # fmt: skip
    one = monte_carlo(tech, bio, C, F, **kw)
    seen = []
    dist = monte_carlo(
        tech, bio, C, F, **kw, executor=DaskExecutor(dask_client),
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    np.testing.assert_array_equal(dist.scores, one.scores)
    np.testing.assert_array_equal(dist.deterministic, one.deterministic)
    assert dist.fallbacks == one.fallbacks
    assert seen[-1][0] == seen[-1][1] == len(seen)  # one call per finished task
    # and the same as forked workers
    two = monte_carlo(tech, bio, C, F, **kw, workers=2)
    np.testing.assert_array_equal(two.scores, one.scores)


@pytest.fixture(scope="module")
def dist_db(project, write_uncertain_hs, bw_dir):
    import bw2data as bd

    write_uncertain_hs(DB)
    yield bw_dir
    del bd.databases[DB]


def footprint_mc(bw_dir, *extra, code=0) -> dict | str:
    args = ["--data-dir", str(bw_dir), "footprint", f"{DB}|elec", "--method", "HS|CO2"]
    args += ["--iterations", "48", "--seed", "5", "--json", *map(str, extra)]
    r = runner.invoke(app, args)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    return json.loads(r.stdout)["uncertainty"] if code == 0 else r.stderr


def test_cli_workers_and_scheduler_equal_one_process(dist_db, dask_client, monkeypatch):
    """``--workers 2`` (a LocalCluster of its own), ``--scheduler ADDRESS`` and
    ``$PCF_DASK_SCHEDULER`` give the single-process statistics exactly."""
    monkeypatch.delenv("PCF_DASK_SCHEDULER", raising=False)
    one = footprint_mc(dist_db)
    assert footprint_mc(dist_db, "--workers", 2) == one
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    assert footprint_mc(dist_db, "--scheduler", address) == one
    monkeypatch.setenv("PCF_DASK_SCHEDULER", address)
    assert footprint_mc(dist_db) == one
    err = footprint_mc(dist_db, "--workers", 2, code=1)  # the variable and --workers: which?
    assert "give one of them" in " ".join(err.split())


def _worker_settings() -> dict:
    import os

    import dask

    return {
        "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
        "profile": dask.config.get("distributed.worker.profile.enabled"),
        "monitor": dask.config.get("distributed.worker.memory.monitor-interval"),
    }


def test_local_cluster_workers_start_without_the_settings_that_slow_blocks(monkeypatch):
    """``--workers``' cluster: no ``MALLOC_TRIM_THRESHOLD_`` (each block's arrays would be
    mapped afresh), one BLAS thread, no statistical profiler and the memory monitor once a
    second (each wakes the worker's event loop while a block holds the GIL). Also when a
    cluster with dask's defaults started earlier in the process has left the variable in
    ``os.environ`` (a nanny writes it there); the process's own environment is kept."""
    import os

    pytest.importorskip("distributed")
    from lca.distributed import cluster

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # as dask's own nanny leaves it
    with cluster(workers=1) as ex:
        ex.client.wait_for_workers(1, timeout=TIMEOUT)
        [got] = ex.client.run(_worker_settings).values()
        assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"
    assert got == {"trim": None, "blas": "1", "profile": False, "monitor": "1s"}
