"""Outputs, written all or none: atomic writes, staged sets of files, the output-folder lock.

Every file is written under a temporary name and renamed into place, so a failed run leaves
either the previous file or nothing, never half a file. :func:`staged` writes a *set* of files in
a temporary folder inside the destination and moves them only when all of them were written;
:func:`write_files_atomically` is the same for ``{name: text}``; :func:`write_atomic` is one file.
:func:`check_output_dir` refuses an unwritable target before any work; :func:`output_lock` keeps
two commands from writing one folder at once. Every output failure is an
:class:`~lca.errors.OutputError` naming the target as the user gave it.

Private: import these from :mod:`lca.files`.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import filelock

from .errors import OutputError, PCFError

log = logging.getLogger(__name__)

__all__ = [
    "LOCK_TIMEOUT",
    "check_output_dir",
    "output_lock",
    "staged",
    "write_atomic",
    "write_files_atomically",
]


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Raises
    ------
    OutputError
        ``path`` is a folder, or its folder cannot be created or written; names ``path``.
    """
    shown = Path(path)
    path = _redirect(shown) or shown
    if path.is_dir():
        raise OutputError(shown, "is a folder, not a file")
    created = _make_dirs(path.parent, shown)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        _remove_dirs(created)
        raise OutputError(shown, _why(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        _remove_dirs(created)
        if isinstance(exc, OSError) and not isinstance(exc, PCFError):
            raise OutputError(shown, _why(exc)) from None
        raise
    return shown


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _why(exc: OSError) -> str:
    """The reason of an OS error without the (possibly temporary) path it names."""
    return exc.strerror or type(exc).__name__


def check_output_dir(out_dir: str | os.PathLike) -> Path:
    """Refuse an output folder that cannot be written, before any work is done.

    ``out_dir`` must be a folder or not exist yet; the nearest folder that exists above it must
    be writable (the missing ones are created when the outputs are written).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = f.write_text("x")
    >>> check_output_dir(f)
    Traceback (most recent call last):
    ...
    lca.errors.OutputError: cannot write ....txt: is a file, not a folder

    Raises
    ------
    OutputError
        Naming ``out_dir`` as given and why.
    """
    out = Path(out_dir)
    if str(out_dir).strip() == "":
        raise OutputError(out_dir, "no output folder given")
    if out.exists() and not out.is_dir():
        raise OutputError(out, "is a file, not a folder")
    probe = out.absolute()
    while not probe.exists():
        if probe.is_symlink():
            raise OutputError(out, f"{probe} is a dangling symbolic link")
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(out, f"{probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "is not writable" if probe == out.absolute() else f"{probe} is not writable"
        raise OutputError(out, what)
    return out


def _make_dirs(folder: Path, target: Path | None = None) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, outermost first."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(target or folder, f"{probe} is a file, not a folder")
    created = []
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            if not d.is_dir():
                _remove_dirs(created)
                raise OutputError(target or folder, f"{d} is a file, not a folder") from None
            continue
        except OSError as exc:
            _remove_dirs(created)
            raise OutputError(target or folder, f"cannot create {d}: {_why(exc)}") from None
        created.append(d)
    return created


def _remove_dirs(created: list[Path]) -> None:
    """Remove the (empty) folders :func:`_make_dirs` created, innermost first."""
    for d in reversed(created):
        with contextlib.suppress(OSError):
            d.rmdir()


#: Seconds a second writer of the same output folder waits before it gives up.
LOCK_TIMEOUT = float(os.environ.get("PCF_OUTPUT_LOCK_TIMEOUT", "600"))
_held: dict[str, int] = {}  # output folders this process holds the lock of (re-entrant)


@contextlib.contextmanager
def output_lock(out_dir: str | os.PathLike, timeout: float | None = None) -> Iterator[None]:
    """An OS file lock on an output folder: one writer at a time.

    The lock file lives in the temporary folder (``pcf-locks/<hash>.lock``), not in the output
    folder. A second writer logs that it waits, and after ``timeout`` seconds (default
    :data:`LOCK_TIMEOUT`, env ``PCF_OUTPUT_LOCK_TIMEOUT``) raises :class:`OutputError`.
    """
    key = str(Path(out_dir).resolve())
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    folder = Path(tempfile.gettempdir()) / "pcf-locks"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    lock = filelock.FileLock(folder / f"{digest}.lock")
    wait = LOCK_TIMEOUT if timeout is None else timeout
    try:
        folder.mkdir(mode=0o1777, exist_ok=True)
        lock.acquire(timeout=0)
    except filelock.Timeout:
        log.warning("waiting for another pcf command writing %s (up to %g s)", out_dir, wait)
        try:
            lock.acquire(timeout=wait)
        except filelock.Timeout:
            raise OutputError(
                out_dir, f"another pcf command is writing it (waited {wait:g} s); try again"
            ) from None
    except OSError as exc:  # no usable temporary folder: write unlocked rather than not at all
        log.warning("cannot lock %s (%s): writing without the lock", out_dir, _why(exc))
        yield
        return
    _held[key] = 1
    try:
        yield
    finally:
        del _held[key]
        lock.release()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while files are moved into place; deliver them afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    sigs = [signal.SIGINT, signal.SIGTERM]
    old = {s: signal.signal(s, lambda signum, _frame: got.append(signum)) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for s in got[:1]:
            signal.raise_signal(s)


def _commit(tmp: Path, out: Path, replaces: Iterable[str], backup: Path, shown: Path) -> None:
    """Move every file under ``tmp`` to the same place under ``out``; remove the files matching
    ``replaces`` that were not rewritten. All or nothing: on any error, undo what was moved."""
    files = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if not p.is_dir())
    stale = {
        p.relative_to(out)
        for pattern in replaces
        for p in out.glob(pattern)
        if p.is_file() and tmp not in p.parents
    } - set(files)
    done: list[tuple[Path, Path | None]] = []  # (destination, its previous file kept in backup)
    created: list[Path] = []
    with _signals_deferred():
        try:
            for rel in sorted(stale):
                bk = backup / rel
                bk.parent.mkdir(parents=True, exist_ok=True)
                os.replace(out / rel, bk)
                done.append((out / rel, bk))
            for rel in files:
                dest = out / rel
                created += _make_dirs(dest.parent, shown)
                if dest.is_dir() and not dest.is_symlink():
                    raise OutputError(
                        shown / rel, "is a folder; a file of that name is to be written"
                    )
                bk = None
                if dest.exists() or dest.is_symlink():
                    bk = backup / rel
                    bk.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(dest, bk)
                done.append((dest, bk))
                os.replace(tmp / rel, dest)
        except BaseException as exc:
            for dest, bk in reversed(done):
                with contextlib.suppress(OSError):
                    if bk is None or dest.exists():
                        dest.unlink(missing_ok=True)
                    if bk is not None:
                        os.replace(bk, dest)
            _remove_dirs(created)
            if isinstance(exc, OSError) and not isinstance(exc, PCFError):
                raise OutputError(out, _why(exc)) from None
            raise


#: The output sets being written in this context: (target folder, its staging folder).
_sets: contextvars.ContextVar[tuple[tuple[Path, Path], ...]] = contextvars.ContextVar(
    "pcf_output_sets", default=()
)


def _abs(path: str | os.PathLike) -> Path:
    return Path(os.path.normpath(Path(path).absolute()))


def _redirect(path: str | os.PathLike) -> Path | None:
    """Where a write to ``path`` goes while a :func:`staged` set holding it is open (else None)."""
    p = _abs(path)
    for out, tmp in reversed(_sets.get()):
        if p == tmp or tmp in p.parents:
            return None  # already in the staging folder
        if p == out or out in p.parents:
            return tmp / p.relative_to(out)
    return None


@contextlib.contextmanager
def staged(
    out_dir: str | os.PathLike,
    prefix: str = ".pcf-staged-",
    *,
    replaces: Iterable[str] = (),
    lock: bool = True,
) -> Iterator[Path]:
    """A temporary folder inside ``out_dir``; on success its files (sub-folders too) are moved
    into ``out_dir`` as a set.

    - While the block runs, every :func:`staged`, :func:`write_atomic` and
      :func:`write_files_atomically` aimed at ``out_dir`` or below writes into the temporary
      folder instead (and returns the final paths): a command wraps all its steps in one
      ``staged(out)`` and its whole output appears at the end, or not at all.
    - On an exception (or Ctrl-C) inside the block nothing is moved, the temporary folder is
      removed, and so is ``out_dir`` if this call created it: the folder is as it was.
    - Files of an earlier run are replaced; files of ``out_dir`` that are not written are left
      alone, except those matching a glob pattern of ``replaces`` (outputs of an earlier run that
      this one does not write), which are removed with the same all-or-nothing guarantee.
    - The move is all or nothing (undone on an error; SIGINT/SIGTERM wait for its end).
    - ``lock``: hold :func:`output_lock` on ``out_dir`` (one writer at a time).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with staged(d) as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    ...     _ = write_atomic(d / "sub" / "b.txt", "y")
    ...     (d / "sub").exists()
    False
    >>> sorted(p.relative_to(d).as_posix() for p in d.rglob("*.txt"))
    ['a.txt', 'sub/b.txt']

    Raises
    ------
    OutputError
        ``out_dir`` is a file, cannot be created or written (naming ``out_dir`` as given, never
        the temporary folder), or another writer holds it past the lock's timeout.
    """
    real = _redirect(out_dir)
    out = check_output_dir(out_dir) if real is None else real
    with output_lock(out) if lock and real is None else contextlib.nullcontext():
        created = _make_dirs(out, Path(out_dir))
        try:
            tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out))
        except OSError as exc:
            _remove_dirs(created)
            raise OutputError(out_dir, _why(exc)) from None
        token = _sets.set((*_sets.get(), (_abs(out_dir), _abs(tmp))))
        try:
            yield tmp
            _sets.reset(token)
            _commit(tmp, out, replaces, tmp / f"{prefix}old", Path(out_dir))
        except BaseException as exc:
            if _sets.get() and _sets.get()[-1][1] == _abs(tmp):
                _sets.reset(token)
            shutil.rmtree(tmp, ignore_errors=True)
            _remove_dirs(created)
            if isinstance(exc, OSError) and not isinstance(exc, PCFError) and _within(exc, tmp):
                raise OutputError(out_dir, _why(exc)) from None
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _within(exc: OSError, folder: Path) -> bool:
    """Whether the OS error is about a file inside ``folder`` (an output being written)."""
    top = _abs(folder)
    return any(
        f is not None and (_abs(os.fsdecode(f)) == top or top in _abs(os.fsdecode(f)).parents)
        for f in (exc.filename, exc.filename2)
    )


def write_files_atomically(out: str | os.PathLike, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``{name: text or bytes}`` (text as UTF-8) into ``out`` through :func:`staged`: all
    files or none. Names may contain ``/`` (sub-folders).

    Returns the written paths in the order of ``files``.
    """
    out = Path(out)
    with staged(out) as tmp:
        for name, data in files.items():
            p = tmp / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                p.write_bytes(data)
            else:
                p.write_text(data, encoding="utf-8")
    return [out / name for name in files]
