"""Bill-of-materials roll-up: ``x = d + Q x`` in one vectorised pass.

Notation (../shared/MATHS.md, "Bill of materials roll-up"): ``Q[p, c]`` is the effective quantity
of component ``c`` per unit of parent ``p`` (after loss and yield, in ``c``'s unit); ``d[n]`` is
node ``n``'s own footprint: its direct emissions plus, when its footprint comes from outside the
BOM, that value (a supplier PCF, a Brightway activity's cradle-to-gate ``λ``, a spend-based
factor). The footprint of every node is ``x = (I − Q)⁻¹ d``. With the nodes in topological order
(parents before components) ``I − Q`` is unit upper triangular and ``x`` is one sparse triangular
solve; no recursion, no Python loop over nodes.

Seen as a technosphere, a BOM is ``A = I − Qᵀ`` (components x parents, inputs negative): ``x`` is
the vector of intensities ``λ = d A⁻¹`` and the amount of every part needed for one unit of a
product is the supply ``m = A⁻¹ f``. The contribution and sensitivity formulas of
:mod:`lca.maths` therefore apply to BOMs unchanged (see :mod:`supply_chain.hotspot_analysis`).
The array kernels (levels, triangular solves) are in :mod:`supply_chain.bom_math`, the choice
of each part's source in :mod:`supply_chain._sources`.

Footprint source of a part, in this order (each node records the one it used, in ``source``):

1. ``supplier_pcf``: a supplier PCF (``pcf`` attribute) that is loaded and valid on the study
   date;
2. ``brightway``: the linked Brightway activity's cradle-to-gate result, all of them from one
   factorisation and one adjoint solve (:meth:`lca.footprint.FootprintEngine.intensities`);
3. ``spend``: a spend-based factor (USEEIO sector, :mod:`supply_chain.spend`) when factors were
   given; otherwise skipped, and the reason is recorded;
4. ``bom``: the sum over its components (a part without an outside source);
5. ``direct``: a leaf with only its own direct emissions; ``missing``: a leaf with nothing.

A part with an outside source is a leaf of the roll-up: its own components, if the BOM lists
any, are already inside that footprint, so those edges are left out (``shadowed``) rather than
counted twice.

Primary-data share and DQR (PACT methodology 4.2): the value of a node is the emission-weighted
mean of what it is made of, ``v(n) = Σ_k share_k(n) v_k`` over every own footprint ``d_k`` that
reaches ``n``. Since ``x ⊙ v = (I − Q)⁻¹ (d ⊙ v_d)``, all of them come from the same triangular
solve with more right-hand sides. Brightway and spend-based values count as secondary (0 %
primary); a part's own direct emissions as primary (100 %) unless its ``direct_primary_share``
says otherwise; a supplier PCF carries its own. A share that is not stated counts as 0 % (the
conservative reading). DQRs are averaged over the emissions whose DQR is known, and
``dqr_coverage`` says which share of the footprint that is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from lca import maths, methods
from lca.errors import UnknownProduct
from lca.units import conversion_factor

from ._sources import (
    MISSING,
    SOURCES,
    SPEND,
    CodedValues,
    PartSources,
    choose_sources,
    link_background,
)
from .bom_arrays import BOMArrays, CodedColumn
from .bom_math import bom_levels, level_bounds, rollup_levels
from .errors import BOMCycle, MissingFootprint, UnknownPart
from .paths import path_exchange
from .pcf_selection import pcf_index
from .pcfs import DQR_FIELDS, SupplierPCF

log = logging.getLogger(__name__)

try:  # scipy's kernel converting coordinates to rows (what csr_matrix((q, (r, c))) calls)
    from scipy.sparse._sparsetools import coo_tocsr as _coo_tocsr
except ImportError:  # pragma: no cover - private module moved
    _coo_tocsr = None


# -- results -------------------------------------------------------------------------------------
@dataclass
class Background:
    """Cradle-to-gate intensities of the Brightway activities a BOM links to (one method).

    ``system`` (:class:`lca.footprint.System`) is built on first use when the intensities came
    from the project's cache (:mod:`lca.intensity_cache`): a roll-up needs only ``lam``,
    ``rows`` and ``units``; path analysis and levers ask for the matrices."""

    lam: np.ndarray  # per product row of system.A
    method: tuple
    e: np.ndarray  # characterised direct emissions per activity (c B)
    exchanged: dict = field(default_factory=dict)  # product row -> value used (path exchange)
    rows: dict = field(default_factory=dict)  # activity key -> product row of system.A
    cols: dict = field(default_factory=dict)  # activity key -> activity column of system.A
    units: dict = field(default_factory=dict)  # activity key -> unit of its product (or None)
    _system: object = field(default=None, repr=False)
    _load: Callable[[], object] | None = field(default=None, repr=False)

    @property
    def system(self):
        """The background's :class:`~lca.footprint.System` (built now if it was not)."""
        if self._system is None:
            self._system = self._load()
        return self._system


@dataclass
class RollupResult:
    """A rolled-up BOM. ``table`` has one row per part (index: part id), in topological order.

    ``bom`` is the BOM rolled up (:class:`~supply_chain.bom_arrays.BOMArrays`); ``graph`` the same as
    a ``networkx.DiGraph`` (the graph given to :func:`rollup`, or built from the arrays when
    first asked for). ``links`` maps the index of each part linked to a Brightway activity to
    ``(product row, unit factor)``. ``labels`` are the part ids by position (``nodes`` as a
    list); ``source`` (codes into :data:`SOURCES`), ``pds``, ``dqr`` and ``coverage`` are the
    table's columns of the same names as arrays.

    Columns of ``table``: ``name``, ``unit``, ``source`` (one of :data:`SOURCES`), ``source_ref``
    (PCF id, ``database|code``, sector), ``direct`` (own direct emissions per unit), ``own``
    (``d``: direct + outside source, per unit), ``footprint`` (``x``, per unit, cradle to gate),
    ``primary_data_share`` (percent), ``dqr_technological``, ``dqr_geographical``,
    ``dqr_temporal``, ``dqr_coverage`` (share of the footprint with a known DQR), ``supplier``,
    ``country``, ``stage``, ``note`` (why a source was skipped). A million parts make a large
    table: it is built when first asked for (the summary and the hotspots need none).
    """

    bom: BOMArrays
    method: tuple | None
    unit: str
    labels: Sequence
    index: Mapping
    Q: sp.csr_matrix  # quantities actually rolled up (shadowed edges removed), topological order
    own: np.ndarray
    x: np.ndarray
    source: np.ndarray
    pds: np.ndarray
    dqr: dict
    coverage: np.ndarray
    missing: dict = field(default_factory=dict)
    shadowed: list = field(default_factory=list)
    background: Background | None = None
    links: Mapping = field(default_factory=dict)  # node index -> (product row, factor)
    _make_table: Callable | None = field(default=None, repr=False)
    _table: object = field(default=None, repr=False)
    _nodes: list | None = field(default=None, repr=False)
    _texts: Callable | None = field(default=None, repr=False)
    #: level boundaries of the positions (:func:`~supply_chain.bom_math.level_bounds`)
    _bounds: np.ndarray | None = field(default=None, repr=False)

    @property
    def table(self):
        """The parts table (pandas DataFrame; see the class doc), built on first use."""
        if self._table is None:
            self._table = self._make_table()
            self._make_table = None
        return self._table

    @property
    def nodes(self) -> list:
        """The part ids by position, as a list."""
        if self._nodes is None:
            self._nodes = list(
                self.labels.tolist() if hasattr(self.labels, "tolist") else self.labels
            )
        return self._nodes

    def codes(self, attr: str):
        """Node attribute ``attr`` (``supplier``, ``country``, ``stage``) by position as
        ``(codes, values)``: ``values[codes[i]]`` (code -1: not given), or None when the
        BOM keeps no such codes (read from the table then)."""
        if self._table is not None or self._texts is None:
            return None
        return self._texts(attr)

    @property
    def graph(self) -> nx.DiGraph:
        return self.bom.graph

    def footprint(self, part=None) -> float:
        """Footprint of one unit of ``part`` (default: the BOM's first root)."""
        part = self.root if part is None else part
        if part not in self.index:
            raise UnknownPart(part, "the rolled-up BOM")
        return float(self.x[self.index[part]])

    @property
    def root(self):
        """The BOM's product; a BOM with several roots is an error (never the first guessed)."""
        return self.bom.select_root(source=self.bom.source).roots[0]

    @property
    def total(self) -> float:
        return self.footprint()

    def summary(self, part=None) -> dict:
        """Plain dict: part, footprint, unit, sources used, primary-data share, DQRs, missing."""
        import pandas as pd

        part = self.root if part is None else part
        if part not in self.index:
            raise UnknownPart(part, "the rolled-up BOM")
        i = self.index[part]  # no hash table over a million part ids
        # the counts as the table's value_counts gives them (order included), from the codes
        counts = pd.Series(self.source, copy=False).value_counts()
        return {
            "part": part,
            "footprint": float(self.x[i]),
            "unit": self.unit,
            "per": self._unit_of(i),
            "method": list(self.method) if self.method else None,
            "primary_data_share": _f(self.pds[i]),
            "dqr": {k: _f(self.dqr[k][i]) for k in DQR_FIELDS},
            "dqr_coverage": _f(self.coverage[i]),
            "sources": {SOURCES[int(k)]: int(v) for k, v in counts.items()},
            "missing": {str(k): v for k, v in self.missing.items()},
        }

    def _unit_of(self, i: int):
        """The table's ``unit`` of position ``i`` (NaN where the part has none, as pandas)."""
        if self._table is not None or self._texts is None:
            return self.table["unit"].iloc[i]
        got = self._texts("unit")
        if got is None:
            return self.table["unit"].iloc[i]
        codes, values = got
        v = values[codes[i]] if codes[i] >= 0 else None
        return float("nan") if v is None else v


class Labels(Sequence):
    """The part ids of a BOM by position (``order``: the part of each position), made into
    Python objects only when asked for: one id at a time, or all at once (:meth:`tolist`).

    A million ids as Python strings cost ~0.1 GB; the roll-up asks for a few (the root, the
    hotspots), and a file's ids stay in the reader's Arrow array until then."""

    def __init__(self, bom: BOMArrays, order: np.ndarray, pos: np.ndarray):
        self._bom, self._order, self._pos = bom, order, pos
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.array()[i].tolist()
        if self._array is not None:
            return self._array[i]
        return self._bom.id_at(self._order[i])

    def array(self) -> np.ndarray:
        """The ids as an object array (made once)."""
        if self._array is None:
            if self._bom._parts is None:
                import pyarrow as pa

                got = self._bom.ids().take(pa.array(self._order))
                self._array = got.to_numpy(zero_copy_only=False)
            else:
                self._array = self._bom.parts[self._order]
        return self._array

    def tolist(self) -> list:
        return self.array().tolist()

    def __iter__(self):
        return iter(self.tolist())

    def __eq__(self, other) -> bool:
        if isinstance(other, (Labels, list, tuple)):
            return self.tolist() == list(other)
        return NotImplemented

    __hash__ = None

    def find(self, part) -> int | None:
        """The position of ``part`` (None: not a part), by one scan of the ids."""
        bom = self._bom
        if self._array is None and bom._parts is None:
            import pyarrow as pa
            import pyarrow.compute as pc

            if not isinstance(part, str):
                return None
            ids = bom.ids()
            j = pc.index(ids, pa.scalar(part, type=ids.type)).as_py()
            return None if j < 0 else int(self._pos[j])
        hit = np.flatnonzero(self.array() == part)
        return int(hit[0]) if len(hit) else None

    def __repr__(self) -> str:
        return f"Labels({len(self)} parts)"


class PartIndex(Mapping):
    """``{part: position}`` over ``labels`` (:class:`Labels`, or an object array of distinct
    part ids).

    A few look-ups (the root, a part asked for) scan the array, each part once; the dict
    (tens of MB for a million parts) is built only once the parts asked for become many."""

    _SCANS = 8

    def __init__(self, labels: np.ndarray):
        self.labels = labels
        self._dict: dict | None = None
        self._scans = 0
        self._seen: dict = {}  # the parts scanned for

    def _pos(self, part) -> int | None:
        scan = isinstance(part, (str, int, float)) and not isinstance(part, bool)
        if scan and self._dict is None:
            if part in self._seen:  # the root, asked for by every breakdown
                return self._seen[part]
            if len(self.labels) and self.labels[0] == part:  # parents first: the root
                self._seen[part] = 0
                return 0
            if self._scans < self._SCANS:
                self._scans += 1
                if isinstance(self.labels, Labels):
                    self._seen[part] = self.labels.find(part)
                else:
                    hit = np.flatnonzero(self.labels == part)
                    self._seen[part] = int(hit[0]) if len(hit) else None
                return self._seen[part]
        if self._dict is None:
            self._dict = dict(zip(self.labels.tolist(), range(len(self.labels))))
        return self._dict.get(part)

    def __getitem__(self, part) -> int:
        i = self._pos(part)
        if i is None:
            raise KeyError(part)
        return i

    def __contains__(self, part) -> bool:
        return self._pos(part) is not None

    def __iter__(self):
        return iter(self.labels.tolist())

    def __len__(self) -> int:
        return len(self.labels)


def _f(v) -> float | None:
    v = float(v)
    return None if np.isnan(v) else v


def background_intensities(
    engine, keys: Iterable, method=None, exchange: Mapping | None = None
) -> Background:
    """λ of every activity in the system holding ``keys``: one factorisation, one adjoint solve.

    ``exchange`` maps activity keys to supplier values per unit of the activity's product (a
    float or a :class:`~supply_chain.pcfs.SupplierPCF`, converted to the activity's unit); those
    cradle-to-gate values replace the background's inside this study only, and the change
    reaches every activity that uses them (:func:`supply_chain.paths.path_exchange`).

    Without ``exchange``, λ comes from the project's cache when nothing it was computed from
    has changed (:mod:`lca.intensity_cache`: no system is built then, until one is asked for);
    otherwise it is computed here and cached. The keys are found in bulk: one node per
    database is looked up (for the system), the rest in the system's own key list (one dict),
    not one database query per key.

    Raises
    ------
    lca.errors.UnknownProduct
        A key that is not an activity of the project.
    """
    from lca import intensity_cache

    method = methods.resolve(method)
    keys = [tuple(k) for k in keys]
    ex_keys = [tuple(k) for k in (exchange or {})]
    wanted = list(dict.fromkeys(keys + ex_keys))
    fp = _fingerprint(engine, wanted, method)
    if fp is not None and not exchange:
        hit = intensity_cache.lookup(fp)
        bg = _from_cache(engine, hit, wanted, method) if hit is not None else None
        if bg is not None:
            return bg
    sysm, rows, cols = _system_of(engine, wanted)
    # as FootprintEngine.intensities (λ = c B A⁻¹), keeping e = c B for path analysis
    e = maths.direct_intensities(engine.characterization(sysm, method), sysm.B)
    lam = maths.intensities(sysm.fact, e)  # e is kept for the path analysis
    if fp is not None:
        intensity_cache.store(fp, sysm, lam, e)
    exchanged = {}
    if exchange:
        repl = {}
        for k, v in exchange.items():
            k = tuple(k)
            row = rows[k]
            unit = sysm.units[cols[k]] or "unit"
            if isinstance(v, SupplierPCF):
                v = v.value * conversion_factor(unit, v.unit, f"path exchange {k!r}")
            repl[row] = float(v)
        lam = path_exchange(sysm.fact, sysm.A.diagonal(), lam, repl)
        exchanged = repl
    units = {k: sysm.units[cols[k]] for k in wanted}
    return Background(lam, method, e, exchanged, rows, cols, units, sysm)


def _fingerprint(engine, keys: list, method):
    """The cache fingerprint (:func:`lca.intensity_cache.fingerprint`) of the system holding
    ``keys``, or None when none applies (no keys, an unknown database: the build says why)."""
    from lca import intensity_cache

    if not keys:
        return None
    bd = engine.project.bd
    dbs = {k[0] for k in keys}
    if any(d not in bd.databases or d == engine.project.biosphere for d in dbs):
        return None
    return intensity_cache.fingerprint(engine, engine.databases_needed(dbs), method)


def _from_cache(engine, hit, keys: list, method) -> Background | None:
    """A :class:`Background` from a cache entry, or None if a key is not in it (the build
    then names the key's problem). Its system is built when first asked for, and must have
    the entry's layout (unchanged databases)."""
    pos = hit.positions(keys)
    if None in pos:
        return None
    js = np.array(pos, dtype=np.int64)
    rows = dict(zip(keys, hit.rows[js].tolist()))
    cols = dict(zip(keys, hit.cols[js].tolist()))
    units = dict(zip(keys, [u or None for u in hit.units[js].tolist()]))

    def load():
        from lca.errors import PCFError

        first = {}
        for k in keys:
            first.setdefault(k[0], k)
        sysm = engine.system_for([engine.node(k) for k in first.values()], exact=True)
        ids = np.asarray(sysm.activity_ids)
        if not np.array_equal(ids, hit.activity_ids) or any(
            sysm.product_index.get(int(hit.activity_ids[j])) != r
            for j, r in zip(hit.positions(keys), rows.values())
        ):
            raise PCFError(
                f"the databases {', '.join(sorted(hit.databases))} changed since the roll-up "
                "read their cached intensities: roll up again"
            )
        return sysm

    return Background(hit.lam, method, hit.e, {}, rows, cols, units, None, load)


def _system_of(engine, keys: list) -> tuple[object, dict, dict]:
    """The system holding ``keys`` and ``{key: product row}``, ``{key: activity column}``.

    One bw2data node per database (what :meth:`~lca.footprint.FootprintEngine.system_for`
    needs); every key is then found in the system's key list. A key missing there is looked up
    alone, for the error :meth:`~lca.footprint.FootprintEngine.node` gives (unknown database or
    code, an elementary flow given as a product).
    """
    from lca._system import check_product

    if not keys:
        return engine.system_for([]), {}, {}
    first = {}
    for k in keys:
        first.setdefault(k[0], k)
    sysm = engine.system_for([engine.node(k) for k in first.values()])
    col_of = {tuple(k): j for j, k in enumerate(sysm.keys)}
    rows, cols = {}, {}
    for k in keys:
        j = col_of.get(k)
        if j is None:
            node = engine.node(k)  # UnknownProduct if it does not exist
            check_product(engine.project, node)  # ... or if it is an elementary flow
            raise UnknownProduct(k, "not an activity of the system of its database")
        nid = int(sysm.activity_ids[j])
        rows[k], cols[k] = sysm.product_index[nid], sysm.activity_index[nid]
    return sysm, rows, cols


def rollup(
    G: nx.DiGraph | BOMArrays,
    engine=None,
    method=None,
    *,
    pcfs: Iterable[SupplierPCF] = (),
    spend_factors: Mapping[str, float] | None = None,
    on: dt.date | None = None,
    exchange: Mapping | None = None,
    strict: bool = False,
) -> RollupResult:
    """Roll up the footprint of every part of BOM ``G`` (see module doc for the rules).

    Parameters
    ----------
    G
        A BOM: a graph (:mod:`supply_chain.bom`) or its arrays
        (:func:`~supply_chain.bom.read_bom_arrays`, what ``pcf bom rollup`` passes: no graph
        is built then).
    engine
        A :class:`lca.footprint.FootprintEngine`, for parts linked to Brightway activities.
    method
        Impact method alias or tuple (default ``gwp100``).
    pcfs
        Supplier PCFs (:func:`~supply_chain.pcfs.read_pact`, ``read_pcf_table``).
    spend_factors
        ``{sector: kg CO2e per USD}`` (:func:`supply_chain.spend.useeio_spend_factors`).
    on
        Study date for PCF validity (default today).
    exchange
        Path exchange: ``{activity key: value or SupplierPCF}`` replacing background
        cradle-to-gate values inside the technosphere for this study
        (:func:`background_intensities`).
    strict
        Raise :class:`~supply_chain.errors.MissingFootprint` instead of recording parts with no
        source as ``missing`` (footprint 0).

    Returns
    -------
    RollupResult

    Examples
    --------
    Hand-checkable, without Brightway: a bike is a frame (2 kg CO2e made in-house) plus
    3 kg of steel (4 kg bought, 25 % loss) at a supplier's 2.0 kg CO2e/kg.

    >>> from supply_chain.bom import new_bom, add_part
    >>> from supply_chain.pcfs import SupplierPCF
    >>> G = new_bom("bike", "piece")
    >>> add_part(G, "frame", "bike", 1, "piece", direct=2.0)
    >>> add_part(G, "steel", "frame", 3.0, "kg", loss=0.25, pcf="s1")
    >>> r = rollup(G, pcfs=[SupplierPCF("s1", 2.0, "kilogram", primary_data_share=50.0)])
    >>> r.total, r.table.loc["steel", "source"]
    (10.0, 'supplier_pcf')
    >>> r.summary()["primary_data_share"]   # (2 x 100 + 8 x 50) / 10
    60.0
    """

    bom = G if isinstance(G, BOMArrays) else BOMArrays.from_graph(G)
    method = methods.resolve(method) if (engine is not None or method is not None) else None
    order, pos, has_children, bounds = _topological(bom)
    labels = Labels(bom, order, pos)  # part ids made into Python strings only when asked for
    index = PartIndex(labels)  # a million-entry dict only if many parts are looked up
    # text columns the reader kept as text go to the table from there (no Python strings)
    kept = {k for k in _TEXT_COLUMNS if bom.has_text(k)}
    cols = {
        k: _node_column(bom, k, order, kept)
        for k in bom.node
        if k not in kept or k not in _TABLE_ONLY
    }
    src = choose_sources(
        labels, cols, has_children, pcf_index(pcfs), on, engine is not None, spend_factors
    )
    background = None
    links: Mapping = {}
    if len(src.bw_keys):
        background = _background(bom, engine, labels, src, method, exchange)
        links = link_background(src, background, engine, labels, cols)
    missing = _missing(labels, src, strict)

    # -- matrix and own values ---------------------------------------------------------------
    Q, shadowed = _rolled_edges(bom, pos, labels, src.source)
    direct = cols.pop("direct", None)  # the roll-up's own copy: NaN -> 0 in place
    direct = np.zeros(len(labels)) if direct is None else np.asarray(direct, dtype=np.float64)
    direct = np.nan_to_num(direct, nan=0.0, copy=False)
    own = direct + src.ext
    x, pds, dqr, coverage = _solve(Q, cols, direct, own, src, bounds)
    # what the table does not need: gone before it is built (a million parts: ~0.1 GB)
    del pos, has_children
    src.ext = src.ext_dqr = src.ext_pds = None
    for k in ("pcf", "activity", "spend_sector", "unit_price_usd"):
        cols.pop(k, None)

    def texts(attr: str):
        """``(codes, values)`` of a text node attribute by position, or None."""
        return bom.text_codes(attr, order)

    def make_table():
        return _table(bom, order, labels, cols, kept, src, direct, own, x, pds, dqr, coverage)

    unit = (engine.method_unit(method) if engine is not None and method else "") or "kg CO2e"
    return RollupResult(
        bom,
        method,
        unit,
        labels,
        index,
        Q,
        own,
        x,
        src.source,
        pds,
        {f: dqr[f] for f in DQR_FIELDS},
        coverage,
        missing,
        shadowed,
        background,
        links,
        _make_table=make_table,
        _texts=texts,
        _bounds=bounds,
    )


def _table(bom: BOMArrays, order, labels, cols, kept, src, direct, own, x, pds, dqr, coverage):
    """The parts table of :class:`RollupResult` (columns: see there)."""
    import pandas as pd

    n = len(order)

    def text(k):
        """Column ``k`` as pandas text."""
        if k in kept:
            return _arrow_text(bom.text(k, order), n)
        v = cols.get(k)
        return np.full(n, None, dtype=object) if v is None else _text(v)

    label_text = bom.text(None, order)
    if label_text is not None and ("name" in kept or "name" not in bom.node):
        import pyarrow.compute as pc

        got = bom.text("name", order) if "name" in kept else None
        name = _arrow_text(label_text if got is None else pc.coalesce(got, label_text), n)
    else:
        name = cols.get("name")
        name = np.full(n, None, dtype=object) if name is None else name.copy()
        no_name = np.flatnonzero(pd.isna(name))
        fill = labels.array()[no_name]
        if pd.api.types.infer_dtype(fill, skipna=False) != "string":
            fill = np.array([str(p) for p in fill.tolist()], dtype=object)
        name[no_name] = fill
        name = _text(name)
    unit_col, supplier, country, stage = (text(k) for k in ("unit", "supplier", "country", "stage"))
    source, ref, note = (_arrow_text(src.column(k), n) for k in ("source", "ref", "note"))
    # copy=False: the columns as they are, not stacked into blocks (a second copy of each)
    return pd.DataFrame(
        {
            "name": name,
            "unit": unit_col,
            "source": source,
            "source_ref": ref,
            "direct": direct,
            "own": own,
            "footprint": x,
            "primary_data_share": pds,
            **{f"dqr_{f}": np.array(dqr[f]) for f in DQR_FIELDS},  # a NaN view: an array
            "dqr_coverage": coverage,
            "supplier": supplier,
            "country": country,
            "stage": stage,
            "note": note,
        },
        index=pd.Index(
            _text(labels.array()) if label_text is None else _arrow_text(label_text, n),
            name="part",
            copy=False,
        ),
        copy=False,
    )


#: Node attributes the table shows as text; those only the table reads (no source choice)
#: are not gathered as objects when the reader kept them as text.
_TEXT_COLUMNS = ("name", "unit", "supplier", "country", "stage")
_TABLE_ONLY = ("name", "supplier", "country", "stage")


#: Node attributes only the choice of sources reads (gone before the table is built): given
#: to it as the reader's codes (:class:`~supply_chain._sources.CodedValues`), as is the unit
#: when the table takes it from the reader's text
_SOURCE_COLUMNS = ("pcf", "activity", "spend_sector")


def _node_column(bom: BOMArrays, k: str, order: np.ndarray, kept: set):
    """Node attribute ``k`` of the parts ``order``: the reader's codes for the columns of
    :data:`_SOURCE_COLUMNS` (a million-part BOM: no object array made and hashed again),
    else :meth:`~supply_chain.bom_arrays.BOMArrays.node_column`."""
    origin = bom._node_origin(k)
    if (
        isinstance(origin, CodedColumn)
        and not bom.node.made(k)
        and (k in _SOURCE_COLUMNS or (k == "unit" and k in kept))
    ):
        return CodedValues(origin.values, origin.codes[order])
    return bom.node_column(k, order)


def _arrow_text(arr, n: int):
    """A pyarrow string array as :func:`_text` returns the same values held as objects:
    pandas' ``str`` array, or (every value missing) an object column of None."""
    import pandas as pd

    if arr.null_count == len(arr):
        return np.full(n, None, dtype=object)
    return pd.array(arr, dtype="str")


def _text(values: np.ndarray):
    """An object column of strings (None/NaN: missing) as pandas' ``str`` array, built by
    pyarrow from the objects at once (what pandas infers for such a column, two to three
    times faster on a million cells); anything else is left for pandas to infer."""
    import pandas as pd
    import pyarrow as pa

    if values.dtype != object or not len(values):
        return values
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values
    if arr.null_count == len(arr):
        return values  # all missing: pandas keeps such a column as objects
    return pd.array(arr, dtype="str")


def _topological(bom: BOMArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The topological order of the parts (parents first, level by level), each part's
    position in it, which positions have components, and the level boundaries
    (:func:`~supply_chain.bom_math.level_bounds`)."""
    n = len(bom)
    try:
        if bom._levels is not None and len(bom._levels) == n:  # the reader's
            levels = bom._levels
        else:
            levels = bom_levels(bom.parent, bom.child, n)
    except BOMCycle as exc:
        raise BOMCycle([bom.parts[i] for i in exc.cycle]) from None
    order = _stable_argsort(levels)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    has_children = np.zeros(n, dtype=bool)
    has_children[pos[bom.parent]] = True  # a parent has components
    return order, pos, has_children, level_bounds(levels[order])


def _stable_argsort(levels: np.ndarray) -> np.ndarray:
    """``np.argsort(levels, kind="stable")``; as 16-bit integers when they fit (numpy sorts
    those by radix, in linear time)."""
    if len(levels) and 0 <= int(levels.min()) and int(levels.max()) < 1 << 16:
        return np.argsort(levels.astype(np.uint16), kind="stable")
    return np.argsort(levels, kind="stable")


def _background(bom: BOMArrays, engine, nodes, src: PartSources, method, exchange) -> Background:
    """:func:`background_intensities` of the linked activities; an unknown one names its part."""
    try:
        return background_intensities(engine, src.bw_keys, method, exchange)
    except UnknownProduct as exc:
        code = {k: c for c, k in enumerate(src.bw_keys)}.get(tuple(exc.key) if exc.key else None)
        hit = np.flatnonzero(src.bw_code == code) if code is not None else []
        bad = nodes[src.bw_idx[hit[0]]] if len(hit) else nodes[src.bw_idx[0]]
        where = bom.source if bom.source != "BOM" else None
        raise UnknownProduct(
            exc.key, f"linked from BOM part {bad!r}" + (f" in {where}" if where else "")
        ) from None


def _missing(nodes: Sequence, src: PartSources, strict: bool) -> dict:
    """``{part: why}`` for the parts with no footprint source (an error when ``strict``)."""
    missing = {
        nodes[i]: (src.note(i) or "no footprint source")
        for i in np.flatnonzero(src.source == MISSING).tolist()
    }
    if missing:
        if strict:
            raise MissingFootprint(list(missing), missing)
        log.warning(
            "%d BOM part(s) without a footprint source count as 0: %s",
            len(missing),
            "; ".join(f"{k!r} ({v})" for k, v in list(missing.items())[:10]),
        )
    return missing


def _rolled_edges(bom: BOMArrays, pos, labels, source: np.ndarray) -> tuple[sp.csr_matrix, list]:
    """``Q`` without the edges inside parts with an outside source (returned as ``shadowed``).

    Built as ``scipy.sparse.csr_matrix((q, (rows, cols)))`` builds it (rows bucketed in edge
    order, then each row sorted by column: the same arrays), without its checks and copies
    of the coordinates (a million edges: ~50 MB less)."""
    n = len(labels)
    external = source <= SPEND  # supplier PCF, Brightway, spend (codes of SOURCES)
    idx = np.int32 if n < 2**31 - 1 and len(bom.parent) < 2**31 - 1 else np.int64
    pos = pos.astype(idx, copy=False)
    rows, cols = pos[bom.parent], pos[bom.child]
    inside = external[rows]
    q = np.asarray(bom.edge["q"], dtype=np.float64)
    shadowed = []
    if inside.any():
        ids = labels.array() if isinstance(labels, Labels) else np.asarray(labels, dtype=object)
        shadowed = list(zip(ids[rows[inside]].tolist(), ids[cols[inside]].tolist()))
        log.info(
            "%d BOM edge(s) inside parts with a supplier/background footprint are not "
            "counted again",
            len(shadowed),
        )
        keep = ~inside
        rows, cols, q = rows[keep], cols[keep], q[keep]
    del inside
    if _coo_tocsr is None or idx is np.int64:  # pragma: no cover
        return sp.csr_matrix((q, (rows, cols)), shape=(n, n)), shadowed
    nnz = len(q)
    indptr = np.zeros(n + 1, dtype=idx)
    indices = np.empty(nnz, dtype=idx)
    data = np.empty(nnz)
    _coo_tocsr(n, n, nnz, rows, cols, q, indptr, indices, data)
    del rows, cols
    Q = sp.csr_matrix((data, indices, indptr), shape=(n, n), copy=False)
    Q.sum_duplicates()  # each row sorted by column, as the coordinate form's conversion does
    return Q, shadowed


def _solve(Q, cols: Mapping, direct, own, src: PartSources, bounds=None):
    """``x``, the primary-data share, the DQRs and their coverage: one roll-up, several
    right-hand sides (:func:`~supply_chain.bom_math.rollup_levels`)."""
    n = len(own)
    ext, ext_dqr = src.ext, src.ext_dqr
    share = cols.get("direct_primary_share")
    direct_pds = (
        100.0  # the same products as an array of 100s, without the array
        if share is None
        else np.array([100.0 if v is None else float(v) for v in share.tolist()])
    )
    dq_col = cols.get("dqr")
    direct_dqr = None
    if dq_col is not None:
        direct_dqr = np.full((n, len(DQR_FIELDS)), np.nan)
        for i in np.flatnonzero([bool(v) for v in dq_col.tolist()]).tolist():
            dq = dq_col[i]
            direct_dqr[i] = np.array([dq.get(f, np.nan) for f in DQR_FIELDS], dtype=np.float64)
    # a DQR known nowhere (no PCF and no part states it) has two right-hand sides of zeros:
    # their roll-up is zeros, so they are not solved (a million parts: 6 columns less)
    known = [
        k
        for k in range(len(DQR_FIELDS))
        if (ext_dqr is not None and (~np.isnan(ext_dqr[:, k])).any())
        or (direct_dqr is not None and (~np.isnan(direct_dqr[:, k])).any())
    ]
    # right-hand sides: d, d*pds, and for each DQR d*known*dqr and d*known. The parts'
    # arrays the roll-up lets go of after this (ext_pds, and ext for x) hold intermediate
    # values: a million parts, a few arrays of 8 MB less to fault in
    rhs = np.empty((n, 2 + 2 * len(known)))  # one block: no list of columns to stack
    rhs[:, 0] = own
    ep = src.ext_pds
    pds_d = rhs[:, 1]  # = where(isnan(ext_pds), 0, ext_pds) x ext + direct_pds x direct
    np.copyto(pds_d, ep)
    pds_d[np.isnan(ep)] = 0.0
    pds_d *= ext
    np.multiply(direct_pds, direct, out=ep)
    pds_d += ep
    for j, k in enumerate(known):
        known_d = ~np.isnan(direct_dqr[:, k]) if direct_dqr is not None else None
        if ext_dqr is None:  # no supplier PCF states a DQR
            col, w = np.zeros(n), np.zeros(n)
        else:
            known_e = ~np.isnan(ext_dqr[:, k])
            col = np.where(known_e, ext * np.nan_to_num(ext_dqr[:, k]), 0.0)
            w = np.where(known_e, ext, 0.0)
        if known_d is not None:
            col += np.where(known_d, direct * np.nan_to_num(direct_dqr[:, k]), 0.0)
            w += np.where(known_d, direct, 0.0)
        else:  # as adding the parts' zeros: -0.0 becomes 0.0
            col += 0.0
            w += 0.0
        rhs[:, 2 + 2 * j], rhs[:, 3 + 2 * j] = col, w
    X = rollup_levels(Q, rhs, bounds, overwrite=True)
    del rhs
    x = ext  # x in ext's memory (let go of by the roll-up): not a view keeping X alive
    np.copyto(x, X[:, 0])
    num = {k: X[:, 2 + 2 * j] for j, k in enumerate(known)}
    den = {k: X[:, 3 + 2 * j] for j, k in enumerate(known)}
    unknown = np.broadcast_to(np.nan, n)  # a DQR known nowhere: NaN throughout, no array
    zero = x == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # the share and the coverage in X's first two columns, done with
        pds = np.divide(X[:, 1], x, out=X[:, 1])
        pds[zero] = np.nan
        dqr = {
            f: (np.where(den[k] != 0, num[k] / den[k], np.nan) if k in den else unknown)
            for k, f in enumerate(DQR_FIELDS)
        }
        # same coverage for the three DQRs (the first field's known emissions); with none
        # known, 0 / x: 0 where x is not 0, NaN where it is
        coverage = np.divide(den.get(0, 0.0), x, out=X[:, 0])
        coverage[zero] = np.nan
    return x, pds, dqr, coverage


def recursive_rollup(G: nx.DiGraph, d: Mapping, weight: str = "q") -> dict:
    """Reference roll-up, the straightforward way: memoised recursion over ``G``.

    ``x(n) = d(n) + Σ_c q(n, c) x(c)``. Kept as the baseline the vectorised :func:`rollup` is
    tested and benchmarked against; do not use it on deep or large BOMs.

    >>> G = nx.DiGraph([(0, 1, {"q": 2.0}), (1, 2, {"q": 3.0})])
    >>> recursive_rollup(G, {0: 1.0, 1: 0.5, 2: 0.1})
    {2: 0.1, 1: 0.8, 0: 2.6}
    """
    memo: dict = {}

    def visit(node):
        if node in memo:
            return memo[node]
        total = d.get(node, 0.0)
        for c, e in G.adj[node].items():
            total += e[weight] * visit(c)
        memo[node] = total
        return total

    for node in G:
        visit(node)
    return memo
