"""Building a PACT ProductFootprint (v3, or v2.3) from a computed result and a declaration.

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

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from supply_chain import pact_spec

from ..errors import InvalidDeclaration
from .declaration import Declaration
from .document import validate_footprint
from .fields import (
    SPEC_VERSION,
    boundary_description,
    decimal_string,
    declared_unit,
    format_datetime,
    geography_fields,
    ipcc_factors,
    parts,
    unit_factor,
)

log = logging.getLogger(__name__)

#: PACT v3 crossSectoralStandards -> v2 crossSectoralStandardsUsed (deprecated, but required).
_V2_STANDARDS_USED = {
    "GHGP-Product": "GHG Protocol Product standard",
    "ISO14067": "ISO Standard 14067",
    "ISO14040-44": "ISO Standard 14044",
}

Dec = Callable[[float, str], str]


def pact_footprint(
    result, decl: Declaration | dict, version: int = 3, now: dt.datetime | None = None
) -> dict:
    """A validated PACT ProductFootprint (v3, or v2.3 with ``version=2``) for ``result``.

    Parameters
    ----------
    result
        A :class:`lca.footprint.FootprintResult` with an IPCC GWP method.
    decl
        The declaration metadata (:class:`Declaration` or a dict of its fields).
    version
        3 (default) or 2.
    now
        Creation time when ``decl.created`` is not set (default: now, UTC).

    Raises
    ------
    InvalidDeclaration
        Naming the metadata field (or the result figure) at fault.
    PactValidationError
        Naming the document field that breaks the PACT data model.
    """
    decl = Declaration.parse(decl) if not isinstance(decl, Declaration) else decl
    if version not in (2, 3):
        raise InvalidDeclaration("pact_version", version, "must be 3 or 2")
    unit_name, amount = _declared(result, decl, version)
    scale = 1.0 if version == 3 else 1.0 / amount  # v2 figures are per one declared unit
    p = parts(result)
    where = f"PACT v{version} figure"

    def dec(x, name):
        return decimal_string(x * scale, f"{where} {name}")

    _check_signs(p)
    ipcc = ipcc_factors(result.method, decl)
    doc = _header(result, decl, version, now)
    common = {
        "boundary": decl.boundary_processes_description or boundary_description(result),
        "geo": geography_fields(decl.geography, version),
        "period": {
            "referencePeriodStart": format_datetime(decl.reference_period_start),
            "referencePeriodEnd": format_datetime(decl.reference_period_end),
        },
        "ipcc": ipcc,
    }
    if version == 3:
        doc["pcf"] = _v3_pcf(decl, p, unit_name, amount, dec, **common)
    else:
        doc["pcf"] = _v2_pcf(decl, p, unit_name, amount, scale, dec, **common)
    validate_footprint(doc, version)
    return doc


def _declared(result, decl: Declaration, version: int) -> tuple[str, float]:
    """The declared unit and the result's amount in it."""
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
    return unit_name, amount


def _check_signs(p: dict[str, float]) -> None:
    for name, key in (
        ("fossilGhgEmissions", "fossil"),
        ("landUseChangeGhgEmissions", "land_use"),
        ("biogenicNonCO2Emissions", "biogenic"),
    ):
        if p[key] < 0:
            raise InvalidDeclaration(
                f"result.{key}", p[key], f"is negative; PACT {name} must be >= 0"
            )


def _header(result, decl: Declaration, version: int, now: dt.datetime | None) -> dict[str, Any]:
    """The document fields outside ``pcf``."""
    created = format_datetime(decl.created or now or dt.datetime.now(dt.UTC).replace(microsecond=0))
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
        doc["validityPeriodStart"] = format_datetime(decl.validity_period_start)
    if decl.validity_period_end:
        doc["validityPeriodEnd"] = format_datetime(decl.validity_period_end)
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
    return doc


def _v3_pcf(
    decl: Declaration,
    p: dict,
    unit_name: str,
    amount: float,
    dec: Dec,
    *,
    boundary: str,
    geo: dict,
    period: dict,
    ipcc: list[str],
) -> dict[str, Any]:
    """The v3 CarbonFootprint: figures for ``declaredUnitAmount`` declared units."""
    bio_known = decl.biogenic_reporting == "computed"
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
    return pcf


def _v2_standards(decl: Declaration) -> tuple[list[str], list[str]]:
    """(v2 crossSectoralStandards, crossSectoralStandardsUsed) of the declaration."""
    v2_std = [
        s for s in decl.cross_sectoral_standards if s in pact_spec.CROSS_SECTORAL_STANDARDS_V2
    ]
    used = [_V2_STANDARDS_USED[s] for s in decl.cross_sectoral_standards if s in _V2_STANDARDS_USED]
    if not used:
        raise InvalidDeclaration(
            "declaration.cross_sectoral_standards",
            decl.cross_sectoral_standards,
            "PACT v2 needs one of GHGP-Product, ISO14067, ISO14040-44",
        )
    return v2_std, used


def _v2_pcf(
    decl: Declaration,
    p: dict,
    unit_name: str,
    amount: float,
    scale: float,
    dec: Dec,
    *,
    boundary: str,
    geo: dict,
    period: dict,
    ipcc: list[str],
) -> dict[str, Any]:
    """The v2.3 CarbonFootprint: figures per one declared unit."""
    if decl.biogenic_carbon_content is None:
        raise InvalidDeclaration(
            "declaration.biogenic_carbon_content", None, "is required by PACT v2"
        )
    total = p["total"]
    incl = p["total"] + p["biogenic_co2_emissions"] + p["biogenic_co2_removals"]
    if total < 0:
        raise InvalidDeclaration("result.total", total, "pCfExcludingBiogenic must be >= 0")
    v2_std, used = _v2_standards(decl)
    mass = decl.product_mass_per_declared_unit * scale
    pcf: dict[str, Any] = {
        "declaredUnit": unit_name,
        "unitaryProductAmount": decimal_string(amount, "unitaryProductAmount"),
        "productMassPerDeclaredUnit": decimal_string(mass),
        "pCfExcludingBiogenic": dec(total, "pCfExcludingBiogenic"),
        "pCfIncludingBiogenic": dec(incl, "pCfIncludingBiogenic"),
        "fossilGhgEmissions": dec(p["fossil"], "fossilGhgEmissions"),
        "fossilCarbonContent": decimal_string(decl.fossil_carbon_content * scale),
        "biogenicCarbonContent": decimal_string(decl.biogenic_carbon_content * scale),
    }
    if decl.biogenic_reporting == "computed":
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
    return pcf
