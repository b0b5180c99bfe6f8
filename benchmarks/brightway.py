"""Set up the synthetic system in a Brightway directory (cached by its parameters).

``BRIGHTWAY2_DIR`` must exist before ``bw2data`` is imported, and that import prints a line to
stdout; :func:`open_project` handles both. The directory is ``benchmarks/.cache/bw-<key>``
(git-ignored) unless ``directory`` is given; the database is written only when the directory
has no ``complete`` marker (~14 s for 20,000 activities).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

from .synthetic import METHOD, SyntheticSystem, write_brightway

CACHE = Path(__file__).resolve().parent / ".cache"
PROJECT = "pcf-bench"
DATABASE = "synthetic"


def open_project(system: SyntheticSystem, directory: Path | None = None):
    """Point bw2data at ``directory`` (default: the cache) and make sure the system is there.

    Returns ``(bw2data, bw2calc, method, ids)`` where ``ids[j]`` is the integer id of synthetic
    activity ``j``.
    """
    directory = Path(directory) if directory else CACHE / f"bw-{system.spec.key()}"
    directory.mkdir(parents=True, exist_ok=True)
    if "bw2data" in sys.modules:
        current = os.environ.get("BRIGHTWAY2_DIR")
        if current and Path(current).resolve() != directory.resolve():
            raise RuntimeError(f"bw2data is already configured for {current}")
    os.environ["BRIGHTWAY2_DIR"] = str(directory)
    # late on purpose: BRIGHTWAY2_DIR must be set before bw2data is imported (it prints, too)
    with contextlib.redirect_stdout(io.StringIO()):
        import bw2calc as bc
        import bw2data as bd
    bd.projects.set_current(PROJECT)
    marker = directory / "complete"
    if not marker.exists() or DATABASE not in bd.databases:
        if DATABASE in bd.databases:
            del bd.databases[DATABASE]
        write_brightway(system, DATABASE)
        marker.write_text(system.spec.key())
    by_code = {a["code"]: a.id for a in bd.Database(DATABASE)}
    ids = [by_code[c] for c in system.codes()]
    return bd, bc, METHOD, ids
