"""PACT ProductFootprint: written documents validate against the official v3 and v2 specs; the
spec's examples round-trip through our reader and writer; invalid payloads name the field, with
and without the official spec (reports.pact uses the one validator, supply_chain.pact_spec)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from lca.footprint import FootprintResult, ProcessRow
from reports import pact
from reports.errors import InvalidDeclaration, PactValidationError, ReportError, UnsupportedUnit
from supply_chain import pact_spec
from supply_chain.data_quality import DataQualityAssessment
from supply_chain.errors import InvalidPCF

SPEC = pact_spec.DEFAULT_SPEC_DIR  # ../shared/reference/pact: official documents, tests only
HAVE_SPEC = (SPEC / "v3" / "openapi.yaml").is_file() and (SPEC / "v2" / "openapi.yaml").is_file()
needs_spec = pytest.mark.skipif(
    not HAVE_SPEC, reason=f"official PACT spec not available in {SPEC} (shared/reference)"
)


@pytest.fixture(autouse=True)
def _spec_from_default(monkeypatch):
    monkeypatch.delenv(pact_spec.ENV_SPEC_DIR, raising=False)


@pytest.fixture
def no_spec(tmp_path, monkeypatch) -> Path:
    """A user's machine: $PCF_PACT_SPEC_DIR points at an empty directory, so only our rules run."""
    d = tmp_path / "no-spec"
    d.mkdir()
    monkeypatch.setenv(pact_spec.ENV_SPEC_DIR, str(d))
    return d


@pytest.fixture(scope="module")
def official():
    """Validators over the official OpenAPI documents (read in tests only)."""
    if not HAVE_SPEC:
        pytest.skip(f"official PACT spec not available in {SPEC}")
    return {v: pact_spec.official_validator(str(SPEC / f"v{v}" / "openapi.yaml")) for v in (2, 3)}


def example_docs(version: int) -> list[tuple[str, dict]]:
    out = []
    for f in sorted((SPEC / f"v{version}" / "examples").glob("*.json")):
        d = json.loads(f.read_text())
        data = d.get("data", d)
        if isinstance(data, dict) and "pfs" in data:
            data = data["pfs"]
        for i, doc in enumerate(data if isinstance(data, list) else [data]):
            if isinstance(doc, dict) and "pcf" in doc:
                out.append((f"{f.name}[{i}]", doc))
    return out


def result(**kw) -> FootprintResult:
    base = {
        "product": ("db", "cell"),
        "product_name": "cell",
        "product_unit": "kilowatt hour",
        "amount": 1.0,
        "method": ("IPCC 2021", "climate change", "global warming potential (GWP100)"),
        "method_alias": "gwp100",
        "unit": "kg CO2-Eq",
        "total": 72.299501568079,
        "fossil": 70.299501568079,
        "biogenic": 1.5,
        "land_use": 0.5,
        "split_source": "bundled",
        "biogenic_co2_emissions": 0.25,
        "biogenic_co2_removals": -3.0,
        "by_gas": {"CO2": 72.299501568079},
        "by_stage": {"raw_material_acquisition": 41.79, "production": 30.509501568079},
        "top_processes": [
            ProcessRow(("db", "a"), "a", "CN", 72.299501568079, 1.0),
            ProcessRow(None, "rest", None, 0.0, 0.0),
        ],
    }
    base.update(kw)
    return FootprintResult(**base)


DECL = {
    "company_name": "Example Co.",
    "company_ids": ["urn:example:company:1"],
    "product_name": "Cell",
    "product_description": "LFP cell per kWh",
    "product_ids": ["urn:example:product:cell"],
    "product_category_cpc": "46420",
    "product_mass_per_declared_unit": 5.2,
    "product_mass_source": "test figure",
    "reference_period_start": "2023-01-01",
    "reference_period_end": "2024-01-01",
    "geography": "CN",
    "fossil_carbon_content": 0.4,
    "biogenic_carbon_content": 0.0,
    "secondary_emission_factor_sources": [{"name": "GREET", "version": "2024"}],
}


def quality(**kw) -> DataQualityAssessment:
    """A data-quality assessment as :func:`supply_chain.data_quality.assess` returns it (plain
    data; the computation itself is tested in tests/test_data_quality.py)."""
    base = {
        "product": ("db", "cell"),
        "method": ("IPCC 2021", "climate change", "global warming potential (GWP100)"),
        "total": 72.299501568079,
        "technological": 2.5436,
        "geographical": 2.6306,
        "temporal": 1.0,
        "reliability": 2.5,
        "completeness": 2.0,
        "primary_data_share": 12.5,
        "unrated_share": 0.0,
        "geography": "CN",
        "aircraft_emissions": 0.0,
        "aircraft_activities": (),
        "activities_searched": 7,
        "grid": (),
        "inputs": (),
    }
    base.update(kw)
    return DataQualityAssessment(**base)


# -- the spec's own examples ------------------------------------------------------------------------
@needs_spec
@pytest.mark.parametrize("version", [3, 2])
def test_reader_accepts_exactly_what_the_official_spec_accepts(official, version):
    docs = example_docs(version)
    assert docs
    for name, doc in docs:
        official_ok = not list(official[version].iter_errors(doc))
        try:
            pact.read_product_footprint(doc)
            ours_ok = True
        except PactValidationError:
            ours_ok = False
        assert ours_ok == official_ok, name


@needs_spec
@pytest.mark.parametrize("version", [3, 2])
def test_spec_examples_round_trip_unchanged_in_meaning(official, version):
    for name, doc in example_docs(version):
        if list(official[version].iter_errors(doc)):
            with pytest.raises(
                PactValidationError, match=f"^PACT v{version} ProductFootprint field '"
            ):
                pact.read_product_footprint(doc)
            continue
        pf = pact.read_product_footprint(doc)
        back = pf.to_json()
        assert not list(official[version].iter_errors(back)), name
        again = pact.read_product_footprint(back)
        assert again.data == pf.data, name  # Decimal / datetime equality: same meaning
        assert set(back) == set(doc) and set(back["pcf"]) == set(doc["pcf"])


@needs_spec
def test_invalid_spec_example_names_the_field():
    doc = json.loads(
        (SPEC / "v2" / "examples" / "invalid-response-all-properties.json").read_text()
    )["data"][0]
    with pytest.raises(
        PactValidationError, match="PACT v2 ProductFootprint field 'updated': "
    ) as e:
        pact.read_product_footprint(doc)
    assert e.value.field == "updated"


# -- what we write --------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [3, 2])
def test_written_document_validates_against_official_spec(official, version):
    r = result()
    doc = pact.pact_footprint(r, DECL, version, quality=quality(), boundaries={})
    assert not list(official[version].iter_errors(doc))
    p = doc["pcf"]
    if version == 3:
        assert doc["specVersion"].startswith("3.")
        # 7 significant digits of the largest figure, 72.54950: the 5th decimal place for all
        # (72.299501568079 + 0.25 = 72.549501568079 -> 72.54950)
        assert p["pcfExcludingBiogenicUptake"] == "72.5495"  # total + biogenic CO2
        assert p["pcfIncludingBiogenicUptake"] == "69.5495"  # 72.5495 - 3
        assert Decimal(p["pcfIncludingBiogenicUptake"]) == Decimal(
            p["pcfExcludingBiogenicUptake"]
        ) + Decimal(p["biogenicCO2Uptake"])
        assert p["fossilGhgEmissions"] == "70.2995"
        assert p["landUseChangeGhgEmissions"] == "0.5"
        assert p["biogenicNonCO2Emissions"] == "1.5"
        assert p["biogenicCO2Uptake"] == "-3"
        assert p["ipccCharacterizationFactors"] == ["AR6"]
        assert p["declaredUnitOfMeasurement"] == "kilowatt hour"
        assert p["geographyCountry"] == "CN"
        # computed ratings, rounded to two decimals; never declared
        assert p["dqi"] == {
            "technologicalDQR": "2.54",
            "geographicalDQR": "2.63",
            "temporalDQR": "1",
        }
        assert p["primaryDataShare"] == "12.5"
        # computed: no input from an aggregated dataset, so the name search saw every transport
        assert p["aircraftGhgEmissions"] == "0"
    else:
        assert p["pCfExcludingBiogenic"] == "72.2995"
        assert p["pCfIncludingBiogenic"] == "69.5495"  # 72.2995 + 0.25 - 3
        assert p["aircraftGhgEmissions"] == "0"
        assert p["characterizationFactors"] == "AR6"
        assert "dqi" not in p  # v2.3 rates 1-3: the 1-5 ratings are in the comment
        assert "TeR 2.54, GeR 2.63, TiR 1.00" in doc["comment"]
        assert p["primaryDataShare"] == 12.5
        assert "ISO Standard 14067" in p["crossSectoralStandardsUsed"]


def test_v2_figures_are_per_declared_unit():
    doc = pact.pact_footprint(
        result(
            amount=2.0,
            total=10.0,
            fossil=10.0,
            biogenic=0.0,
            land_use=0.0,
            biogenic_co2_emissions=0.0,
            biogenic_co2_removals=0.0,
        ),
        DECL,
        2,
    )
    assert doc["pcf"]["unitaryProductAmount"] == "2"
    assert doc["pcf"]["pCfExcludingBiogenic"] == "5"
    v3 = pact.pact_footprint(
        result(
            amount=2.0,
            total=10.0,
            fossil=10.0,
            biogenic=0.0,
            land_use=0.0,
            biogenic_co2_emissions=0.0,
            biogenic_co2_removals=0.0,
        ),
        DECL,
        3,
    )
    assert v3["pcf"]["declaredUnitAmount"] == "2"
    assert v3["pcf"]["pcfExcludingBiogenicUptake"] == "10"


def test_units_map_from_brightway_names():
    assert pact.declared_unit("unit") == ("piece", 1.0)
    assert pact.declared_unit("kilogram") == ("kilogram", 1.0)
    doc = pact.pact_footprint(result(product_unit="unit"), DECL, 3)
    assert doc["pcf"]["declaredUnitOfMeasurement"] == "piece"
    with pytest.raises(
        UnsupportedUnit, match="declared_unit: 'unit' cannot be declared in PACT v2"
    ) as e:
        pact.pact_footprint(result(product_unit="unit"), DECL, 2)  # v2 has no "piece"
    assert e.value.field == "declared_unit"


def test_unknown_biogenic_is_absent_not_zero(official):
    doc = pact.pact_footprint(result(), {**DECL, "biogenic_reporting": "unknown"}, 3)
    assert "biogenicCO2Uptake" not in doc["pcf"] and "landUseChangeGhgEmissions" not in doc["pcf"]
    assert not list(official[3].iter_errors(doc))
    doc2 = pact.pact_footprint(result(), {**DECL, "biogenic_reporting": "unknown"}, 2)
    assert "dLucGhgEmissions" not in doc2["pcf"]
    assert not list(official[2].iter_errors(doc2))


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize(
    "change",
    [
        {"geography": "Western Europe"},
        {"geography": "CN-GD"},
        {"geography": None},
        {
            "declared_unit": "megajoule",
            "cut_offs": [{"item": "packaging", "estimate": 1.0, "basis": "test estimate"}],
        },
        {"packaging_emissions_included": True, "packaging_ghg_emissions": 0.3},
    ],
    ids=["region", "subdivision", "global-no-quality", "unit-exempted", "packaging"],
)
def test_document_variants_validate_against_official_spec(official, version, change):
    doc = pact.pact_footprint(result(), {**DECL, **change}, version)
    assert not list(official[version].iter_errors(doc))
    if "declared_unit" in change:  # 1 kWh declared in megajoule: 1 kWh = 3.6 MJ, converted
        p = doc["pcf"]
        if version == 3:  # figures for declaredUnitAmount MJ: the same kg as for 1 kWh
            assert (p["declaredUnitOfMeasurement"], p["declaredUnitAmount"]) == ("megajoule", "3.6")
            assert p["pcfExcludingBiogenicUptake"] == "72.5495"
        else:  # figures per one MJ, each part rounded to the 5th decimal place and then summed:
            # 70.299501568079 / 3.6 = 19.52764, 1.5 / 3.6 = 0.41667, 0.5 / 3.6 = 0.13889, so
            # pCfExcludingBiogenic = 20.0832 (20.08320), not 72.299501568079 / 3.6 = 20.08319
            # rounded on its own: the stated parts add up to the stated total
            assert (p["declaredUnit"], p["unitaryProductAmount"]) == ("megajoule", "3.6")
            assert p["fossilGhgEmissions"] == "19.52764"
            assert (p["otherBiogenicGhgEmissions"], p["dLucGhgEmissions"]) == ("0.41667", "0.13889")
            assert p["pCfExcludingBiogenic"] == "20.0832"


def test_declared_unit_override_converts_the_amount():
    """A declared unit other than the result's converts; the figures keep meaning the result."""
    # 2 kWh -> 7.2 MJ; the v3 figures are for those 7.2 MJ, the v2 figures per 1 MJ
    r = result(
        amount=2.0,
        total=10.0,
        fossil=10.0,
        biogenic=0.0,
        land_use=0.0,
        biogenic_co2_emissions=0.0,
        biogenic_co2_removals=0.0,
    )
    v3 = pact.pact_footprint(r, {**DECL, "declared_unit": "megajoule"}, 3)["pcf"]
    assert (v3["declaredUnitAmount"], v3["pcfExcludingBiogenicUptake"]) == ("7.2", "10")
    v2 = pact.pact_footprint(r, {**DECL, "declared_unit": "megajoule"}, 2)["pcf"]
    # 10 / 7.2 = 1.3888888..., 7 significant digits
    assert (v2["unitaryProductAmount"], v2["pCfExcludingBiogenic"]) == ("7.2", "1.388889")
    # Brightway's "ton" is the metric tonne: 0.5 t declared in kilogram is 500 kg
    t = result(product_unit="ton", amount=0.5)
    doc = pact.pact_footprint(t, {**DECL, "declared_unit": "kilogram"}, 3)["pcf"]
    assert (doc["declaredUnitOfMeasurement"], doc["declaredUnitAmount"]) == ("kilogram", "500")
    assert pact.pact_footprint(t, DECL, 3)["pcf"]["declaredUnitAmount"] == "500"  # default map
    # the same unit as the result's is factor 1
    same = pact.pact_footprint(result(), {**DECL, "declared_unit": "kilowatt hour"}, 3)["pcf"]
    assert same["declaredUnitAmount"] == "1"
    assert pact.unit_factor("kilojoule", "megajoule") == 0.001  # pact.UNITS fallback


@pytest.mark.parametrize("version", [3, 2])
def test_declared_unit_of_another_dimension_is_refused(version):
    megajoule = f"declared_unit: 'megajoule' cannot be declared in PACT v{version} for a result in"
    with pytest.raises(UnsupportedUnit, match=f"{megajoule} 'kilogram'") as e:
        pact.pact_footprint(
            result(product_unit="kilogram"), {**DECL, "declared_unit": "megajoule"}, version
        )
    assert e.value.field == "declared_unit"
    assert "'kilogram'" in str(e.value) and "'megajoule'" in str(e.value)
    kilogram = f"declared_unit: 'kilogram' cannot be declared in PACT v{version} for a result in"
    with pytest.raises(UnsupportedUnit, match=f"{kilogram} 'kilowatt hour'") as e:
        pact.pact_footprint(result(), {**DECL, "declared_unit": "kilogram"}, version)
    assert "'kilowatt hour'" in str(e.value) and "'kilogram'" in str(e.value)


def test_dqr_is_the_pef_formula_from_scoring():
    from supply_chain.scoring import dqr

    q = pact.DataQuality(technological=1.6, geographical=1.0, temporal=1.4, reliability=2.6)
    assert q.dqr == dqr(1.6, 1.0, 1.4, 2.6) == pytest.approx(1.65)
    assert pact.DataQuality(technological=1, geographical=1, temporal=1).dqr is None


# -- errors name the field ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "mutate, field",
    [
        (
            lambda d: d["pcf"].update(declaredUnitOfMeasurement="bananas"),
            "pcf.declaredUnitOfMeasurement",
        ),
        (lambda d: d.pop("companyName"), "companyName"),
        (lambda d: d.update(companyIds=["not a urn"]), "companyIds[0]"),
        (lambda d: d["pcf"].update(fossilGhgEmissions=1.5), "pcf.fossilGhgEmissions"),
        (
            lambda d: d["pcf"].update(pcfIncludingBiogenicUptake="1"),
            "pcf.pcfIncludingBiogenicUptake",
        ),
        (lambda d: d["pcf"]["dqi"].update(temporalDQR="7"), "pcf.dqi.temporalDQR"),
        (lambda d: d.update(companyIds=["urn:pcf-engine:demo:company:x"]), "companyIds[0]"),
        (
            lambda d: d["pcf"].update(
                declaredUnitOfMeasurement="kilogram", productMassPerDeclaredUnit="0"
            ),
            "pcf.productMassPerDeclaredUnit",
        ),
        (lambda d: d.update(id="nope"), "id"),
    ],
)
@pytest.mark.parametrize("spec", ["official", "rules-only"])
def test_invalid_payload_names_failing_field(request, spec, mutate, field):
    if spec == "rules-only":
        request.getfixturevalue("no_spec")
    elif not HAVE_SPEC:
        pytest.skip(f"official PACT spec not available in {SPEC}")
    doc = pact.pact_footprint(result(), DECL, 3, quality=quality())
    mutate(doc)
    located = re.escape(f"PACT v3 ProductFootprint field '{field}': ")
    with pytest.raises(PactValidationError, match=located) as e:
        pact.validate_footprint(doc)
    assert e.value.field == field
    assert field in str(e.value)
    # one error class: callers of either layer catch it
    assert isinstance(e.value, InvalidPCF) and isinstance(e.value, ReportError)


@pytest.mark.parametrize("version", [3, 2])
def test_documents_are_written_without_the_official_spec(
    no_spec, tmp_path, caplog, monkeypatch, version
):
    """On a user's machine our own rules still check every document, with a warning once."""
    monkeypatch.setattr(pact_spec.schema, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="supply_chain.pact_spec"):
        doc = pact.pact_footprint(result(), DECL, version)
        path = pact.write_pact(doc, tmp_path / "doc.json")
        assert pact.read_product_footprint(path).to_json() == doc
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and pact_spec.ENV_SPEC_DIR in skipped[0].getMessage()
    bad = {**doc, "status": "Maybe"}
    status = f"PACT v{version} ProductFootprint field 'status': 'Maybe' is not one of"
    with pytest.raises(PactValidationError, match=status) as e:
        pact.write_pact(bad, tmp_path / "bad.json")
    assert e.value.field == "status"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"company_ids": ["acme"]}, "declaration.company_ids"),
        ({"product_mass_per_declared_unit": -1}, "declaration.product_mass_per_declared_unit"),
        ({"geography": "Atlantis"}, "declaration.geography"),
        ({"geography": "XX"}, "declaration.geography"),  # not an ISO 3166-1 alpha-2 code
        ({"geography": "XX-YY"}, "declaration.geography"),
        ({"reference_period_end": "2022-01-01"}, "declaration"),
        # quality scores and computed shares are never declared
        ({"dqi": {"technological": 1, "geographical": 1, "temporal": 1}}, "declaration.dqi"),
        ({"primary_data_share": 50}, "declaration.primary_data_share"),
        ({"exempted_emissions_percent": 0}, "declaration.exempted_emissions_percent"),
        # a physical product has a sourced mass
        ({"product_mass_per_declared_unit": 0}, "declaration.product_mass_per_declared_unit"),
        ({"product_mass_per_declared_unit": None}, "declaration.product_mass_per_declared_unit"),
        ({"product_mass_source": ""}, "declaration.product_mass_source"),
        ({"cut_offs": [{"item": "heat", "estimate": 1.0}]}, "declaration.cut_offs.0"),
    ],
)
def test_invalid_declaration_names_field(change, field):
    with pytest.raises(InvalidDeclaration, match=f"^{re.escape(field)}: ") as e:
        pact.pact_footprint(result(), {**DECL, **change}, 3)
    assert e.value.field.startswith(field)


def test_non_ipcc_method_is_refused():
    r = result(
        method=("EF v3.1", "climate change", "global warming potential (GWP100)"),
        method_alias="ef31",
    )
    with pytest.raises(InvalidDeclaration, match="^method: 'ef31 = .*' PACT needs IPCC") as e:
        pact.pact_footprint(r, DECL, 3)
    assert e.value.field == "method"


def test_failed_write_leaves_no_file(tmp_path):
    doc = pact.pact_footprint(result(), DECL, 3)
    doc["status"] = "Maybe"
    with pytest.raises(PactValidationError, match="field 'status': 'Maybe' is not one of"):
        pact.write_pact(doc, tmp_path / "x.json")
    assert list(tmp_path.iterdir()) == []


# -- lifecycle ------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [3, 2])
def test_reissue_deprecates_and_links(official, tmp_path, version):
    first = pact.pact_footprint(result(), DECL, version)
    second = pact.pact_footprint(result(total=70.0, fossil=68.0), DECL, version)
    old, new = pact.reissue(first, second, reason="new grid factor")
    assert old["status"] == "Deprecated" and old["id"] == first["id"]
    assert new["status"] == "Active" and new["id"] != first["id"]
    assert new["precedingPfIds"] == [first["id"]]
    if version == 2:
        assert new["version"] == first["version"] + 1
    for d in (old, new):
        assert not list(official[version].iter_errors(d))
    third = pact.pact_footprint(result(total=69.0, fossil=67.0), DECL, version)
    _, newer = pact.reissue(new, third)
    assert newer["precedingPfIds"] == [first["id"], new["id"]]
    with pytest.raises(
        PactValidationError, match="field 'id': a re-issued footprint needs a new id"
    ):
        pact.reissue(first, {**first})  # same id is not a re-issue
    path = pact.write_pact(new, tmp_path / "new.json")
    assert pact.read_product_footprint(path).id == new["id"]


@pytest.mark.parametrize("version", [3, 2])
@pytest.mark.parametrize(
    "field,other",
    [
        ("companyIds", {"company_ids": ["urn:example:company:2"]}),
        ("productIds", {"product_ids": ["urn:example:product:module"]}),
    ],
)
def test_reissue_refuses_another_companys_or_products_footprint(version, field, other):
    """--previous given another company's (or product's) PCF would rewrite it as Deprecated."""
    mine = pact.pact_footprint(result(total=70.0, fossil=68.0), DECL, version)
    theirs = pact.pact_footprint(result(), {**DECL, **other}, version)
    with pytest.raises(
        PactValidationError, match=rf"other.json ProductFootprint field '{field}'.*share no"
    ) as e:
        pact.reissue(theirs, mine, source="other.json")
    assert e.value.field == field
    with pytest.raises(PactValidationError, match=rf"previous footprint.*'{field}'"):
        pact.reissue(theirs, mine)


def test_ids_and_dates():
    doc = pact.pact_footprint(result(), {**DECL, "id": str(uuid.UUID(int=7))}, 3)
    assert doc["id"] == "00000000-0000-0000-0000-000000000007"
    assert doc["pcf"]["referencePeriodStart"] == "2023-01-01T00:00:00Z"
    assert doc["created"].endswith("Z")


# -- stable ids, computed fields, "not assessed" ------------------------------------------------
def test_same_footprint_same_id_changed_footprint_new_id():
    """PACT v3 lifecycle: an unchanged footprint keeps its id, a changed one gets a new id."""
    t1 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    t2 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    a = pact.pact_footprint(result(), DECL, 3, now=t1)
    b = pact.pact_footprint(result(), DECL, 3, now=t2)
    assert a["created"] != b["created"] and a["id"] == b["id"]
    assert a["id"] == pact_spec.footprint_id(a)
    assert uuid.UUID(a["id"]).version == 5
    changed = pact.pact_footprint(result(total=70.0, fossil=68.0), DECL, 3, now=t1)
    assert changed["id"] != a["id"]
    other_period = pact.pact_footprint(result(), {**DECL, "reference_period_end": "2024-06-30"}, 3)
    assert other_period["id"] != a["id"]
    v2 = pact.pact_footprint(result(), DECL, 2, now=t1)
    assert v2["id"] != a["id"]  # another document (another spec version)


def test_reissue_leaves_the_deprecated_v3_document_unchanged_but_its_status():
    first = pact.pact_footprint(result(), DECL, 3)
    second = pact.pact_footprint(result(total=70.0, fossil=68.0), DECL, 3)
    old, new = pact.reissue(first, second, reason="new grid factor")
    assert {k: v for k, v in old.items() if k != "status"} == {
        k: v for k, v in first.items() if k != "status"
    }
    assert new["comment"].endswith("Re-issued: new grid factor")
    with pytest.raises(PactValidationError, match="field 'status': is already Deprecated"):
        pact.reissue(old, second)
    with pytest.raises(PactValidationError, match="the footprint did not change"):
        pact.reissue(first, pact.pact_footprint(result(), DECL, 3))


def test_exempted_emissions_are_the_quantified_cut_offs():
    cut_offs = [
        {
            "item": "packaging",
            "estimate": 1.5,
            "basis": "0.3 kg board x 5 kg CO2e/kg",
            "source": "S",
        },
        {"item": "inbound transport", "estimate": 0.5, "basis": "2,000 km road"},
    ]
    doc = pact.pact_footprint(result(), {**DECL, "cut_offs": cut_offs}, 3)
    p = doc["pcf"]
    # by hand: 2.0 / (72.299501568079 + 0.25 + 2.0) = 2.0 / 74.549501568079 = 2.6827811...%,
    # stated with 7 significant digits
    assert p["exemptedEmissionsPercent"] == "2.682781"
    assert (
        "packaging: 1.5 kg CO2e (0.3 kg board x 5 kg CO2e/kg; source: S)"
        in (p["exemptedEmissionsDescription"])
    )
    v2 = pact.pact_footprint(result(), {**DECL, "cut_offs": cut_offs}, 2)["pcf"]
    assert v2["exemptedEmissionsPercent"] == pytest.approx(200 / 74.549501568079, rel=1e-6)
    # no cut-off: 0 is a statement ("none exempted"), not a placeholder
    none = pact.pact_footprint(result(), DECL, 2)["pcf"]
    assert (none["exemptedEmissionsPercent"], none["exemptedEmissionsDescription"]) == (
        0.0,
        "None exempted.",
    )
    # more than v2's 5 %: refused for v2, naming the cut-offs
    big = [{"item": "x", "estimate": 10.0, "basis": "b"}]
    with pytest.raises(InvalidDeclaration, match=r"^declaration.cut_offs: .*PACT v2 allows 0-5"):
        pact.pact_footprint(result(), {**DECL, "cut_offs": big}, 2)


def test_unquantified_cut_offs_are_named_and_forbid_a_pact_claim():
    decl = {**DECL, "cut_offs": [{"item": "process heat"}]}
    doc = pact.pact_footprint(result(), decl, 3)
    assert "not quantified" in doc["pcf"]["exemptedEmissionsDescription"]
    assert "process heat" in doc["pcf"]["exemptedEmissionsDescription"]
    assert "Cut-offs not quantified: process heat" in doc["comment"]
    claim = {**decl, "cross_sectoral_standards": ["ISO14067", "PACT-3.0"]}
    with pytest.raises(
        InvalidDeclaration, match=r"^declaration.cross_sectoral_standards: .*process heat"
    ):
        pact.pact_footprint(result(), claim, 3, quality=quality())
    with pytest.raises(InvalidDeclaration, match="no data-quality assessment"):
        pact.pact_footprint(result(), {**DECL, "cross_sectoral_standards": ["PACT-3.0"]}, 3)
    ok = pact.pact_footprint(
        result(), {**DECL, "cross_sectoral_standards": ["PACT-3.0"]}, 3, quality=quality()
    )
    assert ok["pcf"]["crossSectoralStandards"] == ["PACT-3.0"]


@pytest.mark.parametrize("version", [3, 2])
def test_not_assessed_is_said_never_a_silent_zero(official, version):
    decl = {
        **DECL,
        "fossil_carbon_content": None,
        "biogenic_carbon_content": None,
        "biogenic_reporting": "not_assessed",
    }
    doc = pact.pact_footprint(result(), decl, version)
    assert not list(official[version].iter_errors(doc))
    p, comment = doc["pcf"], doc["comment"]
    assert "fossil carbon content (fossilCarbonContent is a required field" in comment
    assert "biogenic emissions and removals and land-use change" in comment
    assert "Not assessed: data quality ratings, primary data share and aircraft" in comment
    assert "aircraftGhgEmissions" not in p and "dqi" not in p and "primaryDataShare" not in p
    if version == 3:
        for name in ("landUseChangeGhgEmissions", "biogenicCO2Uptake", "biogenicCarbonContent"):
            assert name not in p
        assert p["pcfIncludingBiogenicUptake"] == p["pcfExcludingBiogenicUptake"]
    else:
        assert "dLucGhgEmissions" not in p and "otherBiogenicGhgEmissions" not in p
        assert p["biogenicCarbonContent"] == "0"  # required by v2, and said so:
        assert "biogenicCarbonContent is required by v2: its 0 is not a measured zero" in comment


# -- carbon content from the product's composition (RULES.md B10) -----------------------------------
PP_KEY = ("pcf-products-polypropylene", "polypropylene-resin-us")
PP_C = 3 * 12.011 / (3 * 12.011 + 6 * 1.008)  # (C3H6)n, IUPAC abridged atomic weights


def _pp_result(amount: float = 2.0, unit: str = "kilogram") -> FootprintResult:
    return result(product=PP_KEY, product_name="polypropylene", product_unit=unit, amount=amount)


@needs_spec
@pytest.mark.parametrize("version", [3, 2])
def test_computed_carbon_content_is_stated_per_declared_unit(official, version):
    """2 kg of resin: v3 states the content of the declared amount (2 kg), v2 per one kg; the
    company gives no carbon content, the composition does, so neither is 'not assessed'."""
    decl = {
        **DECL,
        "fossil_carbon_content": None,
        "biogenic_carbon_content": None,
        "product_mass_per_declared_unit": 2.0,
    }
    doc = pact.pact_footprint(_pp_result(2.0), decl, version)
    assert not list(official[version].iter_errors(doc))
    p, comment = doc["pcf"], doc["comment"]
    per_declared = 2.0 * PP_C if version == 3 else PP_C
    assert float(p["fossilCarbonContent"]) == pytest.approx(per_declared, rel=1e-6)
    assert p["biogenicCarbonContent"] == "0"
    assert "is a required field: its 0 is not a measured zero" not in comment
    assert "is required by v2: its 0 is not a measured zero" not in comment
    assert "36.033 / 42.081 = 0.8562771797 kg C/kg [derived]" in comment


def test_declared_carbon_content_wins_and_a_product_without_a_row_is_not_assessed():
    decl = {**DECL, "product_mass_per_declared_unit": 2.0}  # fossil 0.4, biogenic 0.0 declared
    p = pact.pact_footprint(_pp_result(2.0), decl, 3)["pcf"]
    assert (p["fossilCarbonContent"], p["biogenicCarbonContent"]) == ("0.4", "0")
    none = {**DECL, "fossil_carbon_content": None, "biogenic_carbon_content": None}
    doc = pact.pact_footprint(result(), none, 3)  # ("db", "cell"): not in the table
    assert doc["pcf"]["fossilCarbonContent"] == "0"
    assert "fossilCarbonContent is a required field: its 0 is not a measured zero" in doc["comment"]


def test_carbon_content_is_resolved_once_for_both_documents():
    """with_carbon_content (what the PACT document and the ISO 14067 report call) fills the
    declaration's missing contents from the table, leaves the caller's copy alone, and a
    resolved declaration is not resolved again."""
    from reports.pact.footprint import with_carbon_content

    d = pact.Declaration.parse(
        {**DECL, "fossil_carbon_content": None, "biogenic_carbon_content": None}
    )
    once = with_carbon_content(d, _pp_result(1.0))
    assert once.fossil_carbon_content == pytest.approx(PP_C, rel=1e-6)
    assert once.biogenic_carbon_content == 0.0
    assert d.fossil_carbon_content is None  # the caller's declaration is not changed
    again = with_carbon_content(once, _pp_result(3.0))
    assert again.fossil_carbon_content == once.fossil_carbon_content


def test_a_table_unit_other_than_the_products_is_refused():
    decl = {**DECL, "fossil_carbon_content": None, "biogenic_carbon_content": None}
    with pytest.raises(InvalidDeclaration) as e:
        pact.pact_footprint(_pp_result(1000.0, "gram"), decl, 3)
    assert e.value.field == (
        "inventories/carbon-content.csv: pcf-products-polypropylene|polypropylene-resin-us.unit"
    )
    assert "is not the product's unit 'gram'" in str(e.value)


@pytest.mark.parametrize(
    "change",
    [
        {"fossil_carbon_content": 5.0, "biogenic_carbon_content": 0.3},  # 5.3 kg C > 5.2 kg
        {"fossil_carbon_content": 5.3},
    ],
)
def test_carbon_content_above_the_product_mass_is_refused(change):
    with pytest.raises(InvalidDeclaration, match="exceeds the product mass 5.2 kg") as e:
        pact.pact_footprint(result(), {**DECL, **change}, 3)
    assert e.value.field == "declaration.fossil_carbon_content"
    # the composition's figure is checked too: 1 kg of resin declared with 0.5 kg of mass
    decl = {**DECL, "fossil_carbon_content": None, "product_mass_per_declared_unit": 0.5}
    with pytest.raises(InvalidDeclaration, match="0.856277 kg C exceeds the product mass 0.5"):
        pact.pact_footprint(_pp_result(1.0), decl, 3)


def test_energy_product_may_have_no_mass():
    decl = {**DECL, "product_mass_per_declared_unit": None, "energy_product": True}
    assert pact.pact_footprint(result(), decl, 3)["pcf"]["productMassPerDeclaredUnit"] == "0"


def test_comment_names_the_proxies_and_the_grid_factor():
    from supply_chain.data_quality import InputRating

    rows = (
        InputRating(
            key=("bg", "greet"),
            name="battery materials, GREET 2024",
            location="US",
            flow="Carbon dioxide, fossil",
            contribution=41.79,
            share=0.578,
            own={},
            use={},
            rating={"technological": 3, "geographical": 4, "temporal": 1},
            primary=False,
        ),
    )
    grid = (
        {
            "key": ("bg", "cn"),
            "name": "electricity, China grid, MEE 2023",
            "location": "CN",
            "factor": 0.5306,
            "unit": "kg CO2-Eq/kWh",
            "share": 0.422,
        },
    )
    doc = pact.pact_footprint(result(), DECL, 3, quality=quality(inputs=rows, grid=grid))
    c = doc["comment"]
    assert "Proxy: battery materials, GREET 2024 [US] for a product of CN, 57.8 % of the PCF" in c
    assert "(geographical 4, technological 3)" in c
    assert "Grid electricity: electricity, China grid, MEE 2023 [CN], 0.5306 kg CO2-Eq/kWh" in c


def test_meta_file_with_quality_scores_is_refused_naming_the_key(tmp_path):
    from reports.errors import ReportInputError
    from reports.meta import read_meta

    f = tmp_path / "meta.yaml"
    f.write_text(
        "declaration:\n  company_name: x\n  dqi:\n    technological: 1.6\n", encoding="utf-8"
    )
    with pytest.raises(ReportInputError, match=r"meta.yaml: declaration.dqi: the data quality"):
        read_meta(f)
    f.write_text("declaration:\n  company_name: x\n  primary_data_share: 40\n", encoding="utf-8")
    with pytest.raises(ReportInputError, match=r"declaration.primary_data_share: .*computed"):
        read_meta(f)


def test_shipped_demo_meta_types_no_quality_and_claims_only_what_it_meets():
    from pcf.demo.reports import DEMO_META
    from reports.meta import computed_keys, read_meta

    meta = read_meta(DEMO_META)
    assert computed_keys(meta) == []
    d = pact.Declaration.parse(meta["declaration"])
    # the declared product is the LFP pack: BatPaC 5 LFP-G 618 kg for 90.04 kWh (0.1457 kWh/kg)
    assert d.product_mass_per_declared_unit == pytest.approx(1000 / 145.7, abs=5e-4)
    assert d.product_category_cpc == "46420" and d.product_classifications == ["urn:cpc:46420"]
    assert not any(s.startswith("PACT-") for s in d.cross_sectoral_standards)
    assert d.fossil_carbon_content is None and d.not_assessed_biogenic


def test_unquantified_cut_offs_make_the_percent_a_stated_lower_bound():
    """Four cut-offs without a sourced estimate (as the demo packs'): v3 requires a decimal, so
    the percent is the quantified share (0 here) and the description opens by saying it is a
    lower bound, naming each item; S13 would refuse the same 0 without that statement."""
    items = ["process heat", "assembly energy", "inbound transport", "packaging"]
    decl = {**DECL, "cut_offs": [{"item": i} for i in items]}
    p = pact.pact_footprint(result(), decl, 3)["pcf"]
    assert p["exemptedEmissionsPercent"] == "0"
    text = p["exemptedEmissionsDescription"]
    assert text.startswith(
        "Lower bound: 0 % covers the quantified exempted items only; 4 further item(s) are "
        "left out and not quantified"
    )
    assert all(i in text for i in items)
    # one quantified (2 kg of 72.299501568079 + 0.25 + 2 = 2.68278 %) and one not
    mixed = {
        **DECL,
        "cut_offs": [{"item": "packaging", "estimate": 2.0, "basis": "b"}, {"item": "heat"}],
    }
    p = pact.pact_footprint(result(), mixed, 3)["pcf"]
    assert p["exemptedEmissionsDescription"].startswith("Lower bound: 2.68 % covers")
    silent = {**p, "exemptedEmissionsPercent": "0", "exemptedEmissionsDescription": "heat; tape"}
    assert [f for f, _ in pact_spec.semantic_errors({"pcf": silent}, "3")] == [
        "pcf.exemptedEmissionsPercent"
    ]


def _study(**kw):
    from reports.iso14067 import StudyInfo

    base = {
        "goal": "g",
        "intended_application": "a",
        "reference_flow": "1 kWh",
        "allocation": "none",
        "electricity": "location-based grid",
        "sensitivity": [{"label": "grid", "values": {"grid": "x"}}],
    }
    base.update(kw)
    return StudyInfo.parse(base)


UNC = {"mean": 72.0, "median": 72.0, "p2_5": 60.0, "p97_5": 85.0, "iterations": 1000}


@pytest.mark.parametrize(
    "study, decl, uncertainty, listed",
    [
        # every row met (review stated): both standards
        ({}, {}, UNC, ["ISO14067", "GHGP-Product"]),
        # no Monte Carlo: ISO 14067's uncertainty row is not met; the GHG Protocol takes the
        # qualitative statement the comment then gives
        ({}, {}, None, ["GHGP-Product"]),
        # a cut-off not quantified: ISO 14067 (significance assessed) no, the GHG Protocol
        # (exclusions disclosed and justified) yes
        ({}, {"cut_offs": [{"item": "heat"}]}, UNC, ["GHGP-Product"]),
        # biogenic not assessed is stated ("partly"): both
        ({}, {"biogenic_reporting": "not_assessed"}, UNC, ["ISO14067", "GHGP-Product"]),
    ],
    ids=["all-met", "no-monte-carlo", "cut-off-unquantified", "biogenic-not-assessed"],
)
def test_cross_sectoral_standards_are_what_the_iso_table_meets(study, decl, uncertainty, listed):
    from reports.iso14067 import conformity
    from reports.pact.standards import unmet

    d = pact.Declaration.parse({**DECL, **decl})
    rows = conformity(_study(**study), d, uncertainty, [{"scenario": "grid"}])
    doc = pact.pact_footprint(result(), d, 3, quality=quality(), conformity=rows)
    assert doc["pcf"]["crossSectoralStandards"] == listed
    # the same table, read by the rule: every dropped standard names a row that is not met
    for s in {"ISO14067", "GHGP-Product"} - set(listed):
        assert unmet(s, rows)
    assert ("Uncertainty not quantified" in doc["comment"]) == (uncertainty is None)
    v2 = pact.pact_footprint(result(), d, 2, quality=quality(), conformity=rows)["pcf"]
    assert v2["crossSectoralStandardsUsed"] == [
        {"ISO14067": "ISO Standard 14067", "GHGP-Product": "GHG Protocol Product standard"}[s]
        for s in listed
    ]


def test_no_standard_met_is_refused_naming_the_rows():
    from reports.iso14067 import conformity

    d = pact.Declaration.parse(DECL)
    rows = conformity(_study(electricity=""), d, UNC, [{"scenario": "grid"}])
    with pytest.raises(
        InvalidDeclaration,
        match=r"^declaration.cross_sectoral_standards: .*none is met.*iso.c.electricity: not_met",
    ):
        pact.pact_footprint(result(), d, 3, quality=quality(), conformity=rows)


def test_pact_for_reads_the_iso_reports_table(monkeypatch):
    """``pact_for(study=, uncertainty=)`` computes the rows with the ISO report's own function."""
    import reports.pact.footprint as fp

    monkeypatch.setattr(fp, "assess", lambda engine, res, geo: quality())
    with_mc = pact.pact_for(None, result(), DECL, 3, study=_study().model_dump(), uncertainty=UNC)
    assert with_mc["pcf"]["crossSectoralStandards"] == ["ISO14067", "GHGP-Product"]
    without = pact.pact_for(None, result(), DECL, 3, study=_study(), uncertainty=None)
    assert without["pcf"]["crossSectoralStandards"] == ["GHGP-Product"]
    assert without["id"] != with_mc["id"]  # a different claim is a different document
    # no study: the declared list as it is (the callers that pass none keep their behaviour)
    assert pact.pact_for(None, result(), DECL, 3)["pcf"]["crossSectoralStandards"] == [
        "ISO14067",
        "GHGP-Product",
    ]


def test_a_result_that_does_not_assess_biogenic_leaves_the_fields_out():
    """A footprint whose datasets publish no biogenic / land-use split (``not_assessed``) gets
    no biogenic fields even when the declaration says "computed": never a silent 0."""
    parts_ = ["biogenic", "land_use", "biogenic_co2_emissions", "biogenic_co2_removals"]
    r = result(biogenic=0.0, land_use=0.0, biogenic_co2_emissions=0.0, biogenic_co2_removals=0.0)
    r.fossil = r.total
    assert "biogenicNonCO2Emissions" in pact.pact_footprint(r, DECL, 3)["pcf"]
    r.not_assessed = parts_
    doc = pact.pact_footprint(r, DECL, 3)
    for f in ("landUseChangeGhgEmissions", "biogenicCO2Uptake", "biogenicNonCO2Emissions"):
        assert f not in doc["pcf"]
    assert "Not assessed: biogenic emissions and removals and land-use change" in doc["comment"]


# -- the id: identity and values, never free text (RULES.md B1) ---------------------------------------
def test_the_id_depends_on_identity_and_values_not_on_free_text_or_timestamps():
    """An auditor found two Active ids for one footprint: the documents differed only in the
    comment. The id is made of the footprint's identity and values (supply_chain.pact_spec.ids)."""
    from supply_chain.pact_spec.ids import identity_fields

    def doc(decl=None, res=None, version=3, **kw):
        return pact.pact_footprint(res or result(), {**DECL, **(decl or {})}, version, **kw)

    base = doc()
    assert base["id"] == pact_spec.footprint_id(base)
    assert "comment" not in identity_fields(base) and "created" not in identity_fields(base)
    reworded = doc(
        {
            "comment": "Reworded by the company.",
            "company_name": "Example Company Ltd.",
            "product_name": "LFP cell",
            "product_description": "Another description",
            "boundary_processes_description": "Cradle to gate, described in other words.",
            "allocation_rules_description": "None.",
            "validity_period_start": "2024-01-01",
            "validity_period_end": "2026-12-31",
        },
        now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        uncertainty=UNC,  # a Monte Carlo statement in the comment: free text
    )
    assert reworded["comment"] != base["comment"] and reworded["created"] != base["created"]
    assert reworded["id"] == base["id"]
    changed = {
        "a figure": doc(res=result(total=70.0, fossil=68.0)),
        "the product ids": doc({"product_ids": ["urn:example:product:cell-2"]}),
        "the company ids": doc({"company_ids": ["urn:example:company:2"]}),
        "the classification": doc({"product_classifications": ["urn:unspsc:26111700"]}),
        "the declared unit": doc({"declared_unit": "megajoule"}),
        "the declared amount": doc(res=result(amount=2.0)),
        "the reference period": doc({"reference_period_end": "2024-06-30"}),
        "the geography": doc({"geography": "DE"}),
        "the product mass": doc({"product_mass_per_declared_unit": 5.3}),
        "the spec version": doc(version=2),
    }
    for what, d in changed.items():
        assert d["id"] != base["id"], what


def test_the_comment_states_the_monte_carlo_result_or_the_qualitative_statement():
    """Whichever command wrote it, the comment says what is known about uncertainty."""
    unc = {**UNC, "seed": 42, "deterministic": 72.2995}
    mc = pact.pact_footprint(result(), DECL, 3, uncertainty=unc)
    assert (
        "Uncertainty: Monte Carlo, 1000 draws (seed 42) over the distributions the inventory "
        "records for its exchanges: median 72, 95 % interval 60 to 85, mean 72 kg CO2e for the "
        "declared amount; the figures stated are the deterministic result (72.3)."
    ) in mc["comment"]
    without = pact.pact_footprint(result(), DECL, 3)
    assert (
        "Uncertainty not quantified (no Monte Carlo run for this document); qualitative "
        "statement:" in without["comment"]
    )
    assert "Monte Carlo, 1000 draws" not in without["comment"]
    assert mc["id"] == without["id"]
    # v2 figures are per one declared unit: 2 kWh declared, so half of each draw statistic
    v2 = pact.pact_footprint(result(amount=2.0), DECL, 2, uncertainty=unc)
    assert (
        "median 36, 95 % interval 30 to 42.5, mean 36 kg CO2e for one declared unit"
        in (v2["comment"])
    )


def test_a_declared_standard_left_out_is_named_with_the_rows_that_keep_it_out():
    from reports.iso14067 import conformity

    d = pact.Declaration.parse(DECL)
    rows = conformity(_study(), d, None, [{"scenario": "grid"}])
    doc = pact.pact_footprint(result(), d, 3, quality=quality(), conformity=rows)
    assert doc["pcf"]["crossSectoralStandards"] == ["GHGP-Product"]
    assert (
        "Declared but not listed in crossSectoralStandards: ISO14067, not met by the ISO 14067 "
        "study's conformity table (clause 7 'Uncertainty of the result' not met)."
    ) in doc["comment"]
    cut = pact.Declaration.parse(
        {
            **DECL,
            "cut_offs": [{"item": "heat"}],
            "cross_sectoral_standards": ["ISO14067", "GHGP-Product", "PEF"],
        }
    )
    rows = conformity(_study(), cut, UNC, [{"scenario": "grid"}])
    doc = pact.pact_footprint(result(), cut, 3, conformity=rows, uncertainty=UNC)
    assert (
        "Declared but not listed in crossSectoralStandards: ISO14067, not met by the ISO 14067 "
        "study's conformity table (clause 6.3 'Cut-off criteria and the significance of what is "
        "left out' partly met); PEF, which the engine does not check (no conformity rows for "
        "it)."
    ) in doc["comment"]
    everything = conformity(_study(), d, UNC, [{"scenario": "grid"}])
    met = pact.pact_footprint(result(), d, 3, conformity=everything, uncertainty=UNC)
    assert "Declared but not listed" not in met["comment"]


def _rating(key, name, share, location="US"):
    from supply_chain.data_quality import CRITERIA, InputRating

    return InputRating(
        key=key,
        name=name,
        location=location,
        flow="Carbon dioxide, fossil",
        contribution=share * 72.299501568079,
        share=share,
        own=None,
        use=None,
        rating=dict.fromkeys(CRITERIA, 1.0),
        primary=False,
    )


AIR = "transport, freight, aircraft, long haul"


@pytest.mark.parametrize("version", [3, 2])
def test_aircraft_emissions_only_where_the_model_computes_them(official, version):
    """PACT v3.0.3 / v2.3: aircraftGhgEmissions is optional ("If present"). An aggregated dataset
    (cradle-to-gate, life-cycle ...) hides its upstream transport modes from the name search, and
    a dataset without a recorded boundary is not known to be a single process."""
    inputs = (
        _rating(("bg", "greet"), "battery materials, GREET 2024 aggregate", 0.646),
        _rating(("db", "a"), "cell factory", 0.354, "CN"),
    )
    q = quality(inputs=inputs)
    factory = {("db", "a"): "gate-to-gate"}
    greet = {("bg", "greet"): "cradle-to-gate"}
    hidden = pact.pact_footprint(
        result(), DECL, version, quality=q, boundaries={**greet, **factory}
    )
    assert "aircraftGhgEmissions" not in hidden["pcf"]
    assert not list(official[version].iter_errors(hidden))
    assert (
        "Aircraft emissions (aircraftGhgEmissions, optional) not assessed and left out: 64.6 % of "
        "the PCF comes from aggregated datasets (or datasets without a recorded boundary) whose "
        "figures may include upstream transport by modes that cannot be separated (battery "
        "materials, GREET 2024 aggregate [US], cradle-to-gate, 64.6 %); the name search of the 7 "
        "supplying activities sees only transport modelled as activities (no activity named as "
        "aircraft transport was found)."
    ) in hidden["comment"]
    # no boundary recorded for the factory either: 100 % unseen, the largest named first
    unrecorded = pact.pact_footprint(result(), DECL, version, quality=q, boundaries=greet)
    assert "aircraftGhgEmissions" not in unrecorded["pcf"]
    assert (
        "100.0 % of the PCF comes from aggregated datasets (or datasets without a recorded "
        "boundary) whose figures may include upstream transport by modes that cannot be "
        "separated (battery materials, GREET 2024 aggregate [US], cradle-to-gate, 64.6 %; cell "
        "factory [CN], boundary not recorded, 35.4 %)"
    ) in unrecorded["comment"]
    # datasets of one process's own emissions: their transport inputs are activities of the model
    direct = pact.pact_footprint(
        result(),
        DECL,
        version,
        quality=q,
        boundaries={("bg", "greet"): "direct-only", **factory},
    )
    assert direct["pcf"]["aircraftGhgEmissions"] == "0"  # a computed zero
    assert (
        "Aircraft emissions: 0 kg CO2e, computed: every input comes from a single-process"
        in (direct["comment"])
    )
    # aircraft transport found by name, itself a well-to-wheel dataset: counted, not hidden;
    # rounded to the place of the footprint's 7th digit (72.5495 -> 0.00001)
    air_q = quality(
        inputs=(*inputs[1:], _rating(("bg", "air"), AIR, 0.0002)),
        aircraft_emissions=0.0144599003,
        aircraft_activities=(AIR,),
    )
    air = pact.pact_footprint(
        result(), DECL, 3, quality=air_q, boundaries={("bg", "air"): "well-to-wheel", **factory}
    )
    assert air["pcf"]["aircraftGhgEmissions"] == "0.01446"
    # the datasets' boundaries not read: nothing can be told apart, so nothing is stated
    unread = pact.pact_footprint(result(), DECL, version, quality=q)
    assert "aircraftGhgEmissions" not in unread["pcf"]
    assert "the datasets' boundaries were not read" in unread["comment"]
    assert hidden["id"] == unread["id"] != direct["id"]


@pytest.mark.parametrize("version", [3, 2])
def test_figures_have_seven_significant_digits_and_the_parts_add_up(official, version):
    """Brightway's float32 data carry ~7.2 significant digits: 64.68 comes back as 64.6800011.
    Each part is rounded to the place of the 7th significant digit of the largest figure
    (here the 5th decimal) and the totals are the sums of the rounded parts."""
    f32 = result(
        total=64.68000110626221,
        fossil=64.68000110626221,
        biogenic=0.0,
        land_use=0.0,
        biogenic_co2_emissions=0.0,
        biogenic_co2_removals=0.0,
    )
    p = pact.pact_footprint(f32, DECL, version)["pcf"]
    key = "pcfExcludingBiogenicUptake" if version == 3 else "pCfExcludingBiogenic"
    assert p[key] == p["fossilGhgEmissions"] == "64.68"
    # 60.123456789 + 7.2 + 0.291527051 = 67.61498384; biogenic CO2 0.0123456789, uptake
    # -1.98765432. Rounded: 60.12346, 7.20000, 0.29153, 0.01235, -1.98765
    r = result(
        total=67.61498384,
        fossil=60.123456789,
        biogenic=7.2,
        land_use=0.291527051,
        biogenic_co2_emissions=0.0123456789,
        biogenic_co2_removals=-1.98765432,
    )
    doc = pact.pact_footprint(r, DECL, version)
    assert not list(official[version].iter_errors(doc))
    p = doc["pcf"]
    if version == 3:
        assert (p["fossilGhgEmissions"], p["biogenicNonCO2Emissions"]) == ("60.12346", "7.2")
        assert (p["landUseChangeGhgEmissions"], p["biogenicCO2Uptake"]) == ("0.29153", "-1.98765")
        # 60.12346 + 7.2 + 0.29153 + 0.01235 = 67.62734 (67.62732952 rounded alone: 67.62733)
        assert p["pcfExcludingBiogenicUptake"] == "67.62734"
        assert p["pcfIncludingBiogenicUptake"] == "65.63969"  # 67.62734 - 1.98765, exactly
        assert Decimal(p["pcfIncludingBiogenicUptake"]) == Decimal(
            p["pcfExcludingBiogenicUptake"]
        ) + Decimal(p["biogenicCO2Uptake"])
    else:
        assert p["pCfExcludingBiogenic"] == "67.61499"  # 60.12346 + 7.2 + 0.29153
        assert p["pCfIncludingBiogenic"] == "65.63969"  # + 0.01235 - 1.98765
        assert Decimal(p["pCfExcludingBiogenic"]) == sum(
            Decimal(p[k])
            for k in ("fossilGhgEmissions", "otherBiogenicGhgEmissions", "dLucGhgEmissions")
        )
    # a figure the company typed is exact: stated as typed, never cut to 7 digits
    exact = pact.pact_footprint(
        result(), {**DECL, "product_mass_per_declared_unit": 6.86341234567}, 3
    )
    assert exact["pcf"]["productMassPerDeclaredUnit"] == "6.86341234567"


# -- through pcf: one footprint, one id, whichever command wrote it ---------------------------------
DEMO_KEY = "pcf-products-lfp-pack|lfp-pack-per-kwh"


@pytest.fixture
def pcf_cli(shipped, bw_dir):
    """``pcf --data-dir <the session's directory> ARGS`` in-process (tests/conftest.py)."""
    from typer.testing import CliRunner

    from pcf.app import app

    def run(*args, code: int = 0):
        r = CliRunner().invoke(app, ["--data-dir", str(bw_dir), *map(str, args)])
        assert r.exit_code == code, (r.stdout, r.stderr, r.exception)
        return r

    return run


def test_demo_and_report_pact_issue_one_id_and_a_changed_value_a_new_one(pcf_cli, tmp_path):
    import yaml

    from pcf.demo.reports import DEMO_META

    name = "pact-v3-lfp-pack-per-kwh.json"
    pcf_cli("demo", "--out", tmp_path / "demo", "--iterations", "20", "--json")
    demo = json.loads((tmp_path / "demo" / "reports" / name).read_text(encoding="utf-8"))
    pcf_cli("report", "pact", DEMO_KEY, "--out", tmp_path / "report", "--json")
    report = json.loads((tmp_path / "report" / name).read_text(encoding="utf-8"))
    assert report["id"] == demo["id"]
    # the same document but for when it was made and what each run knows about uncertainty
    assert {k: v for k, v in demo.items() if k not in ("created", "comment")} == {
        k: v for k, v in report.items() if k not in ("created", "comment")
    }
    assert "Uncertainty: Monte Carlo, 20 draws (seed 42)" in demo["comment"]
    assert "Uncertainty not quantified (no Monte Carlo run for this document)" in report["comment"]
    for doc in (demo, report):
        # ISO 14067 declared in the meta, not met (cut-offs not quantified): said, not silent
        assert doc["pcf"]["crossSectoralStandards"] == ["GHGP-Product"]
        assert "Declared but not listed in crossSectoralStandards: ISO14067" in doc["comment"]
        # the GREET pack-materials aggregate hides its transport modes: no aircraft figure
        assert "aircraftGhgEmissions" not in doc["pcf"]
        assert re.search(
            r"not assessed and left out: 100\.0 % of the PCF comes from aggregated datasets "
            # GREET 2024 LFP materials 42.5048 of the pack's 65.3948 kg CO2e (its gases, IPCC 2021)
            r"[^;]*GREET 2024 aggregate \[US\], cradle-to-gate, 65\.0 %",
            doc["comment"],
        )
        # no float32 residue: at most 7 significant digits
        excl = Decimal(doc["pcf"]["pcfExcludingBiogenicUptake"])
        assert len(excl.normalize().as_tuple().digits) <= 7
    total = json.loads((tmp_path / "demo" / "footprints.json").read_text(encoding="utf-8"))
    (pack,) = [p for p in total["products"] if "|".join(p["product"]) == DEMO_KEY]
    assert float(excl) == pytest.approx(pack["total"], rel=5e-7)

    # a changed value (the product mass per declared unit) is a new footprint: re-issued
    previous = tmp_path / "report" / name
    meta = yaml.safe_load(Path(DEMO_META).read_text(encoding="utf-8"))
    meta["declaration"]["product_mass_per_declared_unit"] = 6.9
    changed = tmp_path / "meta.yaml"
    changed.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "reissued"
    pcf_cli("report", "pact", DEMO_KEY, "--meta", changed, "--previous", previous, "--out", out)
    new = json.loads((out / name).read_text(encoding="utf-8"))
    old = json.loads((out / f"{report['id']}.json").read_text(encoding="utf-8"))
    assert new["id"] != report["id"] and new["precedingPfIds"] == [report["id"]]
    assert old["status"] == "Deprecated"
    assert {k: v for k, v in old.items() if k != "status"} == {
        k: v for k, v in report.items() if k != "status"
    }
    # the unchanged footprint given as --previous: the same id, nothing deprecated
    same = tmp_path / "same"
    pcf_cli("report", "pact", DEMO_KEY, "--previous", previous, "--out", same)
    assert [p.name for p in same.iterdir()] == [name]
    assert json.loads((same / name).read_text(encoding="utf-8"))["id"] == report["id"]
