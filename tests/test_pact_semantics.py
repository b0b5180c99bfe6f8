"""The semantic PACT rules (reports/pact/RULES.md, S1-S14): beyond the JSON schema, run by the one
validator (supply_chain.pact_spec.validate_pact) on every document we write (errors) and read
(warnings: another company's document is read, its faults logged)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from reports import pact
from reports.errors import PactValidationError
from supply_chain import pact_spec
from supply_chain.errors import InvalidPCF

ROOT = Path(__file__).resolve().parent.parent

DOC = {
    "id": "3893bb5d-da16-4dc1-9185-11d97476c254",
    "specVersion": "3.0.3",
    "created": "2025-02-01T10:00:00Z",
    "status": "Active",
    "companyName": "Example Co.",
    "companyIds": ["urn:pact:company:customcode:supplier-id:example-co"],
    "productDescription": "Rechargeable LFP lithium-ion cell",
    "productIds": ["urn:gtin:4712345060507"],
    "productClassifications": ["urn:cpc:46420"],
    "productNameCompany": "Cell",
    "pcf": {
        "declaredUnitOfMeasurement": "kilogram",
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": "1",
        "referencePeriodStart": "2024-01-01T00:00:00Z",
        "referencePeriodEnd": "2025-01-01T00:00:00Z",
        "geographyCountry": "CN",
        "pcfExcludingBiogenicUptake": "10",
        "pcfIncludingBiogenicUptake": "10",
        "fossilGhgEmissions": "10",
        "fossilCarbonContent": "0",
        "packagingEmissionsIncluded": False,
        "ipccCharacterizationFactors": ["AR6"],
        "crossSectoralStandards": ["ISO14067"],
        "exemptedEmissionsPercent": "0",
        "primaryDataShare": "0",
        "secondaryEmissionFactorSources": [{"name": "GREET", "version": "2024"}],
    },
}


def doc(**pcf_changes):
    import copy

    d = copy.deepcopy(DOC)
    top = pcf_changes.pop("top", {})
    d.update(top)
    d["pcf"].update(pcf_changes)
    for k in [k for k, v in d["pcf"].items() if v is None]:
        del d["pcf"][k]
    for k in [k for k, v in d.items() if v is None]:
        del d[k]
    return d


def test_the_base_document_passes_every_rule():
    assert pact_spec.validate_pact(doc(), issued=True) == "3"
    assert pact_spec.rule_errors(doc(), "3") == ([], [])
    assert pact_spec.semantic_errors(doc(), "3") == []


CASES = [
    # S1 namespace: neither IANA-registered nor recommended by PACT
    ({"top": {"companyIds": ["urn:pcf-engine:demo:company:x"]}}, "companyIds[0]", "S1"),
    # S2 PACT URN form: urn:pact:<domain>:<type>:<id>
    ({"top": {"productIds": ["urn:pact:cell-1"]}}, "productIds[0]", "S2"),
    ({"top": {"productIds": ["urn:pact:mycompany:product-id:1"]}}, "productIds[0]", "S2"),
    # S3 check digits (GS1 mod 10, ISO 7064 mod 97-10) and D-U-N-S length
    ({"top": {"productIds": ["urn:gtin:4712345060508"]}}, "productIds[0]", "S3"),
    ({"top": {"companyIds": ["urn:lei:5493001KJTIIGC8Y1R13"]}}, "companyIds[0]", "S3"),
    ({"top": {"companyIds": ["urn:duns:12345678"]}}, "companyIds[0]", "S3"),
    # S4 CPC code form
    ({"top": {"productClassifications": ["urn:cpc:46-420"]}}, "productClassifications[0]", "S4"),
    # S5 a rechargeable cell is not a primary cell (CPC 4641)
    ({"top": {"productClassifications": ["urn:cpc:46410"]}}, "productClassifications[0]", "S5"),
    # S6 a physical product has a mass
    ({"productMassPerDeclaredUnit": "0"}, "pcf.productMassPerDeclaredUnit", "S6"),
    # S7 packaging emissions only when included
    ({"packagingGhgEmissions": "0.1"}, "pcf.packagingGhgEmissions", "S7"),
    # S8 an exempted share needs its description
    ({"exemptedEmissionsPercent": "2"}, "pcf.exemptedEmissionsDescription", "S8"),
    # S9 secondary sources listed when secondary data is used, absent when none is
    ({"secondaryEmissionFactorSources": None}, "pcf.secondaryEmissionFactorSources", "S9"),
    ({"primaryDataShare": "100"}, "pcf.secondaryEmissionFactorSources", "S9"),
    # S10 lifecycle and validity period
    (
        {"top": {"precedingPfIds": ["3893bb5d-da16-4dc1-9185-11d97476c254"]}},
        "precedingPfIds",
        "S10",
    ),
    ({"top": {"validityPeriodStart": "2024-06-01T00:00:00Z"}}, "validityPeriodStart", "S10"),
    ({"top": {"validityPeriodEnd": "2028-06-01T00:00:00Z"}}, "validityPeriodEnd", "S10"),
    # S11 a part is not larger than the whole
    ({"aircraftGhgEmissions": "12.5"}, "pcf.aircraftGhgEmissions", "S11"),
    # S14 the carbon of the product is part of its mass ("1" kg declared: 1.5 at most, rounded)
    (
        {"fossilCarbonContent": "1.3", "biogenicCarbonContent": "0.4"},
        "pcf.fossilCarbonContent",
        "S14",
    ),
    ({"fossilCarbonContent": "1.7"}, "pcf.fossilCarbonContent", "S14"),
    # S12 a PACT methodology claim needs its SHALL fields
    (
        {"crossSectoralStandards": ["PACT-3.0"], "primaryDataShare": None},
        "pcf.primaryDataShare",
        "S12",
    ),
    # S13 a 0 % beside a list of cut-offs that does not say they are unquantified
    (
        {"exemptedEmissionsDescription": "Packaging of the pack; inbound transport."},
        "pcf.exemptedEmissionsPercent",
        "S13",
    ),
]


@pytest.mark.parametrize(
    "description",
    [
        "",
        "None exempted.",
        "No emissions were excluded.",
        (
            "Lower bound: 0 % covers the quantified exempted items only; 1 further item(s) are "
            "left out and not quantified, so the exempted share is higher by an unknown amount. "
            "Left out and not quantified (no sourced estimate): packaging."
        ),
    ],
)
def test_s13_zero_with_unquantified_items_stated_or_nothing_exempted_passes(description):
    d = doc(exemptedEmissionsDescription=description)
    assert pact_spec.semantic_errors(d, "3") == []
    assert pact_spec.validate_pact(d, issued=True) == "3"


@pytest.mark.parametrize(
    "changes",
    [
        {"fossilCarbonContent": "0.8562771797", "biogenicCarbonContent": "0"},  # 1 kg of PP
        {"fossilCarbonContent": "1.5"},  # within the rounding of a mass stated as "1"
        {
            "fossilCarbonContent": "5",
            "productMassPerDeclaredUnit": "0",
            "declaredUnitOfMeasurement": "kilowatt hour",
        },  # no mass stated: not checked
    ],
)
def test_s14_carbon_within_the_mass_passes(changes):
    assert pact_spec.semantic_errors(doc(**changes), "3") == []


@pytest.mark.parametrize("changes, field, rule", CASES, ids=[f"{c[2]}-{c[1]}" for c in CASES])
def test_rule_is_an_error_for_what_we_write(changes, field, rule, tmp_path):
    bad = doc(**dict(changes))
    pact_spec.validate_pact(bad)  # not ours: the findings are warnings (a partner's document)
    with pytest.raises(InvalidPCF, match=re.escape(f"({rule})")) as e:
        pact_spec.validate_pact(bad, issued=True)
    assert e.value.field == field
    with pytest.raises(PactValidationError, match=re.escape(field)):
        pact.write_pact(bad, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("changes, field, rule", CASES, ids=[f"{c[2]}-{c[1]}" for c in CASES])
def test_rule_is_a_warning_for_what_we_read(changes, field, rule, caplog):
    bad = doc(**dict(changes))
    with caplog.at_level(logging.WARNING, logger="supply_chain.pact_spec"):
        pf = pact.read_product_footprint(bad)
    assert pf.id == bad.get("id")
    assert any(field in r.getMessage() and f"({rule})" in r.getMessage() for r in caplog.records)


def test_v2_primary_cell_code_for_a_rechargeable_product():
    v2 = pact.pact_footprint(
        _result(),
        {
            **_DECL,
            "product_category_cpc": "46410",
            "product_description": "Rechargeable lithium-ion cell",
        },
        3,
    )
    assert v2["productClassifications"] == ["urn:cpc:46420"]
    with pytest.raises(PactValidationError, match=r"'productCategoryCpc': CPC 46410 is 'primary"):
        pact.pact_footprint(
            _result(),
            {
                **_DECL,
                "product_category_cpc": "46410",
                "product_description": "Rechargeable lithium-ion cell",
            },
            2,
        )


def test_identifiers_pass():
    assert pact_spec.gtin_ok("4712345060507") and not pact_spec.gtin_ok("4712345060508")
    assert pact_spec.lei_ok("5493001KJTIIGC8Y1R12")
    ok = doc(
        top={
            "companyIds": ["urn:lei:5493001KJTIIGC8Y1R12", "urn:duns:150483782"],
            "productIds": ["urn:pact:catalog.example.com:product-id:44055", "urn:uuid:x"],
        }
    )
    pact_spec.validate_pact(ok, issued=True)


def test_rules_md_lists_every_rule():
    """reports/pact/RULES.md lists each semantic rule the validator reports."""
    text = (ROOT / "reports" / "pact" / "RULES.md").read_text(encoding="utf-8")
    for rule in sorted({c[2] for c in CASES}):
        assert f"| {rule} |" in text, rule
    src = (ROOT / "supply_chain" / "pact_spec" / "rules.py").read_text(encoding="utf-8")
    assert set(re.findall(r"\((S\d+)\)", src)) <= {c[2] for c in CASES}


# -- a document built by reports.pact with the CPC rule -----------------------------------------
def _result():
    from lca.footprint import FootprintResult, ProcessRow

    return FootprintResult(
        product=("db", "cell"),
        product_name="cell",
        product_unit="kilowatt hour",
        amount=1.0,
        method=("IPCC 2021", "climate change", "global warming potential (GWP100)"),
        method_alias="gwp100",
        unit="kg CO2-Eq",
        total=10.0,
        fossil=10.0,
        biogenic=0.0,
        land_use=0.0,
        split_source="bundled",
        biogenic_co2_emissions=0.0,
        biogenic_co2_removals=0.0,
        by_gas={"CO2": 10.0},
        by_stage={"production": 10.0},
        top_processes=[ProcessRow(None, "rest", None, 0.0, 0.0)],
    )


_DECL = {
    "company_name": "Example Co.",
    "company_ids": ["urn:pact:company:customcode:supplier-id:example-co"],
    "product_name": "Cell",
    "product_description": "cell",
    "product_ids": ["urn:pact:catalog.example.com:product-id:cell"],
    "product_classifications": ["urn:cpc:46420"],
    "product_category_cpc": "46420",
    "product_mass_per_declared_unit": 4.273,
    "product_mass_source": "test",
    "reference_period_start": "2024-01-01",
    "reference_period_end": "2025-01-01",
    "geography": "CN",
}
