"""File output, the one implementation: atomic writes and JSON-ready data.

Every file is written under a temporary name and renamed into place, so a failed run leaves
either the previous file or nothing, never half a file. :func:`staged` writes a *set* of files in
a temporary folder inside the destination and moves them only when all of them were written;
:func:`write_files_atomically` is the same for ``{name: text}``; :func:`write_atomic` is one file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

__all__ = ["jsonable", "staged", "write_atomic", "write_files_atomically"]


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staged(out_dir: str | os.PathLike, prefix: str = ".pcf-staged-") -> Iterator[Path]:
    """A temporary folder inside ``out_dir``; on success its files are moved into ``out_dir``.

    On an exception inside the block nothing is moved and the folder is removed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with staged(d) as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out))
    try:
        yield tmp
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_files_atomically(out: str | os.PathLike, files: Mapping[str, str]) -> list[Path]:
    """Write ``{name: text}`` (UTF-8) into ``out`` through :func:`staged`: all files or none.

    Returns the written paths in the order of ``files``.
    """
    out = Path(out)
    with staged(out) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


def jsonable(o):
    """JSON-ready data: numpy scalars to Python, NaN/inf to null, tuples to lists, keys to str,
    anything else to its ``str``.

    >>> jsonable({("a", "b"): (np.float64(1.5), float("nan"), np.int64(2))})
    {"('a', 'b')": [1.5, None, 2]}
    """
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, (np.integer, np.bool_)):
        return o.item()
    if o is None or isinstance(o, (str, int, bool)):
        return o
    return str(o)
