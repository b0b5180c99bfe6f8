"""What a declaring company supplies for a PACT footprint (and the ISO 14067 report): the
:class:`Declaration` and its :class:`DataQuality`, validated by pydantic; errors become
:class:`~reports.errors.InvalidDeclaration` naming the field (:func:`parse_model`).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from supply_chain.scoring import dqr as pef_dqr

from ..errors import InvalidDeclaration

_URN = re.compile(r"^[uU][rR][nN]:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$")


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


class Declaration(BaseModel):
    """What the declaring company supplies; everything else comes from the computed result.

    Units: carbon contents in kg C and ``product_mass_per_declared_unit`` in kg, both for the
    declared amount (the result's amount in its unit); percentages 0–100.
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
    product_mass_per_declared_unit: float = Field(ge=0)
    reference_period_start: dt.datetime
    reference_period_end: dt.datetime
    geography: str | None = None  # None/"GLO": global; region name; ISO 3166-1 or -2 code
    primary_data_share: float | None = Field(default=None, ge=0, le=100)
    dqi: DataQuality | None = None
    packaging_emissions_included: bool = False
    packaging_ghg_emissions: float | None = Field(default=None, ge=0)
    fossil_carbon_content: float = Field(ge=0)
    biogenic_carbon_content: float | None = Field(default=None, ge=0)
    biogenic_reporting: Literal["computed", "unknown"] = "computed"
    exempted_emissions_percent: float = Field(default=0.0, ge=0, le=100)
    exempted_emissions_description: str = ""
    boundary_processes_description: str | None = None
    allocation_rules_description: str | None = None
    uncertainty_assessment_description: str | None = None
    cross_sectoral_standards: list[str] = Field(
        default_factory=lambda: ["ISO14067", "GHGP-Product", "PACT-3.0"]
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

    @classmethod
    def parse(cls, data: dict, where: str = "declaration") -> Declaration:
        """Validate ``data``; errors become :class:`InvalidDeclaration` naming the field."""
        return parse_model(cls, data, where)


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
