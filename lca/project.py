"""The engine's embedded Brightway project: where it lives, how it opens, what first use creates.

The engine keeps its Brightway data in a directory of its own, never the user's global Brightway
directory unless asked. The directory is, in order of precedence: the ``data_dir`` argument (the
CLI's ``--data-dir``), the ``PCF_DATA_DIR`` environment variable, ``./.pcf/brightway``. Passing
``use_global=True`` (CLI ``--global``) opens the user's own Brightway directory instead
(``BRIGHTWAY2_DIR`` or bw2data's platform default), so an existing Brightway project can be used.

First use creates, offline: the biosphere flows (bw2io's ``create_default_biosphere3``) and only
the climate-change methods the engine's registry uses (:mod:`lca.methods`), read straight from
bw2io's bundled LCIA file. We do not call ``bw2io.create_default_lcia_methods``: on bw2data 4 it
fails on the bundled file's list-shaped flow identifiers (brightway2-io issue 277), and importing
all 762 methods takes minutes where the ~20 we need take about a second.

The engine's caches (rendered PDFs, font subsets, report charts, Monte Carlo draws: each a
pure function of what its name hashes, :func:`cached`) live in ``pcf-cache`` inside that
directory (:func:`cache_dir`; ``PCF_CACHE_DIR`` moves them).

Importing bw2data prints an INFO line to stdout (structlog) and reads
``brightway-configuration.env`` from the working directory; both are contained here: imports and
project switches run with stdout captured and forwarded to this module's logger.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import logging
import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from platformdirs import PlatformDirs

from . import _health, _lock
from ._health import Finding, check_project
from ._quiet import quiet
from ._setup import (
    _create_setup,
    check_setup,
    detect_biosphere,
    ensure_setup,
    missing_setup,
)
from .errors import ProjectError

# bw2data and bw2io are imported inside the functions that need them, on purpose: they are
# heavy (~1.4 s each) and `pcf --help` must stay under 1 s.

__all__ = [
    "CACHE_KEEP",
    "DEFAULT_DATA_DIR",
    "DEFAULT_PROJECT",
    "ENV_CACHE_DIR",
    "ENV_DATA_DIR",
    "Finding",
    "Project",
    "cache_dir",
    "cache_key",
    "cached",
    "check_project",
    "check_setup",
    "detect_biosphere",
    "ensure_setup",
    "file_stamp",
    "gc_frozen",
    "global_data_dir",
    "interrupted_writes",
    "missing_setup",
    "open_project",
    "package_versions",
    "repair_project",
    "resolve_data_dir",
]

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(".pcf") / "brightway"
DEFAULT_PROJECT = "pcf"
ENV_DATA_DIR = "PCF_DATA_DIR"
ENV_CACHE_DIR = "PCF_CACHE_DIR"
#: The folder of the engine's caches inside its data directory (beside ``pact-node.sqlite``).
CACHE_FOLDER = "pcf-cache"
#: The engine directory :func:`open_project` last opened (None: none yet, or ``use_global``).
_opened: dict[str, Path | None] = {"base": None}


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The engine's Brightway directory: argument > ``$PCF_DATA_DIR`` > ``./.pcf/brightway``."""
    if data_dir:
        return Path(data_dir).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_DATA_DIR.resolve()


def cache_dir(kind: str) -> Path:
    """The folder of the engine's cache ``kind`` (``"pdf"``, ``"fonts"``): ``$PCF_CACHE_DIR``,
    else the ``pcf-cache`` folder of the engine directory :func:`open_project` last opened, else
    ``./.pcf/cache`` (nothing opened yet, or the user's own directory with ``use_global``: the
    engine writes nothing of its own there). Not created here.

    >>> cache_dir("pdf").name
    'pdf'
    """
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser() / kind
    base = _opened["base"]
    return (base / CACHE_FOLDER if base else Path(".pcf") / "cache") / kind


#: Cache entries kept per kind (the newest by use): a few demo runs' PDFs (20-250 kB each),
#: font subsets (~50 kB), charts (~10-60 kB; a report has eight), Monte Carlo draws (~0.3 MB).
CACHE_KEEP = {"pdf": 64, "fonts": 64, "charts": 256, "montecarlo": 16}


def cache_key(*parts: str | bytes) -> str:
    """SHA-256 (hex) of ``parts``, NUL-separated: the name of a cache entry."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def package_versions(*dists: str) -> dict:
    """``{distribution: installed version or None}``: part of a cache entry's fingerprint."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in dists:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def file_stamp(path) -> list | None:
    """Size, modification time (ns) and inode of ``path``; None when it is not there."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def cached(kind: str, key: str, suffix: str, make, use: bool = True) -> bytes:
    """The bytes cached under ``key`` in the cache ``kind`` (:func:`cache_dir`), else ``make()``
    (bytes), stored there. Content-addressed: ``key`` must be the hash of everything the bytes
    depend on (:func:`cache_key`). Entries are written atomically (a reader never sees half a
    file) and the oldest by use are dropped beyond :data:`CACHE_KEEP`; a cache that cannot be
    read or written only costs the time to ``make`` again (logged). ``use=False``: always
    ``make``, store nothing."""
    path = cache_dir(kind) / f"{key}{suffix}"
    if use and path.is_file():
        try:
            data = path.read_bytes()
            os.utime(path)  # the entry's last use, for the pruning
            log.debug("%s from the cache: %s", kind, path.name)
            return data
        except OSError:
            log.debug("cache entry %s unreadable; making it again", path, exc_info=True)
    data = make()
    if use:
        _store(path, data, CACHE_KEEP.get(kind, 64))
    return data


def _store(path: Path, data: bytes, keep: int) -> None:
    """Store a cache entry (atomically) and prune the oldest; a failure only loses the cache."""
    from ._outputs import write_atomic

    try:
        write_atomic(path, data)
        entries = []
        for p in path.parent.glob(f"*{path.suffix}"):
            with contextlib.suppress(OSError):  # another process pruned it meanwhile
                entries.append((p.stat().st_mtime, p))
        for _, old in sorted(entries)[:-keep]:
            old.unlink(missing_ok=True)
    except OSError:
        log.warning("could not cache %s in %s", path.name, path.parent, exc_info=True)


_ENV = "BRIGHTWAY2_DIR"
#: ``BRIGHTWAY2_DIR`` as we set it (pointing bw2data at the engine's directory), and as it was
#: before we first did: the user's own directory is the latter, not our value.
_env_state: dict[str, str | None] = {}


def _import_bw2data(base_dir: Path | None):
    """Import bw2data pointing at ``base_dir`` (None: leave the user's setting alone)."""
    first = base_dir is not None and "bw2data" not in sys.modules
    if base_dir is not None:
        base_dir.mkdir(parents=True, exist_ok=True)
        _env_state.setdefault("before", os.environ.get(_ENV))
        os.environ[_ENV] = _env_state["ours"] = str(base_dir)
    # importing bw2data creates its 'default' project (os.makedirs without exist_ok): two
    # processes opening a fresh directory at once would race on its folders
    hold = (
        _lock.write_lock(base_dir, "opening the directory") if first else contextlib.nullcontext()
    )
    with hold, quiet():
        import bw2data as bd
    _route_brightway_feedback()
    if base_dir is not None and Path(bd.projects._base_data_dir).resolve() != base_dir:
        # bw2data was imported earlier in this process with another directory.
        with quiet():
            bd.projects.change_base_directories(base_dir, project_name="default", update=False)
    return bd


def global_data_dir() -> Path:
    """The user's own Brightway directory: ``$BRIGHTWAY2_DIR`` (unless it is the value this module
    set for the engine's directory: then the value it had before), else bw2data's default."""
    env = os.environ.get(_ENV)
    if env and env == _env_state.get("ours"):
        env = _env_state.get("before")
    if env:
        return Path(env).expanduser().resolve()
    return Path(PlatformDirs("Brightway3", "pylca").user_data_dir).resolve()


def _global_project_names(base_dir: Path) -> list[str]:
    """Project names in a Brightway directory, read without bw2data (which creates what it
    opens); raises :class:`ProjectError` if it holds no Brightway projects database."""
    path = base_dir / "projects.db"
    if not path.is_file():
        raise ProjectError(f"No Brightway projects in {base_dir} (no projects.db)")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as con:
            return sorted(r[0] for r in con.execute("SELECT name FROM projectdataset"))
    except sqlite3.Error as exc:
        raise ProjectError(f"Cannot read Brightway projects in {path}: {exc}") from exc


def _open_global(project: str):
    """Point bw2data at the user's own directory and its existing ``project``; create nothing.

    The project is checked before bw2data touches the directory (its import and its switch of
    directory both create the project they open if it is missing).
    """
    base = global_data_dir()
    names = _global_project_names(base)
    if project not in names:
        raise ProjectError(
            f"Brightway project {project!r} does not exist in {base}; "
            f"known: {', '.join(names) or 'none'}"
        )
    with quiet():  # a first import reads the same directory (``$BRIGHTWAY2_DIR`` or default)
        import bw2data as bd
    _route_brightway_feedback()
    if Path(bd.projects._base_data_dir).resolve() != base:
        with quiet():
            bd.projects.change_base_directories(base, project_name=project, update=False)
    return bd


class _LogStream(io.TextIOBase):
    """A text stream that forwards what is written to it to a logger (debug)."""

    def __init__(self, logger: logging.Logger):
        self._log = logger

    def write(self, text: str) -> int:
        if text.strip():
            self._log.debug("%s", text.strip())
        return len(text)


def _route_brightway_feedback() -> None:
    """Send bw2data/bw2io's structlog "feedback" printer to our log instead of stdout.

    bw2data builds one cached structlog ``PrintLogger`` bound to whatever ``sys.stdout`` was at
    import; we repoint its file so library code never prints (and ``--json`` stays clean).
    """
    try:
        from bw2data import logs

        printer = logs.stdout_feedback_logger.bind()._logger
        if not isinstance(getattr(printer, "_file", None), _LogStream):
            printer._file = _LogStream(logging.getLogger("brightway"))
    except Exception:  # pragma: no cover - structlog internals moved; fall back to quiet()
        log.debug("could not reroute bw2data's feedback logger", exc_info=True)


@dataclass
class Project:
    """An open Brightway project (the current one in bw2data)."""

    name: str
    base_dir: Path
    biosphere: str

    @property
    def bd(self):
        import bw2data

        return bw2data

    def databases(self) -> list[str]:
        return sorted(self.bd.databases)

    @contextlib.contextmanager
    def write_lock(self, what: str, timeout: float | None = None) -> Iterator[None]:
        """Hold the project's write lock (one writer at a time, across processes) for ``what``.

        A second writer waits, logging who holds the lock, and after ``timeout`` seconds
        (default ``$PCF_LOCK_TIMEOUT`` or 600) raises :class:`ProjectError` naming the lock file
        and its holder. Re-entrant: nested use in one thread holds the lock once. On taking the
        lock, bw2data's metadata (databases, methods) are re-read from disk, so a write never
        saves a stale copy over another process's. Interrupted (Ctrl-C, SIGTERM), the partial
        write is rolled back (:func:`lca._health.clean_leftovers`) and recorded for the CLI.

        Examples
        --------
        >>> with project.write_lock("import background.csv"):  # doctest: +SKIP
        ...     write_database(project, "background", data)
        """
        first = not _lock.held(self.base_dir)
        with _lock.write_lock(self.base_dir, what, timeout, self._undo_interrupted):
            if first:
                with quiet():
                    for meta in self.bd.config.metadata:
                        meta.load()
            yield

    def lock(self):
        """:meth:`write_lock` for an unnamed write (kept for existing callers)."""
        return self.write_lock("a write to the project")

    def _undo_interrupted(self) -> str:
        done = _health.clean_leftovers(self, logging.INFO)  # the CLI's last line says it
        if _health.setup_problems(self):
            return "stopped; the half-built set-up is rebuilt on the next run"
        if not done:
            return "stopped; nothing was left half-written"
        if all("had finished" in d for d in done):
            return "had finished; its backup was dropped"
        return "rolled back; the project is unchanged"


def open_project(
    data_dir: str | os.PathLike | None = None,
    project: str = DEFAULT_PROJECT,
    use_global: bool = False,
    setup: bool | None = None,
    mend: bool = True,
) -> Project:
    """Open (and on first use create) the engine's Brightway project.

    Parameters
    ----------
    data_dir
        Brightway base directory; see :func:`resolve_data_dir`. Ignored with ``use_global``.
    project
        Brightway project name inside it (default ``"pcf"``).
    use_global
        Use the user's own Brightway directory (:func:`global_data_dir`) and an existing project
        there. Nothing is created in it unless ``setup`` is true: the project must already hold
        a biosphere database and the registry's climate methods.
    setup
        Create the biosphere flows and the registry's climate methods if they are missing.
        Default: true for the engine's own directory, false with ``use_global``.
    mend
        Undo what interrupted runs left (killed imports' temporary databases, a half-built
        set-up when ``setup``), logging each action. False leaves the project as found
        (``pcf doctor`` reports before it repairs).

    The project's biosphere database is the one it actually uses (:func:`detect_biosphere`),
    e.g. ``ecoinvent-3.10-biosphere``, not necessarily ``bw2data.config.biosphere``.

    Raises
    ------
    ProjectError
        If the directory cannot be used; or with ``use_global``, if the project does not exist,
        or (without ``setup``) it lacks a biosphere database or climate methods (named).
    """
    if not isinstance(project, str) or not project.strip():
        raise ProjectError(f"project name {project!r} is empty: give a name (default 'pcf')")
    if setup is None:
        setup = not use_global
    if use_global:
        bd = _open_global(project)
    else:
        base = resolve_data_dir(data_dir)
        try:
            bd = _import_bw2data(base)
        except OSError as exc:
            raise ProjectError(f"Cannot use Brightway directory {base}: {exc}") from exc
        if setup and project not in bd.projects:
            _build_project(bd, base, project)
    with quiet(), gc_frozen():
        bd.projects.set_current(project)
    proj = Project(project, Path(bd.projects._base_data_dir), detect_biosphere(bd))
    _opened["base"] = None if use_global else proj.base_dir
    from ._system import point_pypardiso_at_mkl  # (a cycle at import time)

    point_pypardiso_at_mkl()  # before anything imports bw2calc, for every caller
    if mend:
        _health.mend(proj, setup)
    if setup:
        ensure_setup(proj)
    elif use_global:
        check_setup(proj)
    return proj


@contextlib.contextmanager
def gc_frozen() -> Iterator[None]:
    """While the block runs, the objects that exist when it starts are left out of the garbage
    collector's passes (:func:`gc.freeze`), and put back after (:func:`gc.unfreeze`); nested or
    inside someone else's freeze, nothing is done.

    After the imports of a command (Brightway, pandas, scipy: about a million objects that live
    as long as the process) every full pass of the collector scans them all again: ~0.8 s of a
    warm ``pcf demo``, and ~0.25 s in bw2data's project switch alone (it calls
    :func:`gc.collect` to let go of the old SQLite file). Objects made inside the block are
    collected as usual.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _build_project(bd, base: Path, project: str) -> None:
    """Create ``project`` with its set-up in a directory next to its target, moved into place
    in one step (an interrupted set-up leaves nothing but a ``.pcf-setup-*`` directory, which the
    next open removes). Takes the write lock of ``base``."""
    what = f"set-up of project {project!r}"
    with _lock.write_lock(base, what, on_interrupt=lambda: "rolled back; nothing was created"):
        if project in bd.projects:  # another process built it while we waited
            return
        tmp = base / f"{_health.SETUP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            with quiet():
                bd.projects.change_base_directories(tmp, project_name=project, update=False)
            log.info("building project %r in %s (first use)", project, tmp)
            _create_setup(Project(project, tmp, detect_biosphere(bd)))
            built = Path(bd.projects.dir)
            target = base / built.name
            with quiet():  # closes the temporary project's SQLite files before the move
                bd.projects.change_base_directories(base, project_name="default", update=False)
            if target.exists():
                log.warning("%s exists without a registered project: set up in place", target)
            else:
                os.rename(built, target)
                log.info("project %r moved into place: %s", project, target)
        finally:
            if Path(bd.projects._base_data_dir) != base:
                with quiet():
                    bd.projects.change_base_directories(base, project_name="default", update=False)
            shutil.rmtree(tmp, ignore_errors=True)


def interrupted_writes() -> list[str]:
    """What writes to a project Ctrl-C or SIGTERM interrupted in this process, and what was
    undone, e.g. ``"import background.csv rolled back; the project is unchanged"`` (cleared)."""
    return _lock.interrupted()


def repair_project(proj: Project) -> list[str]:
    """Mend what :func:`check_project` finds and can be mended: drop leftovers or restore their
    backups, re-register stored databases, delete orphan rows, rebuild a broken biosphere and
    the climate methods. Returns what was done (each action also logged)."""
    with proj.write_lock("repair of the project"):
        done = _health.repair_rows(proj)
        missing = missing_setup(proj)
        if missing:
            _create_setup(proj)
            done += [f"built {m}" for m in missing]
    return done
