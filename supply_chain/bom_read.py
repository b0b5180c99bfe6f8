"""The fast path of :func:`supply_chain.bom.read_bom_arrays`: a valid BOM CSV in the common
shape read straight into :class:`~supply_chain.bom_arrays.BOMArrays`, with no per-row Python object.

The careful reader (:func:`supply_chain.bom_careful._bom_from_columns`) reproduces the row-by-row
reader (:func:`~supply_chain.bom.bom_from_records`) exactly, errors included: which error of a
file with several is reported depends on the order the row-by-row reader met the rows, so it
works out that order (passes over unordered rows, processing times, the first row giving each
attribute). For a file with no error none of that changes the result in the common shape:

- no whitespace around any text cell and no NUL byte (the careful reader trims cells), only
  known columns, each once;
- every line's parent is a root or the part of an earlier row (parents before components, as
  a BOM is usually written): the row-by-row reader then adds every line in one pass in row
  order, so a part is created by its root row or its first line, and the edges of a parent
  come in row order.

Such a file is mapped (not copied) and read with pyarrow's CSV reader with column types
(numbers parsed as float64, the short text columns dictionary-encoded while reading, on every
core), part ids read once as 64-bit words and coded by sorting them (:func:`_id_codes`), and
every rule of the module doc of :mod:`supply_chain.bom` checked as array operations; the text
columns stay codes (:class:`~supply_chain.bom_arrays.CodedColumn`) until something reads them as
objects. Anything else (another shape, or a rule broken anywhere) returns None, and the
careful reader reads the file again: it names the file, row and field of the first error
exactly as before. The result is the careful reader's, array for array
(``tests/test_bom_vectorised.py`` compares the two).

The ids are coded in order of first appearance, which the node order of the row-by-row reader
is made of, by a sort (:func:`_first_codes`: what ``pandas.factorize`` returns, without its
hash table's cache misses); Arrow's ``dictionary_encode`` (used for ids longer than 16 bytes)
took about three times as long as ``pandas.factorize`` on the benchmark's million 8-byte ids.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import numpy as np

from lca.errors import PCFError
from lca.files import MAX_ABS
from lca.units import canonical, conversion_factor

from .errors import BOMCycle

log = logging.getLogger(__name__)

#: Columns read as numbers (float64, blank: null).
NUMBER_COLUMNS = ("quantity", "loss", "yield", "unit_price_usd", "direct", "sigma")
#: Columns with few distinct values, dictionary-encoded by the CSV reader.
CODED_COLUMNS = ("unit", "name", "supplier", "country", "stage", "activity", "pcf_id",
                 "spend_sector")  # fmt: skip

#: 64-bit multiplier (the golden ratio's, odd: a bijection of 64-bit words) that spreads ids
#: made of ASCII bytes over the hash table (unmixed they collide: 3x slower)
_MIX = np.uint64(0x9E3779B97F4A7C15)


class _NotFast(Exception):
    """The file is not in the shape of the fast path, or breaks a rule: the careful reader
    reads it (and names the error, if any)."""


def read_fast(path: Path, source: str):
    """The BOM in ``path`` as :class:`~supply_chain.bom_arrays.BOMArrays` (``source`` names it, as the
    careful reader's), or None when the careful reader must read it (see module doc).

    The file is mapped, not read: its bytes stay in the system's file cache, not in this
    process's memory."""
    import mmap

    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            raw = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # an empty file cannot be mapped; the careful reader says why
        return None
    import pyarrow as pa

    # Arrow's buffers from the C allocator, as numpy's: the reader's scratch memory, freed,
    # is reused by the arrays made next instead of staying in Arrow's own pool (mimalloc)
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        return _read(raw, source)
    except (_NotFast, pa.ArrowException, ValueError, UnicodeError, OverflowError) as exc:
        # the careful reader decides (and names the error, if the file has one)
        log.debug("%s: read by the careful reader (%s)", source, exc)
        return None
    finally:
        pa.set_memory_pool(pool)


#: Bytes that may not begin or end a text cell here: what ``str.strip`` removes in ASCII (the
#: careful reader trims cells), and any non-ASCII byte (Unicode spaces: the careful reader)
_EDGE = np.zeros(256, dtype=bool)
_EDGE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE[128:] = True


def _clean_text(col) -> None:
    """Not fast unless no string of ``col`` begins or ends with whitespace or a non-ASCII
    byte, and none holds a NUL byte (the ids are compared as zero-padded words): a look at
    the first and last byte of each string, from the offsets."""
    for c in _chunks(col):
        if not len(c):
            continue
        off = _offsets(c)
        data = np.frombuffer(c.buffers()[2], dtype=np.uint8)[: off[-1]] if off[-1] else None
        if data is None:
            continue
        if not data[off[0] :].min():
            raise _NotFast("a NUL byte")
        lens = np.diff(off)
        full = lens > 0
        starts, ends = off[:-1][full], off[1:][full] - 1
        if _EDGE[data[starts]].any() or _EDGE[data[ends]].any():
            raise _NotFast("a cell to trim")


def _clean_values(values: list) -> None:
    """:func:`_clean_text` for the distinct values of a dictionary column."""
    for v in values:
        if not v.isascii() or v != v.strip() or "\x00" in v:
            raise _NotFast("a cell to trim")


def _header(raw) -> list[str]:
    end = raw.find(b"\n")
    try:
        first = bytes(raw[:] if end < 0 else raw[:end]).decode("ascii").rstrip("\r")
    except UnicodeDecodeError:
        raise _NotFast("a header that is not ASCII") from None
    try:
        names = next(csv.reader(io.StringIO(first, newline="")))
    except (StopIteration, csv.Error):
        raise _NotFast("no header") from None
    return [c.strip() for c in names]


def _table(raw, names: list[str]):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from .bom import COLUMNS

    if len(set(names)) != len(names) or "part" not in names or "parent" not in names:
        raise _NotFast("repeated or missing columns")
    if any(c not in COLUMNS for c in names):
        raise _NotFast("unknown column")
    coded = pa.dictionary(pa.int32(), pa.string())
    types = {
        c: pa.float64() if c in NUMBER_COLUMNS else coded if c in CODED_COLUMNS else pa.string()
        for c in names
    }
    # a file of ASCII bytes is valid UTF-8 throughout: one look at its bytes (a few ms on the
    # benchmark's 54 MB) spares the reader its check of every text cell (~0.02 s of CPU)
    ascii = len(raw) == 0 or int(np.frombuffer(raw, dtype=np.uint8).max()) < 128
    # a line break inside a cell needs quotes: a file without a quote byte (found in ~2 ms)
    # is read in blocks split at any line break, on every core, which the reader cannot do
    # where a cell may hold one (0.09 s against 0.11 s on the benchmark's 54 MB)
    quoted = raw.find(b'"') >= 0
    try:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(raw)),  # the mapped file, not a copy
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=not ascii,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _NotFast(f"pyarrow: {exc}") from None


def _chunks(col) -> list:
    import pyarrow as pa

    return list(col.chunks) if isinstance(col, pa.ChunkedArray) else [col]


def _coded(col) -> tuple[np.ndarray, list]:
    """A dictionary column as ``(codes, values)``: one dictionary for the whole column
    (int32 codes; no nulls: a blank is the value ``""``)."""
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        chunks = col.unify_dictionaries().chunks
    else:
        chunks = [col]
    if not chunks:
        return np.zeros(0, dtype=np.int32), []
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    values = chunks[0].dictionary.to_pylist()
    _clean_values(values)
    return codes, values


def _floats(col) -> np.ndarray:
    """A float64 column as numpy, NaN where blank; a cell that reads as NaN ('nan') is not
    fast (it would look blank)."""
    vals = np.concatenate([c.to_numpy(zero_copy_only=False) for c in _chunks(col)])
    if col.null_count and np.count_nonzero(np.isnan(vals)) != col.null_count:
        raise _NotFast("a NaN cell")
    if not col.null_count and np.isnan(vals).any():
        raise _NotFast("a NaN cell")
    return vals


def _offsets(arr) -> np.ndarray:
    return np.frombuffer(
        arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4
    )


def _lengths(col) -> np.ndarray:
    """The byte length of every string of a column (int32)."""
    return np.concatenate([np.diff(_offsets(c)) for c in _chunks(col)])


def _put_words(col, lens: np.ndarray, out: np.ndarray) -> None:
    """The strings of ``col`` zero-padded into the rows of ``out`` (uint8, a row per string,
    at least as wide as the longest): one reshape for the strings of one length, blanks
    hold no bytes; a chunk of mixed lengths is scattered byte by byte."""
    size = out.shape[1]
    r0 = 0
    for c in _chunks(col):
        k = len(c)
        if not k:
            continue
        off = _offsets(c)
        data = np.frombuffer(c.buffers()[2], dtype=np.uint8)[off[0] : off[-1]]
        ln = lens[r0 : r0 + k]
        rows = out[r0 : r0 + k]
        full = ln > 0
        w = int(ln.max())
        if w and int(ln[full].min()) == w:
            if full.all():
                rows[:, :w] = data.reshape(-1, w)
            else:
                rows[full, :w] = data.reshape(-1, w)
        elif w:
            row = np.repeat(np.arange(k), ln)
            pos = np.arange(len(data)) - np.repeat(off[:-1] - off[0], ln)
            rows.reshape(-1)[row * size + pos] = data
        r0 += k


def _mix(h: np.ndarray) -> np.ndarray:
    """64-bit words mixed in place, block by block (a bijection: equal iff the words are)."""
    with np.errstate(over="ignore"):
        np.multiply(h, _MIX, out=h)
    step = 1 << 16
    for s in range(0, len(h), step):
        b = h[s : s + step]
        b ^= b >> np.uint64(29)
    return h


def _first_codes(h: np.ndarray) -> tuple[np.ndarray, int]:
    """``pandas.factorize(h)[0]`` of 64-bit words (codes 0..k-1 in order of first appearance)
    and ``k``, by sorting instead of hashing. The codes are written over ``h`` (int64).

    A hash table of a million words is a million cache misses: ``pandas.factorize`` of the
    benchmark's two million id words took 0.13-0.16 s, its parts' million plus a look-up of
    the parents 0.15-0.20 s. Sorted, equal words are side by side, and each run's first row
    ranks the runs by first appearance. The words (mixed: :func:`_mix`) are sorted with their
    row in the low bits of the same word, one numpy sort of plain integers (SIMD, 0.01 s),
    each run then in row order; if two different words share the bits kept (unlikely, and
    checked), numpy's argsort of the words does it (0.05 s more)."""
    size = len(h)
    if not size:
        return np.zeros(0, dtype=np.int64), 0
    bits = np.uint64(max(1, (size - 1).bit_length()))
    key = h >> bits
    key <<= bits
    key |= np.arange(size, dtype=np.uint64)
    key.sort()
    idx = np.int32 if size < 2**31 else np.intp  # half the memory of the rows, when they fit
    rows = (key & np.uint64((1 << int(bits)) - 1)).astype(idx)
    key >>= bits
    new = np.empty(size, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    hs = np.take(h, rows, out=key)  # the words in sorted order, in the keys' memory
    # a run of equal high bits whose words differ: two words met in the bits kept
    if (np.equal(hs[1:], hs[:-1]) == new[1:]).any():
        rows = np.argsort(h)
        np.take(h, rows, out=hs)
        np.not_equal(hs[1:], hs[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        first = np.minimum.reduceat(rows, starts)  # each run's first row
    else:
        starts = np.flatnonzero(new)
        first = rows[starts]  # a run's rows are in order
    del hs, key, new
    is_first = np.zeros(size, dtype=bool)
    is_first[first] = True
    # a run's code: how many runs appear first at or before its first row, less one
    code = np.cumsum(is_first, dtype=idx)[first]
    del is_first, first
    code -= 1
    out = h.view(np.int64)  # the codes in the words' memory (fresh memory is page faults)
    out[rows] = np.repeat(code, np.diff(np.append(starts, size)))
    return out, len(code)


def _id_codes(part, parent, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the part ids (0..m-1, first appearance) and of the parents in the same codes
    (-1: blank; -2: no part): ids of up to 16 bytes as one or two 64-bit words (:data:`_MIX`)
    coded by :func:`_first_codes`, longer ones by Arrow's hash table.

    The parts and the parents are coded together, parts first: the parts' codes are their
    first appearance among the parts, and a parent that is no part gets a code past them. A
    blank parent is the word 0, which no part is (a part is not blank and holds no NUL)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _clean_text(part)
    _clean_text(parent)
    plen, qlen = _lengths(part), _lengths(parent)
    if not plen.all():
        raise _NotFast("a blank part")
    longest = max(int(plen.max()), int(qlen.max()))
    if longest <= 16:
        width = 1 if longest <= 8 else 2
        words = np.zeros((2 * n, width), dtype=np.uint64)
        as_bytes = words.view(np.uint8)
        _put_words(part, plen, as_bytes[:n])
        _put_words(parent, qlen, as_bytes[n:])
        if width == 1:
            h = _mix(words.reshape(-1))
        else:  # a pair of words: each word's codes combined, coded again
            c0 = _first_codes(_mix(np.ascontiguousarray(words[:, 0])))[0]
            c1, k1 = _first_codes(_mix(np.ascontiguousarray(words[:, 1])))
            del words, as_bytes
            c0 *= k1
            c0 += c1
            del c1
            h = _mix(c0.view(np.uint64))
        codes = _first_codes(h)[0]
        del h
        pcode, par = codes[:n], codes[n:]
        m = int(pcode.max()) + 1
        par[par >= m] = -2  # no part
        par[qlen == 0] = -1
        return pcode, par
    enc = pc.dictionary_encode(pa.chunked_array(_chunks(part) + _chunks(parent)))
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in enc.chunks])
    codes = codes.astype(np.int64)
    par = codes[n:]
    par[par >= int(codes[:n].max()) + 1] = -2  # no part
    par[qlen == 0] = -1
    return codes[:n], par


def _stable_order(keys: np.ndarray, size: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integer keys in ``[0, size)``: radix sort by
    16-bit digits (numpy sorts 16-bit integers by radix: O(n), where 64-bit keys take a
    merge sort)."""
    if size <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while size > 1 << shift:
        digit = ((keys >> shift) & 0xFFFF).astype(np.uint16)[order]
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def _activity_keys(values: list) -> list:
    """:func:`~supply_chain.bom_careful._text_value` of the distinct cells of the ``activity`` column
    (blank: None, else the ``(database, code)`` key, as ``bom._activity_key`` splits it), in
    one loop without a function call per value: a BOM linking 20,000 activities has as many.
    A cell that is no key: not fast (the careful reader names it)."""
    out: list = []
    add = out.append
    for v in values:
        if not v:
            add(None)
            continue
        db, bar, code = v.partition("|")
        db, code = db.strip(), code.strip()
        if not (bar and db and code):
            raise _NotFast("a bad activity")
        add((db, code))
    return out


def _per_part(codes: np.ndarray, lut, src_row: np.ndarray, multi: tuple, what: str):
    """Each part's one value code among ``lut[codes]`` (a row's code, -1: not given;
    ``src_row``: the row creating each part), -1 where none. A part of one row takes that
    row's (gathered from it: no scatter of every row); the rows of parts with several
    (``multi``: :func:`_by_part`) must agree where they give one, else not fast (a conflict:
    the careful reader names it)."""
    out = lut[codes[src_row]]  # each part's creating row: its only one, unless in multi
    rows, starts, parts = multi
    if len(rows):
        sub = lut[codes[rows]]
        big = np.iinfo(sub.dtype).max
        hi = np.maximum.reduceat(sub, starts)
        lo = np.minimum.reduceat(np.where(sub < 0, big, sub), starts)
        if ((hi >= 0) & (lo != hi)).any():
            raise _NotFast(f"conflicting {what}")
        out[parts] = hi
    return out


def _per_part_number(vals: np.ndarray, src_row: np.ndarray, multi: tuple, what: str):
    """:func:`_per_part` of numbers (NaN: not given, and none)."""
    out = vals[src_row]
    rows, starts, parts = multi
    if len(rows):
        sub = vals[rows]
        if ((sub == 0) & np.signbit(sub)).any():
            raise _NotFast(f"a -0 {what}")  # equal to 0, printed apart: the first row decides
        hi = np.fmax.reduceat(sub, starts)
        lo = np.fmin.reduceat(sub, starts)
        if (lo != hi)[~np.isnan(hi)].any():
            raise _NotFast(f"conflicting {what}")
        out[parts] = hi
    return out


def _by_part(multi: np.ndarray, mnode: np.ndarray) -> tuple:
    """The rows ``multi`` of parts with several rows (``mnode``: their parts) grouped by part,
    once for every attribute: ``(rows, starts, parts)``, the rows of ``parts[k]`` being
    ``rows[starts[k]:starts[k + 1]]``. Each attribute then takes a maximum and a minimum per
    part by ``reduceat`` (in order), not by ``ufunc.at`` into arrays over every part."""
    order = np.argsort(mnode, kind="stable")
    rows, by = multi[order], mnode[order]
    if not len(rows):
        return rows, np.zeros(0, dtype=np.intp), by
    starts = np.flatnonzero(np.r_[True, by[1:] != by[:-1]])
    return rows, starts, by[starts]


def _read(raw, source: str):
    import pandas as pd
    import pyarrow as pa

    from .bom import NODE_FIELDS
    from .bom_arrays import NUMERIC_NODE_FIELDS, BOMArrays, CodedColumn, LazyColumns
    from .bom_careful import _text_value
    from .bom_math import bom_levels

    names = _header(raw)
    table = _table(raw, names)
    n = table.num_rows
    if n == 0:
        raise _NotFast("no rows")
    cols = dict(zip(names, table.columns))
    del table

    # -- parts, roots, the order the row-by-row reader meets them ------------------------------
    part = cols.pop("part")
    pcode, par = _id_codes(part, cols.pop("parent"), n)
    m = int(pcode.max()) + 1
    if (par < -1).any():
        raise _NotFast("a parent that is no part")
    roots = np.flatnonzero(par < 0)
    nr = len(roots)
    if not nr or nr == n:
        raise _NotFast("no root, or no line")
    rc = pcode[roots]
    if len(np.unique(rc)) != nr:
        raise _NotFast("a root listed twice")
    row = np.arange(n)
    # the lines: a slice when the root rows come first (the usual file), else their rows
    line = slice(nr, n) if roots[-1] == nr - 1 else np.flatnonzero(par >= 0)
    # the first row of each part: the codes count the parts in order of first appearance, so
    # a part's first row is where its code passes every code before it
    seen = np.maximum.accumulate(pcode)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.greater(pcode[1:], seen[:-1], out=new[1:])
    del seen
    first = np.flatnonzero(new).astype(np.int64, copy=False)
    del new
    root_part = np.zeros(m, dtype=bool)
    root_part[rc] = True
    pl = par[line]
    # one pass: every line's parent is a root or the part of an earlier row
    if not (root_part[pl] | (first[pl] < row[line])).all():
        raise _NotFast("a parent listed after its components")
    del root_part
    # each part is created by its root row, else its first row (a line: one pass in row order)
    first[rc] = roots - (n + 1)  # roots first, in row order
    if (np.diff(first) > 0).all():  # first appearance is creation order
        pn, node_of = pl, pcode
    else:
        order = np.argsort(first)
        rank = np.empty(m, dtype=np.int64)
        rank[order] = np.arange(m)
        pn, node_of = rank[pl], rank[pcode]
        first = first[order]
        del order, rank
    first[first < 0] += n + 1
    src_row = first  # the row creating each part, in node order
    del pl, first

    # -- edges: by parent node, each parent's lines in row order -------------------------------
    by = None if (np.diff(pn) >= 0).all() else _stable_order(pn, m)
    eline = line if by is None else row[line][by]  # the rows of the edges (a slice: a view)
    pn = pn if by is None else pn[by]
    cn = node_of[eline]
    # the rows of parts with more than one row: the only ones that can repeat a line or
    # disagree on an attribute
    multi = np.flatnonzero(np.bincount(pcode, minlength=m)[pcode] > 1)
    mline = multi[par[multi] >= 0]
    if pd.Series(par[mline] * m + pcode[mline]).duplicated().any():
        raise _NotFast("a line listed twice")
    del mline
    grouped = _by_part(multi, node_of[multi])
    del multi

    def number(k, ok, rows=eline):
        """Column ``k`` on the edges (NaN: blank); a value ``ok`` rejects: not fast."""
        if k not in cols:
            return None
        v = _floats(cols.pop(k))[rows]
        with np.errstate(invalid="ignore"):
            if not ok(v).all():
                raise _NotFast(f"a bad {k}")
        return v

    ql = number("quantity", lambda v: (v > 0) & (v <= MAX_ABS))  # blank or zero: an error
    if ql is None:
        raise _NotFast("no quantity column")
    ne = len(pn)
    ll = number("loss", lambda v: np.isnan(v) | ((v >= 0) & (v < 1)))
    ll = (lambda: np.zeros(ne)) if ll is None else np.where(np.isnan(ll), 0.0, ll)
    yl = number("yield", lambda v: np.isnan(v) | ((v > 0) & (v <= 1)))
    yl = (lambda: np.ones(ne)) if yl is None else np.where(np.isnan(yl), 1.0, yl)
    sigma = number("sigma", lambda v: np.isnan(v) | ((v >= 0) & (v <= MAX_ABS)))
    sigma = (lambda: np.full(ne, np.nan)) if sigma is None else sigma

    # -- units: each distinct name once --------------------------------------------------------
    if "unit" not in cols:
        raise _NotFast("no unit column")
    ucode, unames = _coded(cols.pop("unit"))
    canon: list = []
    for u in unames:
        try:
            canon.append(canonical(u) if u else None)
        except PCFError:
            raise _NotFast("an unknown unit") from None
    canon.append(canonical("piece"))  # the last code: a root row without a unit
    K = len(canon)
    if None in canon:  # blanks: 'piece' on a root row, an error on a line
        ucode[ucode == canon.index(None)] = K - 1
    eu = ucode[eline]
    if (eu == K - 1).any():
        raise _NotFast("a line without a unit")
    part_ucode = ucode[src_row]
    canon_arr = np.empty(K, dtype=object)
    canon_arr[:] = canon
    # unit conversions: only the lines in another unit than their part's, once per pair
    other = np.flatnonzero(eu != part_ucode[cn])
    pair = eu[other].astype(np.int64) * K + part_ucode[cn[other]]
    ftab = np.ones(K * K)
    for pr in np.flatnonzero(np.bincount(pair, minlength=K * K)).tolist():
        a, b = canon[pr // K], canon[pr % K]
        if a != b:
            try:
                ftab[pr] = conversion_factor(a, b)
            except PCFError:
                raise _NotFast("units that do not convert") from None
    q = ql * 1.0  # ql x factor: a factor 1 leaves the quantity as it is
    q[other] *= ftab[pair]
    del pair, other
    # bom.effective_quantity in place: no division where no line has a loss or a yield
    if not (callable(ll) and callable(yl)):
        q /= (1.0 - (0.0 if callable(ll) else ll)) * (1.0 if callable(yl) else yl)
    eu = eu.astype(np.int32, copy=False)
    edge = LazyColumns(
        {
            "quantity": ql,
            "unit": lambda: canon_arr[eu],  # made when asked for (objects: ~8 bytes a line)
            "loss": ll,
            "yield": yl,
            "q": q,
            "sigma": sigma,
        }
    )
    if "comment" in cols:
        _clean_text(cols["comment"])
        rows = row[eline] if isinstance(eline, slice) else eline
        com = cols.pop("comment").take(pa.array(rows)).to_numpy(zero_copy_only=False)
        com = com.astype(object)
        com[com == ""] = None
        edge["comment"] = com
    del eline

    # -- node attributes: each part's one value ------------------------------------------------
    # text columns as codes: object arrays over the parts made only when read
    node = LazyColumns({"unit": CodedColumn(canon_arr, part_ucode)})
    node_text = {"unit": (canon, part_ucode)}
    for k, attr in NODE_FIELDS.items():
        if k not in cols:
            continue
        if k in NUMERIC_NODE_FIELDS:
            vals = _floats(cols.pop(k))
            with np.errstate(invalid="ignore"):
                ok = np.isnan(vals) | (np.abs(vals) <= MAX_ABS)
                if k == "unit_price_usd":
                    ok &= ~(vals < 0)
            if not ok.all():
                raise _NotFast(f"a bad {k}")
            node[attr] = _per_part_number(vals, src_row, grouped, k)
            continue
        codes, uniq = _coded(cols.pop(k))
        if attr == "activity":
            clean = _activity_keys(uniq)
        else:
            clean = []
            for v in uniq:
                value, ok = _text_value(attr, v)
                if not ok:
                    raise _NotFast(f"a bad {attr}")
                clean.append(value)
        same: dict = {}  # equal cleaned values, one code ('db | x' and 'db|x')
        ccode = np.array([same.setdefault(c, len(same)) for c in clean], dtype=np.int32)
        rep = np.zeros(len(same), dtype=np.int32)  # a text code of each cleaned value
        rep[ccode[::-1]] = np.arange(len(clean), dtype=np.int32)[::-1]
        if None in same:
            ccode[ccode == same[None]] = -1  # not given
        cc = _per_part(codes, ccode, src_row, grouped, attr)
        node_code = np.append(rep, np.int32(-1))[cc]  # cleaned -> a text code (-1: none)
        carr = np.empty(len(clean) + 1, dtype=object)
        carr[:-1] = clean  # code -1: the None at the end
        node[attr] = CodedColumn(carr, node_code)
        if attr != "activity":
            node_text[attr] = (clean, node_code)

    # -- the arrays ----------------------------------------------------------------------------
    try:
        levels = bom_levels(pn, cn, m, grouped=True)
    except BOMCycle:
        raise _NotFast("a cycle") from None
    root_nodes = node_of[roots]
    ids = [part[int(src_row[j])].as_py() for j in root_nodes.tolist()]
    bom = BOMArrays(
        None,
        node,
        pn,
        cn,
        edge,
        ids,
        {r: f"{source}, row {int(i) + 2}" for r, i in zip(ids, roots.tolist())},
        source,
        _node_text={
            k: (node.origin(k), pa.array(v, type=pa.string()), c) for k, (v, c) in node_text.items()
        },
        _levels=levels,
        _ids=(part, src_row),
    )
    pn.flags.writeable = cn.flags.writeable = False
    return bom
