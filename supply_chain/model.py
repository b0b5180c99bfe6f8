"""The supply-chain model: a rolled-up BOM whose levers' effects are computed from the model
(first order) and whose plans are re-solved exactly.

A lever's *change* (:class:`~supply_chain.levers.changes.LeverChange`, the ``change`` columns
of a levers CSV) acts on the BOM, on a supplier's PCF or on the Brightway background
(:mod:`supply_chain.levers.changes` gives the formula of each kind).
:meth:`SupplyChainModel.effects` gives ``Δ`` per unit of the product,
:meth:`SupplyChainModel.verify` the exact footprint after a plan (:class:`ExactCheck`).
The reduction problem of a levers file on the model and the check of a solved plan are in
:mod:`supply_chain.model_plans`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from lca import maths, methods
from lca.solver import factorize
from lca.units import conversion_factor

from .errors import LeverError
from .hotspot_analysis import part_amounts
from .levers import (
    ExchangeChange,
    LeverChange,
    apply_changes,
    effects_from_supplier_pcf,
    lever_effects,
)
from .pcf_selection import pcf_index
from .roll_up import background_intensities, rollup
from .scenarios import (
    ReplaceSupplier,
    ScaleExchange,
    Scenario,
    ScenarioError,
    flow_rows,
    scenario_changes,
)

__all__ = ["ExactCheck", "SupplyChainModel"]


@dataclass(frozen=True)
class ExactCheck:
    """Linear estimate versus exact re-solve of a set of levers, per unit of the product.

    ``linear_reduction`` = ``Σ Δ`` of the chosen levers; ``exact_reduction`` = baseline − the
    footprint re-solved with their changes applied; ``error`` = linear − exact;
    ``levers_without_change``: chosen levers with no model change (counted with their given
    effect in both).
    """

    baseline: float
    linear_reduction: float
    exact_reduction: float
    footprint_linear: float
    footprint_exact: float
    error: float
    levers_without_change: list[str]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class SupplyChainModel:
    """A rolled-up BOM whose levers are evaluated on the model (first order and exact).

    Parameters
    ----------
    G : the BOM (:func:`supply_chain.bom.read_bom`).
    engine : :class:`lca.footprint.FootprintEngine` holding the linked activities.
    method : method alias or tuple.
    pcfs : supplier PCFs.
    on : study date for supplier-PCF validity (the caller chooses it: ``pcf reduce --bom``
        uses today unless ``--on`` is given; the demo its own fixed date).

    ``base`` is the baseline :class:`~supply_chain.roll_up.RollupResult` (strict: a part with no
    footprint source is an error); ``product`` its root.
    """

    def __init__(
        self, G, engine, method=methods.DEFAULT, pcfs: Iterable = (), on: dt.date | None = None
    ):
        self.G, self.engine, self.on = G, engine, on
        self.method = methods.resolve(method)
        self.pcfs = list(pcfs)
        self.base = rollup(G, engine, self.method, pcfs=self.pcfs, on=on, strict=True)
        self.product = self.base.root
        self.m = part_amounts(self.base)  # units of every part per unit of product
        self._lam: dict[tuple, float] = {}
        self._units: dict[tuple, str] = {}

    # -- helpers ---------------------------------------------------------------------------
    @property
    def total(self) -> float:
        return self.base.total

    def _part(self, ch: LeverChange) -> int:
        if ch.part not in self.base.index:
            raise LeverError(f"{ch.where}: part {ch.part!r} is not in the BOM", lever=ch.lever)
        return self.base.index[ch.part]

    def intensities(self, keys: Iterable[tuple]) -> dict[tuple, float]:
        """Cradle-to-gate ``λ`` per unit of each activity's product (one solve, cached)."""
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
        self.intensities([key])
        return conversion_factor(part_unit, self._units[key], where)

    def _pcf(self, pcf_id):
        p = pcf_index(self.pcfs).get(pcf_id)
        if p is None:
            raise LeverError(f"supplier PCF {pcf_id!r} is not loaded", constraint="pcf")
        return p

    def _system_changes(self, changes: Sequence[LeverChange]):
        """Technosphere/biosphere :class:`ExchangeChange` s on the background system."""
        sysm = self.base.background.system if self.base.background else None
        out = []
        for ch in changes:
            if sysm is None:
                raise LeverError(f"{ch.where}: the BOM links no Brightway activity", lever=ch.lever)
            if ch.change == "replace_supplier":
                c = ReplaceSupplier(activity=ch.activity, old=ch.old, new=ch.new, share=ch.share)
            else:
                c = ScaleExchange(activity=ch.activity, input=ch.old, factor=ch.factor)
            scn = Scenario(name=ch.lever, changes=[c])
            flows = [c.input] if isinstance(c, ScaleExchange) else []
            try:
                out += scenario_changes(sysm, scn, flow_rows(self.engine, sysm, flows))
            except ScenarioError as exc:
                raise LeverError(f"{ch.where}: {exc}", lever=ch.lever) from None
        return out

    # -- effects -----------------------------------------------------------------------------
    def effects(self, changes: Mapping[str, LeverChange]) -> dict[str, float]:
        """Reduction ``Δ`` of the product's footprint per unit for each lever
        (:mod:`supply_chain.levers.changes`).

        Exact for BOM and PCF changes; first order for technosphere changes.
        """
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
                    ch.old
                ):
                    raise LeverError(
                        f"{ch.where}: part {ch.part!r} is not linked to "
                        f"{'|'.join(ch.old)} (source {tab.iloc[i]['source']} "
                        f"{tab.iloc[i]['source_ref']})",
                        lever=lid,
                    )
                # the part (m_p units per product) takes share of its input from new
                out[lid] = self._input_switch(
                    ch.old, ch.new, part_unit, 1.0, ch.share, self.m[i], ch.where
                )
            elif ch.change == "pcf_electricity":
                p = self._used_pcf(ch, i)
                f = self._pcf_factor(part_unit, p, ch)
                out[lid] = self._pcf_effect(f * p.value, f * (p.value - self._pcf_cut(ch)), i)
            else:  # pcf_switch
                p_old = self._used_pcf(ch, i)
                p_new = self._pcf(ch.new)
                ok, why = p_new.validity(self.on)
                if not ok:
                    raise LeverError(
                        f"{ch.where}: supplier PCF {p_new.id!r} not usable: {why}", lever=lid
                    )
                f_old = conversion_factor(part_unit, p_old.unit, ch.where)
                f_new = conversion_factor(part_unit, p_new.unit, ch.where)
                out[lid] = self._pcf_effect(f_old * p_old.value, f_new * p_new.value, i)
        return {lid: out[lid] for lid in changes}

    def _pcf_effect(self, old: float, new: float, i: int) -> float:
        """Exact effect on the product of part ``i``'s supplier value going from ``old`` to
        ``new`` per unit of the part (:func:`supply_chain.levers.effects_from_supplier_pcf`)."""
        return float(effects_from_supplier_pcf(old, new, {self.product: self.m[i]})[self.product])

    def _input_switch(
        self,
        old: tuple,
        new: tuple,
        unit: str,
        amount: float,
        share: float,
        supply: float,
        where: str,
    ) -> float:
        """Cut when a consumer (``supply`` units of it) takes ``share`` of its ``amount``
        ``unit`` of input from activity ``new`` instead of ``old``.

        As a technosphere change of the consumer's column ``j``: ``δA[old, j] = +share·amount·
        f_old``, ``δA[new, j] = −share·amount·f_new`` (inputs are negative), ``s_j = supply``,
        evaluated by :func:`supply_chain.levers.lever_effects` (``λ·s·δA``). The consumer (a BOM
        part, a supplier's process) is outside the background, so ``λ`` does not move and the
        first-order effect is exact.
        """
        lam = self.intensities([old, new])
        f_old = self._factor(unit, old, where)
        f_new = self._factor(unit, new, where)
        delta = [
            ExchangeChange(matrix="technosphere", row=0, col=0, delta=share * amount * f_old),
            ExchangeChange(matrix="technosphere", row=1, col=0, delta=-share * amount * f_new),
        ]
        return float(
            lever_effects(
                delta, np.array([lam[old], lam[new]]), np.array([[float(supply)]]), np.zeros(0)
            )[0]
        )

    def _used_pcf(self, ch: LeverChange, i: int):
        tab = self.base.table
        if tab.iloc[i]["source"] != "supplier_pcf":
            raise LeverError(
                f"{ch.where}: part {ch.part!r} has no supplier PCF in use "
                f"(source {tab.iloc[i]['source']})",
                lever=ch.lever,
            )
        p = self._pcf(tab.iloc[i]["source_ref"])
        if ch.change == "pcf_switch" and ch.old and ch.old not in (p.id, *p.product_ids):
            raise LeverError(
                f"{ch.where}: part {ch.part!r} uses PCF {p.id!r}, not {ch.old!r}", lever=ch.lever
            )
        return p

    def _pcf_factor(self, part_unit, p, ch) -> float:
        return conversion_factor(part_unit, p.unit, ch.where)

    def _pcf_cut(self, ch: LeverChange) -> float:
        """Fall of a supplier's PCF per declared unit when it buys ``amount`` kWh elsewhere."""
        return self._input_switch(
            ch.old, ch.new, "kilowatt hour", ch.amount, ch.share, 1.0, ch.where
        )

    def with_effects(self, levers: Sequence, changes: Mapping[str, LeverChange]) -> list:
        """``levers`` with ``effects = {product: Δ}`` computed for those that have a change."""
        known = {lv.id for lv in levers}
        for lid in changes:
            if lid not in known:
                raise LeverError(f"change given for unknown lever {lid!r}", lever=lid)
        d = self.effects(changes)
        return [
            lv.model_copy(update={"effects": {self.product: d[lv.id]}}) if lv.id in d else lv
            for lv in levers
        ]

    # -- exact -------------------------------------------------------------------------------
    def apply(self, changes: Sequence[LeverChange]):
        """The roll-up with ``changes`` applied to copies of the BOM, the PCFs and the
        background matrices (refactorised): the exact footprint after the levers."""
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
                    raise LeverError(
                        f"{ch.where}: supplier PCF {p.id!r} would fall below 0", lever=ch.lever
                    )
                pcfs[p.id] = replace(cur, value=value)
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
        return rollup(
            G,
            self.engine,
            self.method,
            pcfs=list(pcfs.values()),
            on=self.on,
            exchange=exchange,
            strict=True,
        )

    @staticmethod
    def _relink(G, ch: LeverChange) -> None:
        a = G.nodes[ch.part]
        if ch.share >= 1.0:
            a["activity"] = tuple(ch.new)
            a["name"] = f"{a.get('name', ch.part)} [{ch.lever}: {'|'.join(ch.new)}]"
            return
        new = f"{ch.part}~{ch.lever}"
        G.add_node(
            new,
            **{
                **a,
                "activity": tuple(ch.new),
                "name": f"{a.get('name', ch.part)} [{ch.lever}: {'|'.join(ch.new)}]",
            },
        )
        for parent in list(G.predecessors(ch.part)):
            e = G.edges[parent, ch.part]
            moved = {**e, "q": e["q"] * ch.share, "quantity": e["quantity"] * ch.share}
            e["q"] *= 1.0 - ch.share
            e["quantity"] *= 1.0 - ch.share
            G.add_edge(parent, new, **moved)

    def verify(
        self,
        chosen: Sequence[str],
        changes: Mapping[str, LeverChange],
        effects: Mapping[str, float],
    ) -> ExactCheck:
        """Linear estimate ``Σ Δ`` of the chosen levers versus the exact re-solve
        (:meth:`apply`), per unit of product.

        Levers without a model change count with their given effect in both.
        """
        applied = [changes[k] for k in chosen if k in changes]
        given = [k for k in chosen if k not in changes]
        typed = sum(float(effects.get(k, 0.0)) for k in given)
        lin = sum(float(effects.get(k, 0.0)) for k in chosen)
        after = self.apply(applied).total - typed if applied else self.total - typed
        exact = self.total - after
        return ExactCheck(self.total, lin, exact, self.total - lin, after, lin - exact, given)
