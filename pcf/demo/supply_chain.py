"""The shipped example supply chains (``inventories/bom/``), run end to end for ``pcf demo``.

Two examples:

- :func:`demo_bom_summary`: the LFP cell BOM (``lfp-cell-bom.csv``), which mirrors the shipped
  product system exactly;
- :func:`demo_supply_chain`: an **illustrative** LFP battery pack bought from four suppliers
  (cells, cathode material, aluminium housing, electronics), rolled up from mixed sources
  (supplier PCFs as PACT v3 JSON and as a table, Brightway background datasets, the shipped
  cell-manufacturing product system), with hotspots, a least-cost reduction plan for a stated
  target (MILP), an exact re-solve of that plan, a MACC and a supplier scorecard.

Lever effects are computed from the model, not typed in (:class:`SupplyChainModel`). The levers
file (``battery-pack-levers.csv``, the layout of :func:`supply_chain.levers.load_levers_csv`)
carries, besides the solver columns, one *change* per lever in the columns
``change, part, activity, old, new, share, factor, amount``:

======================= =====================================================================
``change``              meaning (``Δ`` = reduction per unit of the product, ``m_p`` = units of
                        BOM part ``p`` per unit of product, ``λ`` = Brightway cradle-to-gate
                        intensity per unit of an activity's product)
======================= =====================================================================
``replace_supplier``    in Brightway activity ``activity``, ``share`` of the input from ``old``
                        comes from ``new``: ``δA[old, j] = −share·A[old, j]``,
                        ``δA[new, j] = +share·A[old, j]``. First order:
                        ``Δ = Σ_linked m_p f_p Σ λ_i δA_ij S_j,p`` (``∂h/∂A_ij = −λ_i s_j``);
                        exact: re-factorise ``A + δA``
``scale``               in ``activity``, the exchange with ``old`` (a product or elementary
                        flow) is multiplied by ``factor`` (same first-order / exact treatment)
``bom_replace``         BOM part ``part`` (linked to activity ``old``) is sourced from ``new``
                        for ``share`` of its quantity: ``Δ = m_p·share·(f_old λ_old − f_new
                        λ_new)`` (exact)
``pcf_electricity``     the supplier behind ``part``'s PCF buys ``amount`` kWh per declared unit
                        from ``new`` instead of ``old`` (``share`` of it): its PCF falls by
                        ``amount·share·(λ_old − λ_new)``, ``Δ = m_p f_p`` times that (exact)
``pcf_switch``          part ``part`` is bought under supplier PCF ``new`` instead of ``old``:
                        ``Δ = m_p (f_old v_old − f_new v_new)`` (exact)
======================= =====================================================================

``activity``, ``old`` and ``new`` are ``database|code`` keys (PCF ids for ``pcf_switch``).
The ``delta`` column of the shipped file is *written* by this module from the model
(``python -m pcf.demo.supply_chain --write``; a test fails when it is out of date), so ``pcf reduce``
on the shipped files solves the same problem as the demo.

Every quantity of the pack, every supplier PCF value, lever cost, year and volume in the pack
files is an ILLUSTRATIVE EXAMPLE, NOT DATA (``inventories/bom/README.md``); the emission factors
are the sourced ``pcf-background`` / ``pcf-products`` datasets.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from lca.data import inventories_dir
from lca.errors import PCFError

log = logging.getLogger(__name__)

BOM_DIR = inventories_dir() / "bom"
DEMO_BOM = BOM_DIR / "lfp-cell-bom.csv"
ILLUSTRATIVE_PCF = BOM_DIR / "illustrative-supplier-pcf.json"
DEMO_PRODUCT = ("pcf-products", "lfp-cell-per-kwh")

#: The illustrative battery-pack supply chain (see inventories/bom/README.md).
PACK_BOM = BOM_DIR / "battery-pack-bom.csv"
PACK_PACT = BOM_DIR / "battery-pack-cathode-pcf.json"
PACK_PCF_TABLE = BOM_DIR / "battery-pack-supplier-pcfs.csv"
PACK_LEVERS = BOM_DIR / "battery-pack-levers.csv"
PACK_BASELINE = BOM_DIR / "battery-pack-baseline.csv"
PACK_SUPPLIERS = BOM_DIR / "battery-pack-suppliers.csv"
PACK_SCENARIOS = BOM_DIR / "battery-pack-scenarios.yaml"
#: The stated target of the demo: a 30 % cut of the pack footprint with levers in place by 2030.
PACK_TARGET = "30%"
PACK_YEAR = 2030
#: Study date for supplier-PCF validity (fixed, so the demo gives the same answer every day).
STUDY_DATE = dt.date(2026, 1, 1)

CHANGE_KINDS = ("replace_supplier", "scale", "bom_replace", "pcf_electricity", "pcf_switch")
CHANGE_COLUMNS = ("change", "part", "activity", "old", "new", "share", "factor", "amount")


# ------------------------------------------------------------------------------------------------
# the LFP cell BOM (unchanged)
# ------------------------------------------------------------------------------------------------
def demo_bom_summary(engine, out_dir: str | os.PathLike, method: str = "gwp100",
                     bom_path: str | os.PathLike | None = None) -> dict:
    """Roll up the example BOM of the LFP cell, write its hotspots into ``out_dir``.

    Needs the shipped inventories (``pcf-background``, ``pcf-products``) in the engine's
    project. Writes ``lfp-cell-bom-rollup.csv``, ``-hotspots.csv``, ``-sensitivities.csv`` and
    ``-hotspots.json`` (:func:`supply_chain.hotspots.write_hotspots`).

    Returns
    -------
    dict
        ``product``, ``bom``, ``total``, ``unit``, ``product_system_total`` (the same product
        footprinted from ``pcf-products``: the BOM mirrors it, so the two agree),
        ``sources``, ``primary_data_share``, ``top_hotspots`` (parts), ``paths_coverage``,
        ``files``, and ``illustrative_supplier_pcf``: the total when the illustrative supplier
        PCF (not data) replaces the factory grid electricity.
    """
    from supply_chain.bom import read_bom
    from supply_chain.hotspots import contributions, write_hotspots
    from supply_chain.paths import bom_paths
    from supply_chain.pcfs import read_pact
    from supply_chain.rollup import rollup

    bom_path = Path(bom_path) if bom_path else DEMO_BOM
    G = read_bom(bom_path)
    result = rollup(G, engine, method)
    files = write_hotspots(result, out_dir, prefix=bom_path.stem)
    summary = result.summary()
    try:
        product_total = engine.footprint(DEMO_PRODUCT, method).total
    except PCFError as exc:  # the product system may not be imported: report, do not fail
        log.info("could not footprint %s for comparison: %s", DEMO_PRODUCT, exc)
        product_total = None
    nodes = contributions(result, by="node", top=3)
    spa = bom_paths(result, cutoff=0.005, top=5)
    pcf = read_pact(ILLUSTRATIVE_PCF)
    study_day = pcf[0].validity_period[0].date()  # inside the example's validity period
    alt = rollup(G, engine, method, pcfs=pcf, on=study_day)
    return {
        "product": str(result.root), "bom": str(bom_path), "method": summary["method"],
        "total": summary["footprint"], "unit": result.unit, "per": summary["per"],
        "product_system_total": product_total, "sources": summary["sources"],
        "primary_data_share": summary["primary_data_share"],
        "top_hotspots": [{"part": r.item, "value": r.value, "share": r.share}
                         for r in nodes.itertuples()],
        "paths_coverage": spa.coverage, "files": files,
        "illustrative_supplier_pcf": {
            "total": alt.total, "primary_data_share": alt.summary()["primary_data_share"],
            "note": "ILLUSTRATIVE EXAMPLE, NOT DATA: factory electricity from the example supplier "
                    f"PCF in {ILLUSTRATIVE_PCF.name} (value = MEE 2023 Sichuan grid factor)",
        },
    }


# ------------------------------------------------------------------------------------------------
# lever changes
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LeverChange:
    """The model change behind one lever (see the module doc for the kinds)."""

    lever: str
    change: str
    part: str | None = None
    activity: tuple[str, str] | None = None
    old: object = None  # activity key, or a PCF id for pcf_switch
    new: object = None
    share: float = 1.0
    factor: float | None = None
    amount: float | None = None
    where: str = ""

    @property
    def technosphere(self) -> bool:
        return self.change in ("replace_supplier", "scale")


def _key(value: str, where: str, column: str) -> tuple[str, str]:
    from supply_chain.levers import LeverError

    if "|" not in value or not all(value.split("|", 1)):
        raise LeverError(f"{where}: {column} {value!r} is not a 'database|code' key")
    db, code = value.split("|", 1)
    return (db.strip(), code.strip())


def _num(row, col, default, where, lid):
    from supply_chain.levers import LeverError

    raw = row.get(col, "")
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        raise LeverError(f"{where}: {col} {raw!r} is not a number", lever=lid) from None
    if not math.isfinite(v):
        raise LeverError(f"{where}: {col} {raw!r} is not finite", lever=lid)
    return v


def read_lever_changes(path: str | os.PathLike) -> dict[str, LeverChange]:
    """The ``change`` columns of a levers CSV: ``{lever id: LeverChange}`` (module doc).

    Rows without a ``change`` are skipped (those levers keep their typed ``delta``). Raises
    :class:`supply_chain.levers.LeverError` naming the file and row for an unknown change kind,
    a missing or malformed field, or a share outside (0, 1].
    """
    from supply_chain.levers import LeverError

    path = Path(path)
    out: dict[str, LeverChange] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "change" not in (reader.fieldnames or ()):
            return out
        for n, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            kind, lid = row.get("change", ""), row.get("lever", "")
            if not kind:
                continue
            where = f"{path.name}:{n} (lever {lid!r})"
            if kind not in CHANGE_KINDS:
                raise LeverError(f"{where}: change {kind!r} is not one of "
                                 f"{', '.join(CHANGE_KINDS)}", lever=lid)
            if lid in out:
                raise LeverError(f"{where}: a second change for the same lever", lever=lid)

            def num(col, default=None, row=row, where=where, lid=lid):
                return _num(row, col, default, where, lid)

            def need(*cols, row=row, where=where, lid=lid, kind=kind):
                for c in cols:
                    if not row.get(c):
                        raise LeverError(f"{where}: change {kind!r} needs column {c!r}",
                                         lever=lid)

            share = num("share", 1.0)
            if not 0.0 < share <= 1.0:
                raise LeverError(f"{where}: share {share!r} must be in (0, 1]", lever=lid)
            kw = {"lever": lid, "change": kind, "share": share, "where": where}
            if kind in ("replace_supplier", "scale"):
                need("activity", "old", *(("new",) if kind == "replace_supplier" else ()))
                kw.update(activity=_key(row["activity"], where, "activity"),
                          old=_key(row["old"], where, "old"))
                if kind == "replace_supplier":
                    kw["new"] = _key(row["new"], where, "new")
                else:
                    need("factor")
                    kw["factor"] = num("factor")
                    if kw["factor"] < 0:
                        raise LeverError(f"{where}: factor must be ≥ 0", lever=lid)
            elif kind == "bom_replace":
                need("part", "old", "new")
                kw.update(part=row["part"], old=_key(row["old"], where, "old"),
                          new=_key(row["new"], where, "new"))
            elif kind == "pcf_electricity":
                need("part", "old", "new", "amount")
                kw.update(part=row["part"], old=_key(row["old"], where, "old"),
                          new=_key(row["new"], where, "new"), amount=num("amount"))
                if kw["amount"] < 0:
                    raise LeverError(f"{where}: amount must be ≥ 0", lever=lid)
            else:  # pcf_switch
                need("part", "new")
                kw.update(part=row["part"], old=row.get("old") or None, new=row["new"])
            out[lid] = LeverChange(**kw)
    return out


# ------------------------------------------------------------------------------------------------
# the model: baseline roll-up, lever effects, exact re-solve
# ------------------------------------------------------------------------------------------------
class SupplyChainModel:
    """A rolled-up BOM whose levers are evaluated on the model (first order and exact).

    Parameters
    ----------
    G : the BOM (:func:`supply_chain.bom.read_bom`).
    engine : :class:`lca.footprint.FootprintEngine` holding the linked activities.
    method : method alias or tuple.
    pcfs : supplier PCFs.
    on : study date for PCF validity.

    ``base`` is the baseline :class:`~supply_chain.rollup.RollupResult` (strict: a part with no
    footprint source is an error); ``product`` its root.
    """

    def __init__(self, G, engine, method="gwp100", pcfs: Iterable = (), on: dt.date | None = None):
        from lca import methods

        from supply_chain.rollup import rollup

        self.G, self.engine, self.on = G, engine, on
        self.method = methods.resolve(method)
        self.pcfs = list(pcfs)
        self.base = rollup(G, engine, self.method, pcfs=self.pcfs, on=on, strict=True)
        self.product = self.base.root
        from supply_chain.hotspots import part_amounts

        self.m = part_amounts(self.base)  # units of every part per unit of product
        self._lam: dict[tuple, float] = {}
        self._units: dict[tuple, str] = {}

    # -- helpers ---------------------------------------------------------------------------
    @property
    def total(self) -> float:
        return self.base.total

    def _part(self, ch: LeverChange) -> int:
        from supply_chain.levers import LeverError

        if ch.part not in self.base.index:
            raise LeverError(f"{ch.where}: part {ch.part!r} is not in the BOM", lever=ch.lever)
        return self.base.index[ch.part]

    def intensities(self, keys: Iterable[tuple]) -> dict[tuple, float]:
        """Cradle-to-gate ``λ`` per unit of each activity's product (one solve, cached)."""
        from supply_chain.rollup import background_intensities

        keys = [tuple(k) for k in keys]
        want = [k for k in keys if k not in self._lam]
        if want:
            bg = background_intensities(self.engine, want, self.method)
            sysm = bg.system
            for k in want:
                node = self.engine.node(k)
                self._lam[k] = float(bg.lam[sysm.product_index[node.id]])
                self._units[k] = sysm.units[sysm.activity_index[node.id]] or "unit"
        return {k: self._lam[k] for k in keys}

    def _factor(self, part_unit: str, key: tuple, where: str) -> float:
        from supply_chain.units import conversion_factor

        self.intensities([key])
        return conversion_factor(part_unit, self._units[key], where)

    def _pcf(self, pcf_id):
        from supply_chain.levers import LeverError
        from supply_chain.pcfs import pcf_index

        p = pcf_index(self.pcfs).get(pcf_id)
        if p is None:
            raise LeverError(f"supplier PCF {pcf_id!r} is not loaded", constraint="pcf")
        return p

    def _system_changes(self, changes: Sequence[LeverChange]):
        """Technosphere/biosphere :class:`ExchangeChange` s on the background system."""
        from supply_chain.levers import LeverError
        from supply_chain.scenarios import (
            ReplaceSupplier,
            ScaleExchange,
            Scenario,
            ScenarioError,
            _flow_rows,
            scenario_changes,
        )

        sysm = self.base.background.system if self.base.background else None
        out = []
        for ch in changes:
            if sysm is None:
                raise LeverError(f"{ch.where}: the BOM links no Brightway activity",
                                 lever=ch.lever)
            if ch.change == "replace_supplier":
                c = ReplaceSupplier(activity=ch.activity, old=ch.old, new=ch.new, share=ch.share)
            else:
                c = ScaleExchange(activity=ch.activity, input=ch.old, factor=ch.factor)
            scn = Scenario(name=ch.lever, changes=[c])
            try:
                out += scenario_changes(sysm, scn, _flow_rows(self.engine, sysm, [scn]))
            except ScenarioError as exc:
                raise LeverError(f"{ch.where}: {exc}", lever=ch.lever) from None
        return out

    # -- effects -----------------------------------------------------------------------------
    def effects(self, changes: Mapping[str, LeverChange]) -> dict[str, float]:
        """Reduction ``Δ`` of the product's footprint per unit for each lever (module doc).

        Exact for BOM and PCF changes; first order for technosphere changes.
        """
        from lca import maths

        from supply_chain.levers import LeverError, lever_effects

        out: dict[str, float] = {}
        tab = self.base.table
        tech = {lid: ch for lid, ch in changes.items() if ch.technosphere}
        if tech:
            bg = self.base.background
            sysm = bg.system
            links = sorted(self.base.links.items())  # part index -> (row, factor)
            F = np.zeros((sysm.A.shape[0], len(links)))
            for col, (_i, (row, _f)) in enumerate(links):
                F[row, col] = 1.0
            S = np.asarray(maths.supply(sysm.fact, F)).reshape(sysm.A.shape[0], len(links))
            c = self.engine.characterization(sysm, self.method)
            weight = np.array([self.m[i] * f for i, (_r, f) in links])
            for lid, ch in tech.items():
                dlam = lever_effects(self._system_changes([ch]), bg.lam, S, c)
                out[lid] = float(weight @ dlam)
        for lid, ch in changes.items():
            if ch.technosphere:
                continue
            i = self._part(ch)
            part_unit = tab.iloc[i]["unit"]
            if ch.change == "bom_replace":
                if tab.iloc[i]["source"] != "brightway" or tab.iloc[i]["source_ref"] != "|".join(
                        ch.old):
                    raise LeverError(f"{ch.where}: part {ch.part!r} is not linked to "
                                     f"{'|'.join(ch.old)} (source {tab.iloc[i]['source']} "
                                     f"{tab.iloc[i]['source_ref']})", lever=lid)
                # the part (m_p units per product) takes share of its input from new
                out[lid] = self._input_switch(ch.old, ch.new, part_unit, 1.0, ch.share,
                                              self.m[i], ch.where)
            elif ch.change == "pcf_electricity":
                p = self._used_pcf(ch, i)
                f = self._pcf_factor(part_unit, p, ch)
                out[lid] = self._pcf_effect(f * p.value, f * (p.value - self._pcf_cut(ch)), i)
            else:  # pcf_switch
                from supply_chain.units import conversion_factor

                p_old = self._used_pcf(ch, i)
                p_new = self._pcf(ch.new)
                ok, why = p_new.validity(self.on)
                if not ok:
                    raise LeverError(f"{ch.where}: supplier PCF {p_new.id!r} not usable: {why}",
                                     lever=lid)
                f_old = conversion_factor(part_unit, p_old.unit, ch.where)
                f_new = conversion_factor(part_unit, p_new.unit, ch.where)
                out[lid] = self._pcf_effect(f_old * p_old.value, f_new * p_new.value, i)
        return {lid: out[lid] for lid in changes}

    def _pcf_effect(self, old: float, new: float, i: int) -> float:
        """Exact effect on the product of part ``i``'s supplier value going from ``old`` to
        ``new`` per unit of the part (:func:`supply_chain.levers.effects_from_supplier_pcf`)."""
        from supply_chain.levers import effects_from_supplier_pcf

        return float(effects_from_supplier_pcf(old, new, {self.product: self.m[i]})[self.product])

    def _input_switch(self, old: tuple, new: tuple, unit: str, amount: float, share: float,
                      supply: float, where: str) -> float:
        """Cut when a consumer (``supply`` units of it) takes ``share`` of its ``amount``
        ``unit`` of input from activity ``new`` instead of ``old``.

        As a technosphere change of the consumer's column ``j``: ``δA[old, j] = +share·amount·
        f_old``, ``δA[new, j] = −share·amount·f_new`` (inputs are negative), ``s_j = supply``,
        evaluated by :func:`supply_chain.levers.lever_effects` (``λ·s·δA``). The consumer (a BOM
        part, a supplier's process) is outside the background, so ``λ`` does not move and the
        first-order effect is exact.
        """
        from supply_chain.levers import ExchangeChange, lever_effects

        lam = self.intensities([old, new])
        f_old = self._factor(unit, old, where)
        f_new = self._factor(unit, new, where)
        delta = [ExchangeChange(matrix="technosphere", row=0, col=0, delta=share * amount * f_old),
                 ExchangeChange(matrix="technosphere", row=1, col=0,
                                delta=-share * amount * f_new)]
        return float(lever_effects(delta, np.array([lam[old], lam[new]]),
                                   np.array([[float(supply)]]), np.zeros(0))[0])

    def _used_pcf(self, ch: LeverChange, i: int):
        from supply_chain.levers import LeverError

        tab = self.base.table
        if tab.iloc[i]["source"] != "supplier_pcf":
            raise LeverError(f"{ch.where}: part {ch.part!r} has no supplier PCF in use "
                             f"(source {tab.iloc[i]['source']})", lever=ch.lever)
        p = self._pcf(tab.iloc[i]["source_ref"])
        if ch.change == "pcf_switch" and ch.old and ch.old not in (p.id, *p.product_ids):
            raise LeverError(f"{ch.where}: part {ch.part!r} uses PCF {p.id!r}, not {ch.old!r}",
                             lever=ch.lever)
        return p

    def _pcf_factor(self, part_unit, p, ch) -> float:
        from supply_chain.units import conversion_factor

        return conversion_factor(part_unit, p.unit, ch.where)

    def _pcf_cut(self, ch: LeverChange) -> float:
        """Fall of a supplier's PCF per declared unit when it buys ``amount`` kWh elsewhere."""
        return self._input_switch(ch.old, ch.new, "kilowatt hour", ch.amount, ch.share, 1.0,
                                  ch.where)

    def with_effects(self, levers: Sequence, changes: Mapping[str, LeverChange]) -> list:
        """``levers`` with ``effects = {product: Δ}`` computed for those that have a change."""
        from supply_chain.levers import LeverError

        known = {lv.id for lv in levers}
        for lid in changes:
            if lid not in known:
                raise LeverError(f"change given for unknown lever {lid!r}", lever=lid)
        d = self.effects(changes)
        return [lv.model_copy(update={"effects": {self.product: d[lv.id]}})
                if lv.id in d else lv for lv in levers]

    # -- exact -------------------------------------------------------------------------------
    def apply(self, changes: Sequence[LeverChange]):
        """The roll-up with ``changes`` applied to copies of the BOM, the PCFs and the
        background matrices (refactorised): the exact footprint after the levers."""
        from lca import maths
        from lca.solver import factorize

        from supply_chain.levers import LeverError, apply_changes
        from supply_chain.rollup import rollup

        G = self.G.copy()
        pcfs = {p.id: p for p in self.pcfs}
        tech = [ch for ch in changes if ch.technosphere]
        for ch in changes:
            if ch.technosphere:
                continue
            i = self._part(ch)
            if ch.change == "bom_replace":
                self._relink(G, ch)
            elif ch.change == "pcf_electricity":
                p = self._used_pcf(ch, i)
                cur = pcfs[p.id]
                value = cur.value - self._pcf_cut(ch)
                if value < 0:
                    raise LeverError(f"{ch.where}: supplier PCF {p.id!r} would fall below 0",
                                     lever=ch.lever)
                pcfs[p.id] = dataclasses.replace(cur, value=value)
            else:
                self._used_pcf(ch, i)
                G.nodes[ch.part]["pcf"] = self._pcf(ch.new).id
        exchange = None
        if tech:
            sysm = self.base.background.system
            ex = self._system_changes(tech)
            A1, B1 = apply_changes(sysm.A, sysm.B, ex)
            c = self.engine.characterization(sysm, self.method)
            lam1 = maths.lcia_intensities(factorize(A1), c, B1)
            exchange = {}
            for _n, a in G.nodes(data=True):
                key = a.get("activity")
                if key is None:
                    continue
                node = self.engine.node(key)
                if node.id in sysm.product_index:
                    exchange[tuple(key)] = float(lam1[sysm.product_index[node.id]])
        return rollup(G, self.engine, self.method, pcfs=list(pcfs.values()), on=self.on,
                      exchange=exchange, strict=True)

    @staticmethod
    def _relink(G, ch: LeverChange) -> None:
        a = G.nodes[ch.part]
        if ch.share >= 1.0:
            a["activity"] = tuple(ch.new)
            a["name"] = f"{a.get('name', ch.part)} [{ch.lever}: {'|'.join(ch.new)}]"
            return
        new = f"{ch.part}~{ch.lever}"
        G.add_node(new, **{**a, "activity": tuple(ch.new),
                           "name": f"{a.get('name', ch.part)} [{ch.lever}: {'|'.join(ch.new)}]"})
        for parent in list(G.predecessors(ch.part)):
            e = G.edges[parent, ch.part]
            moved = {**e, "q": e["q"] * ch.share, "quantity": e["quantity"] * ch.share}
            e["q"] *= 1.0 - ch.share
            e["quantity"] *= 1.0 - ch.share
            G.add_edge(parent, new, **moved)

    def verify(self, chosen: Sequence[str], changes: Mapping[str, LeverChange],
               effects: Mapping[str, float]) -> dict:
        """Linear estimate ``Σ Δ`` of the chosen levers versus the exact re-solve.

        Returns ``{"baseline", "linear_reduction", "exact_reduction", "footprint_linear",
        "footprint_exact", "error", "levers_without_change"}`` (per unit of product).
        Levers without a model change count with their given effect in both.
        """
        applied = [changes[k] for k in chosen if k in changes]
        given = [k for k in chosen if k not in changes]
        typed = sum(float(effects.get(k, 0.0)) for k in given)
        lin = sum(float(effects.get(k, 0.0)) for k in chosen)
        after = self.apply(applied).total - typed if applied else self.total - typed
        exact = self.total - after
        return {"baseline": self.total, "linear_reduction": lin, "exact_reduction": exact,
                "footprint_linear": self.total - lin, "footprint_exact": after,
                "error": lin - exact, "levers_without_change": given}


# ------------------------------------------------------------------------------------------------
# the battery-pack demo
# ------------------------------------------------------------------------------------------------
def load_pack(engine, method="gwp100", *, bom=PACK_BOM, pact=PACK_PACT, pcf_table=PACK_PCF_TABLE,
              on: dt.date = STUDY_DATE) -> SupplyChainModel:
    """The illustrative battery pack as a :class:`SupplyChainModel` (shipped files)."""
    from supply_chain.bom import read_bom
    from supply_chain.pcfs import read_pact, read_pcf_table

    pcfs = (read_pact(pact) if pact else []) + (read_pcf_table(pcf_table) if pcf_table else [])
    return SupplyChainModel(read_bom(bom), engine, method, pcfs, on)


def pack_problem(model: SupplyChainModel, levers_csv=PACK_LEVERS, baseline_csv=PACK_BASELINE):
    """The reduction problem of the pack: levers with model-computed effects, the model's
    baseline footprint and the (illustrative) volume. Returns ``(problem, changes, shipped)``
    where ``shipped`` holds the baseline and deltas written in the files (to check them)."""
    from supply_chain.levers import ReductionProblem, _read_pairs, load_levers_csv

    levers = load_levers_csv(levers_csv)
    changes = read_lever_changes(levers_csv)
    shipped_base, volumes = _read_pairs(Path(baseline_csv), "product", "footprint", "volume")
    shipped = {"baseline": shipped_base,
               "deltas": {lv.id: dict(lv.effects) for lv in levers}}
    levers = model.with_effects(levers, changes)
    baseline = dict(shipped_base)
    baseline[model.product] = model.total
    problem = ReductionProblem(levers=tuple(levers), baseline=baseline, volumes=volumes)
    return problem, changes, shipped


def _csv_text(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def levers_csv_text(problem, src: str | os.PathLike, digits: int = 10) -> str:
    """The levers CSV ``src`` with ``delta`` = the problem's lever effects, as text."""
    effects = {lv.id: lv.effects for lv in problem.levers}
    with Path(src).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        p, lid = (row.get("product") or "").strip(), (row.get("lever") or "").strip()
        if p and p in effects.get(lid, {}):
            row["delta"] = f"{effects[lid][p]:.{digits}g}"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def baseline_csv_text(problem, digits: int = 10) -> str:
    """``product,footprint,volume`` of the problem, as text."""
    return _csv_text(["product", "footprint", "volume"],
                     ([p, f"{h:.{digits}g}", f"{problem.volumes.get(p, 1.0):g}"]
                      for p, h in problem.baseline.items()))


def _write(out: str | os.PathLike, files: Mapping[str, str]) -> list[Path]:
    """All of one step's files (``{name: text}``) into ``out`` at once, all or none."""
    from lca.files import write_files_atomically

    return write_files_atomically(out, dict(files))


def write_levers_csv(problem, src: str | os.PathLike, dst: str | os.PathLike,
                     digits: int = 10) -> Path:
    """Copy the levers CSV ``src`` to ``dst`` with ``delta`` = the problem's lever effects."""
    dst = Path(dst)
    return _write(dst.parent, {dst.name: levers_csv_text(problem, src, digits)})[0]


def write_baseline_csv(problem, dst: str | os.PathLike, digits: int = 10) -> Path:
    dst = Path(dst)
    return _write(dst.parent, {dst.name: baseline_csv_text(problem, digits)})[0]


def supplier_quality(result, part=None) -> tuple[dict[str, float], dict[str, dict]]:
    """Contribution and data quality of every supplier to one unit of ``part`` (default: the
    product), from a :class:`~supply_chain.rollup.RollupResult`.

    Returns ``(contributions, quality)``: ``contributions`` ``{supplier: Σ d_n m_n}`` over the
    supplier's parts with a non-zero contribution; ``quality`` ``{supplier: {primary_share
    (0-1), ter, ger, tir}}``: the emission-weighted means of the roll-up (PACT methodology 4.2,
    :mod:`supply_chain.rollup`) over the supplier's *own* emissions ``d_n m_n``. DQRs only when
    they are known for all of them (PACT gives no precision rating, so the PEF DQR stays
    unknown).

    The roll-up solves ``X = (I − Q)⁻¹ [d, d ⊙ v_d, ...]`` and reports node values
    ``v = X₁ / x``, which mix in everything below a node. A part's own right-hand sides are
    therefore taken back from its outputs, ``d ⊙ v_d = (I − Q)(x ⊙ v)``, and summed per
    supplier weighted by the amounts ``m`` (:func:`supply_chain.rollup.supply_vector`):
    ``Σₙ mₙ rₙ``, the same weighted mean the roll-up gives a part, restricted to the supplier's
    own emissions. DQRs use the roll-up's ``dqr_coverage``, which it states for the three
    ratings alike.
    """
    import scipy.sparse as sp

    from supply_chain.pcfs import DQR_FIELDS
    from supply_chain.rollup import supply_vector

    tab, x = result.table, np.asarray(result.x, dtype=float)
    n = len(result.nodes)
    root = result.index[result.root if part is None else part]
    IQ = sp.identity(n, format="csr") - sp.csr_matrix(result.Q)

    def own(v):  # own right-hand side of a rolled-up node quantity x ⊙ v
        return np.asarray(IQ @ (x * np.nan_to_num(np.asarray(v, dtype=float)))).ravel()

    cov = np.nan_to_num(tab["dqr_coverage"].to_numpy(dtype=float))
    rhs = [np.asarray(result.own, dtype=float), own(tab["primary_data_share"]), own(cov)]
    for f in DQR_FIELDS:
        rhs.append(own(cov * np.nan_to_num(tab[f"dqr_{f}"].to_numpy(dtype=float))))
    rhs = np.column_stack(rhs)
    rhs[np.asarray(result.own) == 0] = 0.0  # no own emissions: only round-off is left
    e = np.zeros(n)
    e[root] = 1.0
    m = supply_vector(result.Q, e)  # units of every part in one unit of `part`
    contributes = (np.asarray(result.own, dtype=float) * m) != 0
    suppliers = [v if isinstance(v, str) and v else None for v in tab["supplier"]]
    names = list(dict.fromkeys(v for v, c in zip(suppliers, contributes) if v and c))
    code = {s: k for k, s in enumerate(names)}
    rows = np.array([code.get(v, -1) if v else -1 for v in suppliers], dtype=np.int64)
    keep = rows >= 0
    at_root = np.zeros((len(names), rhs.shape[1]))
    np.add.at(at_root, rows[keep], m[keep, None] * rhs[keep])  # Σₙ mₙ rₙ per supplier
    contrib, quality = {}, {}
    for s, (c, pds, known, *dqr) in zip(names, at_root):
        contrib[s] = float(c)
        q = {"primary_share": float(pds / c) / 100.0 if c else None}
        if known and abs(known - c) <= 1e-7 * abs(c):  # (I − Q)(x ⊙ v) rounds
            q.update(zip(("ter", "ger", "tir"), (float(v / known) for v in dqr)))
        quality[s] = q
    return contrib, quality


def supplier_inputs(model: SupplyChainModel, suppliers_csv=PACK_SUPPLIERS):
    """Scorecard inputs from the roll-up: contributions per supplier, intensity, benchmark
    (the sourced background dataset named in ``suppliers_csv``) and data quality.

    Returns ``(contributions, intensity, benchmark_keys, data_quality)``: ``contributions`` is
    ``{supplier: {product: kg per unit}}`` (``d_n m_n`` summed over the supplier's parts);
    ``data_quality`` ``{supplier: {primary_share (0-1), ter, ger, tir}}``, emission-weighted
    over the supplier's own emissions (:func:`supplier_quality`).
    """
    base = model.base
    contrib, quality = supplier_quality(base)
    intensity, bench = {}, {}
    with Path(suppliers_csv).open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            s = (row.get("supplier") or "").strip()
            part = (row.get("part") or "").strip()
            if part:
                intensity[s] = float(base.footprint(part))
            if (row.get("benchmark") or "").strip():
                bench[s] = _key(row["benchmark"].strip(), suppliers_csv, "benchmark")
    contributions = {s: {model.product: v} for s, v in contrib.items()}
    return contributions, intensity, bench, quality


def solve_verified(problem, target, verify: Callable[[list[str]], dict], product: str, *,
                   max_solves: int = 5) -> tuple:
    """Least-cost plan for ``target`` (:func:`supply_chain.levers.solve_target`) whose exact
    footprint meets the *stated* cap.

    ``verify(chosen)`` is the exact check of a plan (:meth:`SupplyChainModel.verify`: at least
    ``footprint_linear`` and ``footprint_exact`` per unit of ``product``). While the exact
    footprint misses the stated cap (the first-order effects overstated the cut), the plan is
    re-solved for a portfolio cap tightened by the volume-weighted gap ``exact − linear``, at
    most ``max_solves`` solves in all. The stated cap stays the yardstick: the tightened one is
    only a means to reach it.

    Returns ``(plan, verification, caps)``. ``verification`` is the last ``verify`` result plus
    ``product``, ``target_met_exact`` (exact footprint ≤ stated cap; ``None`` when the target
    gives no cap per unit of ``product``) and ``solves``. ``caps``: ``cap_per_unit`` and
    ``cap_portfolio`` (the stated target), ``solved_cap_per_unit`` / ``solved_cap_portfolio``
    (the cap of the last solve) and ``tightening_per_unit`` (stated − solved, 0 when no
    re-solve was needed).
    """
    from supply_chain.levers import Target, parse_target, solve_target

    if isinstance(target, str):
        target = parse_target(target)
    plan = solve_target(problem, target)
    volume = problem.volumes.get(product, 1.0)
    stated = plan.target_value  # portfolio cap of the stated target (None for scope "each")
    cap_unit = plan.targets.get(product)
    if cap_unit is None and stated is not None and volume and len(problem.baseline) == 1:
        cap_unit = stated / volume

    def met(v) -> bool | None:
        if cap_unit is None:
            return None
        return bool(v["footprint_exact"] <= cap_unit * (1 + 1e-9) + 1e-12)

    ver = dict(verify(plan.chosen))
    solves, solved = 1, stated
    while (plan.met and stated is not None and met(ver) is False and solves < max_solves
           and ver["footprint_exact"] > ver["footprint_linear"]):
        # the first-order estimate overstated the cut: tighten the cap by the gap and re-solve
        solved -= volume * (ver["footprint_exact"] - ver["footprint_linear"])
        solved -= 1e-9 * abs(solved)
        solved = max(solved, 0.0)
        plan = solve_target(problem, Target(kind="absolute", value=solved, scope="portfolio",
                                            year=target.year, products=target.products))
        ver = dict(verify(plan.chosen))
        solves += 1
    ver.update(product=product, target_met_exact=met(ver), solves=solves)
    solved_unit = plan.targets.get(product)
    if solved_unit is None and solved is not None and cap_unit is not None and volume:
        solved_unit = solved / volume
    caps = {"cap_per_unit": cap_unit, "cap_portfolio": stated,
            "solved_cap_per_unit": solved_unit, "solved_cap_portfolio": solved,
            "tightening_per_unit": (cap_unit - solved_unit
                                    if None not in (cap_unit, solved_unit) else None)}
    return plan, ver, caps


def demo_supply_chain(engine, out_dir: str | os.PathLike, method: str = "gwp100", *,
                      target: str = PACK_TARGET, year: int | None = PACK_YEAR,
                      progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Run the illustrative battery-pack supply chain end to end; write everything to ``out_dir``.

    Steps: roll up the pack (supplier PCFs for the cathode material and the BMS, Brightway
    background datasets for materials and electricity, the shipped ``pcf-products`` cell
    manufacturing); hotspots; lever effects from the model; the least-cost plan for ``target``
    by ``year`` (MILP); exact re-solve of the plan (re-solved again with the cap tightened by
    the linearisation error if the exact footprint misses the stated target,
    :func:`solve_verified`); MACC; greedy-MACC plan for comparison; supplier scorecard. Each
    step's files are built in memory and written together, all or none
    (:func:`lca.files.write_files_atomically`).

    Needs ``pcf-background`` and ``pcf-products`` (``inventories/background/pcf-background.csv``,
    ``inventories/products/li-ion-cell.csv``) in the engine's project.

    Returns
    -------
    dict
        ``product``, ``unit``, ``per``, ``volume``, ``before`` / ``after`` (per pack: the
        baseline, the linear and the exact footprint after the plan), ``target`` (text, year,
        ``cap_per_unit`` / ``cap_portfolio`` of the stated target, ``solved_cap_per_unit`` /
        ``solved_cap_portfolio`` the cap of the last solve and ``tightening_per_unit`` the
        difference), ``plan`` (chosen levers, cost, status, met, binding), ``verification``
        (linear vs exact; ``target_met_exact`` against the stated cap), ``greedy`` (the MACC
        walk), ``sources``, ``primary_data_share``,
        ``top_hotspots``, ``scorecard`` (ranked suppliers), ``shipped_files_current`` (do the
        shipped ``delta``/``footprint`` columns equal the model's), ``illustrative`` (what is
        not data) and ``files``.
    """
    from supply_chain.hotspots import write_hotspots
    from lca.files import jsonable as _clean
    from supply_chain.hotspots import contributions as contrib_table
    from supply_chain.levers import greedy_plan, macc, parse_target, plan_frame
    from supply_chain.scoring import background_benchmarks, supplier_scores

    out = Path(out_dir)
    steps = 6

    def step(i, what):
        if progress:
            progress(i, steps, what)

    def written(paths: list[Path], keys: Sequence[str]) -> dict:
        return {k: str(p) for k, p in zip(keys, paths)}

    step(0, "Rolling up the battery pack")
    model = load_pack(engine, method)
    base = model.base
    files = write_hotspots(base, out, prefix="battery-pack")

    step(1, "Computing lever effects from the model")
    problem, changes, shipped = pack_problem(model)
    files.update(written(_write(out, {
        "battery-pack-levers.csv": levers_csv_text(problem, PACK_LEVERS),
        "battery-pack-baseline.csv": baseline_csv_text(problem),
    }), ("levers_csv", "baseline_csv")))
    effects = {lv.id: lv.effects.get(model.product, 0.0) for lv in problem.levers}
    current = _shipped_current(problem, shipped)

    step(2, f"Solving for a {target} cut by {year}")
    tgt = parse_target(target, year=year)
    volume = problem.volumes.get(model.product, 1.0)
    plan, ver, caps = solve_verified(
        problem, tgt, lambda chosen: model.verify(chosen, changes, effects), model.product)

    step(3, "Writing the MACC and the greedy comparison")
    curve = macc(problem)
    files.update(written(_write(out, {"battery-pack-macc.csv": curve.to_csv(index=False)}),
                         ("macc_csv",)))
    greedy = greedy_plan(problem, tgt)

    step(4, "Scoring suppliers")
    contributions, intensity, bench_keys, quality = supplier_inputs(model)
    benchmark = background_benchmarks(engine, bench_keys, model.method)
    card = supplier_scores(contributions, volumes=problem.volumes,
                           product_totals={model.product: model.total}, intensity=intensity,
                           benchmark=benchmark, data_quality=quality, problem=problem)
    texts = {"battery-pack-scorecard.csv": card.to_csv(index=False),
             **_supplier_input_texts(contributions, intensity, benchmark, quality)}
    files.update(written(_write(out, texts), ("scorecard_csv", "supplier_contributions_csv",
                                              "supplier_data_csv")))

    step(5, "Writing the plan")
    pf = plan_frame(problem, plan)
    files["plan_csv"] = str(out / "battery-pack-plan.csv")
    files["summary_json"] = str(out / "battery-pack-summary.json")
    nodes = contrib_table(base, by="node", top=5)
    summary = base.summary()
    result = {
        "product": model.product,
        "method": list(model.method),
        "unit": base.unit,
        "per": summary["per"],
        "volume": volume,
        "study_date": str(model.on),
        "before": model.total,
        "after": {"linear": ver["footprint_linear"], "exact": ver["footprint_exact"]},
        # cap_per_unit / cap_portfolio: the stated target; solved_*: the cap of the last solve
        "target": {"text": target, "year": year, **caps},
        "plan": {"status": plan.status, "met": plan.met, "chosen": plan.chosen,
                 "cost": plan.cost, "cost_by_actor": plan.cost_by_actor,
                 "reduction_per_unit": plan.reduction.get(model.product),
                 "portfolio_reduction": plan.portfolio_reduction,
                 "binding": [dataclasses.asdict(b) for b in plan.binding],
                 "levers": pf.to_dict("records")},
        "verification": ver,
        "greedy": {"chosen": greedy.chosen, "cost": greedy.cost, "met": greedy.met},
        "effects": effects,
        "sources": summary["sources"],
        "primary_data_share": summary["primary_data_share"],
        "top_hotspots": [{"part": r.item, "value": r.value, "share": r.share}
                         for r in nodes.itertuples()],
        "scorecard": card[["rank", "supplier", "contribution", "share", "intensity_ratio",
                           "primary_share", "reduction_potential", "best_lever", "score",
                           "push_on"]].to_dict("records"),
        "shipped_files_current": current,
        "illustrative": ILLUSTRATIVE_NOTE,
        "files": files,
    }
    result = _clean(result)
    _write(out, {"battery-pack-plan.csv": pf.to_csv(index=False),
                 "battery-pack-summary.json": json.dumps(result, indent=2, ensure_ascii=False,
                                                         allow_nan=False)})
    step(6, "Supply-chain demo done")
    return result


ILLUSTRATIVE_NOTE = (
    "ILLUSTRATIVE EXAMPLE, NOT DATA: the pack (60 kWh), its bill of quantities (cathode 2.0 kg/kWh, "
    "0.65 of the GREET materials aggregate, 40 kg housing, 10 % loss, 1.5 kWh/kg forming, 120 kWh "
    "assembly), the suppliers and their PCFs (cathode 9.0 kg CO2e/kg, BMS 70 and 45 per piece, "
    "primary shares, DQRs), the cathode plant's 10 kWh/kg, lever costs, years and the volume "
    "(10,000 packs/yr) are made up. Sourced: the emission factors (pcf-background) and the cell "
    "manufacturing electricity (pcf-products, Kurland 2020)."
)


def _shipped_current(problem, shipped, rel: float = 1e-6) -> dict:
    """Do the shipped baseline and deltas equal what the model computes?"""
    def close(a, b):
        return abs(a - b) <= rel * max(1.0, abs(a), abs(b))

    base_ok = all(close(shipped["baseline"].get(p, float("nan")), h)
                  for p, h in problem.baseline.items())
    stale = [lv.id for lv in problem.levers
             for p, d in lv.effects.items()
             if not close(shipped["deltas"].get(lv.id, {}).get(p, float("nan")), d)]
    return {"baseline": base_ok, "levers": not stale, "stale_levers": stale}


def _supplier_input_texts(contributions, intensity, benchmark, quality) -> dict[str, str]:
    """The scorecard inputs as the CSVs ``pcf suppliers score`` reads: ``{name: text}``."""
    contrib = _csv_text(["supplier", "product", "contribution"],
                        ([s, p, repr(float(v))] for s, per in contributions.items()
                         for p, v in per.items()))
    cols = ["supplier", "intensity", "benchmark", "primary_share", "ter", "ger", "tir", "p"]
    rows = []
    for s in contributions:
        qq = quality.get(s, {})
        vals = [intensity.get(s), benchmark.get(s), qq.get("primary_share"), qq.get("ter"),
                qq.get("ger"), qq.get("tir"), qq.get("p")]
        rows.append([s] + ["" if v is None else repr(float(v)) for v in vals])
    return {"battery-pack-supplier-contributions.csv": contrib,
            "battery-pack-supplier-data.csv": _csv_text(cols, rows)}


def main(argv: Sequence[str] | None = None, out=None) -> int:
    """``python -m pcf.demo.supply_chain [--write]``: run the pack demo in a temporary project;
    with ``--write``, rewrite the ``delta`` and ``footprint`` columns of the shipped files.
    The summary (JSON) goes to ``out`` (the ``__main__`` entry passes stdout; library code
    does not write to the terminal)."""
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    from lca.footprint import FootprintEngine
    from lca.importer import import_inventory
    from lca.project import open_project

    root = BOM_DIR.parent
    with tempfile.TemporaryDirectory() as d:
        proj = open_project(Path(d) / "bw")
        import_inventory(proj, root / "background" / "pcf-background.csv")
        import_inventory(proj, root / "products" / "li-ion-cell.csv")
        eng = FootprintEngine(proj)
        if args.write:
            model = load_pack(eng)
            problem, _c, _s = pack_problem(model)
            write_levers_csv(problem, PACK_LEVERS, PACK_LEVERS)
            write_baseline_csv(problem, PACK_BASELINE)
        summary = demo_supply_chain(eng, Path(d) / "out")
    summary.pop("files", None)
    if out is not None:
        out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(main(out=sys.stdout))
