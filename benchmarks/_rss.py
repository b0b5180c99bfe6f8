"""Peak resident memory per benchmark: ``RSS <name>: peak=<GiB>``.

``python -m benchmarks`` runs every benchmark in one process, where ``getrusage``'s
``ru_maxrss`` only ever grows; the kernel's high-water mark (``VmHWM`` in
``/proc/self/status``) can be reset (``/proc/self/clear_refs``, Linux >= 4.0), so each
benchmark's peak is its own. Processes a benchmark starts (forked Monte Carlo workers, the
``pcf`` process of ``bom-e2e``, dask workers) are their own processes: a benchmark that has
them passes their peak, and the line shows the larger of the two.
"""

from __future__ import annotations

import resource
from pathlib import Path

LIMIT_GIB = 2.0


def reset_peak() -> bool:
    """Reset this process's high-water mark; False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def fresh_start() -> float:
    """Before a benchmark: collect the previous one's garbage, hand freed heap pages back
    (glibc ``malloc_trim``) and reset the high-water mark, so the next peak is not the last
    benchmark's leftovers; returns the resident memory it starts from (GiB)."""
    import gc

    from supply_chain.bom_careful import release_freed_memory

    global _start
    gc.collect()
    release_freed_memory()
    reset_peak()
    _start = current_gib()
    return _start


def current_gib() -> float:
    """This process's resident memory now (GiB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20  # kB
    except OSError:
        pass
    return 0.0


def peak_gib() -> float:
    """This process's peak RSS since the last :func:`reset_peak` (GiB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def children_peak_gib() -> float:
    """The largest peak RSS of any child process waited for so far (GiB; since start)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20


_start = 0.0


def rss_line(name: str, others: float | None = None) -> float:
    """Print ``RSS <name>: peak=<GiB>`` (this process, or ``others`` if larger: the peak of
    the processes the benchmark ran) and return the figure."""
    own = peak_gib()
    peak = max(own, others or 0.0)
    detail = f" (this process {own:.2f} GiB, {_start:.2f} GiB at the start" + (
        f", its worker processes {others:.2f} GiB)" if others is not None else ")"
    )
    over = f"; OVER the {LIMIT_GIB:g} GiB limit" if peak > LIMIT_GIB else ""
    print(f"RSS {name}: peak={peak:.2f}{detail}{over}", flush=True)
    return peak
