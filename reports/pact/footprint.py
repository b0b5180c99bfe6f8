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

Numbers (rule B11, :func:`rounded_figures`): Brightway keeps its data as float32 (about 7
significant digits), so each part is rounded to the place of the 7th significant digit of the
largest figure and the totals above are the sums of the rounded parts, exact in decimal; exact
figures (declared mass and contents, the declared amount) are stated as given.

Computed, never declared (``quality``, :func:`supply_chain.data_quality.assess`): ``dqi``
(v3; v2.3 rates 1–3, so v2 documents state the 1–5 ratings in ``comment`` instead),
``primaryDataShare``, and the proxies and grid factor the ``comment`` names;
``aircraftGhgEmissions`` only where every input comes from a single-process dataset, so that the
name search sees every transport (:mod:`reports.pact.aircraft`), else left out and said.
``exemptedEmissionsPercent`` = ``100 * sum(estimates) / (pcfExcludingBiogenicUptake +
sum(estimates))`` over ``declaration.cut_offs`` (each estimate in kg CO2e for the declared
amount, with its basis); items without an estimate are listed as not quantified (the percent is
then a stated lower bound, rule S13), and a document with such items cannot claim a PACT
methodology in ``crossSectoralStandards``. Given the ISO 14067 study (``pact_for(...,
study=, uncertainty=)``), ``crossSectoralStandards`` lists only the declared standards the ISO
report's conformity table meets (:mod:`reports.pact.standards`), and the ``comment`` names each
declared standard left out with the rows that keep it out. The ``comment`` always states
uncertainty: the Monte Carlo result when one was run (``uncertainty=``), else a qualitative
statement.

Not assessed is never written as a measured 0: biogenic and land-use fields are left out of v3
when ``biogenic_reporting`` is ``not_assessed`` (the spec's "blank if unknown"); the fields a
version requires although nothing was assessed (v3 ``fossilCarbonContent``, v2
``biogenicCarbonContent``) carry 0 and the ``comment`` says "not assessed" for each.

Carbon contents (``fossilCarbonContent``, ``biogenicCarbonContent``; kg C for the declared
amount): the declaration's own figures, else the product's composition where it gives one
(:func:`with_carbon_content`: ``inventories/carbon-content.csv`` per unit of product, times the
result's amount; the ``comment`` gives the derivation), else not assessed as above. Rule B10:
their sum never exceeds ``productMassPerDeclaredUnit``.

The ``id`` is stable (:func:`supply_chain.pact_spec.footprint_id`): made of the footprint's
identity and values (ids, declared unit and amount, period, geography, figures, spec version),
never of free text or time stamps, so the same footprint has the same id from every command and
run; a changed value gives a new id (re-issue it with :func:`reports.pact.reissue`).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from lca.carbon_content import carbon_content
from supply_chain import pact_spec
from supply_chain.data_quality import DataQualityAssessment, assess

from ..errors import InvalidDeclaration
from .aircraft import aircraft_emissions, dataset_boundaries
from .declaration import Declaration
from .document import validate_footprint
from .fields import (
    SPEC_VERSION,
    boundary_description,
    common_quantum,
    decimal_string,
    declared_unit,
    format_datetime,
    geography_fields,
    ipcc_factors,
    parts,
    quantize,
    unit_factor,
)
from .standards import dropped_statement, standards_met, uncertainty_statement

log = logging.getLogger(__name__)

#: PACT v3 crossSectoralStandards -> v2 crossSectoralStandardsUsed (deprecated, but required).
_V2_STANDARDS_USED = {
    "GHGP-Product": "GHG Protocol Product standard",
    "ISO14067": "ISO Standard 14067",
    "ISO14040-44": "ISO Standard 14044",
}

Figures = dict[str, Decimal]

#: Declaration field -> the PACT field that states it (both versions use the same names).
_CARBON_FIELDS = {
    "fossil_carbon_content": "fossilCarbonContent",
    "biogenic_carbon_content": "biogenicCarbonContent",
}


def pact_footprint(
    result,
    decl: Declaration | dict,
    version: int = 3,
    now: dt.datetime | None = None,
    *,
    quality: DataQualityAssessment | None = None,
    conformity: list[dict] | None = None,
    uncertainty: dict | None = None,
    boundaries: dict | None = None,
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
    quality
        The footprint's data quality (:func:`supply_chain.data_quality.assess` of the same
        result): ``dqi``, ``primaryDataShare``, aircraft emissions, proxies and grid factor in
        the comment. Without it those fields are left out and the comment says so.
    conformity
        The ISO 14067 report's conformity rows for the same study
        (:func:`reports.iso14067.conformity`): ``crossSectoralStandards`` then lists only the
        declared standards those rows meet (:func:`reports.pact.standards.standards_met`), and
        the comment names each declared standard left out and the rows that keep it out.
        Without it the declared list is taken as it is.
    uncertainty
        The Monte Carlo summary of the same footprint (:func:`lca.workflows.uncertainty`),
        ``None`` when none was run: the comment states its draws and interval, else a
        qualitative uncertainty statement (:func:`reports.pact.standards.uncertainty_statement`).
        Free text: it is not part of the id.
    boundaries
        The ``boundary`` metadata of the datasets behind ``quality``'s inputs
        (:func:`reports.pact.aircraft.dataset_boundaries`): ``aircraftGhgEmissions`` is stated
        only when every one of them is a single-process dataset (:mod:`reports.pact.aircraft`);
        otherwise, and without it, the field is left out and the comment says why.

    Raises
    ------
    InvalidDeclaration
        Naming the metadata field (or the result figure) at fault; no declared standard met.
    PactValidationError
        Naming the document field that breaks the PACT data model.
    """
    decl = Declaration.parse(decl) if not isinstance(decl, Declaration) else decl.check()
    if version not in (2, 3):
        raise InvalidDeclaration("pact_version", version, "must be 3 or 2")
    decl = with_carbon_content(decl, result)
    if getattr(result, "not_assessed", None) and not decl.not_assessed_biogenic:
        # the datasets of the supply chain publish no biogenic / land-use split
        # (lca.footprint: FootprintResult.not_assessed): the model's 0.0 is not an assessment,
        # whatever the declaration says, so the fields are left out and the comment says so
        decl = decl.model_copy(update={"biogenic_reporting": "not_assessed"})
    dropped_text = ""
    if conformity is not None:
        met = standards_met(decl.cross_sectoral_standards, conformity)
        dropped_text = dropped_statement(decl.cross_sectoral_standards, met, conformity)
        if dropped_text:
            log.info("PACT crossSectoralStandards: %s", dropped_text)
        decl = decl.model_copy(update={"cross_sectoral_standards": met})
    _standards_met(decl, quality)
    unit_name, amount = _declared(result, decl, version)
    scale = 1.0 if version == 3 else 1.0 / amount  # v2 figures are per one declared unit
    p = parts(result)
    _check_signs(p)
    aircraft, aircraft_text = aircraft_emissions(quality, boundaries, scale)
    figures = rounded_figures(p, scale, aircraft, f"PACT v{version} figure")
    ipcc = ipcc_factors(result.method, decl)
    exempted, exempted_text = exempted_emissions(decl, p["excluding_uptake"])
    basis = "the declared amount" if version == 3 else "one declared unit"
    tail = [
        dropped_text,
        uncertainty_statement(
            uncertainty, conformity, scale=scale, unit=_unit(result), basis=basis
        ),
    ]
    doc = _header(result, decl, version, now, quality, exempted_text, aircraft_text, tail)
    common = {
        "boundary": decl.boundary_processes_description or boundary_description(result),
        "geo": geography_fields(decl.geography, version),
        "period": {
            "referencePeriodStart": format_datetime(decl.reference_period_start),
            "referencePeriodEnd": format_datetime(decl.reference_period_end),
        },
        "ipcc": ipcc,
        "exempted": (exempted, exempted_text),
        "quality": quality,
    }
    if version == 3:
        doc["pcf"] = _v3_pcf(decl, figures, unit_name, amount, **common)
    else:
        doc["pcf"] = _v2_pcf(decl, p, figures, unit_name, amount, scale, **common)
        if not doc["pcf"]["exemptedEmissionsDescription"]:
            doc["pcf"]["exemptedEmissionsDescription"] = "None exempted."
    if decl.id is None:
        doc["id"] = pact_spec.footprint_id(doc)
    validate_footprint(doc, version)
    return doc


def pact_for(
    engine,
    result,
    decl: Declaration | dict,
    version: int = 3,
    now: dt.datetime | None = None,
    *,
    study=None,
    uncertainty: dict | None = None,
    conformity: list[dict] | None = None,
) -> dict:
    """:func:`pact_footprint` with the data quality computed from the engine's inventory
    (:func:`supply_chain.data_quality.assess` for the declared geography) and the boundaries of
    its datasets (:func:`reports.pact.aircraft.dataset_boundaries`): what ``pcf report pact``
    and ``pcf demo`` call, so every document we issue carries computed DQRs, primary data share,
    proxies and grid factor, and aircraft emissions where the model can compute them.

    ``study`` (the ISO 14067 study info, :class:`reports.iso14067.StudyInfo` or its dict) and
    ``uncertainty`` (the Monte Carlo summary the ISO report shows, ``None`` when none was run)
    give the conformity rows of the ISO report for the same study
    (:func:`reports.iso14067.conformity`; its sensitivity rows are the study's scenarios, which
    the report recomputes one row each), so ``crossSectoralStandards`` lists only what that
    table says is met; ``conformity`` gives the rows directly. ``uncertainty`` is also stated in
    the comment (draws and interval; free text, not part of the id).

    Raises
    ------
    InvalidDeclaration, PactValidationError
        As :func:`pact_footprint`.
    InvalidPedigree
        An unreadable pedigree or ``primary_data`` record in the inventory.
    """
    decl = Declaration.parse(decl) if not isinstance(decl, Declaration) else decl.check()
    decl = with_carbon_content(decl, result)
    if uncertainty is not None and uncertainty.get("iterations", 2) < 2:
        raise InvalidDeclaration(
            "uncertainty.iterations",
            uncertainty.get("iterations"),
            "a Monte Carlo summary needs at least 2 draws (1 draw has no spread)",
        )
    if conformity is None and study is not None:
        # imported here: reports.iso14067 imports this package (Declaration), and it owns the
        # conformity table, so the PACT document and the ISO report read the same assessment
        from ..iso14067 import StudyInfo
        from ..iso14067 import conformity as iso_conformity

        info = study if isinstance(study, StudyInfo) else StudyInfo.parse(study)
        conformity = iso_conformity(info, decl, uncertainty, list(info.sensitivity))
    quality = assess(engine, result, decl.geography)
    return pact_footprint(
        result,
        decl,
        version,
        now,
        quality=quality,
        conformity=conformity,
        uncertainty=uncertainty,
        boundaries=dataset_boundaries(quality),
    )


def pact_from_meta(
    engine, result, meta: dict, version: int = 3, *, uncertainty: dict | None = None
) -> dict:
    """:func:`pact_for` from a report meta file's content: its ``declaration`` and, for the
    conformity that decides ``crossSectoralStandards``, its ``study``. ``pcf report pact``,
    ``pcf publish`` and ``pcf demo`` all build their documents here, so the same footprint
    and meta give one document (and one id) whichever command issued it.

    Raises
    ------
    InvalidDeclaration
        A meta without a ``declaration`` section; else as :func:`pact_for`.
    """
    from ..meta import section

    return pact_for(
        engine,
        result,
        section(meta, "declaration"),
        version,
        study=meta.get("study"),
        uncertainty=uncertainty,
    )


def with_carbon_content(decl: Declaration, result) -> Declaration:
    """``decl`` with the carbon contents the product's composition gives, where the company
    gives none: the row of ``result.product`` in ``inventories/carbon-content.csv``
    (:func:`lca.carbon_content.carbon_content`), per unit of the product, times
    ``result.amount`` (the declaration's contents are for the declared amount). A value of the
    declaration (the meta file's ``fossil_carbon_content`` / ``biogenic_carbon_content``) wins;
    a product without a computed row keeps ``None`` (not assessed: the documents state the
    spec-required 0 and say so). The ISO 14067 report and the PACT document call this, so both
    state the same figure.

    Raises
    ------
    InvalidDeclaration
        The table's unit for the product is not the result's (the figure cannot be scaled), or
        the carbon content exceeds the product mass (rule B10: kg C per declared amount <=
        ``product_mass_per_declared_unit``).
    """
    if getattr(decl, "_carbon_basis", None) is not None:
        return decl  # resolved already (pact_for, then pact_footprint)
    row = carbon_content(tuple(result.product))
    update: dict[str, float | None] = {}
    if row is not None and row.assessed:
        if row.unit != result.product_unit:
            raise InvalidDeclaration(
                f"inventories/carbon-content.csv: {row.label}.unit",
                row.unit,
                f"is not the product's unit {result.product_unit!r}: the carbon content per "
                "unit cannot be scaled to the declared amount; correct the table",
            )
        fossil, biogenic = row.for_amount(result.amount)
        if decl.fossil_carbon_content is None:
            update["fossil_carbon_content"] = fossil
        if decl.biogenic_carbon_content is None:
            update["biogenic_carbon_content"] = biogenic
    out = decl.model_copy(update=update) if update else decl.model_copy()
    out._carbon_basis = (row, tuple(update)) if update else ()
    _check_carbon_mass(out)
    return out


def _check_carbon_mass(decl: Declaration) -> None:
    """Rule B10: the carbon of a product is part of its mass, so fossil + biogenic carbon
    content (kg C per declared amount) cannot exceed the product mass (kg per declared amount).
    Energy and service products (no mass given) are not checked."""
    mass = decl.product_mass_per_declared_unit
    carbon = (decl.fossil_carbon_content or 0.0) + (decl.biogenic_carbon_content or 0.0)
    if mass and carbon > mass:
        raise InvalidDeclaration(
            "declaration.fossil_carbon_content",
            carbon,
            f"fossil + biogenic carbon content {carbon:.6g} kg C exceeds the product mass "
            f"{mass:.6g} kg per declared amount (product_mass_per_declared_unit): carbon is part "
            "of the product's mass",
        )


def _standards_met(decl: Declaration, quality) -> None:
    """A PACT methodology is claimed only when its checkable requirements are met: every
    exempted item quantified (Methodology 3.3.1.2) and the data quality computed (primary data
    share: SHALL; DQRs: SHALL from 2027)."""
    claimed = [s for s in decl.cross_sectoral_standards if s.startswith("PACT-")]
    if not claimed:
        return
    missing = []
    if decl.unquantified_cut_offs:
        missing.append(f"cut-offs without an estimate: {', '.join(decl.unquantified_cut_offs)}")
    if quality is None:
        missing.append("no data-quality assessment (primary data share, DQRs)")
    if missing:
        raise InvalidDeclaration(
            "declaration.cross_sectoral_standards",
            claimed,
            "is not met: " + "; ".join(missing) + "; list only the standards the footprint meets",
        )


def exempted_emissions(decl: Declaration, pcf_excluding: float) -> tuple[float, str]:
    """``(exemptedEmissionsPercent, exemptedEmissionsDescription)`` from the cut-off list.

    Percent = ``100 * E / (pcf_excluding + E)`` with ``E`` the sum of the quantified estimates
    (kg CO2e for the declared amount): the share of the footprint with the exempted items added
    back that they would be. Items without an estimate are named as not quantified.

    Why a number at all when items are not quantified: PACT v3 requires the field (a decimal
    string, no "unknown") and states no way to leave it open, and inventing an estimate is not an
    option. So the percent is the share of the *quantified* items, and the description opens
    with "Lower bound" and names each unquantified item: the document never reads as "nothing
    exempted". The semantic validator checks this (rule S13, :mod:`supply_chain.pact_spec.rules`:
    a 0 % with exempted items named in the description must say they are not quantified), and a
    PACT methodology is not claimed while any item is unquantified (:func:`_standards_met`).
    """
    quantified = [c for c in decl.cut_offs if c.estimate is not None]
    est = sum(c.estimate for c in quantified)
    base = pcf_excluding + est
    pct = 100.0 * est / base if est and base > 0 else 0.0
    parts = []
    unquantified = decl.unquantified_cut_offs
    if unquantified:
        parts.append(
            f"Lower bound: {pct:.3g} % covers the quantified exempted items only; "
            f"{len(unquantified)} further item(s) are left out and not quantified, so the "
            "exempted share is higher by an unknown amount."
        )
    if quantified:
        items = "; ".join(
            f"{c.item}: {c.estimate:.4g} kg CO2e ({c.basis}"
            + (f"; source: {c.source}" if c.source else "")
            + ")"
            for c in quantified
        )
        parts.append(
            f"Exempted and quantified: {items}. Basis of the percentage: "
            f"{est:.4g} / ({pcf_excluding:.4g} + {est:.4g}) kg CO2e = {pct:.3g} %."
        )
    if unquantified:
        parts.append(
            "Left out and not quantified (no sourced estimate): " + "; ".join(unquantified) + "."
        )
    return pct, " ".join(parts)


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


def rounded_figures(
    p: dict[str, float], scale: float, aircraft: float | None = None, where: str = "figure"
) -> Figures:
    """The document's figures as decimals: the result's parts (``p``, :func:`parts`, times
    ``scale``) rounded to one decimal place (:func:`reports.pact.fields.common_quantum`: the
    7th significant digit of the largest, since Brightway's float32 data carry about 7), and the
    sums derived from the rounded parts, so every identity holds exactly in decimal:

    ``total = fossil + biogenic + land_use`` (v2 ``pCfExcludingBiogenic``),
    ``excluding_uptake = total + biogenic_co2_emissions`` (v3 ``pcfExcludingBiogenicUptake``),
    ``including_uptake = excluding_uptake + biogenic_co2_removals`` (v3
    ``pcfIncludingBiogenicUptake``, rule D11; v2 ``pCfIncludingBiogenic``). ``aircraft`` (a
    part of the PCF, rule S11) is rounded to the same place.

    >>> f = rounded_figures({"fossil": 64.6800011, "biogenic": 0.0, "land_use": 0.0,
    ...     "biogenic_co2_emissions": 0.0, "biogenic_co2_removals": 0.0, "total": 64.6800011,
    ...     "excluding_uptake": 64.6800011}, 1.0)
    >>> str(f["excluding_uptake"]), str(f["fossil"])
    ('64.68000', '64.68000')
    """
    names = ("fossil", "biogenic", "land_use", "biogenic_co2_emissions", "biogenic_co2_removals")
    raw = {k: p[k] * scale for k in names}
    q = common_quantum(
        *raw.values(),
        p["total"] * scale,
        p["excluding_uptake"] * scale,
        (p["excluding_uptake"] + p["biogenic_co2_removals"]) * scale,
    )
    f: Figures = {k: quantize(v, q, f"{where} {k}") for k, v in raw.items()}
    f["total"] = f["fossil"] + f["biogenic"] + f["land_use"]
    f["excluding_uptake"] = f["total"] + f["biogenic_co2_emissions"]
    f["including_uptake"] = f["excluding_uptake"] + f["biogenic_co2_removals"]
    if aircraft is not None:
        f["aircraft"] = quantize(aircraft, q, f"{where} aircraft")
    return f


def _unit(result) -> str:
    """The method's unit as the comment writes it (``kg CO2-Eq`` -> ``kg CO2e``)."""
    unit = getattr(result, "unit", "") or "kg CO2e"
    return "kg CO2e" if unit.replace(" ", "").lower() in ("kgco2-eq", "kgco2eq") else unit


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


def _header(
    result,
    decl: Declaration,
    version: int,
    now: dt.datetime | None,
    quality,
    exempted_text: str,
    aircraft_text: str,
    tail: list[str],
) -> dict[str, Any]:
    """The document fields outside ``pcf`` (the id is set last, from the content)."""
    created = format_datetime(decl.created or now or dt.datetime.now(dt.UTC).replace(microsecond=0))
    comment = pact_comment(
        result, decl, version, quality, exempted_text, aircraft_text=aircraft_text, tail=tail
    )
    doc: dict[str, Any] = {
        "id": str(decl.id) if decl.id else "",
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
    f: Figures,
    unit_name: str,
    amount: float,
    *,
    boundary: str,
    geo: dict,
    period: dict,
    ipcc: list[str],
    exempted: tuple[float, str],
    quality,
) -> dict[str, Any]:
    """The v3 CarbonFootprint: figures for ``declaredUnitAmount`` declared units, rounded by
    :func:`rounded_figures` (computed) or stated as declared (``exact``)."""
    bio_known = not decl.not_assessed_biogenic
    uptake = f["biogenic_co2_removals"] if bio_known else Decimal(0)
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": unit_name,
        "declaredUnitAmount": decimal_string(amount, "declaredUnitAmount", exact=True),
        "productMassPerDeclaredUnit": decimal_string(
            decl.product_mass_per_declared_unit or 0, exact=True
        ),
        **period,
        **geo,
        "boundaryProcessesDescription": boundary,
        "pcfExcludingBiogenicUptake": decimal_string(f["excluding_uptake"]),
        # the sum of the rounded figures, exact in decimal: the PACT identity (D11) holds to
        # the last digit
        "pcfIncludingBiogenicUptake": decimal_string(f["excluding_uptake"] + uptake),
        # v3 lists it in CarbonFootprint.required (x-rule SHALL) as a PositiveOrZeroDecimal
        # string: no null, no "unknown", not omissible. The declaration's figure or the one the
        # product's composition gives (with_carbon_content); not assessed, it is 0 and the
        # comment says "fossil carbon content ... not a measured zero" (the spec's only place)
        "fossilCarbonContent": decimal_string(decl.fossil_carbon_content or 0, exact=True),
        "fossilGhgEmissions": decimal_string(f["fossil"]),
    }
    if decl.biogenic_carbon_content is not None:
        pcf["biogenicCarbonContent"] = decimal_string(decl.biogenic_carbon_content, exact=True)
    if bio_known:
        pcf["landUseChangeGhgEmissions"] = decimal_string(f["land_use"])
        pcf["biogenicCO2Uptake"] = decimal_string(uptake)
        pcf["biogenicNonCO2Emissions"] = decimal_string(f["biogenic"])
    if "aircraft" in f:  # only where the model computes it (reports.pact.aircraft)
        pcf["aircraftGhgEmissions"] = decimal_string(f["aircraft"])
    pcf["packagingEmissionsIncluded"] = decl.packaging_emissions_included
    if decl.packaging_ghg_emissions is not None:
        pcf["packagingGhgEmissions"] = decimal_string(decl.packaging_ghg_emissions, exact=True)
    pcf["ipccCharacterizationFactors"] = ipcc
    pcf["crossSectoralStandards"] = list(decl.cross_sectoral_standards)
    if decl.product_or_sector_specific_rules:
        pcf["productOrSectorSpecificRules"] = decl.product_or_sector_specific_rules
    pcf["exemptedEmissionsPercent"] = decimal_string(exempted[0])
    if exempted[1]:
        pcf["exemptedEmissionsDescription"] = exempted[1]
    if decl.allocation_rules_description:
        pcf["allocationRulesDescription"] = decl.allocation_rules_description
    if decl.secondary_emission_factor_sources:
        pcf["secondaryEmissionFactorSources"] = decl.secondary_emission_factor_sources
    if quality is not None:
        pcf["primaryDataShare"] = decimal_string(round(quality.primary_data_share, 2))
        pcf["dqi"] = {
            "technologicalDQR": decimal_string(round(quality.technological, 2)),
            "geographicalDQR": decimal_string(round(quality.geographical, 2)),
            "temporalDQR": decimal_string(round(quality.temporal, 2)),
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
    f: Figures,
    unit_name: str,
    amount: float,
    scale: float,
    *,
    boundary: str,
    geo: dict,
    period: dict,
    ipcc: list[str],
    exempted: tuple[float, str],
    quality,
) -> dict[str, Any]:
    """The v2.3 CarbonFootprint: figures per one declared unit."""
    if p["total"] < 0:
        raise InvalidDeclaration("result.total", p["total"], "pCfExcludingBiogenic must be >= 0")
    v2_std, used = _v2_standards(decl)
    mass = (decl.product_mass_per_declared_unit or 0) * scale
    pcf: dict[str, Any] = {
        "declaredUnit": unit_name,
        "unitaryProductAmount": decimal_string(amount, "unitaryProductAmount", exact=True),
        "productMassPerDeclaredUnit": decimal_string(mass, exact=True),
        # rounded parts and their sums (rounded_figures): total = fossil + other biogenic +
        # dLUC, including = total + biogenic CO2 emissions + withdrawal, exactly in decimal
        "pCfExcludingBiogenic": decimal_string(f["total"]),
        "pCfIncludingBiogenic": decimal_string(f["including_uptake"]),
        "fossilGhgEmissions": decimal_string(f["fossil"]),
        # both required by v2: 0 when not assessed, and the comment says so
        "fossilCarbonContent": decimal_string(
            (decl.fossil_carbon_content or 0) * scale, exact=True
        ),
        "biogenicCarbonContent": decimal_string(
            (decl.biogenic_carbon_content or 0) * scale, exact=True
        ),
    }
    if not decl.not_assessed_biogenic:
        pcf["dLucGhgEmissions"] = decimal_string(f["land_use"])
        pcf["otherBiogenicGhgEmissions"] = decimal_string(f["biogenic"])
        pcf["biogenicCarbonWithdrawal"] = decimal_string(f["biogenic_co2_removals"])
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
    if exempted[0] > 5:
        raise InvalidDeclaration(
            "declaration.cut_offs",
            round(exempted[0], 3),
            "exempted emissions above 5 %: PACT v2 allows 0-5 (declare in v3)",
        )
    pcf["exemptedEmissionsPercent"] = round(exempted[0], 6)
    pcf["exemptedEmissionsDescription"] = exempted[1]
    if "aircraft" in f:  # only where the model computes it (reports.pact.aircraft)
        pcf["aircraftGhgEmissions"] = decimal_string(f["aircraft"])
    pcf["packagingEmissionsIncluded"] = decl.packaging_emissions_included
    if decl.packaging_ghg_emissions is not None:
        pcf["packagingGhgEmissions"] = decimal_string(
            decl.packaging_ghg_emissions * scale, exact=True
        )
    if decl.allocation_rules_description:
        pcf["allocationRulesDescription"] = decl.allocation_rules_description
    if decl.uncertainty_assessment_description:
        pcf["uncertaintyAssessmentDescription"] = decl.uncertainty_assessment_description
    if quality is not None:
        pcf["primaryDataShare"] = round(quality.primary_data_share, 2)
        # v2.3 rates DQRs 1-3, a scale the pedigree's 1-5 does not map onto: the ratings are
        # stated in the comment instead of a dqi object
        log.info("PACT v2: dqi left out (v2.3 rates 1-3); the 1-5 ratings are in the comment")
    return pcf


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def pact_comment(
    result,
    decl: Declaration,
    version: int,
    quality,
    exempted_text: str,
    *,
    aircraft_text: str | None = None,
    tail: list[str] | None = None,
) -> str:
    """The ``comment``: how the footprint was computed, the proxies and grid factor used, the
    data-quality rule and figures, aircraft emissions (``aircraft_text``,
    :func:`reports.pact.aircraft.aircraft_emissions`; by default as without the datasets'
    boundaries: not assessed), what was not assessed (the spec's place for "LUC not included as
    unable to calculate LUC"), then ``tail`` (the declared standards left out, the uncertainty
    statement). Free text: the id does not depend on it (:mod:`supply_chain.pact_spec.ids`)."""
    parts = [decl.comment.strip()] if decl.comment.strip() else []
    parts.append(
        f"Computed with pcf-engine (Brightway 2.5) from {result.product[0]}|{result.product[1]}, "
        f"method {' | '.join(result.method)}."
    )
    if quality is not None:
        for g in quality.grid:
            parts.append(
                f"Grid electricity: {g['name']} [{g['location']}], {g['factor']:.4g} "
                f"{g['unit']} ({_pct(g['share'])} of the PCF)."
            )
        geo = decl.geography or "global"
        for px in quality.proxies():
            parts.append(
                f"Proxy: {px['name']} [{px['location']}] for a product of {geo}, "
                f"{_pct(px['share'])} of the PCF (geographical {px['geographical']:.3g}, "
                f"technological {px['technological']:.3g})."
            )
        for un in quality.unrated():
            parts.append(
                f"No pedigree record (rated 5): {un['name']} [{un['location']}], "
                f"{_pct(un['share'])} of the PCF."
            )
        parts.append(
            f"Data quality (1 best - 5 worst): TeR {quality.technological:.2f}, GeR "
            f"{quality.geographical:.2f}, TiR {quality.temporal:.2f}; rule: {quality.rule} "
            f"Inputs without a pedigree: {quality.unrated_share:.1f} % of the PCF. Primary data "
            f"share {quality.primary_data_share:.1f} % (inputs recorded primary_data: "
            "supplier-specific)."
        )
        if aircraft_text is None:
            aircraft_text = aircraft_emissions(quality, None)[1]
        parts.append(aircraft_text)
    else:
        parts.append(
            "Not assessed: data quality ratings, primary data share and aircraft emissions "
            "(no inventory assessment given)."
        )
    basis = getattr(decl, "_carbon_basis", None)
    if basis:
        row, fields = basis
        names = " and ".join(_CARBON_FIELDS[f] for f in fields)
        parts.append(
            f"{names} computed from the product's composition (inventories/carbon-content.csv, "
            f"{row.label}, per {row.unit} of product): {row.derivation}"
        )
    not_assessed = []
    if decl.not_assessed_biogenic:
        not_assessed.append(
            "biogenic emissions and removals and land-use change (the inventory models fossil "
            "CO2e aggregates; the optional fields are left out)"
        )
    if decl.fossil_carbon_content is None:
        not_assessed.append(
            "fossil carbon content (fossilCarbonContent is a required field: its 0 is not a "
            "measured zero)"
        )
    if version == 2 and decl.biogenic_carbon_content is None:
        not_assessed.append(
            "biogenic carbon content (biogenicCarbonContent is required by v2: its 0 is not a "
            "measured zero)"
        )
    if not_assessed:
        parts.append("Not assessed: " + "; ".join(not_assessed) + ".")
    if decl.unquantified_cut_offs:
        parts.append(
            "Cut-offs not quantified: " + "; ".join(decl.unquantified_cut_offs) + " (see "
            "exemptedEmissionsDescription)."
        )
    parts += [t for t in tail or () if t]
    return " ".join(parts)
