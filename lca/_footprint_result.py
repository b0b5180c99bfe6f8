"""What a footprint is made of: the life-cycle stages and :class:`FootprintResult`.

Private: import these from :mod:`lca.footprint`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from . import methods

__all__ = ["STAGES", "UNASSIGNED", "FootprintResult", "Key", "ProcessRow", "order_stages", "share"]

#: Life-cycle stages (GHG Protocol Product Standard; EU Battery Regulation Annex II names).
STAGES = {
    "raw_material_acquisition": "Raw material acquisition and pre-processing",
    "production": "Main product production",
    "distribution": "Distribution and storage",
    "use": "Use",
    "end_of_life": "End of life and recycling",
}
UNASSIGNED = "unassigned"

Key = tuple[str, str]


@dataclass
class ProcessRow:
    key: Key | None
    name: str
    location: str | None
    value: float
    share: float


@dataclass
class FootprintResult:
    """A product's carbon footprint under one method. All values in the method's unit.

    ``by_stage``, ``by_gas`` and ``top_processes`` (with its last "rest" row) each sum to
    ``total``; so does ``fossil + biogenic + land_use``. ``data_flags`` says what the datasets
    behind the total do not cover (see :mod:`lca.dataset_meta`).
    """

    product: Key
    product_name: str
    product_unit: str
    amount: float
    method: tuple[str, ...]
    method_alias: str | None
    unit: str
    total: float
    fossil: float
    biogenic: float
    land_use: float
    split_source: str  # "bundled" sub-methods or "derived" from flow names
    biogenic_co2_emissions: float  # kg CO2 (not characterised by IPCC methods)
    biogenic_co2_removals: float  # kg CO2, negative
    by_gas: dict[str, float] = field(default_factory=dict)
    by_stage: dict[str, float] = field(default_factory=dict)
    top_processes: list[ProcessRow] = field(default_factory=list)
    #: What the total cannot claim (:func:`lca.dataset_meta.data_flags`): datasets in the supply
    #: chain that are direct-only / combustion-only / of unstated boundary, CO2e aggregates on
    #: mixed or unstated GWP bases, air freight's radiative-forcing uplift (not in ``total``).
    data_flags: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["product"] = list(self.product)
        d["method"] = list(self.method)
        for row in d["top_processes"]:
            row["key"] = list(row["key"]) if row["key"] else None
        return d

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)

    def to_frame(self):
        """Long table: one row per (breakdown, item) with value and share of the total."""
        rows = [("total", "total", self.total)]
        rows += [("split", k, getattr(self, k)) for k in methods.PARTS]
        rows += [("stage", k, v) for k, v in self.by_stage.items()]
        rows += [("gas", k, v) for k, v in self.by_gas.items()]
        rows += [
            ("process", r.name + (f" [{r.location}]" if r.location else ""), r.value)
            for r in self.top_processes
        ]
        df = pd.DataFrame(rows, columns=["breakdown", "item", "value"])
        df["share"] = df["value"] / self.total if self.total else np.nan
        df.insert(0, "product", f"{self.product[0]}|{self.product[1]}")
        df.insert(1, "method", "|".join(self.method))
        return df


def share(v: float, total: float) -> float:
    return float(v / total) if total else float("nan")


def order_stages(d: dict) -> dict:
    order = list(STAGES) + [UNASSIGNED]
    return {k: d[k] for k in sorted(d, key=lambda k: order.index(k) if k in order else 99)}
