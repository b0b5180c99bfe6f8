"""Bills of materials as arrays: :class:`BOMArrays`, what the BOM readers return and the
roll-up reads (parts, parent -> component edges as integer arrays, node and edge attributes
as columns), with :class:`LazyColumns` (columns made when first read) and
:class:`CodedColumn` (a text column held as codes). A million-row BOM needs no graph;
``BOMArrays.graph`` builds the ``networkx`` graph of :mod:`supply_chain.bom` when a caller
wants one, and ``BOMArrays.from_graph`` reads one.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

log = logging.getLogger(__name__)


#: Node attributes held as numbers (NaN: not given); the others are objects (None: not given).
NUMERIC_NODE_FIELDS = ("direct", "unit_price_usd")


class LazyColumns(MutableMapping):
    """``{name: array}`` where an array may be given as a function making it, called when the
    array is first read (a reader's column that a roll-up never reads costs nothing).
    :meth:`origin` is what was given for a name (the function, or the array)."""

    def __init__(self, items: Mapping):
        self._items = dict(items)
        self._origin = dict(items)

    def __getitem__(self, k):
        v = self._items[k]
        if callable(v):
            v = self._items[k] = v()
        return v

    def __setitem__(self, k, v) -> None:
        self._items[k] = self._origin[k] = v

    def __delitem__(self, k) -> None:
        del self._items[k], self._origin[k]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def origin(self, k):
        return self._origin.get(k)

    def made(self, k) -> bool:
        """Whether the array of ``k`` exists (was given, or made when read)."""
        return not callable(self._items.get(k))

    def __repr__(self) -> str:
        return f"LazyColumns({list(self._items)})"


class CodedColumn:
    """A node attribute held as ``values[codes]`` (code -1: the last value, None): what a
    :class:`LazyColumns` entry calls to make the object array (read-only) when it is read,
    and :meth:`take` reads for some parts without making it."""

    def __init__(self, values: np.ndarray, codes: np.ndarray):
        self.values, self.codes = values, codes

    def __call__(self) -> np.ndarray:
        out = self.values[self.codes]
        out.flags.writeable = False
        return out

    def take(self, order: np.ndarray) -> np.ndarray:
        return self.values[self.codes[order]]


@dataclass(eq=False)
class BOMArrays:
    """A BOM held as arrays: what :func:`read_bom_arrays` reads and :func:`supply_chain.rollup`
    rolls up without a graph (a million rows in a few hundred MB instead of several GB).

    ``parts`` (object array) are the part ids in node order; ``node`` maps each node attribute
    of the module doc (``unit``, ``name``, ..., ``pcf``, ``activity`` as a ``(database, code)``
    tuple) to an array over ``parts`` (None, or NaN for :data:`NUMERIC_NODE_FIELDS`, where not
    given); other keys (``dqr``, ``direct_primary_share``, ``sigma``, set from Python) may be
    there too. Edge ``k`` is ``parent[k] -> child[k]`` (indices into ``parts``) and ``edge``
    maps ``quantity``, ``unit``, ``loss``, ``yield``, ``q``, ``sigma`` (NaN: not given) and
    ``comment`` (None: not given) to arrays over the edges. ``graph`` is the same BOM as a
    ``networkx.DiGraph`` (built on first use, then kept). ``parts`` may be given as None with
    ``_parts_text``: its Python strings are then made when first asked for.
    """

    _parts: np.ndarray | None
    node: dict
    parent: np.ndarray
    child: np.ndarray
    edge: dict
    roots: list
    root_rows: dict = field(default_factory=dict)
    source: str = "BOM"
    _graph: nx.DiGraph | None = field(default=None, repr=False)
    #: ``parts`` as a pyarrow string array, and text node attributes as ``{attr: (column,
    #: distinct values (pyarrow), code of each part)}``, when the reader has them: the
    #: roll-up's table takes its text columns from them instead of converting a million
    #: Python strings back (:meth:`text`)
    _parts_text: object = field(default=None, repr=False)
    _node_text: dict = field(default_factory=dict, repr=False)
    #: :func:`~supply_chain.bom_math.bom_levels` of the parts, when the reader has them
    _levels: np.ndarray | None = field(default=None, repr=False)
    #: ``(column, rows)``: the part ids as rows of a pyarrow string column (the reader's),
    #: taken into ``_parts_text`` when first needed
    _ids: tuple | None = field(default=None, repr=False)

    def ids(self):
        """The part ids in node order as a pyarrow string array (None if not kept as text)."""
        if self._parts_text is None and self._ids is not None:
            import pyarrow as pa

            col, rows = self._ids
            self._parts_text = col.take(pa.array(rows))
            self._ids = None
        return self._parts_text

    def id_at(self, j: int):
        """The id of node ``j``, made into a Python object alone."""
        if self._parts is not None:
            return self._parts[j]
        if self._parts_text is not None:
            return self._parts_text[int(j)].as_py()
        col, rows = self._ids
        return col[int(rows[j])].as_py()

    @property
    def parts(self) -> np.ndarray:
        """The part ids in node order (an object array, read-only)."""
        if self._parts is None:
            self._parts = self.ids().to_numpy(zero_copy_only=False)
            self._parts.flags.writeable = False
        return self._parts

    @parts.setter
    def parts(self, value: np.ndarray) -> None:
        self._parts = value

    def text(self, attr: str | None, order: np.ndarray):
        """Node attribute ``attr`` (None: the part ids) of the parts ``order`` as a pyarrow
        string array (null: not given), when the reader kept it as text; else None."""
        import pyarrow as pa

        if attr is None:
            t = self.ids()
            if t is None or len(t) != len(self):
                return None
            return t.take(pa.array(order))
        got = self._node_text.get(attr)
        if got is None or got[0] is not self._node_origin(attr):
            return None
        codes = got[2][order]
        return got[1].take(pa.array(codes, mask=codes < 0))

    def has_text(self, attr: str) -> bool:
        """Whether node attribute ``attr`` is kept as text by the reader (:meth:`text`)."""
        got = self._node_text.get(attr)
        return got is not None and got[0] is self._node_origin(attr)

    def node_column(self, attr: str, order: np.ndarray) -> np.ndarray:
        """``node[attr][order]``, without making the whole column when the reader keeps it
        as codes (:class:`CodedColumn`)."""
        origin = self._node_origin(attr)
        if isinstance(origin, CodedColumn) and not self.node.made(attr):
            return origin.take(order)
        return self.node[attr][order]

    def _node_origin(self, attr: str):
        node = self.node
        return node.origin(attr) if isinstance(node, LazyColumns) else node.get(attr)

    def text_codes(self, attr: str, order: np.ndarray):
        """Text node attribute ``attr`` of the parts ``order`` as ``(codes, values)``:
        ``values[codes[i]]`` (a list; code -1: not given); codes -1 throughout when no part
        has the attribute; None when the reader did not keep it as text."""
        if attr not in self.node:
            return np.full(len(order), -1, dtype=np.int64), []
        if not self.has_text(attr):
            return None
        got = self._node_text[attr]
        return got[2][order], got[1].to_pylist()

    def __len__(self) -> int:
        if self._parts is not None:
            return len(self._parts)
        return len(self._parts_text) if self._parts_text is not None else len(self._ids[1])

    @property
    def graph(self) -> nx.DiGraph:
        """The BOM as a ``networkx.DiGraph`` (node and edge attributes as :func:`add_part`
        sets them; ``graph["roots"]``, ``["root_rows"]``, ``["source"]``)."""
        if self._graph is None:
            self._graph = self.to_networkx()
        return self._graph

    def to_networkx(self) -> nx.DiGraph:
        G = nx.DiGraph(roots=list(self.roots), root_rows=dict(self.root_rows), source=self.source)
        keys = list(self.node)
        cols = [self.node[k].tolist() for k in keys]
        numeric = [k in NUMERIC_NODE_FIELDS for k in keys]

        def attrs(vals):
            return {
                k: v
                for k, v, num in zip(keys, vals, numeric)
                if v is not None and not (num and math.isnan(v))
            }

        G.add_nodes_from(zip(self.parts.tolist(), map(attrs, zip(*cols))))
        e = self.edge
        sig = e.get("sigma")
        com = e.get("comment")
        base = ("quantity", "unit", "loss", "yield", "q")
        ecols = [e[k].tolist() for k in base]
        labels = self.parts
        for k, (u, v) in enumerate(zip(labels[self.parent].tolist(), labels[self.child].tolist())):
            d = dict(zip(base, (c[k] for c in ecols)))
            if sig is not None and sig[k] == sig[k]:
                d["sigma"] = float(sig[k])
            if com is not None and com[k] is not None:
                d["comment"] = com[k]
            G.add_edge(u, v, **d)
        return G

    @classmethod
    def from_graph(cls, G: nx.DiGraph) -> BOMArrays:
        """The arrays of a BOM graph (:func:`new_bom`, :func:`add_part`, :func:`read_bom`).

        Read from the graph's own dicts (``G._node``, ``G._succ``: the data structures
        networkx documents for subclasses), not through its per-item views: on a million-part
        graph the views' per-edge tuples cost more than the whole roll-up (bench ``bom``).
        Nodes and edges come in the graph's order, as ``G.nodes`` / ``G.edges`` give them."""
        node_data = G._node  # {part: attributes}, insertion order = G.nodes
        succ = G._succ  # {part: {component: edge attributes}}, the order of G.edges
        n = len(node_data)
        parts = np.empty(n, dtype=object)
        parts[:] = list(node_data)
        data = list(node_data.values())
        keys = dict.fromkeys(k for d in data for k in d)
        node = {}
        for k in keys:
            if k in NUMERIC_NODE_FIELDS:
                node[k] = _numbers_of(data, k, None, np.nan)
            else:
                col = np.empty(n, dtype=object)
                col[:] = list(map(dict.get, data, itertools.repeat(k)))
                node[k] = col
        nbrs = list(succ.values())
        counts = np.fromiter(map(len, nbrs), dtype=np.int64, count=n)
        parent = np.repeat(np.arange(n, dtype=np.int64), counts)
        # components looked up in one hashed pass (pandas' C hash table)
        import pandas as pd

        child = pd.Index(parts, dtype=object, copy=False).get_indexer(
            list(itertools.chain.from_iterable(nbrs))
        )
        child = child.astype(np.int64, copy=False)
        edata = list(itertools.chain.from_iterable(nb.values() for nb in nbrs))
        edge = {"q": _numbers_of(edata, "q", "quantity", 0.0),
                "sigma": _numbers_of(edata, "sigma", None, np.nan)}  # fmt: skip
        has_parent = np.zeros(n, dtype=bool)
        has_parent[child] = True
        given = G.graph.get("roots")
        return cls(
            parts,
            node,
            parent,
            child,
            edge,
            list(given) if given else parts[~has_parent].tolist(),
            dict(G.graph.get("root_rows") or {}),
            G.graph.get("source", "BOM"),
            G,
        )

    def select_root(self, root=None, source: str = "BOM") -> BOMArrays:
        """As :func:`select_root`: this BOM with one product ``root`` and the parts under it."""
        from .bom import _whole

        rs, rows = self.roots, self.root_rows
        if _whole(rs, rows, root, source):
            return self
        import scipy.sparse as sp
        from scipy.sparse.csgraph import breadth_first_order

        n = len(self.parts)
        r = int(np.flatnonzero(self.parts == root)[0])
        adj = sp.csr_matrix(
            (np.ones(len(self.parent), dtype=np.int8), (self.parent, self.child)), shape=(n, n)
        )
        keep = np.zeros(n, dtype=bool)
        keep[breadth_first_order(adj, r, directed=True, return_predecessors=False)] = True
        new = np.cumsum(keep) - 1
        ek = keep[self.parent] & keep[self.child]
        log.info("%s: rolling up root %r; left out: %s", source, root, [x for x in rs if x != root])
        return BOMArrays(
            self.parts[keep],
            {k: v[keep] for k, v in self.node.items()},
            new[self.parent[ek]],
            new[self.child[ek]],
            {k: v[ek] for k, v in self.edge.items()},
            [root],
            {root: rows.get(root)},
            self.source,
        )


def _numbers_of(edata: list, key: str, alias: str | None, missing: float) -> np.ndarray:
    """Attribute ``key`` (else ``alias``, else ``missing``; None counts as missing) of each
    node's or edge's attribute dict, as float64, in one C-level conversion (None becomes NaN there);
    only the edges without a number under ``key`` are looked at again."""
    vals = list(map(dict.get, edata, itertools.repeat(key)))  # a C loop: no bytecode per item
    try:
        arr = np.array(vals, dtype=np.float64)
    except (TypeError, ValueError):  # something float() would refuse: the per-value rule
        arr = np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64)
    for i in np.flatnonzero(np.isnan(arr)).tolist():
        if vals[i] is None:  # not given (a NaN given stays NaN)
            a = edata[i].get(alias) if alias is not None else None
            arr[i] = missing if a is None else float(a)
    return arr
