"""Where the engine's shipped data live: the ``inventories`` package, found through
:mod:`importlib.resources` so that an installed wheel finds its files as a checkout does.

>>> (inventories_dir() / "background" / "pcf-background.csv").is_file()
True
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["inventories_dir"]


def inventories_dir() -> Path:
    """The folder of the shipped inventories (``inventories/`` in a checkout or a wheel).

    The wheel is installed unzipped (setuptools' default), so the package's files are real files
    that bw2io's importers can open by path.
    """
    return Path(str(files("inventories")))
