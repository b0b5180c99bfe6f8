"""Files in and out, the one implementation: reading a user's text file whatever encoding it
was saved in, atomic writes, JSON-ready data.

Reading and JSON clean-up live here; the outputs (written all or none: :func:`staged`,
:func:`write_files_atomically`, :func:`write_atomic`, :func:`check_output_dir`,
:func:`output_lock`) are implemented in :mod:`lca._outputs` and imported from here. Every output
failure is an :class:`~lca.errors.OutputError` naming the target as the user gave it.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np

from ._outputs import (
    check_output_dir,
    output_lock,
    staged,
    write_atomic,
    write_files_atomically,
)
from .errors import InputFileError

__all__ = [
    "check_output_dir",
    "decode_text",
    "jsonable",
    "open_text",
    "output_lock",
    "parse_number",
    "read_text",
    "staged",
    "write_atomic",
    "write_files_atomically",
]


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
    # GB18030 decodes most byte strings: accept it only when at least half of what is not ASCII
    # is Chinese (a GBK file may hold a few other symbols: 'é', '°', '²')
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if wide and sum(map(_is_cjk, wide)) >= 0.5 * len(wide):
        return text
    line = raw[: first.start].count(b"\n") + 1
    raise InputFileError(
        path,
        f"not UTF-8 (byte 0x{raw[first.start]:02x} at offset {first.start}): save the file as "
        "UTF-8 (UTF-16 and GBK/GB18030 are also read)",
        line,
    )


#: The largest magnitude a user's number may have: products and sums of a few such numbers stay
#: finite in float64 (1e308), so an absurd cell is refused where it is read, not as an overflow.
MAX_ABS = 1e18


def parse_number(
    value,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    max_abs: float = MAX_ABS,
) -> float:
    """A finite number from a user's cell (text or number), within ``[lo, hi]`` (an open end
    with ``lo_open`` / ``hi_open``): the one rule for numbers read from CSV/xlsx files.

    Raises ``ValueError`` whose message says what is wrong ("not a number", "must be > 0", ...);
    the reader turns it into its own located error (file, row, column).

    >>> parse_number(" 2.5 ", lo=0)
    2.5
    >>> parse_number("0", lo=0, lo_open=True)
    Traceback (most recent call last):
    ...
    ValueError: must be a finite number > 0
    >>> parse_number("1e308")
    Traceback (most recent call last):
    ...
    ValueError: 1e+308 is too large (at most 1e+18 in magnitude: sums would overflow)
    >>> parse_number("n/a")
    Traceback (most recent call last):
    ...
    ValueError: not a number
    """
    try:
        v = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError("not a number") from None
    bad = (
        not math.isfinite(v)
        or (lo is not None and (v <= lo if lo_open else v < lo))
        or (hi is not None and (v >= hi if hi_open else v > hi))
    )
    if bad:  # the message is formatted only for a refused cell (readers call this per cell)
        bounds = []
        if lo is not None:
            bounds.append(f"{'>' if lo_open else '>='} {lo:g}")
        if hi is not None:
            bounds.append(f"{'<' if hi_open else '<='} {hi:g}")
        raise ValueError("must be a finite number" + (" " + " and ".join(bounds) if bounds else ""))
    if abs(v) > max_abs:
        raise ValueError(
            f"{v:g} is too large (at most {max_abs:g} in magnitude: sums would overflow)"
        )
    return v


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
