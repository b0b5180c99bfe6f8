"""EU Battery Regulation (EU) 2023/1542 Art. 7 / Annex II carbon footprint declaration.

Functional unit: 1 kWh of the total energy the battery delivers over its service life::

    E = amount × lifetime_energy(capacity_kwh, full_equivalent_cycles, capacity_retention)
      = amount × capacity_kwh × full_equivalent_cycles × capacity_retention

    declared stage value = stage footprint / E      [kg CO2e per kWh delivered]

Full equivalent cycles (FEC) already include the depth of discharge: 3000 cycles at 80 % DoD are
2400 FEC. So the DoD is never a separate factor; cycles counted at a given DoD are converted
explicitly (``cycles_at_dod``: FEC = cycles × DoD).

Stages (Annex II): raw material acquisition and pre-processing; main product production;
distribution; end of life and recycling. The use stage is excluded (its footprint, if the
product system has one, is shown as excluded, not added). A stage the product system does not
model (absent from ``result.by_stage``, e.g. distribution and end of life of a cradle-to-gate
system) is reported as not modelled (``None``), never as 0, and the declaration is then marked
partial: Annex II requires all four stages (``require_complete=True`` refuses it instead). The
declared total is the sum of the modelled stages, so the split always adds up.

One service life: when the meta file names the model's per-kWh-delivered product
(``battery.delivered_product``, e.g. ``pcf-products-battery-regulation|lfp-pack-eu-per-kwh-delivered``)
and its footprint is given (``delivered=``), the declared total must equal it (the model's
cycles × years and the declaration's are the same figure); a difference is refused, naming
``battery.service_life``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lca.files import staged

from . import render
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


def lifetime_energy(
    capacity_kwh: float,
    full_equivalent_cycles: float | None = None,
    retention: float = 1.0,
    *,
    cycles_at_dod: tuple[float, float] | None = None,
) -> float:
    """Energy delivered over the service life, kWh (per unit of rated capacity ``capacity_kwh``).

    ``E = rated capacity × full equivalent cycles × average capacity retention``.

    Full equivalent cycles (FEC) are cycles of the full usable capacity: they already include
    the depth of discharge (DoD), so the DoD is not multiplied in again. ``retention`` is the
    average share of the rated capacity still available over the life (e.g. 0.9 for a linear
    fade to 80 %); use 1.0 when the FEC figure already counts energy throughput against the
    rated capacity. If the cycle figure is for partial cycles at a given DoD, pass
    ``cycles_at_dod=(cycles, dod)`` instead of ``full_equivalent_cycles``: FEC = cycles × DoD.

    >>> lifetime_energy(1.0, 2400)
    2400.0
    >>> lifetime_energy(2.0, 3000, 0.9)
    5400.0
    >>> lifetime_energy(1.0, cycles_at_dod=(3000, 0.8))  # 3000 cycles at 80 % DoD = 2400 FEC
    2400.0
    """
    if (full_equivalent_cycles is None) == (cycles_at_dod is None):
        raise ValueError("give full_equivalent_cycles or cycles_at_dod=(cycles, dod), not both")
    if cycles_at_dod is not None:
        cycles, dod = cycles_at_dod
        if not 0 < dod <= 1:
            raise ValueError(f"depth of discharge {dod!r} must be in (0, 1]")
        full_equivalent_cycles = cycles * dod
    for name, v in (
        ("capacity_kwh", capacity_kwh),
        ("full equivalent cycles", full_equivalent_cycles),
    ):
        if not v > 0:
            raise ValueError(f"{name} {v!r} must be > 0")
    if not 0 < retention <= 1:
        raise ValueError(f"capacity retention {retention!r} must be in (0, 1]")
    return float(capacity_kwh) * float(full_equivalent_cycles) * float(retention)


class CyclesAtDoD(BaseModel):
    """Cycles counted at a depth of discharge: ``cycles × depth_of_discharge`` FEC."""

    model_config = ConfigDict(extra="forbid")
    cycles: float = Field(gt=0)
    depth_of_discharge: float = Field(gt=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, data):
        if isinstance(data, (list, tuple)) and len(data) == 2:
            return {"cycles": data[0], "depth_of_discharge": data[1]}
        return data


_LEGACY = {
    "cycles": "full_equivalent_cycles (they already include the depth of discharge)",
    "depth_of_discharge": "cycles_at_dod: {cycles, depth_of_discharge} (FEC = cycles × DoD)",
    "cycles_per_year": "full_equivalent_cycles_per_year",
}


class ServiceLife(BaseModel):
    """What the energy delivered over the service life is computed from (user-supplied).

    Give exactly one of ``full_equivalent_cycles``; ``cycles_at_dod`` (cycles at a depth of
    discharge, converted: FEC = cycles × DoD); or ``full_equivalent_cycles_per_year`` and
    ``service_life_years``. See :func:`lifetime_energy`.
    """

    model_config = ConfigDict(extra="forbid")
    capacity_kwh: float = Field(gt=0, description="rated capacity per unit of the product, kWh")
    full_equivalent_cycles: float | None = Field(
        default=None, gt=0, description="full equivalent cycles over the service life"
    )
    cycles_at_dod: CyclesAtDoD | None = None
    full_equivalent_cycles_per_year: float | None = Field(default=None, gt=0)
    service_life_years: float | None = Field(default=None, gt=0)
    capacity_retention: float = Field(
        default=1.0, gt=0, le=1, description="average usable share of rated capacity"
    )

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data):
        # the old fields multiplied full equivalent cycles by the DoD again: refuse, don't guess
        if isinstance(data, dict):
            old = [k for k in _LEGACY if k in data]
            if old:
                raise ValueError(
                    "; ".join(f"{k!r} is no longer accepted: use {_LEGACY[k]}" for k in old)
                )
        return data

    @model_validator(mode="after")
    def _cycles(self):
        per_year = (self.full_equivalent_cycles_per_year, self.service_life_years)
        given = [
            self.full_equivalent_cycles is not None,
            self.cycles_at_dod is not None,
            any(v is not None for v in per_year),
        ]
        if sum(given) != 1 or (given[2] and None in per_year):
            raise ValueError(
                "give exactly one of: full_equivalent_cycles; cycles_at_dod "
                "{cycles, depth_of_discharge}; full_equivalent_cycles_per_year and "
                "service_life_years"
            )
        return self

    @property
    def total_full_equivalent_cycles(self) -> float:
        if self.full_equivalent_cycles is not None:
            return self.full_equivalent_cycles
        if self.cycles_at_dod is not None:
            return self.cycles_at_dod.cycles * self.cycles_at_dod.depth_of_discharge
        return self.full_equivalent_cycles_per_year * self.service_life_years

    def energy_delivered_kwh(self, units: float = 1.0) -> float:
        """Total energy delivered over the service life by ``units`` of the product."""
        if self.cycles_at_dod is not None:
            c = self.cycles_at_dod
            e = lifetime_energy(
                self.capacity_kwh,
                retention=self.capacity_retention,
                cycles_at_dod=(c.cycles, c.depth_of_discharge),
            )
        else:
            e = lifetime_energy(
                self.capacity_kwh, self.total_full_equivalent_cycles, self.capacity_retention
            )
        return units * e


class BatteryInfo(BaseModel):
    """Declaration identity (Annex II point 1): who, which model, where, which document."""

    model_config = ConfigDict(extra="forbid")
    manufacturer: str = Field(min_length=1)
    manufacturer_address: str | None = None
    battery_model: str = Field(min_length=1)
    battery_category: str | None = None
    plant: str = Field(min_length=1)
    #: this carbon footprint declaration's own id (document control)
    declaration_id: str = Field(min_length=1)
    #: the identifier of the battery's EU declaration of conformity (Annex II point 1 asks for
    #: it), a different document; shown as "not given" when the meta file does not state it
    conformity_declaration_id: str | None = None
    declaration_version: str | None = None
    declaration_date: dt.date | None = None
    study_url: str = Field(min_length=1)
    service_life: ServiceLife
    service_life_source: str | None = None
    #: the Annex II product system ("database|code") the declaration is computed from, and its
    #: per-kWh-delivered variant whose footprint must equal the declared total
    product_system: str | None = None
    delivered_product: str | None = None
    #: what each Annex II stage includes and leaves out (stage -> text), shown under the table
    stage_notes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _notes(self):
        unknown = sorted(set(self.stage_notes) - set(DECLARED_STAGES.values()))
        if unknown:
            raise ValueError(
                f"stage_notes: unknown stage(s) {unknown}; use "
                + ", ".join(DECLARED_STAGES.values())
            )
        return self

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
    declaration_version: str | None
    declaration_date: str | None
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
    total: float  # sum of the modelled stages
    #: Annex II stage -> kg CO2e/kWh; None when the product system does not model the stage
    stages: dict[str, float | None] = field(default_factory=dict)
    excluded: dict[str, float] = field(default_factory=dict)
    footprint_total: float = 0.0  # the result's total for the product amount (incl. excluded)
    complete: bool = False  # all four Annex II stages modelled
    missing_stages: list[str] = field(default_factory=list)  # the stages not modelled
    #: "complete" (all four stages modelled) or "partial" (never called complete)
    status: str = "partial"
    service_life_source: str | None = None
    stage_notes: dict[str, str] = field(default_factory=dict)
    #: the model's per-kWh-delivered product and its footprint (equal to ``total``, checked)
    delivered_product: str | None = None
    delivered_product_name: str | None = None
    delivered_total: float | None = None
    #: the battery's EU declaration of conformity id (not this document's id), if given
    conformity_declaration_id: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)


def battery_declaration(
    result, info: BatteryInfo | dict, *, require_complete: bool = False, delivered=None
) -> BatteryDeclaration:
    """Build the declaration from a footprint of a battery product system.

    Stages absent from ``result.by_stage`` are not modelled: reported as ``None`` (never 0)
    and the declaration is partial (``complete`` False, ``missing_stages``); with
    ``require_complete=True`` that raises :class:`InvalidDeclaration` naming them.

    Raises :class:`InvalidDeclaration` when part of the footprint has no life-cycle stage
    (``by_stage["unassigned"]``): the regulation needs every kg in a declared stage; and when
    ``delivered`` (the footprint of the model's per-kWh-delivered product of the same system,
    for 1 kWh) differs from the declared total (relative 1e-6, the precision of the float32
    matrices): the declaration's service life
    and the model's are then two figures, never allowed.
    """
    info = BatteryInfo.parse(info)
    energy = info.service_life.energy_delivered_kwh(result.amount)
    modelled = {DECLARED_STAGES[k] for k in result.by_stage if k in DECLARED_STAGES}
    missing = [s for s in DECLARED_STAGES.values() if s not in modelled]
    if missing and require_complete:
        raise InvalidDeclaration(
            "result.by_stage",
            missing,
            "Annex II requires all four life-cycle stages; not modelled: " + ", ".join(missing),
        )
    stages: dict[str, float | None] = {
        k: (0.0 if k in modelled else None) for k in DECLARED_STAGES.values()
    }
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
    total = sum(v for v in stages.values() if v is not None)
    if missing:  # the document says so in a visible note
        log.info("battery declaration is partial: stages not modelled: %s", ", ".join(missing))
    if delivered is not None:
        per_kwh = delivered.total / (delivered.amount or 1.0)
        if not math.isclose(per_kwh, total, rel_tol=1e-6, abs_tol=1e-12):  # float32 matrices
            raise InvalidDeclaration(
                "battery.service_life",
                info.service_life.model_dump(exclude_none=True),
                f"gives {total:.6g} per kWh delivered, but the model's per-kWh-delivered "
                f"product {'|'.join(delivered.product)} gives {per_kwh:.6g}: the service life "
                "of the meta file and of the model must be one figure",
            )
    unit = f"{result.unit}/kWh" if result.unit else "kg CO2-Eq/kWh"
    sl = info.service_life
    return BatteryDeclaration(
        manufacturer=info.manufacturer,
        manufacturer_address=info.manufacturer_address,
        battery_model=info.battery_model,
        battery_category=info.battery_category,
        plant=info.plant,
        declaration_id=info.declaration_id,
        conformity_declaration_id=info.conformity_declaration_id,
        declaration_version=info.declaration_version,
        declaration_date=info.declaration_date.isoformat() if info.declaration_date else None,
        study_url=info.study_url,
        product=list(result.product),
        product_name=result.product_name,
        product_amount=result.amount,
        product_unit=result.product_unit,
        method=list(result.method),
        unit=unit,
        functional_unit="1 kWh of the total energy delivered by the battery over its service life",
        energy_delivered_kwh=energy,
        service_life={
            **sl.model_dump(),
            "total_full_equivalent_cycles": sl.total_full_equivalent_cycles,
        },
        total=total,
        stages=stages,
        excluded=excluded,
        footprint_total=result.total,
        complete=not missing,
        missing_stages=missing,
        status="partial" if missing else "complete",
        service_life_source=info.service_life_source,
        stage_notes=dict(info.stage_notes),
        delivered_product="|".join(delivered.product) if delivered is not None else None,
        delivered_product_name=delivered.product_name if delivered is not None else None,
        delivered_total=(
            delivered.total / (delivered.amount or 1.0) if delivered is not None else None
        ),
    )


def supplied_stages(engine, result) -> set[str]:
    """The life-cycle stages of the activities the product system really supplies
    (``s = A⁻¹ f`` non-zero). ``result.by_stage`` may also hold a stage at exactly 0 for an
    activity of the same assembled matrices that this product does not use (the engine reuses
    one system for several products); such a stage is not modelled for this product."""
    from lca import maths

    node = engine.node(result.product)
    sysm = engine.system_for([node])
    f = engine.demand_vector(sysm, node, result.amount if result.amount else 1.0)
    s = maths.supply(sysm.fact, f)
    return {str(sysm.stages[j]) for j in range(len(s)) if s[j] != 0 and sysm.stages[j]}


def only_supplied_stages(engine, result):
    """``result`` without the stages of activities it does not supply (:func:`supplied_stages`):
    a stage the product's own system does not have is not modelled, never 0."""
    from dataclasses import replace

    keep = supplied_stages(engine, result)
    drop = [
        k for k, v in result.by_stage.items() if k not in keep and k in DECLARED_STAGES and v == 0
    ]
    if not drop:
        return result
    return replace(result, by_stage={k: v for k, v in result.by_stage.items() if k not in drop})


def battery_declaration_for(
    engine, product, info: BatteryInfo | dict, method=None, *, require_complete: bool = False
) -> BatteryDeclaration:
    """The declaration of ``product`` computed by ``engine`` (a
    :class:`lca.footprint.FootprintEngine`): from the meta's Annex II product system
    (``product_system``, e.g. the pack + distribution) when it names one, else from ``product``
    itself; with ``delivered_product``, checked against the model's per-kWh-delivered footprint
    (:func:`battery_declaration`, ``delivered=``)."""
    info = BatteryInfo.parse(info)
    result = only_supplied_stages(engine, engine.footprint(info.product_system or product, method))
    delivered = engine.footprint(info.delivered_product, method) if info.delivered_product else None
    return battery_declaration(result, info, require_complete=require_complete, delivered=delivered)


def write_battery_declaration(
    decl: BatteryDeclaration,
    out_dir: str | os.PathLike,
    lang: str = "en",
    formats=("json", "html", "pdf"),
    stem: str | None = None,
) -> list[Path]:
    """Write the declaration as JSON and a one-page HTML/PDF; all files or none."""
    lang = render.normalize_lang(lang)  # before anything is written
    unknown = set(formats) - {"json", "html", "pdf"}
    if unknown:
        raise InvalidDeclaration("formats", sorted(unknown), "unknown; use json, html, pdf")
    stem = stem or f"battery-declaration-{decl.product[1]}"
    written = []
    with staged(out_dir) as tmp:
        if "json" in formats:
            # the free text of the JSON is in ``lang``: a zh file beside the en one keeps its
            # own name instead of overwriting it (en keeps the plain name)
            name = f"{stem}.json" if lang == "en" else f"{stem}.{lang}.json"
            (tmp / name).write_text(decl.to_json(indent=2) + "\n", encoding="utf-8")
            written.append(name)
        # stages not modelled, by name, for the partial-declaration note
        code = lang
        missing = [render.translate(f"stage.{k}", code) for k in decl.missing_stages]
        notes = dict(decl.stage_notes)
        ctx = {"d": decl, "missing": missing, "notes": notes}
        pages = {m: ctx for m in ("html", "pdf") if m in formats}
        written += render.write_documents(tmp, "battery.html.j2", pages, stem, lang, plotly=False)
    log.info("battery declaration written: %s", ", ".join(written))
    return [Path(out_dir) / n for n in written]
