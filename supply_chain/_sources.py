"""The footprint source of every BOM part, chosen in the order of :mod:`supply_chain.roll_up`
(supplier PCF, Brightway activity, spend-based factor, the BOM itself, direct emissions).

:func:`choose_sources` decides everything that needs no Brightway solve; the parts linked to a
Brightway activity are left in ``bw_idx``/``bw_keys`` and filled by :func:`link_background`
once the background intensities are known.

Everything is decided per distinct value, not per part: one look-up and one validity check per
supplier PCF id, one unit conversion per (part unit, PCF or activity unit) pair, one factor per
spend sector; the parts then take their values by array indexing. A million-part BOM costs a
few hash passes (:func:`pandas.factorize`) instead of a million dictionary walks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from lca.units import conversion_factor

from .pcfs import DQR_FIELDS

#: The sources, in the order they are tried; :attr:`PartSources.source` holds their codes.
SOURCES = ("supplier_pcf", "brightway", "spend", "bom", "direct", "missing")
PCF, BRIGHTWAY, SPEND, BOM, DIRECT, MISSING = range(len(SOURCES))


@dataclass
class PartSources:
    """Per part (topological order): the source used (a code into :data:`SOURCES`), its
    reference (``refs[ref[i]]``; ``ref[i] == -1``: none), why a source was skipped (``notes``:
    ``{part index: text}``), the outside value per unit of the part with its primary-data share
    and DQRs (``ext_dqr``: None when no part has one), and the parts waiting for a Brightway
    value: ``bw_idx[k]`` (node index) linked to ``bw_keys[bw_code[k]]`` (an activity key).

    Codes, not a million Python strings: the table's text columns are built from them by
    Arrow (:meth:`column`)."""

    source: np.ndarray
    ref: np.ndarray
    refs: list
    notes: dict
    ext: np.ndarray
    ext_pds: np.ndarray
    ext_dqr: np.ndarray | None
    bw_idx: np.ndarray
    bw_code: np.ndarray
    bw_keys: list

    @classmethod
    def empty(cls, n: int) -> PartSources:
        return cls(
            source=np.full(n, MISSING, dtype=np.int8),
            ref=np.full(n, -1, dtype=np.int64),
            refs=[],
            notes={},
            ext=np.zeros(n),
            ext_pds=np.full(n, np.nan),
            ext_dqr=None,  # allocated once a supplier PCF states a DQR (else: none known)
            bw_idx=np.zeros(0, dtype=np.int64),
            bw_code=np.zeros(0, dtype=np.int64),
            bw_keys=[],
        )

    def set_refs(self, rows: np.ndarray, codes: np.ndarray, texts: list) -> None:
        """``ref`` of ``rows`` set to ``texts[codes]`` (texts appended to :attr:`refs`)."""
        self.ref[rows] = np.asarray(codes, dtype=np.int64) + len(self.refs)
        self.refs.extend(texts)

    def note(self, i: int) -> str:
        return self.notes.get(int(i), "")

    def column(self, what: str):
        """``source``, ``ref`` or ``note`` as a pyarrow string array over the parts (no
        missing values: a part with no reference or note has ``""``)."""
        import pyarrow as pa

        if what == "source":
            return pa.array(SOURCES, type=pa.string()).take(pa.array(self.source))
        n = len(self.source)
        if what == "ref":
            codes, texts = self.ref, self.refs
        else:
            codes = np.full(n, -1, dtype=np.int64)
            texts = list(self.notes.values())
            codes[np.fromiter(self.notes, dtype=np.int64, count=len(texts))] = np.arange(len(texts))
        # code -1 (none) takes the "" appended last
        return pa.array([*texts, ""], type=pa.string()).take(
            pa.array(np.where(codes < 0, len(texts), codes))
        )

    @property
    def want_bw(self) -> dict:
        """``{node index: activity key}`` of the parts waiting for a Brightway value."""
        return {
            int(i): self.bw_keys[c] for i, c in zip(self.bw_idx.tolist(), self.bw_code.tolist())
        }


class CodedValues:
    """A text node attribute over the parts as ``values[codes]`` (code -1: the last value,
    None: not given): what the BOM reader keeps (:class:`~supply_chain.bom_arrays.CodedColumn`), read
    here without making a million-cell object array. The parts given and the distinct values
    of some of them are found from the integer codes (:func:`_factorize_at`), not by hashing a
    Python object per part; codes holding equal values are merged there."""

    def __init__(self, values: np.ndarray, codes: np.ndarray):
        self.values, self.codes = values, codes

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        """The value of part ``i`` (an index), or the values of parts ``i`` (an array)."""
        return self.values[self.codes[i]]  # code -1: the last value, None


def _given(col, n: int) -> np.ndarray:
    """Where an object column holds a value (None and NaN are 'not given')."""
    if col is None:
        return np.zeros(n, dtype=bool)
    if isinstance(col, CodedValues):  # each distinct value looked at once
        import pandas as pd

        return (~pd.isna(col.values))[col.codes]
    if col.dtype.kind == "f":
        return ~np.isnan(col)
    import pandas as pd

    return ~pd.isna(col)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, list]:
    import pandas as pd

    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), list(uniq)


def _factorize_at(col, idx: np.ndarray, blank=None) -> tuple[np.ndarray, list]:
    """:func:`_factorize` of ``col[idx]`` (``blank`` for a part without a value, when given):
    the codes in order of first appearance and the distinct values. From the integer codes of
    a :class:`CodedValues`, then merged by value (codes that hold equal values, or a blank and
    ``blank``, are one value): the same result, without hashing a Python object per part."""
    if not isinstance(col, CodedValues):
        vals = col[idx]
        if blank is not None:
            vals = np.where(_given(vals, len(idx)), vals, blank).astype(object)
        return _factorize(vals)
    import pandas as pd

    codes, uniq = pd.factorize(col.codes[idx])  # ints: -1 (none) is a value as the others
    given = _given(CodedValues(col.values, uniq), len(uniq))
    vals = [col.values[u] if g else blank for u, g in zip(uniq.tolist(), given.tolist())]
    merged: dict = {}
    same = np.array([merged.setdefault(v, len(merged)) for v in vals], dtype=np.int64)
    return same[codes], list(merged)


def _join_at(notes: dict, idx: np.ndarray, text: str) -> None:
    for i in idx.tolist():
        notes[i] = f"{notes[i]}; {text}" if i in notes else text


def _units_at(unit, idx: np.ndarray) -> np.ndarray:
    """The parts' units at ``idx`` (``piece`` where none is given), as objects."""
    if unit is None:
        return np.full(len(idx), "piece", dtype=object)
    if isinstance(unit, CodedValues):
        at = CodedValues(unit.values, unit.codes[idx])
        return np.where(_given(at, len(idx)), at[slice(None)], "piece").astype(object)
    u = unit[idx]
    return np.where(_given(u, len(idx)), u, "piece").astype(object)


def _unit_codes_at(unit, idx: np.ndarray) -> tuple[np.ndarray, list]:
    """:func:`_factorize` of :func:`_units_at` (the parts' units at ``idx``)."""
    if unit is None or not isinstance(unit, CodedValues):
        return _factorize(_units_at(unit, idx))
    return _factorize_at(unit, idx, blank="piece")


def choose_sources(
    nodes: list,
    cols: Mapping[str, np.ndarray],
    has_children: np.ndarray,
    pool: Mapping,
    on: dt.date | None,
    have_engine: bool,
    spend_factors: Mapping[str, float] | None,
) -> PartSources:
    """The source of every part except the Brightway ones (left in ``bw_idx``).

    ``cols`` maps node attributes (``unit``, ``pcf``, ``activity``, ``spend_sector``,
    ``unit_price_usd``, ``direct``) to arrays over ``nodes`` (None / NaN: not given).
    """
    n = len(nodes)
    s = PartSources.empty(n)
    done = np.zeros(n, dtype=bool)
    unit = cols.get("unit")

    # 1. supplier PCFs: one look-up and validity check per id, one conversion per unit pair
    pcf = cols.get("pcf")
    idx = np.flatnonzero(_given(pcf, n))
    if len(idx):
        pcode, pids = _factorize_at(pcf, idx)
        ucode, units = _unit_codes_at(unit, idx)
        usable = {}
        for j, pid in enumerate(pids):
            p = pool.get(pid)
            if p is None:
                why = f"supplier PCF {pid!r} not loaded"
            else:
                ok, reason = p.validity(on)
                why = None if ok else f"supplier PCF {p.id!r} not used: {reason}"
            if why is None:
                usable[j] = p
        bad = np.array([j not in usable for j in range(len(pids))], dtype=bool)
        for k in np.flatnonzero(bad[pcode]).tolist():  # only the parts whose PCF is not used
            pid = pids[pcode[k]]
            p = pool.get(pid)
            s.notes[int(idx[k])] = (
                f"supplier PCF {pid!r} not loaded"
                if p is None
                else f"supplier PCF {p.id!r} not used: {p.validity(on)[1]}"
            )
        pair = pcode * len(units) + ucode
        upair, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        value = np.full(len(upair), np.nan)
        factors: dict = {}  # one conversion per (part unit, PCF unit) of the pairs
        for j, (pr, k) in enumerate(zip(upair.tolist(), first.tolist())):
            pj, u = divmod(pr, len(units))
            p = usable.get(pj)
            if p is not None:
                f = factors.get((units[u], p.unit))
                if f is None:
                    where = f"part {nodes[idx[k]]!r} (PCF {p.id})"  # the first part it fails
                    f = factors[units[u], p.unit] = conversion_factor(units[u], p.unit, where)
                value[j] = p.value * f
        use = ~bad[pcode]
        rows, pu, inv = idx[use], pcode[use], inverse[use]
        if len(rows):
            pds = np.full(len(pids), np.nan)
            dqr = np.full((len(pids), len(DQR_FIELDS)), np.nan)
            for j, p in usable.items():
                pds[j] = p.primary_data_share or 0
                dqr[j] = [p.dqr.get(f, np.nan) for f in DQR_FIELDS]
            s.ext[rows] = value[inv]
            s.source[rows] = PCF
            s.set_refs(rows, pu, [usable[j].id if j in usable else None for j in range(len(pids))])
            s.ext_pds[rows] = pds[pu]
            if not np.isnan(dqr).all():
                s.ext_dqr = np.full((n, len(DQR_FIELDS)), np.nan)
                s.ext_dqr[rows] = dqr[pu]
            done[rows] = True

    # 2. Brightway activities: left for link_background (one solve for all of them)
    act = cols.get("activity")
    idx = np.flatnonzero(_given(act, n) & ~done)
    if len(idx):
        if not have_engine:
            _join_at(s.notes, idx, "no Brightway project given for the linked activity")
        else:
            # the keys (tuples) hashed as they are; keys of one 'database|code' text (one
            # spelled with a '|' inside a part) are one key, the first met, as they were
            try:
                code, keys = _factorize_at(act, idx)
            except TypeError:  # keys given as lists (a graph built by hand): as text
                code, keys = _factorize(np.array([f"{a[0]}|{a[1]}" for a in act[idx]], object))
            text = [k if isinstance(k, str) else f"{k[0]}|{k[1]}" for k in keys]
            if any(isinstance(k, str) for k in keys) or len(set(text)) != len(text):
                code, _ = _factorize(np.array(text, dtype=object)[code])
                first = np.unique(code, return_index=True)[1]
                keys = [tuple(act[idx[k]]) for k in first.tolist()]
            s.bw_idx, s.bw_code = idx, code
            s.bw_keys = [tuple(k) for k in keys]
            done[idx] = True

    # 3. spend-based factors: one per sector and price
    sector = cols.get("spend_sector")
    idx = np.flatnonzero(_given(sector, n) & ~done)
    if len(idx):
        if spend_factors is None:
            _join_at(s.notes, idx, "spend-based factor skipped: no USEEIO factors loaded")
        else:
            price = cols.get("unit_price_usd")
            price = (
                np.full(len(idx), np.nan)
                if price is None
                else np.asarray(price, dtype=np.float64)[idx]
            )
            price = np.where(_units_at(unit, idx) == "usd", 1.0, price)
            scode, sectors = _factorize_at(sector, idx)
            for j, sec in enumerate(sectors):
                at = np.flatnonzero(scode == j)
                rows = idx[at]
                if sec not in spend_factors:
                    _join_at(s.notes, rows, f"spend-based factor skipped: no sector {sec!r}")
                    continue
                no_price = np.isnan(price[at])
                _join_at(s.notes, rows[no_price], "spend-based factor skipped: no unit_price_usd")
                at, rows = at[~no_price], rows[~no_price]
                s.source[rows] = SPEND
                s.set_refs(rows, np.zeros(len(rows), dtype=np.int64), [str(sec)])
                s.ext[rows] = float(spend_factors[sec]) * price[at]
                s.ext_pds[rows] = 0.0
                done[rows] = True

    # 4./5. the BOM itself, own direct emissions, nothing
    direct = cols.get("direct")
    if direct is None:
        has_direct = np.zeros(n, dtype=bool)
    else:
        d = np.asarray(direct, dtype=np.float64)
        has_direct = ~np.isnan(d) & (d != 0)
    rest = ~done
    s.source[rest & has_children] = BOM
    s.source[rest & ~has_children & has_direct] = DIRECT
    return s


class ArrayLinks(Mapping):
    """``{node index: (product row, unit factor)}`` held as three arrays (a dict of a million
    tuples would cost more than the roll-up); built into a dict only when iterated."""

    def __init__(self, idx: np.ndarray, rows: np.ndarray, factors: np.ndarray):
        self.idx, self.rows, self.factors = idx, rows, factors
        self._pos: dict | None = None

    def __len__(self) -> int:
        return len(self.idx)

    def __iter__(self) -> Iterator[int]:
        return iter(self.idx.tolist())

    def __getitem__(self, i) -> tuple[int, float]:
        if self._pos is None:
            self._pos = {k: p for p, k in enumerate(self.idx.tolist())}
        p = self._pos[i]
        return int(self.rows[p]), float(self.factors[p])

    def items(self):
        return zip(self.idx.tolist(), zip(self.rows.tolist(), self.factors.tolist()))

    def __repr__(self) -> str:
        return f"ArrayLinks({len(self)} links)"


def link_background(s: PartSources, background, engine, nodes: list, cols: Mapping) -> ArrayLinks:
    """Fill the Brightway parts from ``background`` (:class:`~supply_chain.roll_up.Background`:
    ``rows`` maps each activity key to its product row, ``units`` to its product's unit, ``lam``
    the intensities); returns the links ``{node index: (product row, unit factor)}``. One unit
    conversion per (part unit, activity unit) pair."""
    idx, code = s.bw_idx, s.bw_code
    key_row = np.array([background.rows[k] for k in s.bw_keys], dtype=np.int64)
    kcode, act_units = _factorize(
        np.array([background.units[k] or "unit" for k in s.bw_keys], dtype=object)
    )
    ucode, units = _unit_codes_at(cols.get("unit"), idx)
    # one conversion per (part unit, activity unit); an error names the first part it hits
    au_code = kcode[code]
    upair, first, inverse = np.unique(
        au_code * len(units) + ucode, return_index=True, return_inverse=True
    )
    pair_factor = np.empty(len(upair))
    for j, (pr, k) in enumerate(zip(upair.tolist(), first.tolist())):
        a, u = divmod(pr, len(units))
        key = s.bw_keys[code[k]]
        where = f"part {nodes[idx[k]]!r} linked to {key[0]}|{key[1]}"
        pair_factor[j] = conversion_factor(units[u], act_units[a], where)
    factor = pair_factor[inverse.ravel()]
    rows = key_row[code]
    s.source[idx] = BRIGHTWAY
    s.set_refs(idx, code, [f"{k[0]}|{k[1]}" for k in s.bw_keys])
    s.ext[idx] = factor * background.lam[rows]
    s.ext_pds[idx] = 0.0
    return ArrayLinks(idx, rows, factor)
