"""Monte Carlo draws and scenario sweeps on a dask.distributed cluster: an existing one, or a
local one.

:func:`cluster` opens a :class:`DaskExecutor` on the scheduler at ``scheduler`` (``tcp://HOST:PORT``;
default ``$PCF_DASK_SCHEDULER``) or on a ``LocalCluster`` of ``workers`` processes listening on
127.0.0.1 only; :func:`lca.montecarlo.monte_carlo` (and everything built on it:
:func:`lca.workflows.uncertainty`, portfolios) takes it as ``executor``.

What travels to the workers: one :class:`lca.montecarlo.JobSpec` per run (the technosphere
and biosphere entries with their stats_arrays parameters, the characterisation factors and the
demands; 15 MiB pickled for the 20,000-activity benchmark's 330,000 entries), scattered once
to every worker; then one small task per block of draws (its block indices) and back the
block's scores with the static scores (the client process does not factorise). Each worker
factorises the static technosphere once per run (:func:`lca.montecarlo.run_task` keeps it in
a worker-local cache keyed by a hash of the run's arrays) and reuses it for all its tasks.

Scenario sweeps (:func:`supply_chain.scenarios.run_scenarios` with ``executor``) use
:meth:`DaskExecutor.map`: the baseline matrices, characterisation factors and demands are
scattered once; one task per scenario carries its matrix changes and brings back the scores;
each worker factorises the baseline once (for the scenarios that change only ``B``) and every
changed technosphere once.

Reproducibility: the draws of a seed are seeded per chunk of draws
(:func:`lca.montecarlo.chunk_seed`), not per worker, and every block is solved exactly as in a
single process, so the scores are bit-identical to ``monte_carlo`` without an executor on
workers with the same CPU type and numerical libraries (numpy, scipy's SuperLU, OpenBLAS).

We use dask.distributed rather than our own sockets or ``multiprocessing`` (which
:func:`~lca.montecarlo.monte_carlo` still uses for ``workers`` on one machine): it brings
scheduling, data transfer, worker restarts and the deployment tools (dask-jobqueue,
dask-kubernetes) users of real clusters already have.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

from .errors import PCFError

__all__ = ["ENV_SCHEDULER", "ClusterError", "DaskExecutor", "WorkerCache", "cluster"]

log = logging.getLogger(__name__)

#: The environment variable naming an existing scheduler (``tcp://HOST:PORT``).
ENV_SCHEDULER = "PCF_DASK_SCHEDULER"
#: Seconds to wait for a scheduler (or a local cluster) before giving up.
CONNECT_TIMEOUT = 30.0


class WorkerCache:
    """What a cluster worker process builds once per run (a factorised job) and reuses for every
    later task of that run, by the run's token; the last ``keep`` runs are kept. Hold ``lock``
    around :meth:`get` and the use of what it returns: one task at a time per process (a job's
    samplers and factorisation are not shared between threads)."""

    def __init__(self, keep: int = 2):
        self.keep = keep
        self.lock = threading.Lock()
        self._items: OrderedDict[str, object] = OrderedDict()

    def get(self, token: str, build: Callable[[], object]):
        """The object of ``token``, built by ``build()`` the first time."""
        item = self._items.get(token)
        if item is None:
            item = self._items[token] = build()
            while len(self._items) > self.keep:
                self._items.popitem(last=False)
        self._items.move_to_end(token)
        return item


#: dask's environment for the worker processes a nanny starts.
PRE_SPAWN = "distributed.nanny.pre-spawn-environ"
#: The variable dask sets for its workers that our workers go without (:func:`_worker_environ`).
_TRIM = "MALLOC_TRIM_THRESHOLD_"


def _worker_environ() -> dict:
    """dask's worker environment without ``MALLOC_TRIM_THRESHOLD_`` (see also
    :func:`_environ_without`).

    dask sets it (to 65,536) so that workers return freed memory to the system; it also turns
    off glibc's adaptive mmap threshold, so every block's temporary arrays (tens of MB) are
    mapped and faulted in afresh: measured 1.5x slower per block on the 20,000-activity
    benchmark. The thread counts dask sets (1 BLAS/OpenMP thread) are kept.
    """
    import dask

    env = dict(dask.config.get(PRE_SPAWN, default={}) or {})
    env.pop(_TRIM, None)
    return env


@contextlib.contextmanager
def _environ_without(name: str) -> Iterator[None]:
    """This process's environment without ``name`` while a local cluster starts its workers
    (they inherit it), put back after.

    A nanny writes its pre-spawn variables into its *parent's* ``os.environ`` and, when it
    builds them, lets the parent's environment override the configuration. So after any
    local cluster started with dask's defaults in this process (a test's, a notebook's),
    ``MALLOC_TRIM_THRESHOLD_`` stays in ``os.environ`` and would reach our workers whatever
    :func:`_worker_environ` says. A worker a nanny restarts later inherits the environment of
    that moment."""
    saved = os.environ.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[name] = saved


#: The local cluster's worker settings beside :func:`_worker_environ`. dask's statistical
#: profiler samples the task thread's stack every 10 ms for the dashboard's profile page, and
#: its memory monitor reads the process's memory every 100 ms; each wakes the worker's event
#: loop, which must take the GIL from the task running. ``BENCH dask-mc`` at 800 draws,
#: alternating, two runs each: 16.6 and 17.1 s as dask ships; 15.0 and 15.0 s without the
#: profiler; 14.6 and 14.3 s with the monitor at 1 s as well (forked workers: 11.2-12.4 s).
#: A worker still pauses or is restarted past its memory limits, within a second.
LOCAL_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
}


def _local_worker_config() -> dict:
    """The dask configuration a local cluster's workers start with (see
    :data:`LOCAL_WORKER_CONFIG`); the nanny hands the configuration to its worker."""
    return {PRE_SPAWN: _worker_environ(), **LOCAL_WORKER_CONFIG}


@contextlib.contextmanager
def _dask_logs_follow_ours() -> Iterator[None]:
    """dask gives its ``distributed`` logger a handler of its own at INFO (every worker start
    and stop on stderr): raise it to our root logger's level for the cluster's lifetime."""
    dlog = logging.getLogger("distributed")
    before = dlog.level
    dlog.setLevel(max(logging.getLogger().getEffectiveLevel(), before or logging.NOTSET))
    try:
        yield
    finally:
        dlog.setLevel(before)


class ClusterError(PCFError, RuntimeError):
    """A dask cluster that cannot be reached or started (names the address or the option)."""


class DaskExecutor:
    """Runs the blocks of a Monte Carlo run on a ``distributed.Client``'s workers.

    ``run(spec, tasks, progress)`` scatters ``spec`` to every worker once, submits one task per
    list of block indices, calls ``progress(done, total)`` as tasks finish (in the order the
    cluster finishes them, ``distributed.as_completed``) and returns the blocks' parts and the
    static scores (:func:`lca.montecarlo.collect_parts`).
    """

    def __init__(self, client) -> None:
        self.client = client

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def run(
        self,
        spec,
        tasks: list[list[int]],
        progress: Callable | None = None,
    ) -> tuple:
        from distributed import as_completed  # lazy: heavy (~0.5 s), needed only here

        from .montecarlo import collect_parts, run_task

        token = spec.token()
        [shared] = self.client.scatter([spec], broadcast=True, hash=False)
        futures = [
            self.client.submit(run_task, shared, token, blocks, key=f"pcf-mc-{token[:16]}-{i}")
            for i, blocks in enumerate(tasks)
        ]
        results = []
        try:
            for done, fut in enumerate(as_completed(futures), start=1):
                results.append(fut.result())
                if progress is not None:
                    progress(done, len(futures))
        finally:
            self.client.cancel(futures + [shared])
        return collect_parts(results)

    def map(
        self,
        fn: Callable,
        shared,
        items: list,
        token: str,
        progress: Callable | None = None,
    ) -> list:
        """``[fn(shared, token, item) for item in items]`` on the workers, in ``items``' order.

        ``shared`` (the run's matrices) is scattered to every worker once; ``token`` (a hash
        of it) lets ``fn`` keep what it derives from it (a factorisation) in a worker-local
        cache across the tasks. ``progress(done, total)`` is called as tasks finish.
        """
        from distributed import as_completed  # lazy: heavy (~0.5 s), needed only here

        [data] = self.client.scatter([shared], broadcast=True, hash=False)
        name = getattr(fn, "__name__", "task").strip("_")
        futures = [
            self.client.submit(fn, data, token, item, key=f"pcf-{name}-{token[:16]}-{i}")
            for i, item in enumerate(items)
        ]
        out: list = [None] * len(futures)
        where = {f.key: i for i, f in enumerate(futures)}
        try:
            for done, fut in enumerate(as_completed(futures), start=1):
                out[where[fut.key]] = fut.result()
                if progress is not None:
                    progress(done, len(futures))
        finally:
            self.client.cancel(futures + [data])
        return out


@contextlib.contextmanager
def cluster(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    timeout: float = CONNECT_TIMEOUT,
) -> Iterator[DaskExecutor | None]:
    """A :class:`DaskExecutor` for the run, or ``None`` when neither is given.

    ``scheduler`` (``tcp://HOST:PORT``, else ``$PCF_DASK_SCHEDULER``): connect to that
    scheduler (left running on exit). ``workers``: start a ``LocalCluster`` of that many
    worker processes, one thread each (SuperLU solves on one core), listening on 127.0.0.1
    only (its HTTP server on a free port); closed on exit.

    Raises
    ------
    ClusterError
        Both given, ``workers`` below 1, or the scheduler cannot be reached / the local
        cluster cannot start within ``timeout`` seconds.
    """
    scheduler = scheduler or os.environ.get(ENV_SCHEDULER) or None
    if scheduler and workers:
        raise ClusterError(
            f"--scheduler {scheduler} and --workers {workers}: give one of them "
            f"(--scheduler uses an existing cluster, --workers starts a local one)"
        )
    if not scheduler and not workers:
        yield None
        return
    import dask  # lazy: heavy (~0.5 s), as distributed
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        stack.enter_context(_dask_logs_follow_ours())
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout=timeout))
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterError(
                    f"cannot reach the dask scheduler {scheduler} (--scheduler or "
                    f"${ENV_SCHEDULER}): {exc}"
                ) from None
            log.info("dask: connected to %s", scheduler)
        else:
            if int(workers) < 1:
                raise ClusterError(f"--workers {workers}: give at least 1 worker")
            try:
                stack.enter_context(dask.config.set(_local_worker_config()))
                with _environ_without(_TRIM):
                    local = stack.enter_context(
                        LocalCluster(
                            n_workers=int(workers),
                            threads_per_worker=1,
                            processes=True,
                            host="127.0.0.1",
                            dashboard_address="127.0.0.1:0",  # None still binds :8787
                            timeout=timeout,
                        )
                    )
                client = stack.enter_context(Client(local, timeout=timeout))
            except (OSError, TimeoutError, RuntimeError) as exc:
                raise ClusterError(
                    f"cannot start a local dask cluster (--workers): {exc}"
                ) from None
            log.info("dask: local cluster of %d worker processes on 127.0.0.1", workers)
        yield DaskExecutor(client)
