"""EU Battery Regulation (EU) 2023/1542 Art. 7 / Annex II carbon footprint declaration.

Functional unit: 1 kWh of the total energy the battery delivers over its service life::

    E = amount × capacity_kwh × cycles × depth_of_discharge × capacity_retention
    cycles = cycles, or cycles_per_year × service_life_years

    declared stage value = stage footprint / E      [kg CO2e per kWh delivered]

Stages (Annex II): raw material acquisition and pre-processing; main product production;
distribution; end of life and recycling. The use stage is excluded (its footprint, if the
product system has one, is shown as excluded, not added). The declared total is the sum of the
four stages, so the split always adds up.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._io import staged
from .errors import InvalidDeclaration
from .pact import parse_model

log = logging.getLogger(__name__)

#: Engine stage -> Annex II stage (the use stage is excluded from the declaration).
DECLARED_STAGES = {
    "raw_material_acquisition": "raw_material_acquisition",
    "production": "production",
    "distribution": "distribution",
    "end_of_life": "end_of_life",
}
EXCLUDED_STAGES = ("use",)


class ServiceLife(BaseModel):
    """What the energy delivered over the service life is computed from (user-supplied)."""

    model_config = ConfigDict(extra="forbid")
    capacity_kwh: float = Field(gt=0, description="rated capacity per unit of the product, kWh")
    cycles: float | None = Field(default=None, gt=0, description="full equivalent cycles")
    cycles_per_year: float | None = Field(default=None, gt=0)
    service_life_years: float | None = Field(default=None, gt=0)
    depth_of_discharge: float = Field(gt=0, le=1)
    capacity_retention: float = Field(
        default=1.0, gt=0, le=1, description="average usable share of rated capacity"
    )

    @model_validator(mode="after")
    def _cycles(self):
        if self.cycles is None and (
            self.cycles_per_year is None or self.service_life_years is None
        ):
            raise ValueError("give cycles, or cycles_per_year and service_life_years")
        return self

    @property
    def total_cycles(self) -> float:
        if self.cycles is not None:
            return self.cycles
        return self.cycles_per_year * self.service_life_years

    def energy_delivered_kwh(self, units: float = 1.0) -> float:
        """Total energy delivered over the service life by ``units`` of the product."""
        return (
            units
            * self.capacity_kwh
            * self.total_cycles
            * self.depth_of_discharge
            * self.capacity_retention
        )


class BatteryInfo(BaseModel):
    """Declaration identity (Annex II point 1): who, which model, where, which document."""

    model_config = ConfigDict(extra="forbid")
    manufacturer: str = Field(min_length=1)
    manufacturer_address: str | None = None
    battery_model: str = Field(min_length=1)
    battery_category: str | None = None
    plant: str = Field(min_length=1)
    declaration_id: str = Field(min_length=1)
    study_url: str = Field(min_length=1)
    service_life: ServiceLife

    @classmethod
    def parse(cls, data, where: str = "battery") -> BatteryInfo:
        return parse_model(cls, data, where)


@dataclass
class BatteryDeclaration:
    """The declaration's figures: kg CO2e per kWh of energy delivered over the service life."""

    manufacturer: str
    manufacturer_address: str | None
    battery_model: str
    battery_category: str | None
    plant: str
    declaration_id: str
    study_url: str
    product: list[str]
    product_name: str
    product_amount: float
    product_unit: str
    method: list[str]
    unit: str  # e.g. "kg CO2-Eq/kWh"
    functional_unit: str
    energy_delivered_kwh: float
    service_life: dict
    total: float
    stages: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, float] = field(default_factory=dict)
    footprint_total: float = 0.0  # the result's total for the product amount (incl. excluded)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)


def battery_declaration(result, info: BatteryInfo | dict) -> BatteryDeclaration:
    """Build the declaration from a footprint of a battery product system.

    Raises :class:`InvalidDeclaration` when part of the footprint has no life-cycle stage
    (``by_stage["unassigned"]``): the regulation needs every kg in a declared stage.
    """
    info = BatteryInfo.parse(info)
    energy = info.service_life.energy_delivered_kwh(result.amount)
    stages = {k: 0.0 for k in DECLARED_STAGES}
    excluded: dict[str, float] = {}
    for k, v in result.by_stage.items():
        if k in DECLARED_STAGES:
            stages[DECLARED_STAGES[k]] += v / energy
        elif k in EXCLUDED_STAGES:
            excluded[k] = v / energy
        elif v:
            raise InvalidDeclaration(
                f"result.by_stage[{k!r}]",
                v,
                "is not attributed to a life-cycle stage; set the 'stage' field of the "
                "foreground activities (raw_material_acquisition, production, distribution, "
                "use, end_of_life)",
            )
    total = sum(stages.values())
    unit = f"{result.unit}/kWh" if result.unit else "kg CO2-Eq/kWh"
    sl = info.service_life
    return BatteryDeclaration(
        manufacturer=info.manufacturer,
        manufacturer_address=info.manufacturer_address,
        battery_model=info.battery_model,
        battery_category=info.battery_category,
        plant=info.plant,
        declaration_id=info.declaration_id,
        study_url=info.study_url,
        product=list(result.product),
        product_name=result.product_name,
        product_amount=result.amount,
        product_unit=result.product_unit,
        method=list(result.method),
        unit=unit,
        functional_unit="1 kWh of the total energy delivered by the battery over its service life",
        energy_delivered_kwh=energy,
        service_life={**sl.model_dump(), "total_cycles": sl.total_cycles},
        total=total,
        stages=stages,
        excluded=excluded,
        footprint_total=result.total,
    )


def write_battery_declaration(
    decl: BatteryDeclaration,
    out_dir: str | os.PathLike,
    lang: str = "en",
    formats=("json", "html", "pdf"),
    stem: str | None = None,
) -> list[Path]:
    """Write the declaration as JSON and a one-page HTML/PDF; all files or none."""
    from . import render

    stem = stem or f"battery-declaration-{decl.product[1]}"
    written = []
    with staged(out_dir) as tmp:
        if "json" in formats:
            (tmp / f"{stem}.json").write_text(decl.to_json(indent=2) + "\n", encoding="utf-8")
            written.append(f"{stem}.json")
        ctx = {"d": decl}
        if "html" in formats:
            html = render.render("battery.html.j2", ctx, lang=lang, medium="html")
            (tmp / f"{stem}.{lang}.html").write_text(html, encoding="utf-8")
            written.append(f"{stem}.{lang}.html")
        if "pdf" in formats:
            html = render.render("battery.html.j2", ctx, lang=lang, medium="pdf")
            (tmp / f"{stem}.{lang}.pdf").write_bytes(render.html_to_pdf(html, lang))
            written.append(f"{stem}.{lang}.pdf")
    log.info("battery declaration written: %s", ", ".join(written))
    return [Path(out_dir) / n for n in written]
