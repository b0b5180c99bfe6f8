"""Bills of materials as ``networkx.DiGraph``: build from Python, read from CSV or Excel.

A BOM is a directed graph whose edges point from a parent (product, assembly) to a component it
consumes. Edge attributes:

``quantity``, ``unit``
    as given: amount of the component per one unit of the parent, and the unit it is stated in;
``loss``, ``yield``
    process loss share (0 <= loss < 1) and yield (0 < yield <= 1), both 0/1 by default;
``q``
    the effective quantity the roll-up uses, in the *component's* unit:
    ``q = quantity x conversion(unit -> component unit) / ((1 - loss) x yield)``;
``sigma``
    optional σ of a lognormal on ``q`` (Monte Carlo rank stability).

Node attributes: ``name``, ``unit`` (what one unit of the part is), ``supplier``, ``country``,
``stage`` (one of :data:`lca.footprint.STAGES`), ``direct`` (own direct emissions, kg CO2e per
unit, gate to gate), and the part's footprint sources, tried in this order by the roll-up:
``pcf`` (a supplier PCF id), ``activity`` (a Brightway ``(database, code)`` key), ``spend_sector``
(a USEEIO sector code, with ``unit_price_usd`` unless the part is counted in ``usd``).

File layout (CSV, or the first sheet of an .xlsx), one row per BOM line, header row first:

=================== =========================================================================
column              meaning
=================== =========================================================================
``part``            part id (required; unique key of the node)
``parent``          parent part id; empty for the product itself (a root row)
``quantity``        amount of ``part`` per 1 unit of ``parent`` (required unless a root row)
``unit``            unit of ``quantity`` (a name in :data:`lca.units.UNITS`); on the
                    part's first row it also fixes the part's unit
``loss``            share of the part lost in the parent's process, 0..1 (optional)
``yield``           yield of the parent's process for this part, 0..1 (optional)
``name``            human name (optional)
``supplier``        supplier name (optional)
``country``         country code of the part's production (optional)
``stage``           life-cycle stage of the part (optional)
``activity``        linked Brightway activity ``database|code`` (optional)
``pcf_id``          supplier PCF id or product URN (optional)
``spend_sector``    USEEIO sector code for a spend-based factor (optional)
``unit_price_usd``  price of one unit of the part, USD (optional; spend-based only)
``direct``          own direct emissions, kg CO2e per unit of the part (optional)
``sigma``           lognormal σ of the quantity (optional, Monte Carlo)
``comment``         free text, e.g. the source of the quantity (kept on the edge)
=================== =========================================================================

A part that appears on several rows (a shared component) is one node; its attributes may be
repeated on each row but must not conflict. Example: see ``inventories/bom/``.

Refused with an error naming the file and row (never silently accepted): an empty file or one
with only a header; a zero ``quantity`` (a part used in zero quantity adds nothing and is almost
always a blank or mistyped cell: leave the row out if the part is not used); a file with more
than one root row unless the caller chooses one (``read_bom(path, root=...)``,
``pcf bom rollup --root``), since a roll-up reports one product. Files are read in UTF-8,
UTF-16 or GBK/GB18030 (:func:`lca.files.open_text`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx

from lca.files import parse_number
from lca.footprint import STAGES
from lca.units import canonical, conversion_factor

from .bom_arrays import NUMERIC_NODE_FIELDS, BOMArrays, CodedColumn, LazyColumns
from .errors import BOMCycle, BOMFormatError, UnknownPart

__all__ = [
    "COLUMNS",
    "NODE_FIELDS",
    "NUMERIC_NODE_FIELDS",
    "BOMArrays",
    "CodedColumn",
    "LazyColumns",
    "add_part",
    "bom_from_records",
    "check_acyclic",
    "new_bom",
    "read_bom",
    "read_bom_arrays",
    "roots",
    "select_root",
]

log = logging.getLogger(__name__)

#: File columns (see module doc); ``part`` is required.
COLUMNS = (
    "part",
    "parent",
    "quantity",
    "unit",
    "loss",
    "yield",
    "name",
    "supplier",
    "country",
    "stage",
    "activity",
    "pcf_id",
    "spend_sector",
    "unit_price_usd",
    "direct",
    "sigma",
    "comment",
)
#: Node attributes a row may set (file column -> node attribute).
NODE_FIELDS = {
    "name": "name",
    "supplier": "supplier",
    "country": "country",
    "stage": "stage",
    "activity": "activity",
    "pcf_id": "pcf",
    "spend_sector": "spend_sector",
    "unit_price_usd": "unit_price_usd",
    "direct": "direct",
}


def new_bom(root, unit: str = "piece", **attrs) -> nx.DiGraph:
    """An empty BOM holding only its product ``root`` (``unit``: what one unit of it is).

    Examples
    --------
    >>> G = new_bom("bike", "piece", name="city bike")
    >>> add_part(G, "frame", "bike", 1, "piece", direct=2.0)
    >>> add_part(G, "steel", "frame", 3.0, "kg", loss=0.25, pcf="pcf-steel")
    >>> G.edges["frame", "steel"]["q"]   # 3 kg / (1 - 0.25)
    4.0
    """
    G = nx.DiGraph(roots=[root])
    _set_node(G, root, unit=canonical(unit, f"root {root!r}"), where=f"root {root!r}", **attrs)
    return G


def add_part(
    G: nx.DiGraph,
    part,
    parent,
    quantity: float,
    unit: str,
    *,
    loss: float = 0.0,
    yield_: float = 1.0,
    sigma: float | None = None,
    where: str = "",
    **attrs,
) -> None:
    """Add ``quantity`` ``unit`` of ``part`` per unit of ``parent`` (see module doc).

    ``attrs`` are node attributes (``name``, ``supplier``, ``country``, ``stage``, ``activity``,
    ``pcf``, ``spend_sector``, ``unit_price_usd``, ``direct``). The part's unit is ``unit`` when
    the part is new; an existing part's quantity is converted into its unit.

    Raises
    ------
    UnknownPart
        ``parent`` is not in ``G``.
    BOMFormatError
        A zero, negative or non-finite quantity, a loss outside [0, 1), a yield outside (0, 1], an
        attribute that conflicts with the part's earlier value, an unknown stage.
    BOMUnitMismatch
        ``unit`` cannot be converted into the part's unit.
    """
    where = where or f"BOM line {parent!r} -> {part!r}"
    if parent not in G:
        raise UnknownPart(parent, where)
    q = _number(quantity, where, "quantity", lo=0.0)
    if q == 0.0:
        raise BOMFormatError(
            where,
            "quantity",
            quantity,
            "is zero: a part used in zero quantity adds nothing to its parent; leave the row "
            "out (or remove the part) if it is not used",
        )
    loss = _number(loss, where, "loss", lo=0.0)
    yld = _number(yield_, where, "yield", lo=0.0)
    if loss >= 1.0:
        raise BOMFormatError(where, "loss", loss, "must be below 1")
    if not 0.0 < yld <= 1.0:
        raise BOMFormatError(where, "yield", yld, "must be in (0, 1]")
    unit_c = canonical(unit, where)
    if part not in G:
        _set_node(G, part, unit=unit_c, where=where, **attrs)
    else:
        _set_node(G, part, where=where, **attrs)
    if G.has_edge(parent, part):
        raise BOMFormatError(where, "part", part, f"listed twice under {parent!r}")
    factor = conversion_factor(unit, G.nodes[part]["unit"], where)
    edge = {
        "quantity": q,
        "unit": unit_c,
        "loss": loss,
        "yield": yld,
        "q": effective_quantity(q, factor, loss, yld),
    }
    if sigma is not None:
        edge["sigma"] = _number(sigma, where, "sigma", lo=0.0)
    G.add_edge(parent, part, **edge)


def effective_quantity(quantity, factor, loss, yld):
    """The ``q`` of a BOM line (module doc): ``quantity x factor / ((1 - loss) x yield)``, in
    the component's unit (``factor``: from the line's unit to the part's); numbers or arrays.

    >>> effective_quantity(250.0, 0.001, 0.1, 1.0)
    0.2777777777777778
    """
    return quantity * factor / ((1.0 - loss) * yld)


def _number(value, where: str, name: str, lo: float | None = None) -> float:
    """``value`` as a finite number ``>= lo`` (:func:`lca.files.parse_number`), or a located error."""
    try:
        return parse_number(value, lo=lo)
    except ValueError as exc:
        raise BOMFormatError(where, name, value, str(exc)) from None


def _set_node(G: nx.DiGraph, part, where: str, **attrs) -> None:
    clean = {}
    for k, v in attrs.items():
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        if k == "activity":
            v = _activity_key(v, where)
        elif k in ("direct", "unit_price_usd"):
            v = _number(v, where, k, lo=0.0 if k == "unit_price_usd" else None)
        elif k == "stage" and v not in STAGES:
            raise BOMFormatError(where, "stage", v, f"expected one of {', '.join(STAGES)}")
        elif isinstance(v, str):
            v = v.strip()
        clean[k] = v
    if part in G:
        node = G.nodes[part]
        for k, v in clean.items():
            if k in node and node[k] != v:
                raise BOMFormatError(where, k, v, f"part {part!r} already has {node[k]!r}")
        node.update(clean)
    else:
        G.add_node(part, **clean)


def _activity_key(value, where: str) -> tuple[str, str]:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return (str(value[0]), str(value[1]))
    if isinstance(value, str) and "|" in value:
        db, code = value.split("|", 1)
        if db.strip() and code.strip():
            return (db.strip(), code.strip())
    raise BOMFormatError(where, "activity", value, "expected 'database|code'")


def bom_from_records(records: Iterable[Mapping], source: str = "BOM") -> nx.DiGraph:
    """A BOM from rows with the file columns (see module doc); ``source`` names them in errors.

    Root rows (no parent) may come anywhere; a parent must be a part of some row.

    Examples
    --------
    >>> G = bom_from_records([
    ...     {"part": "cell", "unit": "kWh"},
    ...     {"part": "grid", "parent": "cell", "quantity": 37.5, "unit": "kilowatt hour",
    ...      "activity": "pcf-background|electricity-cn-2023"},
    ... ])
    >>> G.nodes["grid"]["activity"], G.graph["roots"]
    (('pcf-background', 'electricity-cn-2023'), ['cell'])
    """
    rows = _clean_records(records, source)
    roots = [(w, r) for w, r in rows if "parent" not in r]
    if not roots:
        raise BOMFormatError(source, "parent", None, "no root row (a row with an empty parent)")
    G = nx.DiGraph(roots=[], root_rows={}, source=source)
    for where, r in roots:
        _add_root(G, where, r)
    pending = [(w, r) for w, r in rows if "parent" in r]
    parts = {r["part"] for _, r in rows}
    for where, r in pending:
        if r["parent"] not in parts:
            raise BOMFormatError(where, "parent", r["parent"], "is not a part of any row")
    # add edges once the parent exists (rows need not be ordered)
    while pending:
        later = [(w, r) for w, r in pending if not _add_row(G, w, r)]
        if len(later) == len(pending):  # parents never reachable from a root: a cycle
            H = nx.DiGraph([(r["parent"], r["part"]) for _, r in later])
            check_acyclic(H, source)
            raise BOMFormatError(
                later[0][0], "parent", later[0][1]["parent"], "not reachable from any root"
            )
        pending = later
    check_acyclic(G, source)
    return G


def _clean_records(records: Iterable[Mapping], source: str) -> list[tuple[str, dict]]:
    """``(where, row)`` of each record: values stripped, blanks dropped, known columns only,
    a ``part`` on every row."""
    rows = []
    for i, rec in enumerate(records, start=1):
        rec = {k: (v.strip() if isinstance(v, str) else v) for k, v in rec.items() if k is not None}
        rec = {k: v for k, v in rec.items() if not _blank(v)}
        where = rec.pop("_where", f"{source}, row {i}")
        unknown = sorted(set(rec) - set(COLUMNS))
        if unknown:
            raise BOMFormatError(
                where, unknown[0], None, "unknown column; expected " + ", ".join(COLUMNS)
            )
        if "part" not in rec:
            raise BOMFormatError(where, "part", None, "empty")
        rows.append((where, rec))
    return rows


def _add_root(G: nx.DiGraph, where: str, r: Mapping) -> None:
    """A root row: the product, recorded in ``G.graph["roots"]`` with its row."""
    if r["part"] in G:
        raise BOMFormatError(where, "part", r["part"], "root listed twice")
    _set_node(
        G,
        r["part"],
        unit=canonical(r.get("unit", "piece"), where),
        where=where,
        **{NODE_FIELDS[k]: r.get(k) for k in NODE_FIELDS},
    )
    G.graph["roots"].append(r["part"])
    G.graph["root_rows"][r["part"]] = where


def _add_row(G: nx.DiGraph, where: str, r: Mapping) -> bool:
    """Add the line ``r`` under its parent; ``False`` (nothing added) if it is not in ``G`` yet."""
    if r["parent"] not in G:
        return False
    if "quantity" not in r:
        raise BOMFormatError(where, "quantity", None, "empty")
    if "unit" not in r:
        raise BOMFormatError(where, "unit", None, "empty")
    add_part(
        G,
        r["part"],
        r["parent"],
        r["quantity"],
        r["unit"],
        loss=r.get("loss", 0.0),
        yield_=r.get("yield", 1.0),
        sigma=r.get("sigma"),
        where=where,
        **{NODE_FIELDS[k]: r.get(k) for k in NODE_FIELDS},
    )
    if r.get("comment"):
        G.edges[r["parent"], r["part"]]["comment"] = r["comment"]
    return True


def _blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def read_bom(path: str | os.PathLike, sheet: str | int = 0, root=None) -> nx.DiGraph:
    """Read a BOM file (CSV, or .xlsx/.xls sheet ``sheet``) in the layout of the module doc.

    ``root`` chooses the product when the file has several root rows (the parts under the
    other roots are left out); a file with several roots and no ``root`` is an error.

    The file is read and checked as arrays (:func:`read_bom_arrays`); the graph is built from
    them in one go. A large BOM is better rolled up from the arrays: ``rollup(read_bom_arrays(
    path))`` is what ``pcf bom rollup`` does, and builds no graph.

    Raises
    ------
    BOMFormatError, BOMUnitMismatch, UnknownUnit, BOMCycle
        Naming the file and the row (1-based; the header is row 1).
    lca.errors.InputFileError
        A CSV in an encoding other than UTF-8, UTF-16 or GBK/GB18030 (names the line).
    """
    return read_bom_arrays(path, sheet, root).graph


def read_bom_arrays(path: str | os.PathLike, sheet: str | int = 0, root=None) -> BOMArrays:
    """:func:`read_bom` without the graph: the BOM as :class:`BOMArrays` (same checks, same
    errors; ``.graph`` builds the ``networkx`` graph when a caller needs one).

    A CSV in the usual shape (no padded cells, parents before their components) is read by
    the fast path (:func:`supply_chain.bom_read.read_fast`: typed columns, part ids coded as
    64-bit words, every rule checked on whole arrays); any other file, or one that breaks a
    rule, by the careful reader (:mod:`supply_chain.bom_careful`), which names the first
    error's file, row and field."""
    import pyarrow as pa

    from .bom_careful import _bom_from_columns, _read_columns, release_freed_memory
    from .bom_read import read_fast

    path = Path(path)
    bom = read_fast(path, path.name)  # the common case, valid: straight into arrays
    if bom is not None:
        bom = bom.select_root(root, source=str(path))
        bom.source = str(path)
        return bom
    # the file's buffers from the system allocator, so they go back to the system when freed
    # (mimalloc, pyarrow's default, keeps freed pages for reuse: ~0.1 GB on a million rows);
    # process-wide while reading, restored after (buffers remember the pool they came from)
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        cols, n, unpadded = _read_columns(path, sheet)
        bom = _bom_from_columns(cols, n, path.name, unpadded)
        del cols
    finally:
        pa.set_memory_pool(pool)
    release_freed_memory()
    bom = bom.select_root(root, source=str(path))
    bom.source = str(path)
    return bom


def select_root(G: nx.DiGraph, root=None, source: str = "BOM") -> nx.DiGraph:
    """``G`` with one product: ``root`` and the parts under it (``root=None``: ``G``'s only root).

    Raises
    ------
    BOMFormatError
        ``G`` has several roots and ``root`` is ``None`` (names every root and its row), or
        ``root`` is not a root of ``G``.

    >>> G = bom_from_records([{"part": "P"}, {"part": "R"},
    ...                       {"part": "a", "parent": "R", "quantity": 1, "unit": "kg"}])
    >>> sorted(select_root(G, "R").nodes)
    ['R', 'a']
    """
    rs = roots(G)
    rows = G.graph.get("root_rows", {})
    if _whole(rs, rows, root, source):
        return G
    keep = nx.descendants(G, root) | {root}
    H = G.subgraph(keep).copy()
    H.graph = {**G.graph, "roots": [root], "root_rows": {root: rows.get(root)}}
    log.info("%s: rolling up root %r; left out: %s", source, root, [r for r in rs if r != root])
    return H


def _whole(rs: list, rows: dict, root, source: str) -> bool:
    """Whether a BOM with roots ``rs`` (``rows``: the row of each) stays whole when ``root``
    is chosen (:func:`select_root` and ``BOMArrays.select_root``); False: keep ``root`` and
    the parts under it.

    Raises
    ------
    BOMFormatError
        Several roots and ``root`` None (names every root and its row), or ``root`` is not a
        root.
    """
    shown = ", ".join(f"{r!r}" + (f" ({_row_of(rows[r])})" if r in rows else "") for r in rs)
    if root is None:
        if len(rs) <= 1:
            return True
        raise BOMFormatError(
            source,
            "parent",
            None,
            f"{len(rs)} roots (rows with an empty parent): {shown}; a roll-up is of one product, "
            "choose one (--root PART) or give the others a parent",
        )
    if root not in rs:
        raise BOMFormatError(source, "root", root, f"is not a root of the BOM; roots: {shown}")
    return len(rs) == 1


def _row_of(where: str) -> str:
    """``'row 4'`` of ``'bom.csv, row 4'``."""
    return where.rsplit(", ", 1)[-1]


def check_acyclic(G: nx.DiGraph, where: str = "") -> None:
    """Raise :class:`~supply_chain.errors.BOMCycle` naming a cycle of ``G``, if it has one.

    >>> G = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    >>> check_acyclic(G)
    Traceback (most recent call last):
    ...
    supply_chain.errors.BOMCycle: The bill of materials has a cycle: 'a' -> 'b' -> 'c' -> 'a'
    """
    try:
        cycle = nx.find_cycle(G)
    except nx.NetworkXNoCycle:
        return
    raise BOMCycle([u for u, _v, *_ in cycle], where)


def roots(G: nx.DiGraph) -> list:
    """The products of ``G``: ``G.graph["roots"]`` or, if unset, the nodes with no parent."""
    return list(G.graph.get("roots") or [n for n, d in G.in_degree() if d == 0])
