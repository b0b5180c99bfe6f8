"""Atomic writes for reports, re-exported from :mod:`lca._io` (the one implementation).

A failed run leaves either the previous file or nothing, never half a report:
:func:`write_atomic` writes one file through a temporary name; :func:`staged` writes a *set* of
files in a temporary folder and moves them only when all of them were written;
:func:`write_files_atomically` does that for ``{name: text}``.
"""

from __future__ import annotations

from lca._io import staged, write_atomic, write_files_atomically

__all__ = ["staged", "write_atomic", "write_files_atomically"]
