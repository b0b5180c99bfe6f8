"""What a footprint is made of: the life-cycle stages and :class:`FootprintResult`.

Private: import these from :mod:`lca.footprint`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from . import methods

__all__ = [
    "NOT_ASSESSED_PARTS",
    "STAGES",
    "UNASSIGNED",
    "FootprintResult",
    "Key",
    "ProcessRow",
    "not_assessed_parts",
    "order_stages",
    "share",
]

#: Life-cycle stages (GHG Protocol Product Standard; EU Battery Regulation Annex II names).
STAGES = {
    "raw_material_acquisition": "Raw material acquisition and pre-processing",
    "production": "Main product production",
    "distribution": "Distribution and storage",
    "use": "Use",
    "end_of_life": "End of life and recycling",
}
UNASSIGNED = "unassigned"
#: The ``by_gas`` row of the part of a footprint that comes from CO2e aggregates: datasets that
#: publish one CO2e figure (booked as 'Carbon dioxide, fossil', :mod:`lca.dataset_meta`), whose
#: gas split is not available; counting it as CO2 would state a split nobody published.
AGGREGATE_GAS = "CO2e aggregates"

#: The figures of a footprint that only a dataset publishing the fossil / biogenic / land-use
#: split can give: without it they are unknown, not zero.
NOT_ASSESSED_PARTS = ("biogenic", "land_use", "biogenic_co2_emissions", "biogenic_co2_removals")
#: The ``biogenic`` metadata value (:mod:`lca.dataset_meta`) of a dataset whose source publishes
#: no fossil / biogenic / land-use split.
_NOT_ASSESSED = "not assessed"

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
    ``total`` (``by_gas`` keeps the CO2e aggregates' part in its own row :data:`AGGREGATE_GAS`); so does ``fossil + biogenic + land_use``. ``data_flags`` says what the datasets
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
    #: The figures of :data:`NOT_ASSESSED_PARTS` the supply chain's datasets do not assess
    #: (:func:`not_assessed_parts`). The attributes keep the model's sums (0.0 where no dataset
    #: books such a flow, so ``fossil + biogenic + land_use == total`` still holds); the outputs
    #: (:meth:`to_dict`, :meth:`to_frame`) write them as unknown, never as a measured 0.
    not_assessed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-able dict; a figure in :attr:`not_assessed` is ``None`` (null), and the list
        ``not_assessed`` names them."""
        d = asdict(self)
        d["product"] = list(self.product)
        d["method"] = list(self.method)
        for row in d["top_processes"]:
            row["key"] = list(row["key"]) if row["key"] else None
        for k in self.not_assessed:
            d[k] = None
        return d

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)

    def to_frame(self):
        """Long table: one row per (breakdown, item) with value and share of the total, in
        ``unit`` per ``per`` (the declared unit, e.g. ``1 kilowatt hour``).

        A split figure the datasets do not assess (:attr:`not_assessed`) has an empty value and
        share (NaN; an empty cell in CSV) and ``True`` in the column ``not_assessed``."""
        rows = [("total", "total", self.total)]
        rows += [
            ("split", k, np.nan if k in self.not_assessed else getattr(self, k))
            for k in methods.PARTS
        ]
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
        # a value means nothing without its unit and the declared unit it is per
        df.insert(2, "unit", self.unit)
        df.insert(3, "per", f"{self.amount:g} {self.product_unit}")
        df["not_assessed"] = [b == "split" and i in self.not_assessed for b, i, _ in rows]
        return df


def not_assessed_parts(activities: Iterable[Mapping]) -> list[str]:
    """The figures of :data:`NOT_ASSESSED_PARTS` a supply chain does not assess.

    ``activities``: the chain's datasets with their metadata, as
    :func:`lca.dataset_meta.read_activity_meta` gives them. When any dataset with a nonzero
    supply records ``biogenic: not assessed`` (its source publishes CO2e with no fossil /
    biogenic / land-use split), the chain's biogenic, land-use and biogenic-CO2 figures are
    unknown: a sum with an unknown term is unknown, and the model's 0.0 for them only says that
    no dataset books such a flow. Datasets recording another value (``not applicable (fossil
    fuel)``) do not make the split unknown, and activities without the field (the foreground of
    the shipped product systems, databases imported from elsewhere) are not judged, as in
    :func:`lca.dataset_meta.data_flags`.

    >>> not_assessed_parts([{"biogenic": "not assessed", "amount": 2.0}])
    ['biogenic', 'land_use', 'biogenic_co2_emissions', 'biogenic_co2_removals']
    >>> not_assessed_parts([{"biogenic": "not applicable (fossil fuel)", "amount": 1.0}, {}])
    []
    """
    for act in activities:
        if leaves_split_unassessed(act) and act.get("amount", 1.0):
            return list(NOT_ASSESSED_PARTS)
    return []


def leaves_split_unassessed(act: Mapping) -> bool:
    """Whether a dataset records ``biogenic: not assessed`` (its source gives no fossil /
    biogenic / land-use split): the rule of :func:`not_assessed_parts` for one dataset."""
    return str(act.get("biogenic", "")).strip().lower() == _NOT_ASSESSED


def share(v: float, total: float) -> float:
    return float(v / total) if total else float("nan")


def order_stages(d: dict) -> dict:
    order = list(STAGES) + [UNASSIGNED]
    return {k: d[k] for k in sorted(d, key=lambda k: order.index(k) if k in order else 99)}
