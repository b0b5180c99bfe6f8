"""A product system's matrices with their labels (:class:`System`), and the checks and bulk
metadata reads :class:`~lca.footprint.FootprintEngine` builds it with.

Private: import :class:`System` from :mod:`lca.footprint`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._footprint_result import STAGES, Key
from ._quiet import quiet
from .errors import InventoryError, NonSquareTechnosphere, PCFError, UnknownProduct
from .project import Project
from .solver import Factorization, factorize_named

__all__ = [
    "System",
    "build_system",
    "check_product",
    "node_metadata",
    "nonsquare",
    "reference_rows",
]

log = logging.getLogger(__name__)


@dataclass
class System:
    """Technosphere and biosphere of a set of databases, with labels and one factorisation."""

    A: sp.csr_matrix
    B: sp.csr_matrix
    activity_ids: np.ndarray  # column -> node id
    product_index: dict[int, int]  # node id -> row of A
    activity_index: dict[int, int]  # node id -> column of A
    flow_ids: np.ndarray  # row of B -> flow id
    keys: list[Key]
    names: list[str]
    locations: list[str | None]
    units: list[str | None]
    stages: np.ndarray
    flow_names: list[str]
    fact: Factorization
    databases: frozenset[str]
    #: each database's (name, modified, processed) stamp when the system was built
    stamp: tuple = ()

    def changed(self, A: sp.spmatrix, B: sp.spmatrix) -> System:
        """A copy with technosphere ``A`` and biosphere ``B`` (same shapes and labels);
        ``A`` is factorised again only if it differs. The Brightway database is not touched."""
        A, B = sp.csr_matrix(A), sp.csr_matrix(B)
        if A.shape != self.A.shape or B.shape != self.B.shape:
            raise ValueError(
                f"changed matrices {A.shape}, {B.shape} do not match the system's "
                f"{self.A.shape}, {self.B.shape}"
            )
        same_a = (A != self.A).nnz == 0
        fact = self.fact if same_a else factorize_named(A, [f"{k[0]}|{k[1]}" for k in self.keys])
        return replace(self, A=A, B=B, fact=fact)


def check_product(project: Project, node) -> None:
    """Raise :class:`UnknownProduct` for an elementary flow given as a product."""
    kind = node.get("type")
    known = (*project.bd.labels.lci_node_types, *project.bd.labels.other_node_types)
    if node["database"] == project.biosphere or (kind is not None and kind not in known):
        raise UnknownProduct(
            node.key, f"{node.get('name')!r} is an elementary flow, not a product (an activity)"
        )


def nonsquare(exc: Exception, databases) -> NonSquareTechnosphere:
    """bw2calc's NonsquareTechnosphere as ours, saying what usually causes it."""
    nums = [int(x) for x in re.findall(r"(\d+) (?:activities|products)", str(exc))]
    n_act, n_prod = (nums + [0, 0])[:2]
    return NonSquareTechnosphere(
        n_prod,
        n_act,
        where=f"databases {', '.join(sorted(databases))}: some exchanges point at nodes that "
        "no longer exist (a database they use was replaced outside pcf import); re-import "
        "the databases that use it, or run pcf doctor",
    )


def node_metadata(ids: np.ndarray) -> dict[int, tuple]:
    """id -> (key, name, location, unit, stage) for nodes, read in bulk from bw2data's SQLite."""
    from bw2data.backends import ActivityDataset as AD

    out: dict[int, tuple] = {}
    ids = [int(i) for i in ids]
    for chunk in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        part = ids[chunk : chunk + 900]
        for row in AD.select(AD.id, AD.database, AD.code, AD.name, AD.location, AD.data).where(
            AD.id.in_(part)
        ):
            data = row.data or {}
            stage = data.get("stage") or None
            if stage is not None and stage not in STAGES:
                raise InventoryError(
                    f"activity {(row.database, row.code)!r} has unknown stage {stage!r}; "
                    f"expected one of {', '.join(STAGES)}"
                )
            out[row.id] = (
                (row.database, row.code),
                row.name,
                row.location,
                data.get("unit"),
                stage,
            )
    missing = set(ids) - set(out)
    if missing:
        raise PCFError(f"{len(missing)} matrix node(s) missing from the project database")
    return out


#: pypardiso's variable naming the MKL runtime it loads.
MKL_ENV = "PYPARDISO_MKL_RT"


def point_pypardiso_at_mkl() -> None:
    """Tell pypardiso (imported by bw2calc) where the MKL runtime of this environment is, when
    it is in the environment's own ``lib`` folder (the ``mkl`` wheel puts it there) and
    ``$PYPARDISO_MKL_RT`` is not set. Without it pypardiso's import runs
    :func:`ctypes.util.find_library` (``ldconfig`` and the C compiler as subprocesses) and then
    walks the whole ``sys.prefix`` tree for the file: ~0.25 s on every ``pcf`` command that
    computes. The library is loaded here first, so a file that cannot be loaded is left to
    pypardiso's own search (bw2calc's import never fails on our account)."""
    if os.environ.get(MKL_ENV) or "pypardiso" in sys.modules:
        return
    lib = Path(sys.prefix) / "lib"
    for path in sorted(lib.glob("libmkl_rt.so*")) + sorted(lib.glob("libmkl_rt*.dylib")):
        try:
            ctypes.CDLL(str(path))
        except OSError:
            continue
        os.environ[MKL_ENV] = str(path)
        return


def build_system(demand: dict, databases: frozenset) -> System:
    """The :class:`System` of ``databases`` (all the databases ``demand`` needs), assembled by
    bw2calc (``LCA.load_lci_data``: Brightway's own matrices, signs and datapackages).

    Two layouts of Brightway databases come out of bw2calc the same way, products as rows and
    processes as columns:

    * *chimaera* processes (one node is both process and product: Brightway CSV/Excel,
      ecoSpold2 through bw2io), whose row has the process's own id;
    * *product nodes* (bw2data's ``type: product`` nodes, made by a process's ``production``
      edge: openLCA JSON-LD through bw2io, Brightway Excel with product rows), whose row has the
      product's id and the process none.

    Each column is given the row of its reference product (:func:`reference_rows`), and the rows
    permuted so that it sits on the diagonal (the contribution and stage maths read production
    there; a negative diagonal, ecoinvent's waste-treatment convention, is kept as bw2calc has
    it). ``product_index`` then maps both the product node and its producing process to that
    row, so a demand on either is the demand bw2calc would place on the product, and
    ``activity_index`` maps a product node to the column of the process that makes it.

    Raises
    ------
    NonSquareTechnosphere
        Naming the processes with several products (they need allocation first), the products
        no process in the databases makes, or the processes that make no product.
    """
    point_pypardiso_at_mkl()
    import bw2calc as bc  # lazy on purpose: heavy (~1.4 s); `pcf --help` must stay fast

    with quiet(), warnings.catch_warnings():
        # bw2calc warns when a system has no biosphere flows; a zero footprint is a result.
        warnings.filterwarnings("ignore", "No valid biosphere flows", UserWarning)
        # the datapackages without bw2data's id -> (database, code) remapping dictionaries (one
        # query over every node of every database, ~half of the set-up): only ids are read here
        from bw2data import prepare_lca_inputs

        fu, packages, _ = prepare_lca_inputs(demand=demand, remapping=False)
        lca = bc.LCA(fu, data_objs=packages)
        # nonsquare_ok: we say which processes and products make the system non-square
        lca.load_lci_data(nonsquare_ok=True)
    A = sp.csr_matrix(lca.technosphere_matrix)
    B = sp.csr_matrix(lca.biosphere_matrix)
    act = dict(lca.dicts.activity)
    prod = dict(lca.dicts.product)
    activity_ids = np.empty(len(act), dtype=np.int64)
    for nid, col in act.items():
        activity_ids[col] = nid
    flows = dict(lca.dicts.biosphere)
    flow_ids = np.empty(len(flows), dtype=np.int64)
    for fid, row in flows.items():
        flow_ids[row] = fid
    meta = node_metadata(activity_ids)
    keys = [meta[i][0] for i in activity_ids]
    labels = [f"{k[0]}|{k[1]}" for k in keys]
    rows, made = reference_rows(activity_ids, prod, databases)
    _check_square(A.shape, activity_ids, rows, made, prod, labels, databases)
    perm = np.array([rows[int(a)] for a in activity_ids])
    if np.any(perm != np.arange(len(perm))):
        A = sp.csr_matrix(A[perm])
    product_index = {int(a): j for j, a in enumerate(activity_ids)}
    for j, a in enumerate(activity_ids):
        for p in made.get(int(a), ()):
            if prod.get(p) == perm[j]:
                product_index[p] = j
    # a product node's "activity" is the process that makes it (its column)
    activity_index = dict(act)
    for p, j in product_index.items():
        activity_index.setdefault(p, j)
    fmeta = node_metadata(flow_ids)
    fact = factorize_named(A, labels)
    log.info("system %s: %d activities, %d flows", sorted(databases), A.shape[1], B.shape[0])
    return System(
        A=A,
        B=B,
        activity_ids=activity_ids,
        product_index=product_index,
        activity_index=activity_index,
        flow_ids=flow_ids,
        keys=keys,
        names=[meta[i][1] for i in activity_ids],
        locations=[meta[i][2] for i in activity_ids],
        units=[meta[i][3] for i in activity_ids],
        stages=np.array([meta[i][4] for i in activity_ids], dtype=object),
        flow_names=[fmeta[i][1] for i in flow_ids],
        fact=fact,
        databases=databases,
    )


def reference_rows(
    activity_ids: np.ndarray, prod: dict[int, int], databases
) -> tuple[dict[int, int], dict[int, list[int]]]:
    """``(rows, made)``: the row of each process's reference product (``rows``: process id ->
    row of A, for the processes that have one) and the product nodes each process makes
    (``made``: process id -> product node ids in the system, from its ``production`` edges).

    A process that is its own product (a chimaera) has its own id as a row; otherwise its
    reference product is the one product node in the system its production edges point at."""
    from bw2data.backends import ActivityDataset as AD  # lazy on purpose: bw2data is heavy
    from bw2data.backends import ExchangeDataset as ED

    rows: dict[int, int] = {}
    need = [int(a) for a in activity_ids if int(a) not in prod]
    for a in activity_ids:
        if int(a) in prod:
            rows[int(a)] = prod[int(a)]
    made: dict[int, list[int]] = {}
    if not need:
        return rows, made
    dbs = sorted(databases)
    ids = {
        (r.database, r.code): r.id
        for r in AD.select(AD.id, AD.database, AD.code).where(AD.database.in_(dbs))
    }
    edges = ED.select(ED.output_database, ED.output_code, ED.input_database, ED.input_code).where(
        (ED.type == "production") & ED.output_database.in_(dbs)
    )
    wanted = set(need)
    for e in edges:
        out = ids.get((e.output_database, e.output_code))
        if out not in wanted:
            continue
        inp = ids.get((e.input_database, e.input_code))
        if inp is not None and inp != out and inp in prod:
            made.setdefault(out, []).append(inp)
    for a in need:
        products = made.get(a, [])
        if len(products) == 1:
            rows[a] = prod[products[0]]
    return rows, made


def _check_square(shape, activity_ids, rows, made, prod, labels, databases) -> None:
    """Raise :class:`NonSquareTechnosphere` saying why the products cannot be put one per
    process on the diagonal."""
    where = []
    several = [labels[j] for j, a in enumerate(activity_ids) if len(made.get(int(a), ())) > 1]
    if several:
        where.append(
            "processes with several products (allocate them first, e.g. with the "
            "multifunctional package): " + ", ".join(several[:5])
        )
    none = [
        labels[j]
        for j, a in enumerate(activity_ids)
        if int(a) not in rows and len(made.get(int(a), ())) <= 1
    ]
    if none:
        where.append("processes without a product of their own: " + ", ".join(none[:5]))
    used = [r for r in rows.values()]
    if len(set(used)) != len(used):
        twice = sorted(
            labels[j]
            for j, a in enumerate(activity_ids)
            if int(a) in rows and used.count(rows[int(a)]) > 1
        )
        where.append("products made by several processes: made by " + ", ".join(twice[:5]))
    if shape[0] != shape[1] and not where:
        orphan = sorted(set(prod.values()) - set(used))
        where.append(
            f"{len(orphan)} product(s) that no process in the databases makes (or exchanges "
            "pointing at nodes that no longer exist: a database they use was replaced outside "
            "pcf import; re-import the databases that use it, or run pcf doctor)"
        )
    if where:
        raise NonSquareTechnosphere(
            shape[0],
            shape[1],
            where=f"databases {', '.join(sorted(databases))}: " + "; ".join(where),
        )
