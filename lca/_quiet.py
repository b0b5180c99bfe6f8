"""Brightway's console output captured into the log (shared by every module that calls it)."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

log = logging.getLogger("lca.project")  # the logger this helper has always logged to


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
