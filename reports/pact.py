"""PACT (WBCSD Pathfinder) ProductFootprint documents: write, validate, read, re-issue.

- :func:`pact_footprint` builds a v3 (default) or v2.3 ProductFootprint from a
  :class:`lca.footprint.FootprintResult` and a :class:`Declaration` (the metadata only the user
  knows: company and product ids, declared unit, product mass, reference period, geography,
  primary data share, DQI, ...). Every document is validated before it is returned.
- :func:`validate_pact` is the engine's one PACT validator,
  :func:`supply_chain.pact_spec.validate_pact` (the official OpenAPI schema when it is available,
  and always our own data-model rules), raising :class:`PactValidationError` (a
  :class:`supply_chain.errors.InvalidPCF`) naming the first failing field.
- :func:`read_pact` / :func:`write_pact` read and write any valid document (ours or a partner's);
  decimal strings become :class:`decimal.Decimal` and date-times :class:`datetime.datetime`
  (by the data model's field types, :mod:`supply_chain.pact_spec`), so a read–write round trip
  keeps the meaning exactly. Other companies' documents are read leniently: contradicting
  figures are logged, not refused (see :mod:`supply_chain.pact_spec`).
- :func:`reissue` deprecates a footprint and issues its successor (new id, ``precedingPfIds``).

Figures (v3: for ``declaredUnitAmount`` declared units; v2: per *one* declared unit, with
``unitaryProductAmount`` declared units in the product), from the result's method (an IPCC GWP):

=============================== =============================================================
v3 field                        from the result
=============================== =============================================================
pcfExcludingBiogenicUptake      ``total + biogenic_co2_emissions`` (IPCC gives biogenic CO2 0)
pcfIncludingBiogenicUptake      ``pcfExcludingBiogenicUptake + biogenicCO2Uptake``
fossilGhgEmissions              ``fossil``
landUseChangeGhgEmissions       ``land_use`` (dLUC)
biogenicNonCO2Emissions         ``biogenic`` (characterised non-fossil CH4 etc.)
biogenicCO2Uptake               ``biogenic_co2_removals`` (negative)
=============================== =============================================================

v2 uses ``pCfExcludingBiogenic = total`` (biogenic CO2 excluded),
``pCfIncludingBiogenic = total + biogenic CO2 emissions + removals``, ``dLucGhgEmissions``,
``otherBiogenicGhgEmissions`` and ``biogenicCarbonWithdrawal``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import math
import os
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lca import methods as lca_methods
from supply_chain import pact_spec
from supply_chain import units as sc_units
from supply_chain.errors import BOMUnitMismatch, InvalidPCF, UnknownUnit
from supply_chain.scoring import dqr as pef_dqr

from lca.files import write_atomic
from .errors import InvalidDeclaration, PactValidationError, ReportInputError, UnsupportedUnit

log = logging.getLogger(__name__)

SPEC_VERSION = {3: "3.0.3", 2: "2.3.0"}
SIGNIFICANT_DIGITS = 10

#: Brightway unit name -> (PACT declared unit, factor from the Brightway unit to it).
UNITS: dict[str, tuple[str, float]] = {
    "kilowatt hour": ("kilowatt hour", 1.0),
    "megawatt hour": ("kilowatt hour", 1000.0),
    "kilogram": ("kilogram", 1.0),
    "gram": ("kilogram", 0.001),
    "ton": ("kilogram", 1000.0),  # Brightway's "ton" is the metric tonne
    "metric ton": ("kilogram", 1000.0),
    "unit": ("piece", 1.0),
    "piece": ("piece", 1.0),
    "item": ("piece", 1.0),
    "litre": ("liter", 1.0),
    "liter": ("liter", 1.0),
    "cubic meter": ("cubic meter", 1.0),
    "megajoule": ("megajoule", 1.0),
    "kilojoule": ("megajoule", 0.001),
    "gigajoule": ("megajoule", 1000.0),
    "ton kilometer": ("ton kilometer", 1.0),
    "square meter": ("square meter", 1.0),
    "hour": ("hour", 1.0),
    "megabit second": ("megabit second", 1.0),
}

#: PACT v3 crossSectoralStandards -> v2 crossSectoralStandardsUsed (deprecated, but required).
_V2_STANDARDS_USED = {
    "GHGP-Product": "GHG Protocol Product standard",
    "ISO14067": "ISO Standard 14067",
    "ISO14040-44": "ISO Standard 14044",
}


# -- validation: the one validator is supply_chain.pact_spec.validate_pact -----------------------
def spec_major(doc: dict) -> int:
    """2 or 3, from the document's ``specVersion``."""
    sv = str(doc.get("specVersion", ""))
    major = sv.split(".", 1)[0]
    if major not in ("2", "3"):
        raise PactValidationError("PACT", "specVersion", f"unsupported spec version {sv!r}")
    return int(major)


def validate_pact(doc: dict, version: int | None = None, *, strict: bool = True) -> None:
    """:func:`supply_chain.pact_spec.validate_pact`, raising :class:`PactValidationError`.

    ``strict=False`` (reading other companies' documents) logs contradicting figures instead of
    refusing them.
    """
    version = version or spec_major(doc)
    try:
        pact_spec.validate_pact(doc, version, source=f"PACT v{version}", strict=strict)
    except InvalidPCF as exc:
        raise PactValidationError(exc.source, exc.field, exc.why, exc.errors) from None


# -- declaration metadata ----------------------------------------------------------------------
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


# -- number and date formatting ----------------------------------------------------------------
def decimal_string(x: float | Decimal, where: str = "value") -> str:
    """A PACT decimal string: plain notation, ``SIGNIFICANT_DIGITS`` significant digits.

    >>> decimal_string(72.299501568079), decimal_string(1e-7), decimal_string(-0.0)
    ('72.29950157', '0.0000001', '0')
    """
    if isinstance(x, Decimal):
        d = x
    else:
        if not (isinstance(x, (int, float)) and math.isfinite(x)):
            raise InvalidDeclaration(where, x, "must be a finite number")
        d = Decimal(f"{float(x):.{SIGNIFICANT_DIGITS}g}")
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s


def _format_datetime(d: dt.datetime) -> str:
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    s = d.isoformat()
    return s[:-6] + "Z" if s.endswith("+00:00") else s


# -- building a document -----------------------------------------------------------------------
def declared_unit(unit: str, version: int = 3) -> tuple[str, float]:
    """PACT declared unit and conversion factor for a Brightway unit name.

    >>> declared_unit("unit"), declared_unit("ton")
    (('piece', 1.0), ('kilogram', 1000.0))
    """
    allowed = pact_spec.DECLARED_UNITS[str(version)]
    if unit in allowed:
        return unit, 1.0
    if unit not in UNITS:
        raise UnsupportedUnit(unit, f"PACT v{version}", set(UNITS))
    name, factor = UNITS[unit]
    if name not in allowed:
        raise UnsupportedUnit(unit, f"PACT v{version} (declared unit {name!r})", allowed)
    return name, factor


def unit_factor(product_unit: str, unit_name: str, version: int = 3) -> float:
    """How many ``unit_name`` (a PACT declared unit) one ``product_unit`` (Brightway) is.

    :func:`supply_chain.units.conversion_factor` (pint with the engine's unit table; Brightway's
    ``ton`` is the metric tonne), falling back to :data:`UNITS` for Brightway names that table
    lacks. Raises :class:`UnsupportedUnit` naming both units when they measure different
    things (``kilogram`` declared as ``megajoule``) or the product unit is unknown.

    >>> unit_factor("kilowatt hour", "megajoule"), unit_factor("ton", "kilogram")
    (3.6, 1000.0)
    """
    if product_unit == unit_name:
        return 1.0
    try:
        return sc_units.conversion_factor(product_unit, unit_name, "PACT declared unit")
    except UnknownUnit:
        mapped = UNITS.get(product_unit)
        if mapped and mapped[0] == unit_name:
            return mapped[1]
        why = "is not a known unit"
    except BOMUnitMismatch:
        why = "measures something else"
    raise UnsupportedUnit(
        unit_name,
        f"PACT v{version} for a result in {product_unit!r}: {product_unit!r} {why}, "
        f"so it cannot be converted to {unit_name!r}",
    )


def geography_fields(geo: str | None, version: int = 3) -> dict[str, str]:
    """The one PACT geography field for a region name or an ISO 3166 code (none if global)."""
    if geo is None or geo.strip().upper() in ("", "GLO", "GLOBAL"):
        return {}
    if geo in pact_spec.UN_M49_REGIONS:
        return {"geographyRegionOrSubregion": geo}
    if re.fullmatch(r"[A-Z]{2}", geo):
        return {"geographyCountry": geo}
    if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", geo):
        return {"geographyCountrySubdivision": geo}
    raise InvalidDeclaration(
        "declaration.geography", geo, "not a UN M49 region name nor an ISO 3166-1/-2 code"
    )


def ipcc_factors(result, decl: Declaration) -> list[str]:
    if decl.ipcc_characterization_factors:
        return list(decl.ipcc_characterization_factors)
    ar = lca_methods.IPCC_REPORT.get(result.method_alias or "")
    if not ar:
        raise InvalidDeclaration(
            "method",
            "|".join(result.method),
            "PACT needs IPCC characterisation factors (AR6/AR5): use gwp100, gwp20, "
            "gwp100-ar5 or gwp20-ar5, or set declaration.ipcc_characterization_factors",
        )
    return [ar]


def boundary_description(result) -> str:
    from lca.footprint import STAGES

    stages = [STAGES.get(k, k) for k, v in result.by_stage.items() if v]
    gate = "cradle-to-grave" if "end_of_life" in result.by_stage else "cradle-to-gate"
    return f"{gate.capitalize()}. Life-cycle stages included: {'; '.join(stages)}."


def parts(result) -> dict[str, float]:
    """The result's figures that every document reports, in the result's unit and amount."""
    excl = result.total + result.biogenic_co2_emissions
    return {
        "total": result.total,
        "fossil": result.fossil,
        "biogenic": result.biogenic,
        "land_use": result.land_use,
        "biogenic_co2_emissions": result.biogenic_co2_emissions,
        "biogenic_co2_removals": result.biogenic_co2_removals,
        "excluding_uptake": excl,
    }


def pact_footprint(
    result, decl: Declaration | dict, version: int = 3, now: dt.datetime | None = None
) -> dict:
    """A validated PACT ProductFootprint (v3, or v2.3 with ``version=2``) for ``result``.

    Raises :class:`InvalidDeclaration` (naming the metadata field) or
    :class:`PactValidationError` (naming the document field).
    """
    decl = Declaration.parse(decl) if not isinstance(decl, Declaration) else decl
    if version not in (2, 3):
        raise InvalidDeclaration("pact_version", version, "must be 3 or 2")
    if decl.declared_unit:
        # an override is a different unit for the same product: convert, never just relabel
        unit_name, _ = declared_unit(decl.declared_unit, version)
        factor = unit_factor(result.product_unit, unit_name, version)
    else:
        unit_name, factor = declared_unit(result.product_unit, version)
    # the figures stay those of the result's amount; that amount, in declared units, is the
    # v3 declaredUnitAmount (figures are per declaredUnitAmount declared units) and the v2
    # unitaryProductAmount (figures are scaled to one declared unit below)
    amount = result.amount * factor
    if not amount > 0:
        raise InvalidDeclaration("result.amount", result.amount, "must be > 0 to be declared")
    scale = 1.0 if version == 3 else 1.0 / amount  # v2 figures are per one declared unit
    p = parts(result)
    where = f"PACT v{version} figure"

    def dec(x, name):
        return decimal_string(x * scale, f"{where} {name}")

    for name, key in (
        ("fossilGhgEmissions", "fossil"),
        ("landUseChangeGhgEmissions", "land_use"),
        ("biogenicNonCO2Emissions", "biogenic"),
    ):
        if p[key] < 0:
            raise InvalidDeclaration(
                f"result.{key}", p[key], f"is negative; PACT {name} must be >= 0"
            )
    created = _format_datetime(
        decl.created or now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
    ipcc = ipcc_factors(result, decl)
    note = (
        f"Computed with pcf-engine (Brightway 2.5) from {result.product[0]}|"
        f"{result.product[1]}, method {' | '.join(result.method)}."
    )
    comment = (decl.comment + " " + note).strip() if decl.comment else note
    doc: dict[str, Any] = {
        "id": str(decl.id or uuid.uuid4()),
        "specVersion": SPEC_VERSION[version],
        "created": created,
        "status": "Active",
    }
    if version == 2:
        doc["version"] = decl.version
    if decl.validity_period_start:
        doc["validityPeriodStart"] = _format_datetime(decl.validity_period_start)
    if decl.validity_period_end:
        doc["validityPeriodEnd"] = _format_datetime(decl.validity_period_end)
    doc.update(
        {
            "companyName": decl.company_name,
            "companyIds": list(decl.company_ids),
            "productDescription": decl.product_description,
            "productIds": list(decl.product_ids),
        }
    )
    if decl.product_classifications:
        doc["productClassifications"] = list(decl.product_classifications)
    if version == 2:
        if not decl.product_category_cpc:
            raise InvalidDeclaration(
                "declaration.product_category_cpc", None, "is required by PACT v2 (UN CPC code)"
            )
        doc["productCategoryCpc"] = decl.product_category_cpc
    doc["productNameCompany"] = decl.product_name
    doc["comment"] = comment
    boundary = decl.boundary_processes_description or boundary_description(result)
    geo = geography_fields(decl.geography, version)
    period = {
        "referencePeriodStart": _format_datetime(decl.reference_period_start),
        "referencePeriodEnd": _format_datetime(decl.reference_period_end),
    }
    bio_known = decl.biogenic_reporting == "computed"
    if version == 3:
        excl = dec(p["excluding_uptake"], "pcfExcludingBiogenicUptake")
        uptake = dec(p["biogenic_co2_removals"], "biogenicCO2Uptake") if bio_known else "0"
        pcf: dict[str, Any] = {
            "declaredUnitOfMeasurement": unit_name,
            "declaredUnitAmount": decimal_string(amount, "declaredUnitAmount"),
            "productMassPerDeclaredUnit": decimal_string(decl.product_mass_per_declared_unit),
            **period,
            **geo,
            "boundaryProcessesDescription": boundary,
            "pcfExcludingBiogenicUptake": excl,
            # exact in decimal arithmetic, so the PACT identity holds to the last digit
            "pcfIncludingBiogenicUptake": decimal_string(Decimal(excl) + Decimal(uptake)),
            "fossilCarbonContent": decimal_string(decl.fossil_carbon_content),
            "fossilGhgEmissions": dec(p["fossil"], "fossilGhgEmissions"),
        }
        if decl.biogenic_carbon_content is not None:
            pcf["biogenicCarbonContent"] = decimal_string(decl.biogenic_carbon_content)
        if bio_known:
            pcf["landUseChangeGhgEmissions"] = dec(p["land_use"], "landUseChangeGhgEmissions")
            pcf["biogenicCO2Uptake"] = uptake
            pcf["biogenicNonCO2Emissions"] = dec(p["biogenic"], "biogenicNonCO2Emissions")
        pcf["packagingEmissionsIncluded"] = decl.packaging_emissions_included
        if decl.packaging_ghg_emissions is not None:
            pcf["packagingGhgEmissions"] = decimal_string(decl.packaging_ghg_emissions)
        pcf["ipccCharacterizationFactors"] = ipcc
        pcf["crossSectoralStandards"] = list(decl.cross_sectoral_standards)
        if decl.product_or_sector_specific_rules:
            pcf["productOrSectorSpecificRules"] = decl.product_or_sector_specific_rules
        pcf["exemptedEmissionsPercent"] = decimal_string(decl.exempted_emissions_percent)
        if decl.exempted_emissions_description:
            pcf["exemptedEmissionsDescription"] = decl.exempted_emissions_description
        if decl.allocation_rules_description:
            pcf["allocationRulesDescription"] = decl.allocation_rules_description
        if decl.secondary_emission_factor_sources:
            pcf["secondaryEmissionFactorSources"] = decl.secondary_emission_factor_sources
        if decl.primary_data_share is not None:
            pcf["primaryDataShare"] = decimal_string(decl.primary_data_share)
        if decl.dqi:
            pcf["dqi"] = {
                "technologicalDQR": decimal_string(decl.dqi.technological),
                "geographicalDQR": decimal_string(decl.dqi.geographical),
                "temporalDQR": decimal_string(decl.dqi.temporal),
            }
    else:
        if decl.biogenic_carbon_content is None:
            raise InvalidDeclaration(
                "declaration.biogenic_carbon_content", None, "is required by PACT v2"
            )
        total = p["total"]
        incl = p["total"] + p["biogenic_co2_emissions"] + p["biogenic_co2_removals"]
        if total < 0:
            raise InvalidDeclaration("result.total", total, "pCfExcludingBiogenic must be >= 0")
        v2_std = [
            s for s in decl.cross_sectoral_standards if s in pact_spec.CROSS_SECTORAL_STANDARDS_V2
        ]
        used = [
            _V2_STANDARDS_USED[s] for s in decl.cross_sectoral_standards if s in _V2_STANDARDS_USED
        ]
        if not used:
            raise InvalidDeclaration(
                "declaration.cross_sectoral_standards",
                decl.cross_sectoral_standards,
                "PACT v2 needs one of GHGP-Product, ISO14067, ISO14040-44",
            )
        mass = decl.product_mass_per_declared_unit * scale
        pcf = {
            "declaredUnit": unit_name,
            "unitaryProductAmount": decimal_string(amount, "unitaryProductAmount"),
            "productMassPerDeclaredUnit": decimal_string(mass),
            "pCfExcludingBiogenic": dec(total, "pCfExcludingBiogenic"),
            "pCfIncludingBiogenic": dec(incl, "pCfIncludingBiogenic"),
            "fossilGhgEmissions": dec(p["fossil"], "fossilGhgEmissions"),
            "fossilCarbonContent": decimal_string(decl.fossil_carbon_content * scale),
            "biogenicCarbonContent": decimal_string(decl.biogenic_carbon_content * scale),
        }
        if bio_known:
            pcf["dLucGhgEmissions"] = dec(p["land_use"], "dLucGhgEmissions")
            pcf["otherBiogenicGhgEmissions"] = dec(p["biogenic"], "otherBiogenicGhgEmissions")
            pcf["biogenicCarbonWithdrawal"] = dec(
                p["biogenic_co2_removals"], "biogenicCarbonWithdrawal"
            )
        pcf.update(
            {
                "characterizationFactors": ipcc[-1],
                "ipccCharacterizationFactorsSources": ipcc,
                "crossSectoralStandardsUsed": used,
            }
        )
        if v2_std:
            pcf["crossSectoralStandards"] = v2_std
        if decl.product_or_sector_specific_rules:
            pcf["productOrSectorSpecificRules"] = decl.product_or_sector_specific_rules
        pcf.update({"boundaryProcessesDescription": boundary, **period, **geo})
        if decl.secondary_emission_factor_sources:
            pcf["secondaryEmissionFactorSources"] = decl.secondary_emission_factor_sources
        if decl.exempted_emissions_percent > 5:
            raise InvalidDeclaration(
                "declaration.exempted_emissions_percent",
                decl.exempted_emissions_percent,
                "PACT v2 allows 0-5",
            )
        pcf["exemptedEmissionsPercent"] = decl.exempted_emissions_percent
        pcf["exemptedEmissionsDescription"] = decl.exempted_emissions_description
        pcf["packagingEmissionsIncluded"] = decl.packaging_emissions_included
        if decl.packaging_ghg_emissions is not None:
            pcf["packagingGhgEmissions"] = decimal_string(decl.packaging_ghg_emissions * scale)
        if decl.allocation_rules_description:
            pcf["allocationRulesDescription"] = decl.allocation_rules_description
        if decl.uncertainty_assessment_description:
            pcf["uncertaintyAssessmentDescription"] = decl.uncertainty_assessment_description
        if decl.primary_data_share is not None:
            pcf["primaryDataShare"] = decl.primary_data_share
        q = decl.dqi
        if q and None not in (q.completeness, q.reliability, q.coverage_percent):
            pcf["dqi"] = {
                "coveragePercent": q.coverage_percent,
                "technologicalDQR": q.technological,
                "temporalDQR": q.temporal,
                "geographicalDQR": q.geographical,
                "completenessDQR": q.completeness,
                "reliabilityDQR": q.reliability,
            }
        elif q:
            log.info("PACT v2: dqi left out (v2 also needs coverage, completeness, reliability)")
    doc["pcf"] = pcf
    validate_pact(doc, version)
    return doc


# -- lifecycle ---------------------------------------------------------------------------------
def reissue(previous: dict, successor: dict, reason: str = "") -> tuple[dict, dict]:
    """Deprecate ``previous`` and link ``successor`` to it (PACT lifecycle: a change is a new id).

    Returns ``(deprecated_previous, successor)``: the old document with status ``Deprecated``;
    the new one with ``precedingPfIds`` = the old one's preceding ids + its id (and, in v2,
    ``version`` incremented). Both are validated.
    """
    version = spec_major(previous)
    if spec_major(successor) != version:
        raise PactValidationError(
            f"PACT v{version}",
            "specVersion",
            "successor and previous footprint have different versions",
        )
    if str(successor["id"]).lower() == str(previous["id"]).lower():
        raise PactValidationError(f"PACT v{version}", "id", "a re-issued footprint needs a new id")
    old, new = copy.deepcopy(previous), copy.deepcopy(successor)
    old["status"] = "Deprecated"
    text = f"Superseded by {new['id']}." + (f" {reason}" if reason else "")
    if version == 2:
        old["statusComment"] = text
        new["version"] = int(previous.get("version", 0)) + 1
    else:
        old["comment"] = (old.get("comment", "") + "\n" + text).strip()
    preceding = [*previous.get("precedingPfIds", []), previous["id"]]
    new["precedingPfIds"] = list(dict.fromkeys(preceding))
    if reason:
        key = "statusComment" if version == 2 else "comment"
        new[key] = (new.get(key, "") + "\n" + f"Re-issued: {reason}").strip()
    validate_pact(old, version)
    validate_pact(new, version)
    return old, new


# -- reading and writing -----------------------------------------------------------------------
@dataclass
class ProductFootprint:
    """A PACT ProductFootprint as read: ``data`` holds the document with decimals as
    :class:`~decimal.Decimal` and date-times as :class:`~datetime.datetime` (by the schema)."""

    version: int
    data: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def pcf_excluding_biogenic(self) -> Decimal:
        key = "pcfExcludingBiogenicUptake" if self.version == 3 else "pCfExcludingBiogenic"
        return self.data["pcf"][key]

    def to_json(self) -> dict:
        """Back to JSON types (decimal strings, RFC 3339 date-times)."""
        return _to_json(self.data)


def _to_json(value):
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return _format_datetime(value)
    return value


def _from_json(doc: dict, version: int) -> dict:
    """Decimal strings -> Decimal and date-times -> datetime, by the data model's field types
    (:mod:`supply_chain.pact_spec`); extensions and unknown fields are left as they are."""
    major = str(version)
    out = copy.deepcopy(doc)

    def dates(obj, names):
        for k in names:
            if isinstance(obj.get(k), str):
                obj[k] = pact_spec.parse_datetime(obj[k])

    dates(out, pact_spec.DATE_TIME_FIELDS[major])
    pcf = out.get("pcf")
    if isinstance(pcf, dict):
        dates(pcf, pact_spec.PCF_DATE_TIME_FIELDS)
        for obj, name in pact_spec.PCF_NESTED_DATE_TIME_FIELDS[major]:
            if isinstance(pcf.get(obj), dict):
                dates(pcf[obj], (name,))
        for k in pact_spec.DECIMAL_FIELDS[major]:
            if isinstance(pcf.get(k), str):
                pcf[k] = Decimal(pcf[k])
        dqi = pcf.get("dqi")
        if major == "3" and isinstance(dqi, dict):
            for k in pact_spec.DQR_NAMES:
                if isinstance(dqi.get(k), str):
                    dqi[k] = Decimal(dqi[k])
    return out


def _unwrap(doc: dict) -> dict:
    """A ProductFootprint from itself or an API response ``{"data": {...}}``."""
    if "pcf" not in doc and isinstance(doc.get("data"), dict):
        return doc["data"]
    return doc


def read_pact(source: str | os.PathLike | dict) -> ProductFootprint:
    """Read and validate a ProductFootprint (ours or a partner's) from a file path or a dict.

    Validation is lenient about contradicting figures (logged, see :func:`validate_pact`).
    """
    if isinstance(source, dict):
        raw = source
    else:
        try:
            raw = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReportInputError(source, f"cannot read PACT JSON ({exc})") from None
    raw = _unwrap(raw)
    version = spec_major(raw)
    validate_pact(raw, version, strict=False)
    return ProductFootprint(version=version, data=_from_json(raw, version))


def write_pact(doc: dict | ProductFootprint, path: str | os.PathLike) -> Path:
    """Validate (strictly: we issue it) and write a ProductFootprint as JSON (atomically)."""
    if isinstance(doc, ProductFootprint):
        version, doc = doc.version, doc.to_json()
    else:
        version = spec_major(doc)
    validate_pact(doc, version)
    return write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
