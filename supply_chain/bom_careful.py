"""The careful BOM reader: any BOM file :func:`supply_chain.bom.read_bom_arrays` is given
that the fast path (:mod:`supply_chain.bom_read`) declines, read into
:class:`~supply_chain.bom_arrays.BOMArrays` with every rule of the format
(:mod:`supply_chain.bom`) checked on whole columns.

It reproduces the row-by-row reader (:func:`supply_chain.bom.bom_from_records`) exactly,
errors included: of a file with several errors it names the one that reader met first (file,
row and field), which depends on the order it met the rows (parents after their components,
padded cells, several roots). CSV is read by pyarrow as text columns, Excel by pandas; UTF-16
and GBK/GB18030 files are decoded by :func:`lca.files.read_text`.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from pathlib import Path

import numpy as np

from lca.errors import PCFError
from lca.files import MAX_ABS, parse_number, read_text
from lca.footprint import STAGES
from lca.units import canonical, conversion_factor

from .bom import COLUMNS, NODE_FIELDS, _activity_key, _blank, effective_quantity
from .bom_arrays import NUMERIC_NODE_FIELDS, BOMArrays
from .errors import BOMCycle, BOMFormatError


def release_freed_memory() -> None:
    """Hand the heap pages freed while reading back to the system (glibc's ``malloc_trim``):
    the temporaries of a million-row read leave a few hundred MB of free heap that would
    otherwise count in the process's resident memory. A no-op on other C libraries."""
    import ctypes
    import ctypes.util

    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def _read_columns(path: Path, sheet) -> tuple[dict, int, bool]:
    """The file's columns as pyarrow string arrays (stripped header names, blanks as ``""``),
    their length, and whether no cell can start or end with whitespace (:func:`_unpadded`:
    then the cells need no trimming).

    CSV: pyarrow's reader (multi-threaded C++, strings kept in Arrow buffers, not as a million
    Python objects); a file it refuses (e.g. rows shorter than the header, which pandas pads)
    is read again with pandas, as before. Excel: pandas.
    """
    import pandas as pd
    import pyarrow as pa

    if not path.exists():
        raise BOMFormatError(str(path), "(file)", None, "does not exist")
    excel = path.suffix.lower() in (".xlsx", ".xlsm", ".xls")
    df = text = None
    if not excel:
        # UTF-8 (the usual case) goes to pyarrow as the file's bytes: no str of the whole file
        # and no copy of it encoded again; other encodings are decoded by read_text as before
        raw = _utf8_bytes(path)
        if raw is None:
            text = read_text(path)  # InputFileError for an unknown encoding
            raw = text.encode("utf-8")
        table = _arrow_csv(raw)
        unpadded = table is not None and _unpadded(raw)
        del raw
        if table is not None:
            if table.num_columns == 0:
                raise BOMFormatError(str(path), "(file)", None, "empty file: no header, no rows")
            names = [str(c).strip() for c in table.column_names]
            cols = {}
            for name, col in zip(names, table.columns):
                cols.setdefault(name, col)
            n = table.num_rows
            del table  # the columns alone stay alive (combined, stripped one by one later)
            return (*_checked_columns(path, cols, n), unpadded)
        if text is None:
            text = read_text(path)
    try:
        if excel:
            df = pd.read_excel(path, sheet_name=sheet, dtype=str)
        else:
            df = pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise BOMFormatError(str(path), "(file)", None, "empty file: no header, no rows") from None
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        why = f"cannot be read as a {'spreadsheet' if excel else 'CSV'}"
        raise BOMFormatError(str(path), "(file)", None, f"{why} ({exc})") from None
    cols = {}
    for c in df.columns:
        vals = ["" if _blank(v) else str(v) for v in df[c].tolist()]
        cols.setdefault(str(c).strip(), pa.array(vals, type=pa.string()))
    return (*_checked_columns(path, cols, len(df)), False)


#: ASCII characters Arrow's ``utf8_trim_whitespace`` trims (as Python's ``str.strip``), other
#: than space and the line breaks, which :func:`_unpadded` looks at in context.
_ODD_SPACE = (b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")


def _unpadded(raw: bytes) -> bool:
    """True when no cell of the CSV ``raw`` can begin or end with whitespace, so trimming
    (:func:`_stripped`, a copy of every string) can be skipped: an ASCII file in which no
    space touches a delimiter, a line break, a quote or the file's ends, no line break sits
    next to a quote (just inside a quoted cell), and no other whitespace character occurs at
    all. Single-byte searches (C ``memchr``) and, when the file has spaces or quotes, one look
    at the neighbours of each; a file that fails the test (or is not ASCII) is trimmed cell by
    cell as before, so a false alarm costs only time."""
    if not raw.isascii() or any(b in raw for b in _ODD_SPACE):
        return False
    a = None
    for ch, near in ((b" ", b',\n\r"'), (b'"', b"\n\r")):
        if ch not in raw:
            continue
        if a is None:
            a = np.frombuffer(raw, dtype=np.uint8)
        pos = np.flatnonzero(a == ch[0])
        if ch == b" " and (pos[0] == 0 or pos[-1] == len(a) - 1):
            return False
        inner = pos[(pos > 0) & (pos < len(a) - 1)]
        around = np.concatenate((a[inner - 1], a[inner + 1]))
        if np.isin(around, np.frombuffer(near, dtype=np.uint8)).any():
            return False
    return True


def _utf8_bytes(path: Path) -> bytes | None:
    """The file's bytes without a UTF-8 byte-order mark if they are UTF-8 text (checked
    without decoding when ASCII); None for anything :func:`lca.files.read_text` must decode
    (UTF-16, GBK, invalid bytes: its errors name the line)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # read_text names the problem
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        return None
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return raw


def _arrow_csv(raw: bytes):
    """UTF-8 ``raw`` as a pyarrow table of strings, or None if pyarrow's reader refuses it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not raw or raw.isspace():
        return pa.table({})
    end = raw.find(b"\n")
    first = (raw if end < 0 else raw[:end]).decode("utf-8").rstrip("\r")
    try:
        names = next(csv.reader(io.StringIO(first, newline="")))
    except (StopIteration, csv.Error):
        return None
    if not first.strip() or len(set(names)) != len(names):
        return None  # leading blank lines, repeated column names: pandas' way, as before
    try:
        return pacsv.read_csv(
            pa.BufferReader(raw),  # no copy of the bytes
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None


def _checked_columns(path: Path, cols: dict, n: int) -> tuple[dict, int]:
    if "part" not in cols:
        raise BOMFormatError(str(path), "part", None, "required column is missing")
    if n == 0:
        raise BOMFormatError(str(path), "(file)", None, "no rows (only a header): no product")
    return cols, n


class _Located:
    """The first error of a file, by row: each check offers ``(row position, rank, raise)``
    for its first failing row; the error raised is that of the earliest row (at equal rows,
    the check that came first row by row before: :func:`bom_from_records`' order)."""

    def __init__(self):
        self.found: list = []
        self.key = None  # row -> processing time, once known (else the row itself)

    def offer(self, pos: int, rank: int, fail) -> None:
        t = int(pos) if self.key is None else int(self.key[pos])
        self.found.append((t, rank, fail))

    def raise_first(self) -> None:
        if self.found:
            _pos, _rank, fail = min(self.found, key=lambda t: t[:2])
            self.found = []
            fail()


def _raise(exc):
    def fail():
        raise exc

    return fail


def _stripped(col):
    """The column trimmed of whitespace, as one array. Trimming copies every string, so it
    is done only when some cell's first or last character is whitespace (Arrow's own test,
    the one ``utf8_trim_whitespace`` applies, on one-character slices)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    head = pc.utf8_is_space(pc.utf8_slice_codeunits(col, 0, 1))
    tail = pc.utf8_is_space(pc.utf8_slice_codeunits(col, -1))
    if pc.any(head).as_py() or pc.any(tail).as_py():
        col = pc.utf8_trim_whitespace(col)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _numbers(col, blank, name: str, where, *, lo=None, rank: int, found: _Located):
    """The column as floats (NaN where blank) and the first bad cell offered to ``found``
    (parse_number's rules and message; pyarrow's cast where it agrees with Python's float)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(col)
    out = np.full(n, np.nan)
    given = ~blank
    if not given.any():
        return out
    pos = np.flatnonzero(given)
    cells = col.filter(pa.array(given))
    try:
        vals = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
        ok = np.ones(len(vals), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        vals, ok = _python_floats(cells.to_pylist())
    bad = ~ok | ~np.isfinite(vals) | (np.abs(vals) > MAX_ABS)
    if lo is not None:
        with np.errstate(invalid="ignore"):
            bad |= vals < lo
    out[pos] = vals
    if bad.any():
        k = int(np.argmax(bad))
        raw = cells[k].as_py()
        i = int(pos[k])

        def fail():
            raise BOMFormatError(where(i), name, raw, _why(raw, lo))

        found.offer(i, rank, fail)
    return out


def _python_floats(cells: list) -> tuple[np.ndarray, np.ndarray]:
    """``float()`` of each cell (what :func:`lca.files.parse_number` uses), NaN where not."""
    vals = np.empty(len(cells))
    ok = np.ones(len(cells), dtype=bool)
    for k, c in enumerate(cells):
        try:
            vals[k] = float(c)
        except (TypeError, ValueError):
            vals[k], ok[k] = np.nan, False
    return vals, ok


def _why(raw, lo) -> str:
    try:
        parse_number(raw, lo=lo)
    except ValueError as exc:
        return str(exc)
    return "not a number"  # pragma: no cover - the cell failed the same test above


def _chunks(col) -> list:
    """The arrays of a column (a chunked column's chunks, left as the CSV reader made them:
    combining them would copy every string)."""
    import pyarrow as pa

    return list(col.chunks) if isinstance(col, pa.ChunkedArray) else [col]


def _cat(parts: list) -> np.ndarray:
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _encoded(chunks: list) -> tuple[list, object]:
    """Dictionary encoding of ``chunks`` in one hash pass (first-appearance order): each
    chunk's codes (int64) and the dictionary (a memo table only grows: every chunk's codes
    index the last, longest dictionary)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not chunks:
        return [], pa.array([], type=pa.string())
    enc = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.string()))
    codes = [c.indices.to_numpy(zero_copy_only=False).astype(np.int64) for c in enc.chunks]
    return codes, max((c.dictionary for c in enc.chunks), key=len)


def _codes(col):
    """``(codes, values)``: dictionary encoding (first-appearance order) as numpy and a list."""
    codes, values = _encoded(_chunks(col))
    return _cat(codes) if codes else np.zeros(0, np.int64), values.to_pylist()


def _blank_mask(col) -> np.ndarray:
    """Where a string column is empty, from its offsets (no pass over the characters)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for c in _chunks(col):
        if isinstance(c, pa.StringArray) and not c.null_count:
            offsets = np.frombuffer(c.buffers()[1], dtype=np.int32, count=len(c) + 1,
                                    offset=c.offset * 4)  # fmt: skip
            out.append(offsets[1:] == offsets[:-1])
        else:
            out.append(pc.utf8_length(c).to_numpy(zero_copy_only=False) == 0)
    return _cat(out) if out else np.zeros(0, dtype=bool)


def _first_rows(keys: np.ndarray, rows: np.ndarray, time: np.ndarray, size: int, n: int):
    """For each key ``0..size-1``, the row of ``rows`` (with key ``keys``) met first in
    processing order (``time``: the row is ``time % (n + 1)``); ``-1`` for a key with none.
    One unbuffered minimum per key (``ufunc.at``), no sort."""
    big = np.iinfo(np.int64).max
    first = np.full(size, big, dtype=np.int64)
    np.minimum.at(first, keys, time[rows])
    return np.where(first < big, first % (n + 1), -1)


def _bom_from_columns(cols: dict, n: int, source: str, unpadded: bool = False) -> BOMArrays:
    """The checks and the maths of :func:`bom_from_records` on whole columns.

    Row ``i`` (0-based) of the columns is file row ``i + 2``; every error names the file, the
    row and the field, as the row-by-row reader did. ``unpadded``: no cell has whitespace to
    trim (:func:`_unpadded`).
    """
    import pandas as pd
    import pyarrow as pa

    def where(i: int) -> str:
        return f"{source}, row {int(i) + 2}"

    found = _Located()
    for k in list(cols):  # stripped in place: the caller's raw columns are not kept alive
        cols[k] = cols[k] if unpadded else _stripped(cols[k])
    strip = cols
    blank = {k: _blank_mask(v) for k, v in strip.items()}
    # -- unknown columns, an empty part (rank 0/1 within a row) ------------------------------
    unknown = sorted(k for k in strip if k not in COLUMNS)
    for k in unknown:
        if (~blank[k]).any():
            i = int(np.argmax(~blank[k]))
            found.offer(
                i,
                0,
                _raise(
                    BOMFormatError(
                        where(i), k, None, "unknown column; expected " + ", ".join(COLUMNS)
                    )
                ),
            )
    if blank["part"].any():
        i = int(np.argmax(blank["part"]))
        found.offer(i, 1, _raise(BOMFormatError(where(i), "part", None, "empty")))
    found.raise_first()

    def col(k):
        return strip.get(k)

    def is_blank(k):
        return blank[k] if k in blank else np.ones(n, dtype=bool)

    # -- parts and parents ---------------------------------------------------------------------
    # one hash pass over both columns: parts first, so the parts' codes are 0..m-1 in order
    # of first appearance, and a parent coded m or above is no part
    part_chunks = _chunks(strip["part"])
    parent_chunks = _chunks(strip["parent"]) if "parent" in strip else []
    codes, labels = _encoded(part_chunks + parent_chunks)
    pcode = _cat(codes[: len(part_chunks)])
    par_codes = codes[len(part_chunks) :]
    del codes
    m = int(pcode.max()) + 1
    is_root = is_blank("parent")
    root_pos = np.flatnonzero(is_root)
    if not len(root_pos):
        raise BOMFormatError(source, "parent", None, "no root row (a row with an empty parent)")

    def label(code) -> str:
        return labels[int(code)].as_py()

    rc = pcode[root_pos]
    dup_root = np.ones(len(root_pos), dtype=bool)
    dup_root[np.unique(rc, return_index=True)[1]] = False
    if dup_root.any():
        i = int(root_pos[np.argmax(dup_root)])
        raise BOMFormatError(where(i), "part", label(pcode[i]), "root listed twice")
    line = np.flatnonzero(~is_root)
    if "parent" in strip:
        par = _cat(par_codes)
        par[par >= m] = -1
    else:
        par = np.full(n, -1, dtype=np.int64)
    del par_codes
    orphan = line[par[line] < 0]
    if len(orphan):
        i = int(orphan[0])
        raise BOMFormatError(
            where(i), "parent", col("parent")[i].as_py(), "is not a part of any row"
        )

    # node order: as the row-by-row reader created the parts (roots, then pass by pass)
    time, tpart, levels = _processing_times(pcode, par, line, root_pos, n, m)
    order = np.argsort(tpart)  # distinct times (one row, one time): any sort is stable
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    node_of = rank[pcode]  # node index of each row's part
    parts_text = labels.slice(0, m).take(pa.array(order))
    parts = parts_text.to_numpy(zero_copy_only=False)
    found.key = time  # errors in the order the row-by-row reader met them
    # -- per-row checks ------------------------------------------------------------------------
    # ranks follow bom_from_records' order within a row: quantity/unit empty, quantity,
    # zero, loss, yield, unit name, node attributes, conflicts, repeated line, units, sigma
    lr = np.zeros(n, dtype=bool)
    lr[line] = True
    for r_, k in ((2, "quantity"), (3, "unit")):
        miss = lr & is_blank(k)
        if miss.any():
            i = int(np.argmax(miss))
            found.offer(i, r_, _raise(BOMFormatError(where(i), k, None, "empty")))
    qty_given = lr & ~is_blank("quantity")

    def num(k, rank_, lo, mask):
        if k not in strip:
            return np.full(n, np.nan)
        return _numbers(strip[k], ~mask | blank[k], k, where, lo=lo, rank=rank_, found=found)

    qty = num("quantity", 4, 0.0, qty_given)
    zero = qty_given & (qty == 0.0)
    if zero.any():
        i = int(np.argmax(zero))
        found.offer(
            i,
            5,
            _raise(
                BOMFormatError(
                    where(i),
                    "quantity",
                    col("quantity")[i].as_py(),
                    "is zero: a part used in zero quantity adds nothing to its parent; leave "
                    "the row out (or remove the part) if it is not used",
                )
            ),
        )
    loss = num("loss", 6, 0.0, lr)
    loss = np.where(np.isnan(loss), 0.0, loss)
    yld = num("yield", 7, 0.0, lr)
    yld = np.where(np.isnan(yld), 1.0, yld)
    big = lr & (loss >= 1.0)
    if big.any():
        i = int(np.argmax(big))
        found.offer(
            i, 8, _raise(BOMFormatError(where(i), "loss", float(loss[i]), "must be below 1"))
        )
    off = lr & ~((yld > 0.0) & (yld <= 1.0))
    if off.any():
        i = int(np.argmax(off))
        found.offer(
            i, 9, _raise(BOMFormatError(where(i), "yield", float(yld[i]), "must be in (0, 1]"))
        )
    # units: each distinct name checked once
    if "unit" in strip:
        ucode, unames = _codes(strip["unit"])
    else:
        ucode, unames = np.zeros(n, dtype=np.int64), [""]
    ucode = np.where(is_blank("unit"), -1, ucode)
    canon, bad_unit = [], np.zeros(len(unames) + 1, dtype=bool)
    for j, u in enumerate(unames):
        try:
            canon.append(canonical(u) if u else None)
        except PCFError:
            canon.append(None)
            bad_unit[j] = True
    canon.append(canonical("piece"))  # code -1: a root row without a unit
    bad = bad_unit[ucode] & (lr | is_root)
    if bad.any():
        i = int(np.argmax(bad))

        def fail_unit(i=i):
            canonical(unames[ucode[i]], where(i))

        found.offer(i, 3 if is_root[i] else 10, fail_unit)
    canon_arr = np.empty(len(canon), dtype=object)
    canon_arr[:] = canon
    # -- node attributes -----------------------------------------------------------------------
    node = {}
    # the part's unit: that of the row that created it (its root row, else its first line
    # in the row-by-row reader's order)
    src_row = np.minimum(tpart[order] % (n + 1), n - 1)
    ucode_p = np.where(ucode < 0, len(unames), ucode)  # a unit name per row (-1: 'piece')
    node["unit"] = canon_arr[ucode_p[src_row]]
    node_text = {"unit": (canon, ucode_p[src_row])}
    once = np.bincount(pcode, minlength=m)[pcode] == 1  # rows whose part has no other row
    for r_, (k, attr) in enumerate(NODE_FIELDS.items()):
        if k not in strip:
            continue
        node[attr], text = _node_column(
            strip[k], blank[k], k, attr, node_of, m, where, found, 11 + r_, parts, time, once
        )
        if text is not None:
            node_text[attr] = text
    # -- edges ---------------------------------------------------------------------------------
    # in the graph's order: by parent node, each parent's lines as they were added
    tl = time[line]
    if len(line) > 1 and not (tl[1:] > tl[:-1]).all():  # rows not in processing order
        seq = np.empty(len(line), dtype=np.int64)
        seq[np.argsort(tl)] = np.arange(len(line))  # distinct times
    else:
        seq = np.arange(len(line), dtype=np.int64)
    del tl
    if m * max(len(line), 1) < 2**62:  # one sort of distinct keys
        line = line[np.argsort(rank[par[line]] * len(line) + seq)]
    else:  # pragma: no cover - beyond any BOM held in memory
        line = line[np.lexsort((seq, rank[par[line]]))]
    del seq
    parent = rank[par[line]]
    child = node_of[line]
    # a line repeated under one parent: every occurrence after the first (hashing, no sort)
    dup = pd.Series(parent * m + child).duplicated().to_numpy()
    if dup.any():
        k = int(np.argmax(dup))
        i = int(line[k])
        found.offer(
            i,
            30,
            _raise(
                BOMFormatError(
                    where(i), "part", parts[child[k]], f"listed twice under {parts[parent[k]]!r}"
                )
            ),
        )
    del dup
    # unit conversions: once per (line unit, part unit) pair
    part_ucode = ucode_p[src_row]
    K = len(unames) + 1
    pair = ucode_p[line] * K + part_ucode[child]
    if K * K <= 4 * len(pair) + 4096:  # a table over all pairs; the first line of each
        ftab = np.ones(K * K)
        upair = np.flatnonzero(np.bincount(pair, minlength=K * K))
        if len(upair) <= 64:  # the usual few: one scan each
            firstk = np.array([int(np.argmax(pair == p_)) for p_ in upair.tolist()], dtype=np.int64)
        else:
            firstk = _first_rows(pair, np.arange(len(pair)), np.arange(len(pair)), K * K, len(pair))
            firstk = firstk[upair]
        slots = upair
    else:  # pragma: no cover - thousands of distinct unit spellings
        upair, firstk, inv = np.unique(pair, return_index=True, return_inverse=True)
        ftab = np.ones(len(upair))
        pair, slots = inv.ravel(), np.arange(len(upair))
    for slot, pr, k in zip(slots.tolist(), upair.tolist(), firstk.tolist()):
        a, b = canon_arr[pr // K], canon_arr[pr % K]
        if a is None or b is None or a == b:
            continue
        try:
            ftab[slot] = conversion_factor(a, b)
        except PCFError:
            i = int(line[k])
            raw = unames[ucode[i]]

            def fail_conv(i=i, raw=raw, b=b):
                conversion_factor(raw, b, where(i))

            found.offer(i, 31, fail_conv)
    factor = ftab[pair]
    del pair
    eu = canon_arr[ucode[line]]  # code -1 (a line without a unit: an error above): 'piece'
    sigma = num("sigma", 32, 0.0, lr)
    found.raise_first()
    ql, ll, yl = qty[line], loss[line], yld[line]
    edge = {
        "quantity": ql,
        "unit": eu,
        "loss": ll,
        "yield": yl,
        "q": effective_quantity(ql, factor, ll, yl),
        "sigma": sigma[line],
    }
    if "comment" in strip:
        com = strip["comment"].take(pa.array(line)).to_numpy(zero_copy_only=False)
        com = com.astype(object)
        com[com == ""] = None
        edge["comment"] = com
    roots_ = [label(pcode[i]) for i in root_pos.tolist()]
    bom = BOMArrays(
        parts,
        node,
        parent,
        child,
        edge,
        roots_,
        {r: where(i) for r, i in zip(roots_, root_pos.tolist())},
        source,
        _parts_text=parts_text,
        _node_text={
            k: (node[k], pa.array(v, type=pa.string()), c) for k, (v, c) in node_text.items()
        },
    )
    # the text and levels kept beside them stay theirs: the arrays are not changed in place
    parts.flags.writeable = False
    for k in node_text:
        node[k].flags.writeable = False
    if levels is None:
        _check_acyclic_arrays(bom, source)
    else:  # the same graph (part codes renumbered as nodes): acyclic, levels known
        bom._levels = levels[order]
        parent.flags.writeable = child.flags.writeable = False
    return bom


def _processing_times(pcode, par, line, root_pos, n: int, m: int):
    """When the row-by-row reader (:func:`bom_from_records`) added each row and created each
    part: roots first in row order, then passes over the lines in row order, a line being
    added once its parent exists (``pass x (n + 1) + row``). Computed level by level of the
    BOM (all parents of a part are on earlier levels), not pass by pass. With a cycle, the
    times are the rows (the cycle is reported once the rows are checked). Returns ``(row
    times, part times, levels)``: the levels of :func:`~supply_chain.bom_math.bom_levels`
    by part code, None with a cycle."""
    from .bom_math import bom_levels

    big = np.iinfo(np.int64).max // 4
    time = np.full(n, big, dtype=np.int64)
    time[root_pos] = root_pos
    tpart = np.full(m, big, dtype=np.int64)
    tpart[pcode[root_pos]] = root_pos
    try:
        level = bom_levels(par[line], pcode[line], m)
    except BOMCycle:  # reported once the rows are checked; row order meanwhile
        time[line] = line
        np.minimum.at(tpart, pcode[line], line)
        return time, tpart, None
    lv = level[pcode[line]]
    by = np.argsort(lv, kind="stable")
    bounds = np.searchsorted(lv[by], np.arange(1, int(lv.max(initial=0)) + 2))
    step = n + 1
    for a, b in itertools.pairwise(bounds):
        rows = line[by[a:b]]
        if not len(rows):
            continue
        tp = tpart[par[rows]]
        ppass, prow = tp // step, tp % step
        k = np.where(ppass == 0, 1, np.where(prow < rows, ppass, ppass + 1))
        t = k * step + rows
        time[rows] = t
        np.minimum.at(tpart, pcode[rows], t)
    return time, tpart, level


def _text_value(attr: str, v: str):
    """A text cell's value as the BOM keeps it, and whether it is valid: blank -> None;
    ``activity`` -> its ``(database, code)`` key; ``stage`` one of :data:`STAGES`; other
    columns as written. One rule for both readers (the careful one names the bad row, the
    fast one, :mod:`supply_chain.bom_read`, hands the file to the careful one)."""
    if not v:
        return None, True
    if attr == "activity":
        try:
            return _activity_key(v, ""), True
        except BOMFormatError:
            return None, False
    if attr == "stage" and v not in STAGES:
        return None, False
    return v, True


def _node_column(
    col, blank, k: str, attr: str, node_of, m, where, found, rank_: int, parts, time, once
):
    """One node attribute over the parts: cleaned as :func:`_set_node` does, each part's value
    from its first row that gives one; a later row giving another value is an error there.
    ``once``: the rows whose part has no other row (its value is that row's; no conflict).

    Returns the column and, for a text attribute, ``(values, codes)``: its distinct values
    and each part's code into them (-1: none), or None."""
    n = len(col)
    given = ~blank
    if k in NUMERIC_NODE_FIELDS:
        vals = _numbers(
            col, blank, k, where, lo=0.0 if k == "unit_price_usd" else None, rank=rank_,
            found=found,
        )  # fmt: skip
        shown = vals
        out = np.full(m, np.nan)
    else:
        codes, uniq = _codes(col)
        clean = []
        bad = np.zeros(len(uniq) + 1, dtype=bool)
        for j, v in enumerate(uniq):
            value, ok = _text_value(attr, v)
            clean.append(value)
            bad[j] = not ok
        badrow = given & bad[codes]
        if badrow.any():
            i = int(np.argmax(badrow))
            v = uniq[codes[i]]
            why = (
                "expected 'database|code'"
                if attr == "activity"
                else f"expected one of {', '.join(STAGES)}"
            )
            found.offer(i, rank_, _raise(BOMFormatError(where(i), attr, v, why)))
        # equal cleaned values share a code (e.g. 'db | x' and 'db|x')
        canon: dict = {}
        ccode = np.array([canon.setdefault(c, len(canon)) for c in clean], dtype=np.int64)
        carr = np.empty(len(clean), dtype=object)
        carr[:] = clean
        shown = _Shown(carr, codes)  # no object array over every row
        out = np.empty(m, dtype=object)
    numeric = k in NUMERIC_NODE_FIELDS
    text = None
    # the row giving each part's value: its only row, else its first given one (in
    # processing order), whose value a later row must repeat
    src = np.full(m, -1, dtype=np.int64)
    alone = np.flatnonzero(given & once)
    src[node_of[alone]] = alone
    pos = np.flatnonzero(given & ~once)
    nodes_g = node_of[pos]
    first = _first_rows(nodes_g, pos, time, m, n)
    has_first = first >= 0
    src[has_first] = first[has_first]
    ref_row = first[nodes_g]
    if numeric:
        conflict = vals[pos] != vals[ref_row]
    else:
        conflict = ccode[codes[pos]] != ccode[codes[ref_row]]
    if conflict.any():
        cand = np.flatnonzero(conflict)
        kk = int(cand[np.argmin(time[pos[cand]])])  # the first met
        i = int(pos[kk])
        j = int(ref_row[kk])
        found.offer(
            i,
            rank_ + 10,
            _raise(
                BOMFormatError(
                    where(i),
                    attr,
                    _plain(shown[i]),
                    f"part {parts[nodes_g[kk]]!r} already has {_plain(shown[j])!r}",
                )
            ),
        )
    has = src >= 0
    if numeric:
        out[has] = vals[src[has]]
        return out, None
    node_code = np.full(m, -1, dtype=np.int64)
    node_code[has] = codes[src[has]]
    out[has] = carr[node_code[has]]
    if attr != "activity":  # (database, code) pairs are no text
        text = (clean, node_code)
    return out, text


class _Shown:
    """``values[codes]`` read element by element or by index array, never built whole."""

    def __init__(self, values: np.ndarray, codes: np.ndarray):
        self.values, self.codes = values, codes

    def __getitem__(self, i):
        return self.values[self.codes[i]]


def _plain(v):
    return float(v) if isinstance(v, np.floating) else v


def _check_acyclic_arrays(bom: BOMArrays, source: str) -> None:
    """:func:`check_acyclic` on the edge arrays (vectorised Kahn; the cycle named by part)."""
    from .bom_math import bom_levels

    try:
        bom_levels(bom.parent, bom.child, len(bom.parts))
    except BOMCycle as exc:
        raise BOMCycle([bom.parts[i] for i in exc.cycle], source) from None
