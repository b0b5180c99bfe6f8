"""Files in and out, the one implementation: reading a user's text file whatever encoding it
was saved in, atomic writes, JSON-ready data.

Every file is written under a temporary name and renamed into place, so a failed run leaves
either the previous file or nothing, never half a file. :func:`staged` writes a *set* of files in
a temporary folder inside the destination and moves them only when all of them were written;
:func:`write_files_atomically` is the same for ``{name: text}``; :func:`write_atomic` is one file.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from .errors import InputFileError

__all__ = [
    "decode_text",
    "jsonable",
    "open_text",
    "read_text",
    "staged",
    "write_atomic",
    "write_files_atomically",
]


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


#: Byte-order marks, longest first (UTF-32 starts with UTF-16's).
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3000 <= o <= 0x30FF
        or 0x3400 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
    )


def decode_text(raw: bytes, path: str | os.PathLike = "<input>") -> str:
    r"""Text of a user's file: UTF-8 (with or without BOM), UTF-16 with a BOM, or GBK/GB18030
    (what Chinese spreadsheet programs save) when the bytes are not UTF-8 and read as Chinese.

    Anything else raises :class:`~lca.errors.InputFileError` naming the file and the line of the
    first byte that is not UTF-8, and saying what to save the file as.

    >>> decode_text("名称,数量".encode("gbk"))
    '名称,数量'
    >>> decode_text("\ufeffa,b".encode("utf-16"))
    'a,b'
    >>> decode_text(b"caf\xe9\n")
    Traceback (most recent call last):
    ...
    lca.errors.InputFileError: <input>, line 1: not UTF-8 (byte 0xe9 at offset 3): save the file as UTF-8 (UTF-16 and GBK/GB18030 are also read)
    """
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc).lstrip("\ufeff")
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n" if enc == "utf-8-sig" else "\n".encode(enc)) + 1
                raise InputFileError(path, f"invalid {enc} text ({exc.reason})", line) from None
    if b"\x00" in raw[:4096]:
        raise InputFileError(
            path, "binary content or UTF-16 without a byte-order mark: save the file as UTF-8 text"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        first = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    # GB18030 decodes most byte strings: accept it only when what is not ASCII is Chinese
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if wide and sum(map(_is_cjk, wide)) >= 0.8 * len(wide):
        return text
    line = raw[: first.start].count(b"\n") + 1
    raise InputFileError(
        path,
        f"not UTF-8 (byte 0x{raw[first.start]:02x} at offset {first.start}): save the file as "
        "UTF-8 (UTF-16 and GBK/GB18030 are also read)",
        line,
    )


def read_text(path: str | os.PathLike) -> str:
    """:func:`decode_text` of the file at ``path``; a missing or unreadable file is an
    :class:`~lca.errors.InputFileError` naming it."""
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    return decode_text(raw, path)


def open_text(path: str | os.PathLike) -> io.StringIO:
    """The file's text as a stream for :mod:`csv` (newlines kept as in the file)."""
    return io.StringIO(read_text(path), newline="")
