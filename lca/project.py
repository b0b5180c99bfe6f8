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

Importing bw2data prints an INFO line to stdout (structlog) and reads
``brightway-configuration.env`` from the working directory; both are contained here: imports and
project switches run with stdout captured and forwarded to this module's logger.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(".pcf") / "brightway"
DEFAULT_PROJECT = "pcf"
ENV_DATA_DIR = "PCF_DATA_DIR"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Run Brightway code with stdout and stderr captured (its prints and tqdm progress bars);
    what it wrote goes to the log (debug)."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            yield
    finally:
        text = buf.getvalue().strip()
        if text:
            log.debug("brightway: %s", text)


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The engine's Brightway directory: argument > ``$PCF_DATA_DIR`` > ``./.pcf/brightway``."""
    if data_dir:
        return Path(data_dir).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_DATA_DIR.resolve()


def _import_bw2data(base_dir: Path | None):
    """Import bw2data pointing at ``base_dir`` (None: leave the user's setting alone)."""
    if base_dir is not None:
        base_dir.mkdir(parents=True, exist_ok=True)
        os.environ["BRIGHTWAY2_DIR"] = str(base_dir)
    with quiet():
        import bw2data as bd
    _route_brightway_feedback()
    if base_dir is not None and Path(bd.projects._base_data_dir).resolve() != base_dir:
        # bw2data was imported earlier in this process with another directory.
        with quiet():
            bd.projects.change_base_directories(
                base_dir, project_name=DEFAULT_PROJECT, update=False
            )
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


@contextlib.contextmanager
def write_lock(base_dir: Path) -> Iterator[None]:
    """Serialise writes to one Brightway directory across processes (bw2data has no lock)."""
    base_dir.mkdir(parents=True, exist_ok=True)
    with open(base_dir / ".pcf-write.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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

    def lock(self):
        return write_lock(self.base_dir)


def open_project(
    data_dir: str | os.PathLike | None = None,
    project: str = DEFAULT_PROJECT,
    use_global: bool = False,
    setup: bool = True,
) -> Project:
    """Open (and on first use create) the engine's Brightway project.

    Parameters
    ----------
    data_dir
        Brightway base directory; see :func:`resolve_data_dir`. Ignored with ``use_global``.
    project
        Brightway project name inside it (default ``"pcf"``).
    use_global
        Use the user's own Brightway directory (``BRIGHTWAY2_DIR`` or bw2data's default) and an
        existing project there. Nothing is created in it unless ``setup`` is true.
    setup
        Create the biosphere flows and the registry's climate methods if they are missing.

    Raises
    ------
    ProjectError
        If the directory cannot be used, or ``use_global`` names a project that does not exist.
    """
    base = None if use_global else resolve_data_dir(data_dir)
    try:
        bd = _import_bw2data(base)
    except OSError as exc:
        raise ProjectError(f"Cannot use Brightway directory {base}: {exc}") from exc
    if use_global and project not in bd.projects:
        raise ProjectError(
            f"Brightway project {project!r} does not exist in {bd.projects._base_data_dir}; "
            f"known: {', '.join(sorted(p.name for p in bd.projects)) or 'none'}"
        )
    with quiet():
        bd.projects.set_current(project)
    biosphere = bd.config.biosphere
    proj = Project(project, Path(bd.projects._base_data_dir), biosphere)
    if setup:
        ensure_setup(proj)
    return proj


def ensure_setup(proj: Project) -> None:
    """Create the biosphere database and the registry's methods if missing (idempotent)."""
    from .methods import REQUIRED_METHODS, install_methods

    bd = proj.bd
    missing = [m for m in REQUIRED_METHODS if m not in bd.methods]
    if proj.biosphere in bd.databases and not missing:
        return
    with proj.lock():
        if proj.biosphere not in bd.databases:
            log.info("creating biosphere database %r (first use)", proj.biosphere)
            import bw2io

            try:
                with quiet():
                    bw2io.create_default_biosphere3()
            except Exception as exc:
                if proj.biosphere in bd.databases:
                    del bd.databases[proj.biosphere]
                raise ProjectError(f"Could not create the biosphere database: {exc}") from exc
        missing = [m for m in REQUIRED_METHODS if m not in bd.methods]
        if missing:
            log.info("installing %d climate methods (first use)", len(missing))
            install_methods(missing, proj.biosphere)


def bundled_lcia_methods() -> list[dict]:
    """All LCIA methods bundled with bw2io (ecoinvent 3.9 implementation), as raw dicts.

    The file is a zip (LZMA) holding one JSON list; flow identifiers are ``[database, code]``.
    """
    import bw2io

    path = Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    if not path.exists():
        raise ProjectError(f"bw2io's bundled LCIA file is missing: {path}")
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(zf.namelist()[0]))
