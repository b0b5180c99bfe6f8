"""Product footprints on Brightway data: matrices from bw2calc, maths from :mod:`lca.maths`.

:class:`FootprintEngine` builds the technosphere ``A`` and biosphere ``B`` of the databases a set
of products needs (through ``bw2calc.LCA.load_lci_data``, so Brightway's own matrix assembly,
sign conventions and datapackages are used), factorises ``A`` once, and answers:

- :meth:`FootprintEngine.footprint` — one product, one method → :class:`FootprintResult`
  (total; fossil / biogenic / land-use split; by gas; by life-cycle stage; top processes with a
  "rest" row; biogenic CO2 emissions and removals; ``data_flags``: what the datasets in the
  supply chain do not cover, :mod:`lca.dataset_meta`);
- :meth:`FootprintEngine.batch` — many products × many methods from one factorisation and one
  adjoint solve per method (``H = λ F``, :func:`lca.maths.batch_scores`).

Life-cycle stages come from the activities' ``stage`` field (one of :data:`STAGES`). Background
activities without a stage count toward the stage of the tagged activity they supply
(:func:`lca.maths.tag_contributions`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import dataset_meta, maths, methods
from ._footprint_result import (
    AGGREGATE_GAS,
    STAGES,
    UNASSIGNED,
    FootprintResult,
    ProcessRow,
    not_assessed_parts,
    order_stages,
    share,
)
from ._quiet import quiet
from ._system import System, build_system, check_product
from .errors import InvalidAmount, UnknownMethod, UnknownProduct
from .files import MAX_ABS
from .project import Project

__all__ = [
    "AGGREGATE_GAS",
    "STAGES",
    "UNASSIGNED",
    "FootprintEngine",
    "FootprintResult",
    "ProcessRow",
    "System",
    "gas_contributions",
]

# bw2calc and bw2data are imported inside the functions that need them, on purpose: they are
# heavy (~1.4-1.9 s) and `pcf --help` must stay under 1 s.

log = logging.getLogger(__name__)


class FootprintEngine:
    """Footprints of the products in one open project (see module doc).

    Systems are cached per set of databases and rebuilt when one of them changed since: each
    database's ``modified`` / ``processed`` stamps in bw2data's metadata (set when an exchange
    is saved, a database written or re-imported) are part of the cache key.
    """

    def __init__(self, project: Project):
        self.project = project
        self._systems: dict[frozenset, System] = {}
        self._cvec: dict[tuple, np.ndarray] = {}

    # -- lookups -----------------------------------------------------------------------------
    def node(self, product):
        """The bw2data node for a ``(database, code)`` key, a node id, or a unique name."""
        bd = self.project.bd
        try:
            if isinstance(product, (tuple, list)) and len(product) == 2:
                if product[0] not in bd.databases:
                    raise UnknownProduct(tuple(product), f"no database {product[0]!r}")
                return bd.get_node(database=product[0], code=product[1])
            if isinstance(product, int):
                return bd.get_node(id=product)
            if isinstance(product, str) and "|" in product:
                db, code = product.split("|", 1)
                return self.node((db, code))
        except UnknownProduct:
            raise
        except Exception as exc:  # bw2data raises its own UnknownObject / DoesNotExist
            if type(exc).__name__ in ("UnknownObject", "DoesNotExist", "MultipleResults"):
                raise UnknownProduct(product) from None
            raise
        if isinstance(product, str):
            hits = [
                a
                for db in self.products_databases()
                for a in bd.Database(db)
                if a["name"] == product
            ]
            if len(hits) == 1:
                return hits[0]
            hint = "ambiguous name; use database|code" if hits else "no activity of that name"
            raise UnknownProduct(product, hint)
        raise UnknownProduct(product)

    def products_databases(self) -> list[str]:
        bd = self.project.bd
        return [d for d in sorted(bd.databases) if d != self.project.biosphere]

    def method_unit(self, method) -> str:
        return self.project.bd.methods.get(tuple(method), {}).get("unit", "")

    # -- matrices ----------------------------------------------------------------------------
    def stamp(self, databases) -> tuple:
        """``(name, modified, processed)`` of each database (after bw2data processed any
        edited one): a system built from them is current while this is unchanged."""
        bd = self.project.bd
        with quiet():
            bd.databases.clean()
        return tuple(
            (d, bd.databases[d].get("modified"), bd.databases[d].get("processed"))
            if d in bd.databases
            else (d, None, None)
            for d in sorted(databases)
        )

    def databases_needed(self, databases: Iterable[str]) -> frozenset:
        """The databases of the system of products in ``databases``: those and every database
        they depend on (bw2data's ``depends``), without the biosphere."""
        bd = self.project.bd
        needed = set(databases)
        for db in list(needed):
            needed |= set(bd.Database(db).find_graph_dependents())
        needed.discard(self.project.biosphere)
        return frozenset(needed)

    def system_for(self, nodes: Sequence, exact: bool = False) -> System:
        """The system holding ``nodes`` (built once, then kept while its databases are
        unchanged). A kept system of more databases serves too, unless ``exact``: then only
        the system of exactly :meth:`databases_needed` (its rows in that system's order)."""
        for n in nodes:
            check_product(self.project, n)
        dbs = frozenset(n["database"] for n in nodes)
        needed = self.databases_needed(dbs)
        for k, sysm in list(self._systems.items()):
            if (k == needed) if exact else (dbs <= k):
                if sysm.stamp == self.stamp(k):
                    return sysm
                log.info("databases %s changed since their system was built", sorted(k))
                del self._systems[k]
                self._cvec = {ck: v for ck, v in self._cvec.items() if ck[0] != k}
        # bw2calc assembles the matrices of the demand's databases and all their dependents.
        demand = {n.id: 1.0 for n in nodes}
        sysm = self._build(demand, needed)
        sysm = replace(sysm, stamp=self.stamp(sysm.databases))
        self._systems[sysm.databases] = sysm
        return sysm

    def _build(self, demand: dict, databases: frozenset) -> System:
        return build_system(demand, databases)

    def characterization(self, sysm: System, method) -> np.ndarray:
        """Characterisation factors of ``method`` aligned with the rows of ``B``."""
        method = tuple(method)
        ck = (sysm.databases, sysm.stamp, method)
        if ck not in self._cvec:
            bd = self.project.bd
            if method not in bd.methods:
                raise UnknownMethod(method, methods.ALIASES)
            row = {int(f): i for i, f in enumerate(sysm.flow_ids)}
            c = np.zeros(len(sysm.flow_ids))
            for flow, cf, *_ in bd.Method(method).load():
                fid = flow if isinstance(flow, int) else bd.get_id(tuple(flow))
                if fid in row:
                    cf = cf["amount"] if isinstance(cf, dict) else cf
                    # bw2calc reads factors from the method's datapackage, stored as float32;
                    # round the same way so our scores equal bw2calc's to the last digit.
                    c[row[fid]] += float(np.float32(cf))
            self._cvec[ck] = c
        return self._cvec[ck]

    def part_vectors(self, sysm: System, method) -> tuple[dict[str, np.ndarray], str]:
        """Fossil / biogenic / land-use factor vectors: bundled sub-methods, else derived."""
        parts = methods.bundled_parts(method)
        if parts and all(m in self.project.bd.methods for m in parts.values()):
            return {k: self.characterization(sysm, m) for k, m in parts.items()}, "bundled"
        c = self.characterization(sysm, method)
        kinds = np.array([methods.split_kind(n) for n in sysm.flow_names])
        return {k: np.where(kinds == k, c, 0.0) for k in methods.PARTS}, "derived"

    # -- results -----------------------------------------------------------------------------
    def demand_vector(self, sysm: System, node, amount: float) -> np.ndarray:
        f = np.zeros(sysm.A.shape[0])
        try:
            f[sysm.product_index[node.id]] = amount
        except KeyError:
            raise UnknownProduct(node.key, "not a product of the assembled system") from None
        return f

    def footprint(
        self, product, method=None, amount: float = 1.0, top: int = 10, system: System | None = None
    ) -> FootprintResult:
        """The footprint of ``amount`` units of ``product`` (see :class:`FootprintResult`).

        ``system``: a changed copy of the product's system (:meth:`System.changed`, e.g. with a
        parameter or scenario applied) to compute in instead of the stored one.
        """
        if not (isinstance(amount, (int, float)) and math.isfinite(amount)):
            raise InvalidAmount("footprint amount", amount)
        if abs(amount) > MAX_ABS:
            raise InvalidAmount(
                "footprint amount", amount, f"at most {MAX_ABS:g} in magnitude: sums would overflow"
            )
        method = methods.resolve(method)
        node = self.node(product)
        sysm = self.system_for([node]) if system is None else system
        c = self.characterization(sysm, method)
        f = self.demand_vector(sysm, node, amount)
        s = maths.supply(sysm.fact, f)
        s[~maths.supply_chain_mask(sysm.A, f)] = 0.0  # round-off outside the chain: exactly 0
        g = maths.inventory(sysm.B, s)
        flow_contrib = maths.characterized_inventory(c, g)
        total = float(flow_contrib.sum())
        parts, split_source = self.part_vectors(sysm, method)
        split = {k: float(maths.score(v, g)) for k, v in parts.items()}
        bio = {}
        for name, m in (
            ("emissions", methods.BIOGENIC_CO2_EMISSIONS),
            ("removals", methods.BIOGENIC_CO2_REMOVALS),
        ):
            bio[name] = (
                float(maths.score(self.characterization(sysm, m), g))
                if m in self.project.bd.methods
                else 0.0
            )
        nz = np.flatnonzero(flow_contrib)
        by_gas = maths.group_sum(flow_contrib[nz], [methods.gas_of(sysm.flow_names[i]) for i in nz])
        e = maths.direct_intensities(c, sysm.B)
        stages_raw = maths.tag_contributions(sysm.A, e, s, f, sysm.stages)
        by_stage = {(k if k is not None else UNASSIGNED): v for k, v in stages_raw.items()}
        proc = maths.process_contributions(e, s)
        idx, rest = maths.top_with_rest(proc, top)
        rows = [
            ProcessRow(
                sysm.keys[j],
                sysm.names[j],
                sysm.locations[j],
                float(proc[j]),
                share(proc[j], total),
            )
            for j in idx
            if proc[j] != 0
        ]
        rest += float(sum(proc[j] for j in idx if proc[j] == 0))
        rows.append(ProcessRow(None, "rest", None, rest, share(rest, total)))
        chain = np.flatnonzero(s)
        chain_meta = dataset_meta.read_activity_meta(sysm.activity_ids[chain], s[chain])
        flags = dataset_meta.data_flags(chain_meta)
        by_gas = _aggregates_apart(by_gas, sysm, c, s, chain, chain_meta, total)
        return FootprintResult(
            product=node.key,
            product_name=node["name"],
            product_unit=node.get("unit", ""),
            amount=float(amount),
            method=method,
            method_alias=methods.alias_of(method),
            unit=self.method_unit(method),
            total=total,
            split_source=split_source,
            fossil=split["fossil"],
            biogenic=split["biogenic"],
            land_use=split["land_use"],
            biogenic_co2_emissions=bio["emissions"],
            biogenic_co2_removals=bio["removals"],
            by_gas=dict(sorted(by_gas.items(), key=lambda kv: -abs(kv[1]))),
            by_stage=order_stages(by_stage),
            top_processes=rows,
            data_flags=flags,
            not_assessed=not_assessed_parts(chain_meta),
        )

    def intensities(self, sysm: System, method_list: Sequence) -> np.ndarray:
        """Cradle-to-gate intensity of every activity, one row per method: ``λ = c B A⁻¹``."""
        C = np.vstack([self.characterization(sysm, m) for m in method_list])
        return np.atleast_2d(maths.lcia_intensities(sysm.fact, C, sysm.B))

    def batch(
        self,
        products: Iterable,
        method_list: Iterable | None = None,
        amounts: Sequence[float] | None = None,
    ):
        """Scores of many products under many methods from one factorisation.

        Returns a DataFrame (products × methods, index ``database|code``, columns the method
        aliases or ``A|B|C`` names).
        """
        method_list = [methods.resolve(m) for m in (method_list or [None])]
        nodes = [self.node(p) for p in products]
        if not nodes:
            return pd.DataFrame()
        sysm = self.system_for(nodes)
        amounts = [1.0] * len(nodes) if amounts is None else list(amounts)
        rows = [sysm.product_index[n.id] for n in nodes]
        F = sp.csc_matrix((amounts, (rows, range(len(nodes)))), shape=(sysm.A.shape[0], len(nodes)))
        lam = self.intensities(sysm, method_list)
        H = maths.batch_scores(lam, F)
        cols = [methods.alias_of(m) or "|".join(m) for m in method_list]
        index = [f"{n['database']}|{n['code']}" for n in nodes]
        return pd.DataFrame(np.asarray(H).T, index=index, columns=cols)


def _aggregates_apart(by_gas: dict, sysm, c, s, chain, chain_meta, total: float) -> dict:
    """``by_gas`` with the part that comes from CO2e aggregates in a row of its own
    (:data:`AGGREGATE_GAS`): a dataset whose ``gases`` metadata says ``CO2e aggregate`` books one
    CO2e figure as 'Carbon dioxide, fossil' (:mod:`lca.dataset_meta`), so counting it as CO2
    would state a gas split its source never published. Each aggregate's characterised flows
    (``c_i B_ij s_j``) leave their gas rows for that row; the rows still add up to the total."""
    aggregate = {tuple(r["key"]) for r in chain_meta if dataset_meta.is_co2e_aggregate(r)}
    agg_cols = [int(j) for j in chain if tuple(sysm.keys[j]) in aggregate]
    moved = gas_contributions(sysm, c, s, agg_cols)
    if not any(moved.values()):
        return by_gas
    tiny = 1e-12 * max(1.0, abs(total))
    out = {}
    for g, v in by_gas.items():
        rest = v - moved.get(g, 0.0)
        if abs(rest) > tiny:
            out[g] = rest
    out[AGGREGATE_GAS] = sum(moved.values())
    return dict(sorted(out.items(), key=lambda kv: -abs(kv[1])))


def gas_contributions(sysm: System, c: np.ndarray, s: np.ndarray, columns) -> dict[str, float]:
    """``{gas: sum_i c_i B_ij s_j}`` over the activities ``columns`` (positions in ``sysm``):
    what their direct emissions add to each gas row of a footprint (``c`` the method's factors,
    ``s`` the supply; gases labelled by :func:`lca.methods.gas_of`)."""
    B = sysm.B.tocsc()
    out: dict[str, float] = {}
    for j in columns:
        lo, hi = B.indptr[j], B.indptr[j + 1]
        for i, v in zip(B.indices[lo:hi], B.data[lo:hi]):
            if c[i] and v:
                g = methods.gas_of(sysm.flow_names[i])
                out[g] = out.get(g, 0.0) + float(c[i] * v * s[j])
    return out
