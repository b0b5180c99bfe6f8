"""Background computations of the portal: one worker thread runs roll-ups and solves in
order (Brightway's project state is process-wide, so they never run two at a time), and a page
polls ``/app/jobs/{id}/status`` until the job is done. Finished jobs are kept for an hour.

A job reports its progress through the ``report(fraction, stage)`` callable it is given: the
fraction of its steps done (0 to 1) and the label key of the step running; the status endpoint
passes both to the page's progress bar."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

__all__ = ["Job", "JobRunner"]

KEEP_SECONDS = 3600


@dataclass
class Job:
    id: str
    kind: str
    owner: int
    status: str = "queued"  # queued, running, done, failed
    error: str | None = None
    result: object = None
    redirect: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    progress: float = 0.0
    stage: str = "queued"


class JobRunner:
    """Runs ``fn(report)`` in the worker thread; ``fn`` returns the URL to show when it is done
    (or a ``(url, result)`` pair) and may call ``report(fraction, stage)`` as it goes."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pcf-portal")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, owner: int, fn: Callable[[], object]) -> Job:
        job = Job(secrets.token_urlsafe(12), kind, owner)
        with self._lock:
            now = time.time()
            for k in [
                k for k, j in self._jobs.items() if j.finished and now - j.finished > KEEP_SECONDS
            ]:
                del self._jobs[k]
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn) -> None:
        job.status = "running"
        job.stage = "working"

        def report(fraction: float, stage: str) -> None:
            job.progress = min(max(float(fraction), job.progress), 1.0)  # never backwards
            job.stage = stage

        try:
            out = fn(report)
            if isinstance(out, tuple):
                job.redirect, job.result = out
            else:
                job.redirect = out
            job.progress, job.stage = 1.0, "done"
            job.status = "done"
        except Exception as exc:
            from lca.errors import PCFError

            if not isinstance(exc, PCFError):
                log.exception("portal job %s (%s) failed", job.id, job.kind)
                job.error = f"internal error: {type(exc).__name__}: {exc}"
            else:
                job.error = str(exc)
            job.status = "failed"
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
