"""Factory (organisational) carbon accounting on Brightway: a plant's GHG inventory, green power,
allocation to products, and the zero-carbon-factory gap.

Input: one plant's activity data in the layout of ``inventories/factory/README.md`` (read by
:mod:`factory.inputs`). Factors are never typed into code: every fuel, grid region,
instrument and material is resolved, through the factor map ``inventories/factory/factor-map.csv``
(or a ``database|code`` key given directly), to a Brightway activity in the project, and its
emissions are characterised with the chosen method (default IPCC 2021 GWP100):

- fuels, grids, heat, instruments: the activity's **direct** elementary flows × CFs, by gas;
- process gases: the biosphere flow named in ``item`` (exact flow name, or a short label such
  as ``HFC-134a``, ``SF6``, ``CO2`` → the fossil flow) × its CF;
- purchased goods (scope 3, category 1): the activity's cradle-to-gate footprint
  (:class:`lca.footprint.FootprintEngine`).

Scope 2 follows the GHG Protocol Scope 2 Guidance (2015), dual reporting:

- location-based: every kWh bought × the grid region's average factor;
- market-based: kWh covered by a contractual instrument that meets the quality criteria get the
  instrument's emission rate; the rest get the region's residual mix (China: MEE's national
  factor excluding market-traded non-fossil power, used as a residual-mix proxy), or the grid
  average when the map gives no residual (flagged in ``notes``). Criteria checked: the instrument
  type conveys attributes (it is in the map), it was retired/cancelled for this plant (unique
  claim), its vintage year is within ``max_vintage_gap`` years of the period, and its market
  (country) is the market of the electricity. Instruments failing a criterion are listed with the
  reason and count for nothing. Claiming more instrument kWh than grid kWh bought in a market
  raises :class:`CertificateOverclaim`.

The green-power share is (qualifying instrument kWh + on-site renewable kWh) / (grid kWh bought
+ on-site renewable kWh).

Allocation to products (ISO 14067:2018 6.4.6 hierarchy): allocation is **avoided** where a row
names its ``product`` (subdivision: attributed whole); the shared rest is split by a **physical**
key (default: the production amounts when all products share a unit, or the first physical key
given), or by an **economic** key (a key in a currency) only when the user asks for it. Gate-to-
gate = scope 1 + scope 2 (market-based by default, as ISO 14067 allows for instruments meeting
its criteria; location-based on request). Offsets are never subtracted: they are shown beside.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lca import methods
from lca.data import inventories_dir
from lca.errors import PCFError
from .inputs import (  # noqa: F401  (re-exported: the module's public errors)
    BRIGHTWAY_UNITS,
    CO2E_UNITS,
    TOTAL,
    AllocationKeyMismatch,
    CertificateOverclaim,
    FactoryInputError,
    MissingUnit,
    NegativeAmount,
    PlantData,
    Record,
    UnknownFactoryItem,
    allocation_keys,
    convert,
    pint_unit,
    read_plant,
)
from .levers import LeverState, what_if
from lca.project import Project

log = logging.getLogger(__name__)

FACTORY_DIR = inventories_dir() / "factory"
FACTOR_MAP = FACTORY_DIR / "factor-map.csv"
EXAMPLE_PLANT = FACTORY_DIR / "example-lfp-cell-plant.csv"
# pcf-background holds every grid, residual-mix proxy and fuel factor the map uses (one source of
# truth); pcf-factory-factors holds only what pcf-background lacks (the renewable-instrument rate).
FACTOR_FILES = (inventories_dir() / "background" / "pcf-background.csv",
                inventories_dir() / "background" / "pcf-factory-factors.csv")
SCOPE2 = ("market", "location")
HIERARCHY = ("ISO 14067:2018 6.4.6: avoid allocation (subdivision: rows naming a product are "
             "attributed to it whole), else physical relationships, else economic values")

Key = tuple[str, str]


# ------------------------------------------------------------------------------------------------
# factor map and factors
def load_factor_map(path: str | os.PathLike | None = None) -> dict[tuple[str, str], dict]:
    """The factor map: ``(kind, id) -> row`` (kinds: grid, fuel, heat, instrument, onsite,
    material). Columns are documented in ``inventories/factory/README.md``."""
    import csv

    path = Path(path) if path else FACTOR_MAP
    if not path.exists():
        raise FactoryInputError(path, None, None, "factor map not found")
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            row = {k: (v or "").strip() for k, v in row.items()}
            row["_row"], row["_path"] = i, str(path)
            out[(row["kind"], row["id"])] = row
    return out


@dataclass(frozen=True)
class Factor:
    """Characterised emissions of one unit of a Brightway activity (kg CO2e by gas)."""

    key: Key
    name: str
    unit: str  # Brightway unit name
    by_gas: dict

    @property
    def total(self) -> float:
        return sum(self.by_gas.values())


class FactorResolver:
    """Resolves layout items to Brightway activities and characterises them (cached)."""

    def __init__(self, project: Project, method=None, factor_map=None):
        self.project = project
        self.method = methods.resolve(method)
        bd = project.bd
        if self.method not in bd.methods:
            from lca.errors import UnknownMethod

            raise UnknownMethod(self.method, methods.ALIASES)
        self.map = factor_map if isinstance(factor_map, dict) else load_factor_map(factor_map)
        self._cf: dict[int, float] | None = None
        self._direct: dict[Key, Factor] = {}
        self._engine = None
        self._flows: dict[str, tuple] | None = None

    @property
    def unit(self) -> str:
        return self.project.bd.methods.get(self.method, {}).get("unit", "kg CO2-Eq")

    def cfs(self) -> dict[int, float]:
        if self._cf is None:
            bd = self.project.bd
            cf: dict[int, float] = defaultdict(float)
            for flow, amount, *_ in bd.Method(self.method).load():
                fid = flow if isinstance(flow, int) else bd.get_id(tuple(flow))
                cf[fid] += float(amount["amount"] if isinstance(amount, dict) else amount)
            self._cf = dict(cf)
        return self._cf

    def entry(self, kind: str, rec: Record, column: str = "item") -> dict:
        """The map row for a record's item (or region); ``database|code`` passes through."""
        ident = getattr(rec, column)
        if "|" in ident:
            db, code = ident.split("|", 1)
            return {"kind": kind, "id": ident, "database": db, "code": code,
                    "residual_database": "", "residual_code": "", "ncv_mj_per_kg": "",
                    "renewable": "", "_row": None}
        hit = self.map.get((kind, ident))
        if hit is None:
            known = sorted(i for k, i in self.map if k == kind)
            raise UnknownFactoryItem(
                self._path, rec.row, column,
                f"unknown {kind} {ident!r}; known: {', '.join(known) or 'none'} "
                "(or give a Brightway key as database|code)")
        return hit

    def node(self, key: Key, rec: Record, column: str):
        bd = self.project.bd
        try:
            if key[0] not in bd.databases:
                raise KeyError(key[0])
            return bd.get_node(database=key[0], code=key[1])
        except Exception as exc:
            if isinstance(exc, KeyError) or type(exc).__name__ in ("UnknownObject", "DoesNotExist"):
                raise UnknownFactoryItem(
                    self._path, rec.row, column,
                    f"{rec.section} {getattr(rec, column)!r} maps to {key[0]}|{key[1]}, which is "
                    "not in the project (import inventories/background first)") from None
            raise

    def direct(self, key: Key, rec: Record, column: str = "item") -> Factor:
        """Direct emissions of one unit of an activity: its biosphere exchanges × CFs, by gas."""
        if key not in self._direct:
            node = self.node(key, rec, column)
            cf = self.cfs()
            by_gas: dict[str, float] = defaultdict(float)
            for exc in node.biosphere():
                flow = exc.input
                c = cf.get(flow.id)
                if c:
                    by_gas[methods.gas_of(flow["name"])] += float(exc["amount"]) * c
            self._direct[key] = Factor(key, node["name"], node.get("unit", ""), dict(by_gas))
        return self._direct[key]

    def cradle_to_gate(self, key: Key, amount: float, rec: Record) -> Factor:
        """Cradle-to-gate footprint of ``amount`` of an activity (FootprintEngine), by gas."""
        from lca.footprint import FootprintEngine

        node = self.node(key, rec, "item")
        if self._engine is None:
            self._engine = FootprintEngine(self.project)
        r = self._engine.footprint(node.key, self.method, amount=amount)
        return Factor(node.key, node["name"], node.get("unit", ""), dict(r.by_gas))

    def gas(self, rec: Record) -> tuple[Key, str, float]:
        """(flow key, gas label, CF) of a process gas: exact flow name in air, else short label."""
        if self._flows is None:
            bd, cf = self.project.bd, self.cfs()
            self._flows = {}
            labels: dict[str, list] = defaultdict(list)
            for fl in bd.Database(self.project.biosphere):
                if tuple(fl.get("categories") or ()) == ("air",) and cf.get(fl.id):
                    self._flows[fl["name"].lower()] = (fl.key, methods.gas_of(fl["name"]),
                                                       cf[fl.id])
                    labels[methods.gas_of(fl["name"]).lower()].append(fl)
            for label, fls in labels.items():
                if len(fls) > 1:  # CO2, CH4: the fossil flow (process emissions are fossil)
                    fls = [f for f in fls if f["name"].lower().endswith(", fossil")]
                if len(fls) == 1 and label not in self._flows:
                    f = fls[0]
                    self._flows[label] = (f.key, methods.gas_of(f["name"]), cf[f.id])
        hit = self._flows.get(rec.item.lower())
        if hit is None:
            raise UnknownFactoryItem(
                self._path, rec.row, "item",
                f"gas {rec.item!r} is not a characterised air emission in {'|'.join(self.method)}"
                " (give the biosphere flow name, e.g. 'Ethane, 1,1,1,2-tetrafluoro-, HFC-134a', or "
                "a label such as HFC-134a, SF6, CO2; split blends such as R-410A into components)")
        return hit

    _path: str = ""


# ------------------------------------------------------------------------------------------------
# results
@dataclass
class SourceLine:
    """One line of a plant inventory: a source, how much of which dataset, and its emissions.

    ``link`` is what a product activity written by :func:`write_product_activities` consumes:
    ``("technosphere", key)`` in the dataset's unit, or ``("biosphere", flow key)`` in kg.
    """

    scope: str  # "1", "2-location", "2-market", "3"
    category: str
    item: str
    product: str | None
    row: int | None
    link_type: str
    link: Key
    dataset: str
    amount: float
    unit: str
    by_gas: dict = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.by_gas.values())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["link"] = f"{self.link[0]}|{self.link[1]}"
        d["total"] = self.total
        return d


@dataclass
class PeriodInventory:
    """A plant's GHG inventory for one period (kg CO2e in the method's unit).

    ``lines`` hold every source; the scope totals are sums over them, so every table adds up.
    ``electricity`` is the kWh balance and green-power share; ``instruments`` lists every
    contractual instrument with whether it met the quality criteria (and why not).
    """

    plant: str
    period: str
    method: tuple
    unit: str
    lines: list[SourceLine]
    electricity: dict
    instruments: list[dict]
    production: dict  # product -> {"amount", "unit", "row"}
    offsets: list[dict]
    allocation_keys: dict
    notes: list[str] = field(default_factory=list)
    lever_state: LeverState | None = None

    def scope_total(self, scope: str) -> float:
        return sum((ln.total for ln in self.lines if ln.scope == scope), 0.0)

    @property
    def scope1(self) -> float:
        return self.scope_total("1")

    @property
    def scope2_location(self) -> float:
        return self.scope_total("2-location")

    @property
    def scope2_market(self) -> float:
        return self.scope_total("2-market")

    @property
    def scope3(self) -> float:
        return self.scope_total("3")

    @property
    def offsets_retired(self) -> float:
        """kg CO2e of offset credits retired for the period (outside the footprint)."""
        return sum((o["kg_co2e"] for o in self.offsets if o["counted"]), 0.0)

    def by(self, scope: str, what: str = "gas") -> dict[str, float]:
        """A scope's total by gas, by category or by item (sums to the scope total)."""
        out: dict[str, float] = defaultdict(float)
        for ln in self.lines:
            if ln.scope != scope:
                continue
            if what == "gas":
                for g, v in ln.by_gas.items():
                    out[g] += v
            else:
                out[getattr(ln, what)] += ln.total
        return dict(out)

    def summary(self) -> dict:
        return {
            "plant": self.plant, "period": self.period, "method": list(self.method),
            "unit": self.unit,
            "scope1": self.scope1, "scope1_by_category": self.by("1", "category"),
            "scope1_by_gas": self.by("1"), "scope1_by_item": self.by("1", "item"),
            "scope2_location": self.scope2_location,
            "scope2_location_by_item": self.by("2-location", "item"),
            "scope2_market": self.scope2_market,
            "scope2_market_by_category": self.by("2-market", "category"),
            "scope3_purchased_goods": self.scope3, "scope3_by_item": self.by("3", "item"),
            "scope1_2_location": self.scope1 + self.scope2_location,
            "scope1_2_market": self.scope1 + self.scope2_market,
            "green_share": self.electricity["green_share"],
            "offsets_retired": self.offsets_retired,
        }

    def to_dict(self) -> dict:
        return {**self.summary(), "electricity": self.electricity,
                "instruments": self.instruments, "production": self.production,
                "offsets": self.offsets, "notes": self.notes,
                "lines": [ln.to_dict() for ln in self.lines]}

    def to_frame(self):
        """One row per (line, gas): columns plant, period, scope, category, item, product, row,
        dataset, link, amount, unit, gas, kg_co2e. Grouped by scope it sums to the totals."""
        import pandas as pd

        rows = []
        for ln in self.lines:
            for g, v in (ln.by_gas or {"-": 0.0}).items():
                rows.append({"plant": self.plant, "period": self.period, "scope": ln.scope,
                             "category": ln.category, "item": ln.item, "product": ln.product,
                             "row": ln.row, "dataset": ln.dataset,
                             "link": f"{ln.link[0]}|{ln.link[1]}", "amount": ln.amount,
                             "unit": ln.unit, "gas": g, "kg_co2e": v})
        return pd.DataFrame(rows)


@dataclass
class PlantInventory:
    """A plant's inventory for every period in its file, in period order."""

    plant: str
    region: str
    path: str
    periods: dict[str, PeriodInventory]

    def latest(self) -> PeriodInventory:
        return self.periods[max(self.periods)]

    def get(self, period: str | None) -> PeriodInventory:
        if period is None:
            return self.latest()
        if period not in self.periods:
            raise UnknownFactoryItem(self.path, None, "period",
                                     f"no period {period!r}; known: {', '.join(self.periods)}")
        return self.periods[period]

    def to_dict(self) -> dict:
        return {"plant": self.plant, "region": self.region, "path": self.path,
                "periods": {p: inv.to_dict() for p, inv in self.periods.items()}}

    def to_frame(self):
        import pandas as pd

        return pd.concat([inv.to_frame() for inv in self.periods.values()], ignore_index=True)


# ------------------------------------------------------------------------------------------------
# inventory
def plant_inventory(project: Project, path: str | os.PathLike | PlantData, method=None,
                    factor_map: str | os.PathLike | dict | None = None,
                    max_vintage_gap: int = 0) -> PlantInventory:
    """The GHG inventory of a plant's activity-data file, every period (see module doc).

    Parameters
    ----------
    project
        Open project holding the factor databases (``pcf-background`` for grids, the residual-mix
        proxy and fuels; ``pcf-factory-factors`` for the renewable-instrument rate).
    path
        The plant's activity-data file (CSV/Excel), or data already read by
        :func:`factory.inputs.read_plant`.
    method
        Method alias or tuple (default ``gwp100``, IPCC 2021 GWP100).
    factor_map
        Factor map file (default ``inventories/factory/factor-map.csv``) or a loaded map.
    max_vintage_gap
        Years an instrument's vintage may lie from the period's year (Scope 2 Quality Criteria:
        "as close as possible"; default 0, the same year).

    Raises
    ------
    FactoryInputError
        Or a subclass (:class:`UnknownFactoryItem`, :class:`MissingUnit`,
        :class:`NegativeAmount`, :class:`CertificateOverclaim`,
        :class:`AllocationKeyMismatch`), naming file, row and column.
    """
    data = path if isinstance(path, PlantData) else read_plant(path)
    res = FactorResolver(project, method, factor_map)
    res._path = str(data.path)
    periods = {p: _period_inventory(data, p, res, max_vintage_gap) for p in data.periods}
    if not periods:
        raise FactoryInputError(data.path, None, "period", "no data rows")
    return PlantInventory(data.plant, data.region, str(data.path), periods)


def _to_unit(res: FactorResolver, rec: Record, bw_unit: str, ncv: str = "") -> float:
    """A record's amount in a dataset's Brightway unit (fuel mass via its NCV)."""
    target = next((p for p, b in BRIGHTWAY_UNITS.items() if b == bw_unit), None)
    if target is None:
        if rec.unit.strip().lower() == bw_unit.lower():
            return rec.amount
        raise MissingUnit(res._path, rec.row, "unit",
                          f"unit {rec.unit!r} cannot be converted to the dataset's {bw_unit!r}")
    v = convert(rec.amount, rec.unit, target)
    if v is None and ncv and target == "megajoule":
        kg = convert(rec.amount, rec.unit, "kilogram")
        if kg is not None:
            return kg * float(ncv)
    if v is None:
        extra = " or a mass (kg, t; converted with the map's NCV)" if ncv else ""
        raise MissingUnit(res._path, rec.row, "unit",
                          f"unit {rec.unit!r} cannot be converted to {bw_unit!r}{extra}")
    return v


def _period_year(path, rec: Record) -> int:
    m = re.match(r"^(\d{4})", rec.period)
    if not m:
        raise FactoryInputError(path, rec.row, "period",
                                f"period {rec.period!r} does not start with a year (2024, 2024-03)")
    return int(m.group(1))


def _market(region: str) -> str:
    return region.split("-", 1)[0].upper()


def _line(scope, category, rec, link_type, factor_key, dataset, amount, unit, by_gas, product=None):
    return SourceLine(scope, category, rec.item, product if product is not None else
                      (rec.product or None), rec.row, link_type, factor_key, dataset,
                      amount, unit, dict(by_gas))


def _scaled(by_gas: dict, k: float) -> dict:
    return {g: v * k for g, v in by_gas.items()}


def _period_inventory(data: PlantData, period: str, res: FactorResolver, max_gap: int
                      ) -> PeriodInventory:
    path = data.path
    lines: list[SourceLine] = []
    notes: list[str] = []
    fuel_mj = fuel_kg = process_kg = heat_kg = 0.0

    for rec in data.of(period, "fuel"):
        e = res.entry("fuel", rec)
        f = res.direct((e["database"], e["code"]), rec)
        amt = _to_unit(res, rec, f.unit, e.get("ncv_mj_per_kg", ""))
        ln = _line("1", "stationary_combustion", rec, "technosphere", f.key, f.name, amt, f.unit,
                   _scaled(f.by_gas, amt))
        lines.append(ln)
        fuel_kg += ln.total
        fuel_mj += amt if f.unit == "megajoule" else 0.0
    for rec in data.of(period, "process"):
        key, gas, cf = res.gas(rec)
        kg = convert(rec.amount, rec.unit, "kilogram")
        if kg is None:
            raise MissingUnit(path, rec.row, "unit", f"a gas mass needs kg or t, got {rec.unit!r}")
        ln = _line("1", "process", rec, "biosphere", key, rec.item, kg, "kilogram",
                   {gas: kg * cf})
        lines.append(ln)
        process_kg += ln.total

    # -- electricity: purchases, instruments, on-site generation --------------------------------
    purchases = []  # (rec, kwh, location Factor, market Factor, market)
    for rec in data.of(period, "electricity"):
        if not rec.region:
            raise UnknownFactoryItem(path, rec.row, "region",
                                     "purchased electricity needs its grid region")
        e = res.entry("grid", rec, "region")
        loc = res.direct((e["database"], e["code"]), rec, "region")
        if e.get("residual_code"):
            mkt = res.direct((e["residual_database"], e["residual_code"]), rec, "region")
        else:
            mkt = loc
            notes.append(f"row {rec.row}: no residual mix mapped for {rec.region}; market-based "
                         "scope 2 uses the location-based grid average (Scope 2 Guidance allows "
                         "it, at the risk of double counting renewable attributes)")
        kwh = _to_unit(res, rec, loc.unit)
        purchases.append((rec, kwh, loc, mkt, _market(rec.region)))
        lines.append(_line("2-location", "purchased_electricity", rec, "technosphere", loc.key,
                           loc.name, kwh, loc.unit, _scaled(loc.by_gas, kwh)))
    bought: dict[str, float] = defaultdict(float)
    for _, kwh, *_, m in purchases:
        bought[m] += kwh

    year = None
    instruments, claimed = [], defaultdict(float)
    qualifying: dict[str, list] = defaultdict(list)  # market -> [(kwh, Factor, item)]
    for rec in data.of(period, "certificate"):
        year = _period_year(path, rec)
        e = res.entry("instrument", rec)
        f = res.direct((e["database"], e["code"]), rec)
        kwh = _to_unit(res, rec, f.unit)
        market = _market(rec.region or data.region)
        reasons = []
        if rec.retired not in ("yes", "y", "true", "1"):
            reasons.append("not retired/cancelled on the plant's behalf (unique claim)")
        if not rec.vintage:
            reasons.append("no vintage")
        else:
            try:
                gap = abs(int(str(rec.vintage)[:4]) - year)
            except ValueError:
                raise FactoryInputError(path, rec.row, "vintage",
                                        f"vintage {rec.vintage!r} is not a year") from None
            if gap > max_gap:
                reasons.append(f"vintage {rec.vintage} is {gap} year(s) from the period "
                               f"(allowed: {max_gap})")
        if market not in bought:
            reasons.append(f"market {market} is not a market the plant buys electricity in "
                           f"({', '.join(sorted(bought)) or 'none'})")
        else:
            claimed[market] += kwh
            if claimed[market] > bought[market] * (1 + 1e-9):
                raise CertificateOverclaim(
                    path, rec.row, "amount",
                    f"{period}: {claimed[market] / 1000:g} MWh of contractual instruments claimed "
                    f"in market {market} but only {bought[market] / 1000:g} MWh of grid "
                    "electricity bought there (double counting)")
        ok = not reasons
        instruments.append({"row": rec.row, "item": rec.item, "kwh": kwh, "market": market,
                            "vintage": rec.vintage, "retired": rec.retired, "qualifies": ok,
                            "reasons": reasons, "dataset": f"{f.key[0]}|{f.key[1]}"})
        if ok:
            qualifying[market].append((kwh, f, rec))
        else:
            notes.append(f"row {rec.row}: {rec.item} {kwh / 1000:g} MWh does not meet the Scope 2 "
                         f"quality criteria ({'; '.join(reasons)}); not counted")

    covered_kwh = uncovered_kwh = uncovered_kg = residual_weighted = 0.0
    for rec, kwh, loc, mkt, m in purchases:
        q = sum(k for k, *_ in qualifying.get(m, []))
        for qk, f, crec in qualifying.get(m, []):
            part = kwh * qk / bought[m]
            lines.append(SourceLine("2-market", "contractual_instrument", crec.item,
                                    rec.product or None, rec.row, "technosphere", f.key, f.name,
                                    part, f.unit, _scaled(f.by_gas, part)))
            covered_kwh += part
        rest = kwh * (1 - q / bought[m]) if bought[m] else kwh
        ln = _line("2-market", "residual_mix" if mkt is not loc else "grid_average", rec,
                   "technosphere", mkt.key, mkt.name, rest, mkt.unit, _scaled(mkt.by_gas, rest))
        lines.append(ln)
        uncovered_kwh += rest
        uncovered_kg += ln.total
        residual_weighted += kwh * mkt.total

    for rec in data.of(period, "heat"):
        e = res.entry("heat", rec, "item")
        loc = res.direct((e["database"], e["code"]), rec)
        mkt = (res.direct((e["residual_database"], e["residual_code"]), rec)
               if e.get("residual_code") else loc)
        amt = _to_unit(res, rec, loc.unit)
        lines.append(_line("2-location", "purchased_heat", rec, "technosphere", loc.key, loc.name,
                           amt, loc.unit, _scaled(loc.by_gas, amt)))
        ln = _line("2-market", "purchased_heat", rec, "technosphere", mkt.key, mkt.name, amt,
                   mkt.unit, _scaled(mkt.by_gas, amt))
        lines.append(ln)
        heat_kg += ln.total

    onsite_ren = onsite_other = 0.0
    for rec in data.of(period, "onsite"):
        e = res.entry("onsite", rec)
        kwh = convert(rec.amount, rec.unit, "kilowatt_hour")
        if kwh is None:
            raise MissingUnit(path, rec.row, "unit",
                              f"on-site generation needs kWh/MWh, got {rec.unit!r}")
        if e.get("renewable") == "yes":
            onsite_ren += kwh
        else:
            onsite_other += kwh
    purchased = sum(bought.values())
    demand = purchased + onsite_ren
    green = covered_kwh + onsite_ren
    electricity = {
        "purchased_kwh": purchased, "purchased_kwh_by_market": dict(bought),
        "onsite_renewable_kwh": onsite_ren, "onsite_fossil_kwh": onsite_other,
        "instrument_kwh_qualifying": covered_kwh,
        "instrument_kwh_rejected": sum(i["kwh"] for i in instruments if not i["qualifies"]),
        "uncovered_kwh": uncovered_kwh, "green_kwh": green,
        "green_share": green / demand if demand else 0.0,
        "consumed_kwh": demand + onsite_other,
    }

    for rec in data.of(period, "purchased"):
        e = res.entry("material", rec)
        node = res.node((e["database"], e["code"]), rec, "item")
        amt = _to_unit(res, rec, node.get("unit", ""))
        f = res.cradle_to_gate(node.key, amt, rec)
        lines.append(_line("3", "purchased_goods", rec, "technosphere", f.key, f.name, amt,
                           f.unit, f.by_gas))

    offsets = []
    for rec in data.of(period, "offset"):
        k = CO2E_UNITS.get(rec.unit.strip().lower())
        if k is None:
            raise MissingUnit(path, rec.row, "unit",
                              f"offsets need 't CO2e' or 'kg CO2e', got {rec.unit!r}")
        counted = rec.retired in ("yes", "y", "true", "1")
        if not counted:
            notes.append(f"row {rec.row}: offset {rec.item} not retired; not counted")
        offsets.append({"row": rec.row, "item": rec.item, "kg_co2e": rec.amount * k,
                        "vintage": rec.vintage, "retired": rec.retired, "counted": counted})

    production = {r.item: {"amount": r.amount, "unit": r.unit, "row": r.row}
                  for r in data.of(period, "production")}
    if not production:
        notes.append(f"{period}: no production rows; allocation to products is not possible")
    uncovered_factor = (uncovered_kg / uncovered_kwh if uncovered_kwh
                        else residual_weighted / purchased if purchased else 0.0)
    state = LeverState(fuel_mj=fuel_mj, fuel_kg=fuel_kg, process_kg=process_kg, heat_kg=heat_kg,
                       electricity_kwh=demand, green_kwh=green, uncovered_factor=uncovered_factor)
    return PeriodInventory(
        plant=data.plant, period=period, method=res.method, unit=res.unit, lines=lines,
        electricity=electricity, instruments=instruments, production=production,
        offsets=offsets, allocation_keys=allocation_keys(data, period), notes=notes,
        lever_state=state)


# ------------------------------------------------------------------------------------------------
# allocation
@dataclass
class ProductShare:
    """One product's gate-to-gate share of a plant period (kg CO2e, and per declared unit)."""

    product: str
    amount: float
    unit: str
    key_value: float
    share: float
    attributed_kg: float  # rows naming the product (allocation avoided)
    allocated_kg: float  # share × shared rows
    total_kg: float
    per_unit: float
    offsets_beside_kg: float  # retired offsets attributed pro rata; NOT subtracted
    exchanges_per_unit: dict = field(default_factory=dict)  # (type, "db|code") -> amount

    def to_dict(self) -> dict:
        d = asdict(self)
        d["exchanges_per_unit"] = [{"type": t, "input": k, "amount": v}
                                   for (t, k), v in self.exchanges_per_unit.items()]
        return d


@dataclass
class AllocationResult:
    """Per-product gate-to-gate footprints of one plant period. Products sum to ``plant_total``."""

    plant: str
    period: str
    scope2: str
    key: str
    basis: str  # "none" (single product), "physical", "economic"
    key_unit: str
    hierarchy: str
    plant_total: float
    unit: str
    products: list[ProductShare]

    def per_unit(self) -> dict[str, float]:
        return {p.product: p.per_unit for p in self.products}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["products"] = [p.to_dict() for p in self.products]
        return d

    def to_frame(self):
        import pandas as pd

        rows = [{k: v for k, v in p.to_dict().items() if k != "exchanges_per_unit"}
                for p in self.products]
        df = pd.DataFrame(rows)
        for c in ("plant", "period", "scope2", "key", "basis"):
            df.insert(0, c, getattr(self, c))
        return df


def allocate(inv: PeriodInventory, key: str | None = None, scope2: str = "market"
             ) -> AllocationResult:
    """Split a period's scope 1 + scope 2 among its products (see module doc for the rules).

    ``key``: the name of an allocation key in the file (``section=allocation, item=<key>``), or
    ``"production"`` for the production amounts; None picks the default (physical).
    """
    if scope2 not in SCOPE2:
        raise FactoryInputError("allocation", None, "scope2", f"scope2 must be one of {SCOPE2}")
    prods = inv.production
    if not prods:
        raise AllocationKeyMismatch(inv.plant, None, "section",
                                    f"{inv.period}: no production rows to allocate to")
    keys = inv.allocation_keys
    if len(prods) == 1:
        name, basis, unit = "none", "none", next(iter(prods.values()))["unit"]
        values = {p: 1.0 for p in prods}
    elif key in (None, "production"):
        phys = [k for k, v in keys.items() if v["basis"] == "physical"]
        if key is None and phys:
            name = phys[0]
            basis, unit, values = "physical", keys[name]["unit"], keys[name]["values"]
        else:
            units = {pint_unit(v["unit"]) or v["unit"] for v in prods.values()}
            if len(units) != 1:
                raise AllocationKeyMismatch(
                    inv.plant, None, "unit",
                    f"{inv.period}: products are in different units "
                    f"({', '.join(sorted(v['unit'] for v in prods.values()))}); give an "
                    "allocation key (section allocation) and choose it")
            target = units.pop()
            name, basis, unit = "production", "physical", next(iter(prods.values()))["unit"]
            values = {p: (convert(v["amount"], v["unit"], target) if pint_unit(v["unit"])
                          else v["amount"]) for p, v in prods.items()}
    else:
        if key not in keys:
            raise UnknownFactoryItem(inv.plant, None, "item",
                                     f"{inv.period}: no allocation key {key!r}; given: "
                                     f"{', '.join(keys) or 'none'} (or 'production')")
        name, basis, unit, values = key, keys[key]["basis"], keys[key]["unit"], keys[key]["values"]
    total_key = sum(values.values())
    scopes = ("1", f"2-{scope2}")
    lines = [ln for ln in inv.lines if ln.scope in scopes]
    plant_total = sum(ln.total for ln in lines)
    shared = [ln for ln in lines if not ln.product]
    shared_kg = sum(ln.total for ln in shared)
    offsets = inv.offsets_retired
    out = []
    for p, pv in prods.items():
        share = values[p] / total_key
        own = [ln for ln in lines if ln.product == p]
        attributed = sum(ln.total for ln in own)
        allocated = share * shared_kg
        total = attributed + allocated
        ex: dict = defaultdict(float)
        for ln in own:
            ex[(ln.link_type, f"{ln.link[0]}|{ln.link[1]}")] += ln.amount / pv["amount"]
        for ln in shared:
            ex[(ln.link_type, f"{ln.link[0]}|{ln.link[1]}")] += share * ln.amount / pv["amount"]
        out.append(ProductShare(
            product=p, amount=pv["amount"], unit=pv["unit"], key_value=values[p], share=share,
            attributed_kg=attributed, allocated_kg=allocated, total_kg=total,
            per_unit=total / pv["amount"],
            offsets_beside_kg=offsets * (total / plant_total) if plant_total else 0.0,
            exchanges_per_unit=dict(ex)))
    return AllocationResult(inv.plant, inv.period, scope2, name, basis, unit,
                            HIERARCHY + f"; used: {basis} key {name!r}", plant_total, inv.unit,
                            out)


def product_footprints(project: Project, path, period: str | None = None, key: str | None = None,
                       scope2: str = "market", method=None) -> dict[str, float]:
    """Per-product gate-to-gate kg CO2e per declared unit for one period (default: latest)."""
    inv = plant_inventory(project, path, method).get(period)
    return allocate(inv, key, scope2).per_unit()


def database_name(plant: str) -> str:
    """``pcf-factory-<plant>`` with the plant id made safe for a database name."""
    return "pcf-factory-" + re.sub(r"[^a-z0-9]+", "-", plant.lower()).strip("-")


def write_product_activities(project: Project, path, period: str | None = None,
                             key: str | None = None, scope2: str = "market",
                             database: str | None = None, method=None) -> str:
    """Write each product's gate-to-gate "main production" as a Brightway activity.

    One database (default ``pcf-factory-<plant>``) with one activity per product, code = the
    product id, unit = its declared unit, ``stage = production``. Its exchanges are the plant's
    allocated inputs per unit: fuels, grid / residual / instrument electricity (links to the
    factor datasets) and process gases (biosphere flows), so ``FootprintEngine`` gives the same
    per-unit result as :func:`allocate` and a product system can consume the activity.

    The write is all-or-nothing: everything is computed first, then written by
    :func:`lca.importer.write_database` (temporary database renamed into place, the previous
    version kept aside until then and restored on failure). Re-running
    with a new period's data replaces the activities with that period's values.
    """
    plant = plant_inventory(project, path, method)
    inv = plant.get(period)
    alloc = allocate(inv, key, scope2)
    name = database or database_name(plant.plant)
    data = {}
    for p in alloc.products:
        unit = BRIGHTWAY_UNITS.get(pint_unit(p.unit) or "", p.unit)
        exchanges = [{"input": (name, p.product), "amount": 1.0, "type": "production"}]
        for (t, k), amount in p.exchanges_per_unit.items():
            if amount:
                exchanges.append({"input": tuple(k.split("|", 1)), "amount": amount, "type": t})
        data[(name, p.product)] = {
            "name": f"{p.product}, main production at {plant.plant} (gate-to-gate)",
            "reference product": p.product, "unit": unit, "location": plant.region,
            "stage": "production", "exchanges": exchanges,
            "comment": (f"Plant-measured gate-to-gate (scope 1 + scope 2 {scope2}-based) for "
                        f"{inv.period}: {p.per_unit:.6g} {inv.unit} per {p.unit}; {alloc.hierarchy}"
                        f"; share {p.share:.6g}. Offsets are not included (ISO 14067)."),
            "reference_period": inv.period, "allocation_key": alloc.key,
            "allocation_basis": alloc.basis, "scope2_method": scope2,
        }
    from lca.importer import write_database

    with project.lock():
        write_database(
            project, name, data, overwrite=True, source=str(plant.path),
            metadata={"description": f"Plant {plant.plant}, {inv.period}: gate-to-gate per "
                                     "product (factory.plant)", "pcf_source_path": plant.path})
    log.info("wrote %s: %d product activities for %s", name, len(data), inv.period)
    return name


# ------------------------------------------------------------------------------------------------
# zero-carbon-factory view
def trajectory(plant: PlantInventory) -> list[dict]:
    """Every period side by side: scopes, green share, residual, offsets, gap, change vs previous.

    ``residual`` = scope 1 + market-based scope 2 (after green power); ``gap_to_zero`` =
    max(residual − retired offsets, 0). Offsets are reported beside, never inside a footprint.
    """
    rows, prev = [], None
    for p, inv in plant.periods.items():
        residual = inv.scope1 + inv.scope2_market
        units = {v["unit"] for v in inv.production.values()}
        volume = sum(v["amount"] for v in inv.production.values()) if len(units) == 1 else None
        row = {"period": p, "scope1": inv.scope1, "scope2_location": inv.scope2_location,
               "scope2_market": inv.scope2_market,
               "scope1_2_location": inv.scope1 + inv.scope2_location, "residual": residual,
               "green_share": inv.electricity["green_share"],
               "offsets_retired": inv.offsets_retired,
               "gap_to_zero": max(residual - inv.offsets_retired, 0.0),
               "production": volume, "production_unit": units.pop() if volume is not None else None,
               "residual_per_unit": residual / volume if volume else None,
               "change_vs_previous": None, "change_vs_previous_pct": None}
        if prev is not None:
            row["change_vs_previous"] = residual - prev
            row["change_vs_previous_pct"] = (residual - prev) / prev if prev else None
        rows.append(row)
        prev = residual
    return rows


def gap_report(plant: PlantInventory, period: str | None = None, *, green: float | None = None,
               electrify: float | None = None, kwh_per_mj: float | None = None,
               efficiency: float | None = None) -> dict:
    """The zero-carbon-factory view: trajectory over all periods, the gap of ``period``
    (default latest), the offsets still needed, and the levers' what-if (see
    :mod:`factory.levers`)."""
    inv = plant.get(period)
    levers = what_if(inv.lever_state, green=green, electrify=electrify, kwh_per_mj=kwh_per_mj,
                     eff=efficiency)
    for row in levers:
        row["offsets_needed"] = max(row["residual_kg"] - inv.offsets_retired, 0.0)
    traj = trajectory(plant)
    cur = next(r for r in traj if r["period"] == inv.period)
    return {
        "plant": plant.plant, "period": inv.period, "unit": inv.unit,
        "method": list(inv.method),
        "residual": cur["residual"], "green_share": cur["green_share"],
        "offsets_retired": inv.offsets_retired,
        "offsets_needed": cur["gap_to_zero"],
        "note": ("Residual = scope 1 + market-based scope 2 after qualifying green power. Offsets "
                 "(CCER, VER) close the gap to net zero for the plant only; ISO 14067 keeps them "
                 "out of product footprints, so they are shown beside, never subtracted."),
        "trajectory": traj, "levers": levers,
    }


# ------------------------------------------------------------------------------------------------
# demo
def ensure_factor_databases(project: Project) -> list[str]:
    """Import the factor databases the factory module needs, unless already current."""
    from lca.workflows import ensure_inventories

    return ensure_inventories(project, list(FACTOR_FILES))
