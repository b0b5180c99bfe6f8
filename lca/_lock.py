"""One writer at a time: an OS file lock on a Brightway directory, re-entrant in one process.

bw2data has no lock of its own: two processes writing one project each keep their own copy of
the database metadata (``databases.json``) and the last to save drops the other's database.
:func:`write_lock` serialises every write across processes (the OS releases the lock when a
holder dies, so a killed process never leaves the project locked); a second writer waits,
logging who holds the lock, and gives up after a timeout with a :class:`ProjectError` naming
the lock file and the holder. Nested use in one thread is free (a counter, not a deadlock).

What an interrupted write was doing is kept for the CLI's last line (:func:`interrupted`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import ProjectError

log = logging.getLogger("lca.project")

LOCK_NAME = ".pcf-write.lock"
HOLDER_NAME = ".pcf-write.holder"
ENV_TIMEOUT = "PCF_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
#: Seconds between "still waiting" log lines.
WAIT_REPORT = 30.0

_locks: dict[Path, FileLock] = {}
_guard = threading.Lock()
_held = threading.local()  # per thread and directory: the ``what`` of each nested hold
_interrupted: list[str] = []


def lock_timeout(timeout: float | None = None) -> float:
    """Seconds to wait for the lock: ``timeout``, else ``$PCF_LOCK_TIMEOUT``, else 600."""
    if timeout is not None:
        return float(timeout)
    env = os.environ.get(ENV_TIMEOUT, "").strip()
    if env:
        try:
            return float(env)
        except ValueError:
            raise ProjectError(f"{ENV_TIMEOUT}={env!r} is not a number of seconds") from None
    return DEFAULT_TIMEOUT


def _file_lock(base_dir: Path) -> FileLock:
    path = (base_dir / LOCK_NAME).resolve()
    with _guard:
        if path not in _locks:
            _locks[path] = FileLock(path, thread_local=True)
        return _locks[path]


def holder(base_dir: Path) -> dict:
    """Who holds (or last held) the lock of ``base_dir``: ``{"pid", "what", "since"}``."""
    try:
        return json.loads((base_dir / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _describe(info: dict) -> str:
    if not info:
        return "another process"
    return (
        f"{info.get('what', 'a write')} in another process "
        f"(pid {info.get('pid', '?')}, since {info.get('since', '?')})"
    )


def _stack(base_dir: Path) -> list[str]:
    stacks = _held.__dict__.setdefault("stacks", {})
    return stacks.setdefault(Path(base_dir).resolve(), [])


def held(base_dir: Path) -> list[str]:
    """What this thread is writing under the lock of ``base_dir``, outermost first (empty: this
    thread does not hold it)."""
    return list(_stack(base_dir))


def interrupted() -> list[str]:
    """What writes were interrupted (Ctrl-C, SIGTERM) in this process, oldest first; clears."""
    out = list(_interrupted)
    _interrupted.clear()
    return out


@contextlib.contextmanager
def write_lock(
    base_dir: Path,
    what: str,
    timeout: float | None = None,
    on_interrupt: Callable[[], str] | None = None,
) -> Iterator[None]:
    """Hold the write lock of the Brightway directory ``base_dir`` while doing ``what``.

    Parameters
    ----------
    base_dir
        The Brightway directory; the lock file is ``base_dir/.pcf-write.lock``.
    what
        What the holder does, in words ("import background.csv"): shown to a waiting writer
        and in the CLI's line when the write is interrupted.
    timeout
        Seconds to wait for another process; default ``$PCF_LOCK_TIMEOUT`` or 600.
    on_interrupt
        Called (holding the lock) when Ctrl-C or SIGTERM ends the outermost hold: undoes the
        partial write and returns what it did, for the CLI's last line.

    Raises
    ------
    ProjectError
        The lock was not free within ``timeout`` (names the lock file and its holder).
    """
    stack = _stack(base_dir)
    if stack:  # re-entrant: this thread holds the lock already
        stack.append(what)
        try:
            yield
        finally:
            stack.pop()
        return
    base_dir.mkdir(parents=True, exist_ok=True)
    lock = _file_lock(base_dir)
    _acquire(lock, base_dir, what, lock_timeout(timeout))
    stack.append(what)
    try:
        _write_holder(base_dir, what)
        yield
    except BaseException as exc:
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SIGTERM, SystemExit
            _interrupted.append(_roll_back(what, on_interrupt))
        raise
    finally:
        stack.pop()
        with contextlib.suppress(OSError):
            (base_dir / HOLDER_NAME).unlink()
        lock.release()


def _roll_back(what: str, on_interrupt: Callable[[], str] | None) -> str:
    if on_interrupt is None:
        return f"{what} stopped"
    try:
        done = on_interrupt()
    except BaseException:  # a second Ctrl-C or a failure: the next open repairs
        log.warning("rolling back %s failed; the next run repairs the project", what, exc_info=True)
        return f"{what} stopped; the project is repaired on the next run"
    return f"{what} {done}"


def _acquire(lock: FileLock, base_dir: Path, what: str, timeout: float) -> None:
    start = time.monotonic()
    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        pass
    log.warning("waiting for %s to finish before %s", _describe(holder(base_dir)), what)
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            raise ProjectError(
                f"the Brightway directory is locked by {_describe(holder(base_dir))}; gave up "
                f"{what} after {timeout:g} s (lock file {base_dir / LOCK_NAME}; the wait is "
                f"${ENV_TIMEOUT})"
            )
        try:
            lock.acquire(timeout=min(left, WAIT_REPORT))
            return
        except Timeout:
            log.info("still waiting for %s", _describe(holder(base_dir)))


def _write_holder(base_dir: Path, what: str) -> None:
    info = {"pid": os.getpid(), "what": what, "since": datetime.now().isoformat(timespec="seconds")}
    with contextlib.suppress(OSError):
        (base_dir / HOLDER_NAME).write_text(json.dumps(info), encoding="utf-8")
