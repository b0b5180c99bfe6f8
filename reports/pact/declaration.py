"""What a declaring company supplies for a PACT footprint (and the ISO 14067 report): the
:class:`Declaration`, validated by pydantic; errors become
:class:`~reports.errors.InvalidDeclaration` naming the field (:func:`parse_model`).

A declaration adds company data (names, ids, product description and mass, period, geography,
cut-offs with their estimates). It never carries quality scores or computed shares: the data
quality ratings and the primary data share are computed from the inventory
(:func:`supply_chain.data_quality.assess`), the exempted share from the cut-off list. Such keys
(:data:`COMPUTED_KEYS`) are refused with an error naming the key.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from supply_chain.scoring import dqr as pef_dqr

from ..errors import InvalidDeclaration

_URN = re.compile(r"^[uU][rR][nN]:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$")

#: Keys a declaration (meta file) may not carry: figures the engine computes, never types.
COMPUTED_KEYS = {
    "dqi": "the data quality ratings are computed from the inventory's pedigree records "
    "(supply_chain.data_quality), never typed in a meta file",
    "data_quality": "the data quality ratings are computed from the inventory's pedigree "
    "records (supply_chain.data_quality), never typed in a meta file",
    "technological_dqr": "DQRs are computed from the inventory (supply_chain.data_quality)",
    "geographical_dqr": "DQRs are computed from the inventory (supply_chain.data_quality)",
    "temporal_dqr": "DQRs are computed from the inventory (supply_chain.data_quality)",
    "primary_data_share": "the primary data share is computed from the inventory's "
    "supplier-specific records (field primary_data, supply_chain.data_quality)",
    "exempted_emissions_percent": "the exempted share is computed from declaration.cut_offs "
    "(each with its estimate and basis)",
    "coverage_percent": "computed from the inventory (supply_chain.data_quality)",
}

#: PACT declared units of products that may have no mass: energy and services.
MASSLESS_UNITS = ("kilowatt hour", "megajoule", "ton kilometer", "hour", "megabit second")


class DataQuality(BaseModel):
    """Emission-weighted data-quality ratings, 1 (best) to 5 (PACT v3 ``dqi``).

    PACT v2.3 also wants coverage, completeness and reliability and bounds every rating to
    1–3; a v2 document carries ``dqi`` only when all of them are given.
    """

    model_config = ConfigDict(extra="forbid")
    technological: float = Field(ge=1, le=5)
    geographical: float = Field(ge=1, le=5)
    temporal: float = Field(ge=1, le=5)
    completeness: float | None = Field(default=None, ge=1, le=5)
    reliability: float | None = Field(default=None, ge=1, le=5)
    coverage_percent: float | None = Field(default=None, ge=0, le=100)

    @property
    def dqr(self) -> float | None:
        """PEF DQR = (TeR + GeR + TiR + P) / 4 when reliability (P) is known."""
        if self.reliability is None:
            return None
        return pef_dqr(self.technological, self.geographical, self.temporal, self.reliability)


class CutOff(BaseModel):
    """One item left out of the product system (an exemption, PACT Methodology 3.3.1.2).

    ``estimate`` is its emissions in kg CO2e for the declared amount (the result's amount), with
    the ``basis`` of the estimate (how it was computed) and its ``source``; ``None`` when it was
    not quantified (then the document says so and cannot claim PACT conformance).
    """

    model_config = ConfigDict(extra="forbid")
    item: str = Field(min_length=1)
    estimate: float | None = Field(default=None, ge=0)
    basis: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _basis(self):
        if self.estimate is not None and not self.basis.strip():
            raise ValueError("an estimate needs its basis (how it was computed)")
        return self


class Declaration(BaseModel):
    """What the declaring company supplies; everything else comes from the computed result.

    Units: carbon contents in kg C and ``product_mass_per_declared_unit`` in kg, both for the
    declared amount (the result's amount in its unit); cut-off estimates in kg CO2e for it.
    """

    model_config = ConfigDict(extra="forbid")
    company_name: str = Field(min_length=1)
    company_ids: list[str] = Field(min_length=1)
    product_name: str = Field(min_length=1)
    product_description: str = Field(min_length=1)
    product_ids: list[str] = Field(min_length=1)
    product_classifications: list[str] = Field(default_factory=list)
    product_category_cpc: str | None = None  # required by PACT v2 only
    # PACT unit; default: mapped from the activity's unit. Another unit is converted to (1 kWh
    # declared in megajoule is declaredUnitAmount 3.6), never just relabelled.
    declared_unit: str | None = None
    # kg per declared amount (the result's amount); None = not given. Required (> 0, with its
    # source) unless the product is energy itself (energy_product) or a service.
    product_mass_per_declared_unit: float | None = Field(default=None, ge=0)
    product_mass_source: str = ""
    energy_product: bool = False
    reference_period_start: dt.datetime
    reference_period_end: dt.datetime
    geography: str | None = None  # None/"GLO": global; region name; ISO 3166-1 or -2 code
    packaging_emissions_included: bool = False
    packaging_ghg_emissions: float | None = Field(default=None, ge=0)
    # kg C per declared amount; None = the company gives none: the figure of the product's
    # composition (inventories/carbon-content.csv, lca.carbon_content) where one is computed,
    # else not assessed (PACT v3 requires the field: the document then states 0 and its comment
    # says it was not assessed). A value given here wins over the table.
    fossil_carbon_content: float | None = Field(default=None, ge=0)
    biogenic_carbon_content: float | None = Field(default=None, ge=0)
    # "computed": the model's biogenic and land-use figures are an assessment (the inventory
    # models biogenic and land-use flows); "not_assessed" ("unknown"): they are left out of
    # PACT v3 (the spec's "blank if unknown") and the reports say not assessed
    biogenic_reporting: Literal["computed", "not_assessed", "unknown"] = "computed"
    cut_offs: list[CutOff] = Field(default_factory=list)
    boundary_processes_description: str | None = None
    allocation_rules_description: str | None = None
    uncertainty_assessment_description: str | None = None
    cross_sectoral_standards: list[str] = Field(
        # only what the footprint meets: a PACT methodology is refused while cut-offs are
        # unquantified or the data quality was not assessed (reports.pact.footprint)
        default_factory=lambda: ["ISO14067", "GHGP-Product"]
    )
    secondary_emission_factor_sources: list[dict[str, str]] = Field(default_factory=list)
    product_or_sector_specific_rules: list[dict[str, Any]] = Field(default_factory=list)
    ipcc_characterization_factors: list[str] | None = None  # default: from the method
    comment: str = ""
    validity_period_start: dt.datetime | None = None
    validity_period_end: dt.datetime | None = None
    id: uuid.UUID | None = None
    created: dt.datetime | None = None
    version: int = Field(default=1, ge=0)  # PACT v2 only
    _computed_pds: float | None = PrivateAttr(default=None)
    # how the carbon contents were resolved (reports.pact.footprint.with_carbon_content): None
    # not yet; () nothing from the product's composition table; (row, fields) the fields it gave
    _carbon_basis: tuple | None = PrivateAttr(default=None)

    @field_validator("company_ids", "product_ids", "product_classifications")
    @classmethod
    def _urns(cls, v: list[str]) -> list[str]:
        for i, u in enumerate(v):
            if not _URN.match(u):
                raise ValueError(f"item {i} {u!r} is not a URN (urn:<nid>:<nss>)")
        return v

    @field_validator(
        "reference_period_start",
        "reference_period_end",
        "created",
        "validity_period_start",
        "validity_period_end",
        mode="before",
    )
    @classmethod
    def _dates(cls, v):
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return dt.datetime(v.year, v.month, v.day, tzinfo=dt.UTC)
        if isinstance(v, str) and len(v) == 10:
            return dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC)
        return v

    @model_validator(mode="after")
    def _period(self):
        if self.reference_period_end <= self.reference_period_start:
            raise ValueError("reference_period_end must be after reference_period_start")
        return self

    def check(self, where: str = "declaration") -> Declaration:
        """The rules across fields, each error naming its field (:class:`InvalidDeclaration`):
        a product that is not energy (nor a service) has a mass > 0 with its source."""
        massless = self.energy_product or self.declared_unit in MASSLESS_UNITS[2:]
        if not massless and not self.product_mass_per_declared_unit:
            raise InvalidDeclaration(
                f"{where}.product_mass_per_declared_unit",
                self.product_mass_per_declared_unit,
                "must be > 0 for a product that is not energy: give the sourced mass in kg per "
                "declared amount (with product_mass_source), or set energy_product: true for "
                "electricity, heat or fuel",
            )
        if not massless and not self.product_mass_source.strip():
            raise InvalidDeclaration(
                f"{where}.product_mass_source",
                None,
                "is required with product_mass_per_declared_unit (publisher, document, "
                "table/page, year of the mass)",
            )
        return self

    @property
    def not_assessed_biogenic(self) -> bool:
        return self.biogenic_reporting != "computed"

    @property
    def exempted_emissions_description(self) -> str:
        """The cut-off list in words (each item with its estimate and basis, or "not
        quantified"); the PACT document adds the computed percentage
        (:func:`reports.pact.footprint.exempted_emissions`)."""
        if not self.cut_offs:
            return "None exempted."
        return "; ".join(
            f"{c.item}: "
            + (
                f"{c.estimate:.4g} kg CO2e ({c.basis}"
                + (f"; source: {c.source}" if c.source else "")
                + ")"
                if c.estimate is not None
                else "not quantified (no sourced estimate)"
            )
            for c in self.cut_offs
        )

    @property
    def unquantified_cut_offs(self) -> list[str]:
        return [c.item for c in self.cut_offs if c.estimate is None]

    @property
    def primary_data_share(self) -> float | None:
        """The computed primary data share, once a report attached it (never declared)."""
        return self._computed_pds

    @classmethod
    def parse(cls, data: dict, where: str = "declaration") -> Declaration:
        """Validate ``data``; errors become :class:`InvalidDeclaration` naming the field.

        Keys of figures the engine computes (:data:`COMPUTED_KEYS`: quality ratings, primary
        data share, exempted share) are refused, naming the key.
        """
        refuse_computed(data, where)
        return parse_model(cls, data, where).check(where)


def refuse_computed(data, where: str = "declaration") -> None:
    """Raise :class:`InvalidDeclaration` naming ``<where>.<key>`` for a computed key in ``data``.

    >>> refuse_computed({"company_name": "x"})
    >>> try:
    ...     refuse_computed({"dqi": {"technological": 1}})
    ... except InvalidDeclaration as e:
    ...     e.field
    'declaration.dqi'
    """
    if not isinstance(data, dict):
        return
    for key, why in COMPUTED_KEYS.items():
        if key in data:
            raise InvalidDeclaration(f"{where}.{key}", data[key], why + "; remove it")


def parse_model(model: type[BaseModel], data, where: str):
    """``model.model_validate(data)`` with pydantic errors turned into InvalidDeclaration."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(p) for p in e["loc"])
        raise InvalidDeclaration(
            f"{where}.{loc}" if loc else where,
            e.get("input") if not isinstance(e.get("input"), dict) else None,
            e["msg"],
        ) from None
