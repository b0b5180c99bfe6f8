"""Results of a plant's GHG inventory: source lines, one period, every period.

Every total is a sum over :class:`SourceLine` objects, so every table adds up.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import pandas as pd

from .factors import Key
from .inputs import Record, UnknownFactoryItem
from .levers import LeverState


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
    def scope1_sources(self) -> int:
        """How many scope-1 lines the plant reported: 0 means none reported, not a measured
        zero (the sheet and the CLI say so)."""
        return sum(1 for ln in self.lines if ln.scope == "1")

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
            "plant": self.plant,
            "period": self.period,
            "method": list(self.method),
            "unit": self.unit,
            "scope1": self.scope1,
            "scope1_by_category": self.by("1", "category"),
            "scope1_by_gas": self.by("1"),
            "scope1_by_item": self.by("1", "item"),
            "scope2_location": self.scope2_location,
            "scope2_location_by_item": self.by("2-location", "item"),
            "scope2_market": self.scope2_market,
            "scope2_market_by_category": self.by("2-market", "category"),
            "scope3_purchased_goods": self.scope3,
            "scope3_by_item": self.by("3", "item"),
            "scope1_2_location": self.scope1 + self.scope2_location,
            "scope1_2_market": self.scope1 + self.scope2_market,
            "green_share": self.electricity["green_share"],
            "offsets_retired": self.offsets_retired,
        }

    def to_dict(self) -> dict:
        return {
            **self.summary(),
            "electricity": self.electricity,
            "instruments": self.instruments,
            "production": self.production,
            "offsets": self.offsets,
            "notes": self.notes,
            "lines": [ln.to_dict() for ln in self.lines],
        }

    def to_frame(self):
        """One row per (line, gas): columns plant, period, scope, category, item, product, row,
        dataset, link, amount, unit, gas, kg_co2e. Grouped by scope it sums to the totals."""
        rows = []
        for ln in self.lines:
            for g, v in (ln.by_gas or {"-": 0.0}).items():
                rows.append(
                    {
                        "plant": self.plant,
                        "period": self.period,
                        "scope": ln.scope,
                        "category": ln.category,
                        "item": ln.item,
                        "product": ln.product,
                        "row": ln.row,
                        "dataset": ln.dataset,
                        "link": f"{ln.link[0]}|{ln.link[1]}",
                        "amount": ln.amount,
                        "unit": ln.unit,
                        "gas": g,
                        "kg_co2e": v,
                    }
                )
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
            raise UnknownFactoryItem(
                self.path, None, "period", f"no period {period!r}; known: {', '.join(self.periods)}"
            )
        return self.periods[period]

    def to_dict(self) -> dict:
        return {
            "plant": self.plant,
            "region": self.region,
            # the file's name only: no local path in a file a customer receives
            "path": os.path.basename(self.path) if self.path else self.path,
            "periods": {p: inv.to_dict() for p, inv in self.periods.items()},
        }

    def to_frame(self):
        return pd.concat([inv.to_frame() for inv in self.periods.values()], ignore_index=True)


def make_line(
    scope: str,
    category: str,
    rec: Record,
    link_type: str,
    factor_key: Key,
    dataset: str,
    amount: float,
    unit: str,
    by_gas: dict,
    product: str | None = None,
) -> SourceLine:
    """A :class:`SourceLine` for a record (its item, product and row)."""
    return SourceLine(
        scope,
        category,
        rec.item,
        product if product is not None else (rec.product or None),
        rec.row,
        link_type,
        factor_key,
        dataset,
        amount,
        unit,
        dict(by_gas),
    )


def scaled(by_gas: dict, k: float) -> dict:
    """Emissions by gas times ``k``."""
    return {g: v * k for g, v in by_gas.items()}
