"""Allocation of a plant period's scope 1 + scope 2 to its products (ISO 14067:2018 6.4.6).

Allocation is **avoided** where a row names its ``product`` (subdivision: attributed whole); the
shared rest is split by a **physical** key (default: the production amounts when all products
share a unit, or the first physical key given), or by an **economic** key (a key in a currency)
only when the user asks for it. Gate-to-gate = scope 1 + scope 2 (market-based by default, as
ISO 14067 allows for instruments meeting its criteria; location-based on request). Offsets are
never subtracted: they are shown beside.

:func:`write_product_activities` writes each product's allocated inputs per unit as a Brightway
activity, so a product system can consume the plant-measured gate-to-gate.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import pandas as pd

from lca.imports import write_database
from lca.project import Project
from lca.units import brightway_unit, convert_or_none, pint_name

from .inputs import AllocationKeyMismatch, FactoryInputError, UnknownFactoryItem
from .inventory import plant_inventory
from .results import PeriodInventory

log = logging.getLogger(__name__)

SCOPE2 = ("market", "location")
HIERARCHY = (
    "ISO 14067:2018 6.4.6: avoid allocation (subdivision: rows naming a product are "
    "attributed to it whole), else physical relationships, else economic values"
)


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
        d["exchanges_per_unit"] = [
            {"type": t, "input": k, "amount": v} for (t, k), v in self.exchanges_per_unit.items()
        ]
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
        rows = [
            {k: v for k, v in p.to_dict().items() if k != "exchanges_per_unit"}
            for p in self.products
        ]
        df = pd.DataFrame(rows)
        for c in ("plant", "period", "scope2", "key", "basis"):
            df.insert(0, c, getattr(self, c))
        return df


def _key_values(inv: PeriodInventory, key: str | None) -> tuple[str, str, str, dict]:
    """(key name, basis, key unit, {product: key value}) of the key to split by."""
    prods = inv.production
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
            units = {pint_name(v["unit"]) or v["unit"] for v in prods.values()}
            if len(units) != 1:
                raise AllocationKeyMismatch(
                    inv.plant,
                    None,
                    "unit",
                    f"{inv.period}: products are in different units "
                    f"({', '.join(sorted(v['unit'] for v in prods.values()))}); give an "
                    "allocation key (section allocation) and choose it",
                )
            name, basis, unit = "production", "physical", next(iter(prods.values()))["unit"]
            values = {
                p: (
                    convert_or_none(v["amount"], v["unit"], unit)
                    if pint_name(v["unit"])
                    else v["amount"]
                )
                for p, v in prods.items()
            }
    else:
        if key not in keys:
            raise UnknownFactoryItem(
                inv.plant,
                None,
                "item",
                f"{inv.period}: no allocation key {key!r}; given: "
                f"{', '.join(keys) or 'none'} (or 'production')",
            )
        name, basis, unit, values = key, keys[key]["basis"], keys[key]["unit"], keys[key]["values"]
    return name, basis, unit, values


def allocate(
    inv: PeriodInventory, key: str | None = None, scope2: str = "market"
) -> AllocationResult:
    """Split a period's scope 1 + scope 2 among its products (see module doc for the rules).

    ``key``: the name of an allocation key in the file (``section=allocation, item=<key>``), or
    ``"production"`` for the production amounts; None picks the default (physical).

    Raises
    ------
    FactoryInputError
        ``scope2`` is not ``"market"`` or ``"location"``.
    AllocationKeyMismatch
        No production rows, or products in different units and no key to split by.
    UnknownFactoryItem
        ``key`` is not an allocation key of the period.
    """
    if scope2 not in SCOPE2:
        raise FactoryInputError("allocation", None, "scope2", f"scope2 must be one of {SCOPE2}")
    prods = inv.production
    if not prods:
        raise AllocationKeyMismatch(
            inv.plant, None, "section", f"{inv.period}: no production rows to allocate to"
        )
    name, basis, unit, values = _key_values(inv, key)
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
        out.append(
            ProductShare(
                product=p,
                amount=pv["amount"],
                unit=pv["unit"],
                key_value=values[p],
                share=share,
                attributed_kg=attributed,
                allocated_kg=allocated,
                total_kg=total,
                per_unit=total / pv["amount"],
                offsets_beside_kg=offsets * (total / plant_total) if plant_total else 0.0,
                exchanges_per_unit=dict(ex),
            )
        )
    return AllocationResult(
        inv.plant,
        inv.period,
        scope2,
        name,
        basis,
        unit,
        HIERARCHY + f"; used: {basis} key {name!r}",
        plant_total,
        inv.unit,
        out,
    )


def product_footprints(
    project: Project,
    path,
    period: str | None = None,
    key: str | None = None,
    scope2: str = "market",
    method=None,
) -> dict[str, float]:
    """Per-product gate-to-gate kg CO2e per declared unit for one period (default: latest)."""
    inv = plant_inventory(project, path, method).get(period)
    return allocate(inv, key, scope2).per_unit()


def database_name(plant: str) -> str:
    """``pcf-factory-<plant>`` with the plant id made safe for a database name."""
    return "pcf-factory-" + re.sub(r"[^a-z0-9]+", "-", plant.lower()).strip("-")


def write_product_activities(
    project: Project,
    path,
    period: str | None = None,
    key: str | None = None,
    scope2: str = "market",
    database: str | None = None,
    method=None,
) -> str:
    """Write each product's gate-to-gate "main production" as a Brightway activity.

    One database (default ``pcf-factory-<plant>``) with one activity per product, code = the
    product id, unit = its declared unit, ``stage = production``. Its exchanges are the plant's
    allocated inputs per unit: fuels, grid / residual / instrument electricity (links to the
    factor datasets) and process gases (biosphere flows), so ``FootprintEngine`` gives the same
    per-unit result as :func:`allocate` and a product system can consume the activity.

    The write is all-or-nothing: everything is computed first, then written by
    :func:`lca.imports.write_database` (temporary database renamed into place, the previous
    version kept aside until then and restored on failure). Re-running
    with a new period's data replaces the activities with that period's values.
    """
    plant = plant_inventory(project, path, method)
    inv = plant.get(period)
    alloc = allocate(inv, key, scope2)
    name = database or database_name(plant.plant)
    data = {}
    for p in alloc.products:
        unit = brightway_unit(p.unit) or p.unit
        exchanges = [{"input": (name, p.product), "amount": 1.0, "type": "production"}]
        for (t, k), amount in p.exchanges_per_unit.items():
            if amount:
                exchanges.append({"input": tuple(k.split("|", 1)), "amount": amount, "type": t})
        data[(name, p.product)] = {
            "name": f"{p.product}, main production at {plant.plant} (gate-to-gate)",
            "reference product": p.product,
            "unit": unit,
            "location": plant.region,
            "stage": "production",
            "exchanges": exchanges,
            "comment": (
                f"Plant-measured gate-to-gate (scope 1 + scope 2 {scope2}-based) for "
                f"{inv.period}: {p.per_unit:.6g} {inv.unit} per {p.unit}; {alloc.hierarchy}"
                f"; share {p.share:.6g}. Offsets are not included (ISO 14067)."
            ),
            "reference_period": inv.period,
            "allocation_key": alloc.key,
            "allocation_basis": alloc.basis,
            "scope2_method": scope2,
        }
    with project.lock():
        write_database(
            project,
            name,
            data,
            overwrite=True,
            source=str(plant.path),
            metadata={
                "description": f"Plant {plant.plant}, {inv.period}: gate-to-gate per "
                "product (factory.allocation)",
                "pcf_source_path": plant.path,
            },
        )
    log.info("wrote %s: %d product activities for %s", name, len(data), inv.period)
    return name
