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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from lca import maths, methods
from lca.errors import UnknownProduct
from lca.units import conversion_factor

from ._sources import PartSources, choose_sources, link_background
from .bom import roots, select_root
from .bom_math import rollup_vector, topological_order
from .errors import BOMCycle, MissingFootprint, UnknownPart
from .paths import path_exchange
from .pcf_selection import pcf_index
from .pcfs import DQR_FIELDS, SupplierPCF

log = logging.getLogger(__name__)

SOURCES = ("supplier_pcf", "brightway", "spend", "bom", "direct", "missing")


# -- results -------------------------------------------------------------------------------------
@dataclass
class Background:
    """Cradle-to-gate intensities of the Brightway activities a BOM links to (one method)."""

    system: object  # lca.footprint.System
    lam: np.ndarray  # per product row of system.A
    method: tuple
    e: np.ndarray  # characterised direct emissions per activity (c B)
    exchanged: dict = field(default_factory=dict)  # product row -> value used (path exchange)


@dataclass
class RollupResult:
    """A rolled-up BOM. ``table`` has one row per part (index: part id), in topological order.

    Columns of ``table``: ``name``, ``unit``, ``source`` (one of :data:`SOURCES`), ``source_ref``
    (PCF id, ``database|code``, sector), ``direct`` (own direct emissions per unit), ``own``
    (``d``: direct + outside source, per unit), ``footprint`` (``x``, per unit, cradle to gate),
    ``primary_data_share`` (percent), ``dqr_technological``, ``dqr_geographical``,
    ``dqr_temporal``, ``dqr_coverage`` (share of the footprint with a known DQR), ``supplier``,
    ``country``, ``stage``, ``note`` (why a source was skipped).
    """

    graph: nx.DiGraph
    method: tuple | None
    unit: str
    nodes: list
    index: dict
    Q: sp.csr_matrix  # quantities actually rolled up (shadowed edges removed), topological order
    own: np.ndarray
    x: np.ndarray
    table: object  # pandas DataFrame
    missing: dict = field(default_factory=dict)
    shadowed: list = field(default_factory=list)
    background: Background | None = None
    links: dict = field(default_factory=dict)  # node index -> (product row, factor)

    def footprint(self, part=None) -> float:
        """Footprint of one unit of ``part`` (default: the BOM's first root)."""
        part = self.root if part is None else part
        if part not in self.index:
            raise UnknownPart(part, "the rolled-up BOM")
        return float(self.x[self.index[part]])

    @property
    def root(self):
        """The BOM's product; a BOM with several roots is an error (never the first guessed)."""
        G = select_root(self.graph, source=self.graph.graph.get("source", "BOM"))
        return roots(G)[0]

    @property
    def total(self) -> float:
        return self.footprint()

    def summary(self, part=None) -> dict:
        """Plain dict: part, footprint, unit, sources used, primary-data share, DQRs, missing."""
        part = self.root if part is None else part
        row = self.table.loc[part]
        return {
            "part": part,
            "footprint": float(row["footprint"]),
            "unit": self.unit,
            "per": row["unit"],
            "method": list(self.method) if self.method else None,
            "primary_data_share": _f(row["primary_data_share"]),
            "dqr": {k: _f(row[f"dqr_{k}"]) for k in DQR_FIELDS},
            "dqr_coverage": _f(row["dqr_coverage"]),
            "sources": {k: int(v) for k, v in self.table["source"].value_counts().items()},
            "missing": {str(k): v for k, v in self.missing.items()},
        }


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
    """
    method = methods.resolve(method)
    nodes = [engine.node(tuple(k)) for k in keys]
    ex_nodes = {tuple(k): engine.node(tuple(k)) for k in (exchange or {})}
    sysm = engine.system_for(nodes + list(ex_nodes.values()))
    # as FootprintEngine.intensities (λ = c B A⁻¹), keeping e = c B for path analysis
    e = maths.direct_intensities(engine.characterization(sysm, method), sysm.B)
    lam = maths.intensities(sysm.fact, e)  # e is kept for the path analysis
    exchanged = {}
    if exchange:
        repl = {}
        for k, v in exchange.items():
            node = ex_nodes[tuple(k)]
            row = sysm.product_index[node.id]
            unit = sysm.units[sysm.activity_index[node.id]] or "unit"
            if isinstance(v, SupplierPCF):
                v = v.value * conversion_factor(unit, v.unit, f"path exchange {k!r}")
            repl[row] = float(v)
        lam = path_exchange(sysm.fact, sysm.A.diagonal(), lam, repl)
        exchanged = repl
    return Background(sysm, lam, method, e, exchanged)


def rollup(
    G: nx.DiGraph,
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
        A BOM (:mod:`supply_chain.bom`).
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
    import pandas as pd

    method = methods.resolve(method) if (engine is not None or method is not None) else None
    nodes, index, has_children = _topological(G)
    attrs = dict(G.nodes(data=True))  # plain dict lookups: NodeView indexing is slow
    src = choose_sources(
        nodes, attrs, has_children, pcf_index(pcfs), on, engine is not None, spend_factors
    )
    background = None
    links: dict[int, tuple[int, float]] = {}
    if src.want_bw:
        background = _background(G, engine, nodes, src.want_bw, method, exchange)
        links = link_background(src, background, engine, nodes, attrs)
    missing = _missing(nodes, src, strict)

    # -- matrix and own values ---------------------------------------------------------------
    Q, shadowed = _rolled_edges(G, index, src.source)
    direct = np.array([float(attrs[p].get("direct", 0.0) or 0.0) for p in nodes])
    own = direct + src.ext
    x, pds, dqr, coverage = _solve(Q, nodes, attrs, direct, own, src)

    attr = lambda k: [attrs[p].get(k) for p in nodes]
    table = pd.DataFrame(
        {
            "name": [attrs[p].get("name", str(p)) for p in nodes],
            "unit": attr("unit"),
            "source": list(src.source),
            "source_ref": src.ref,
            "direct": direct,
            "own": own,
            "footprint": x,
            "primary_data_share": pds,
            **{f"dqr_{f}": dqr[f] for f in DQR_FIELDS},
            "dqr_coverage": coverage,
            "supplier": attr("supplier"),
            "country": attr("country"),
            "stage": attr("stage"),
            "note": src.note,
        },
        index=pd.Index(nodes, name="part"),
    )
    unit = (engine.method_unit(method) if engine is not None and method else "") or "kg CO2e"
    return RollupResult(
        G, method, unit, nodes, index, Q, own, x, table, missing, shadowed, background, links
    )


def _topological(G: nx.DiGraph) -> tuple[list, dict, np.ndarray]:
    """The parts in topological order, their index, and which of them have components."""
    nodes_in = list(G.nodes)
    idx0 = {n: i for i, n in enumerate(nodes_in)}
    parent = np.fromiter((idx0[u] for u, _ in G.edges), dtype=np.int64, count=G.number_of_edges())
    child = np.fromiter((idx0[v] for _, v in G.edges), dtype=np.int64, count=G.number_of_edges())
    try:
        order = topological_order(parent, child, len(nodes_in))
    except BOMCycle as exc:
        raise BOMCycle([nodes_in[i] for i in exc.cycle]) from None
    nodes = [nodes_in[i] for i in order]
    has_children = np.zeros(len(nodes), dtype=bool)
    has_children[np.argsort(order)[parent]] = True  # a parent has components
    return nodes, {n: i for i, n in enumerate(nodes)}, has_children


def _background(G, engine, nodes, want_bw, method, exchange) -> Background:
    """:func:`background_intensities` of the linked activities; an unknown one names its part."""
    try:
        return background_intensities(engine, set(want_bw.values()), method, exchange)
    except UnknownProduct as exc:
        bad = [nodes[i] for i, k in want_bw.items() if k == exc.key] or list(want_bw)
        src = G.graph.get("source")
        raise UnknownProduct(
            exc.key, f"linked from BOM part {bad[0]!r}" + (f" in {src}" if src else "")
        ) from None


def _missing(nodes: list, src: PartSources, strict: bool) -> dict:
    """``{part: why}`` for the parts with no footprint source (an error when ``strict``)."""
    missing = {
        nodes[i]: (src.note[i] or "no footprint source")
        for i in np.flatnonzero(src.source == "missing")
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


def _rolled_edges(G: nx.DiGraph, index: dict, source: np.ndarray) -> tuple[sp.csr_matrix, list]:
    """``Q`` without the edges inside parts with an outside source (returned as ``shadowed``)."""
    n = len(index)
    external = np.isin(source, ("supplier_pcf", "brightway", "spend"))
    rows, cols, vals, shadowed = [], [], [], []
    for u, v, e in G.edges(data=True):
        iu, iv = index[u], index[v]
        if external[iu]:
            shadowed.append((u, v))
            continue
        rows.append(iu)
        cols.append(iv)
        vals.append(e.get("q", e.get("quantity", 0.0)))
    if shadowed:
        log.info(
            "%d BOM edge(s) inside parts with a supplier/background footprint are not "
            "counted again",
            len(shadowed),
        )
    Q = sp.csr_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(n, n))
    return Q, shadowed


def _solve(Q, nodes: list, attrs: Mapping, direct, own, src: PartSources):
    """``x``, the primary-data share, the DQRs and their coverage: one triangular solve."""
    n = len(nodes)
    ext, ext_dqr = src.ext, src.ext_dqr
    direct_pds = np.array([float(attrs[p].get("direct_primary_share", 100.0)) for p in nodes])
    # right-hand sides: d, d*pds, and for each DQR d*known*dqr and d*known
    pds_d = np.where(np.isnan(src.ext_pds), 0.0, src.ext_pds) * ext + direct_pds * direct
    direct_dqr = np.full((n, len(DQR_FIELDS)), np.nan)
    for i, p in enumerate(nodes):
        if dq := attrs[p].get("dqr"):
            direct_dqr[i] = np.array([dq.get(f, np.nan) for f in DQR_FIELDS], dtype=np.float64)
    rhs = [own, pds_d]
    for k in range(len(DQR_FIELDS)):
        known_e, known_d = ~np.isnan(ext_dqr[:, k]), ~np.isnan(direct_dqr[:, k])
        rhs.append(
            np.where(known_e, ext * np.nan_to_num(ext_dqr[:, k]), 0.0)
            + np.where(known_d, direct * np.nan_to_num(direct_dqr[:, k]), 0.0)
        )
        rhs.append(np.where(known_e, ext, 0.0) + np.where(known_d, direct, 0.0))
    X = rollup_vector(Q, np.column_stack(rhs))
    x = X[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        pds = np.where(x != 0, X[:, 1] / x, np.nan)
        dqr = {
            f: np.where(X[:, 3 + 2 * k] != 0, X[:, 2 + 2 * k] / X[:, 3 + 2 * k], np.nan)
            for k, f in enumerate(DQR_FIELDS)
        }
        coverage = np.where(x != 0, X[:, 3] / x, np.nan)  # same coverage for the three DQRs
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
