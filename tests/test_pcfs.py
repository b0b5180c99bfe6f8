"""Supplier PCFs and the one PACT validator (supply_chain.pact_spec).

The official PACT documents (WBCSD's, read in tests only) come from ../shared/reference/pact;
tests that need them skip when they are absent. "Rules only" means the spec directory points at
an empty directory, as on a user's machine: then only our own data-model rules run.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import logging
import re
from pathlib import Path

import pytest

from supply_chain import pact_spec
from supply_chain.errors import InvalidPCF
from supply_chain.pact_spec import validate_pact
from supply_chain.pcfs import SupplierPCF, read_pact, read_pcf_table

SPEC = pact_spec.DEFAULT_SPEC_DIR
CATHODE = Path(__file__).resolve().parents[1] / "inventories/bom/battery-pack-cathode-pcf.json"
HAVE_SPEC = (SPEC / "v3" / "openapi.yaml").is_file() and (SPEC / "v2" / "openapi.yaml").is_file()
needs_spec = pytest.mark.skipif(
    not HAVE_SPEC, reason=f"official PACT spec not available in {SPEC} (shared/reference)"
)


@pytest.fixture(autouse=True)
def _spec_from_default(monkeypatch):
    monkeypatch.delenv(pact_spec.ENV_SPEC_DIR, raising=False)


@pytest.fixture
def no_spec(tmp_path) -> Path:
    """An empty spec directory: only our own rules run."""
    d = tmp_path / "no-spec"
    d.mkdir()
    return d


def _load(rel):
    return json.loads((SPEC / rel).read_text())


def example_docs(version: int) -> list[tuple[str, dict]]:
    """Every ProductFootprint in the spec's example files (responses unwrapped)."""
    out = []
    for f in sorted((SPEC / f"v{version}" / "examples").glob("*.json")):
        d = json.loads(f.read_text())
        data = d.get("data", d) if isinstance(d, dict) else d
        if isinstance(data, dict) and "pfs" in data:
            data = data["pfs"]
        for i, doc in enumerate(data if isinstance(data, list) else [data]):
            if isinstance(doc, dict) and "pcf" in doc:
                out.append((f"v{version}/{f.name}[{i}]", doc))
    return out


#: Examples the official schema rejects, with the field (the spec names them "invalid").
INVALID_EXAMPLES = {"v2/invalid-response-all-properties.json[0]": "updated"}
#: Examples whose figures contradict pcfIncluding = pcfExcluding + biogenicCO2Uptake
#: (1.63 != 1.85 - 1.5; get-footprint-response states no biogenicCO2Uptake, i.e. 0, under
#: x-rule BIO): accepted when reading others' documents, refused when strict.
INCONSISTENT_EXAMPLES = {
    "v3/get-footprint-response.json[0]",
    "v3/invalid-response-all-properties.json[0]",
    "v3/list-footprints-response.json[0]",
    "v3/pf-response-event.json[0]",
}


def _set(doc, path, value):
    obj = doc
    for k in path[:-1]:
        obj = obj[k]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


class _Delete:
    """Marks a field the mutation deletes; a stable repr keeps the test ids identical in every
    pytest-xdist worker (``object()``'s repr carries a memory address)."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETE = _Delete()

# (version, path, new value, field named, the official schema can express the rule)
MUTATIONS = [
    (3, ("pcf", "declaredUnitOfMeasurement"), "bucket", "pcf.declaredUnitOfMeasurement", True),
    (3, ("id",), "not-a-uuid", "id", True),
    (3, ("status",), "Draft", "status", True),
    (3, ("created",), "yesterday", "created", True),
    (3, ("companyName",), _DELETE, "companyName", True),
    (3, ("pcf", "pcfExcludingBiogenicUptake"), _DELETE, "pcf.pcfExcludingBiogenicUptake", True),
    (3, ("companyIds",), ["not a urn"], "companyIds[0]", True),
    (3, ("productIds",), [], "productIds", True),
    (3, ("pcf", "fossilGhgEmissions"), 1.5, "pcf.fossilGhgEmissions", True),
    (3, ("pcf", "fossilGhgEmissions"), "1,5", "pcf.fossilGhgEmissions", True),
    (3, ("pcf", "biogenicCO2Uptake"), "1.5", "pcf.biogenicCO2Uptake", True),
    (3, ("pcf", "declaredUnitAmount"), "0", "pcf.declaredUnitAmount", True),
    (3, ("pcf", "geographyCountry"), "US", "pcf.geographyCountry", True),  # a second geography
    (3, ("pcf", "ipccCharacterizationFactors"), [], "pcf.ipccCharacterizationFactors", True),
    (3, ("pcf", "dqi", "temporalDQR"), 3, "pcf.dqi.temporalDQR", True),  # not a decimal string
    # rules the spec states in prose only: the official schema accepts these
    (3, ("pcf", "primaryDataShare"), "140", "pcf.primaryDataShare", False),
    (3, ("pcf", "dqi", "temporalDQR"), "7", "pcf.dqi.temporalDQR", False),
    (3, ("pcf", "dqi", "technologicalDQR"), "0.5", "pcf.dqi.technologicalDQR", False),
    (3, ("pcf", "exemptedEmissionsPercent"), "101", "pcf.exemptedEmissionsPercent", False),
    (3, ("pcf", "pcfIncludingBiogenicUptake"), "1", "pcf.pcfIncludingBiogenicUptake", False),
    (2, ("pcf", "declaredUnit"), "piece", "pcf.declaredUnit", True),
    (2, ("version",), _DELETE, "version", True),
    (2, ("pcf", "exemptedEmissionsPercent"), 6, "pcf.exemptedEmissionsPercent", True),
    (2, ("pcf", "dqi", "temporalDQR"), 4, "pcf.dqi.temporalDQR", True),
    (2, ("pcf", "primaryDataShare"), "12.9", "pcf.primaryDataShare", True),
    (
        2,
        ("pcf", "crossSectoralStandardsUsed"),
        ["ISO 14067"],
        "pcf.crossSectoralStandardsUsed[0]",
        True,
    ),
    (2, ("pcf", "pCfExcludingBiogenic"), "-1", "pcf.pCfExcludingBiogenic", True),
    (2, ("pcf", "geographyRegionOrSubregion"), "Atlantis", "pcf.geographyRegionOrSubregion", True),
]
MUTATION_IDS = [f"v{m[0]}-{m[3]}={m[2]!r}"[:60] for m in MUTATIONS]


def mutated(version, path, value) -> dict:
    doc = copy.deepcopy(
        _load("v3/examples/example-1.json")
        if version == 3
        else _load("v2/examples/get-footprint-response.json")["data"]
    )
    _set(doc, path, value)
    return doc


# -- the spec's examples --------------------------------------------------------------------------
@needs_spec
@pytest.mark.parametrize(
    "name", ["example-1.json", "example-2.json", "example-3.json", "example-4.json"]
)
def test_v3_examples_are_accepted(name):
    assert validate_pact(_load(f"v3/examples/{name}")) == "3"


@needs_spec
@pytest.mark.parametrize("version", [3, 2])
def test_our_rules_alone_accept_the_official_examples(no_spec, version):
    """Rules only: every example the official schema accepts is accepted when read; strictly,
    only the examples with contradicting figures are refused, naming that figure."""
    docs = example_docs(version)
    assert docs
    for name, doc in docs:
        official = pact_spec.schema_errors(doc, str(version), SPEC / f"v{version}/openapi.yaml")
        if name in INVALID_EXAMPLES:
            assert official and official[0][0] == INVALID_EXAMPLES[name], name
            field = re.escape(f"field '{INVALID_EXAMPLES[name]}'")
            with pytest.raises(InvalidPCF, match=field) as e:
                validate_pact(doc, spec_dir_path=no_spec, strict=False)
            assert e.value.field == INVALID_EXAMPLES[name]
            continue
        assert not official, name
        assert validate_pact(doc, spec_dir_path=no_spec, strict=False) == str(version), name
        if name in INCONSISTENT_EXAMPLES:
            biogenic = r"field 'pcf\.pcfIncludingBiogenicUptake': "
            with pytest.raises(InvalidPCF, match=biogenic) as e:
                validate_pact(doc, spec_dir_path=no_spec)
            assert e.value.field == "pcf.pcfIncludingBiogenicUptake", name
        else:
            validate_pact(doc, spec_dir_path=no_spec)


@needs_spec
def test_v2_response_is_accepted_and_read():
    (p,) = read_pact(SPEC / "v2/examples/get-footprint-response.json")
    doc = _load("v2/examples/get-footprint-response.json")["data"]
    assert p.id == doc["id"] and p.unit == "liter"
    assert p.value == float(doc["pcf"]["pCfExcludingBiogenic"])  # v2: per one declared unit


@needs_spec
def test_v3_value_is_per_one_unit_and_carries_quality():
    (p,) = read_pact(SPEC / "v3/examples/example-1.json")
    # declaredUnitAmount 1 kg; the headline 0.384 exceeds its stated parts (fossil 0.35 + LUC 0
    # + biogenic non-CO2 0.002 + land-management biogenic CO2 0.004 = 0.356) beyond rounding:
    # the headline is used, less the biogenic CO2 0.004 it states (engine boundary): 0.380
    assert p.value == pytest.approx(0.380)
    assert p.value_stated == pytest.approx(0.384)
    (parts,) = read_pact(SPEC / "v3/examples/example-1.json", value_from="parts")
    assert parts.value == pytest.approx(0.352)
    assert p.primary_data_share == 12.9
    assert p.dqr == {"technological": 1.5, "geographical": 3.2, "temporal": 2.4}
    assert p.reference_period[0] == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    doc = _load("v3/examples/example-1.json")
    doc["pcf"]["declaredUnitAmount"] = "12.5"
    (p2,) = read_pact(doc)
    assert p2.value == pytest.approx(0.380 / 12.5)


@needs_spec
def test_supplier_documents_breaking_the_biogenic_identity_are_refused():
    """WBCSD's own v3 response example states 1.63 for 1.85 + (-1.5): the v3 identity
    pcfIncludingBiogenicUptake = pcfExcludingBiogenicUptake + biogenicCO2Uptake fails, so a
    reader cannot tell which figure is wrong: refused, naming the field and the three values."""
    with pytest.raises(
        InvalidPCF,
        match=r"list-footprints-response.json: .*'pcf.pcfIncludingBiogenicUptake'.*1.63.*"
        r"pcfExcludingBiogenicUptake 1.85 \+ biogenicCO2Uptake -1.5 = 0.35.*tolerance",
    ) as e:
        read_pact(SPEC / "v3/examples/list-footprints-response.json")
    assert e.value.field == "pcf.pcfIncludingBiogenicUptake"
    # the validator alone, reading leniently, still only warns (used for re-writing documents)
    (doc,) = _load("v3/examples/list-footprints-response.json")["data"]
    assert validate_pact(doc, strict=False) == "3"


@pytest.mark.parametrize("incl,ok", [("7.5", True), ("7.6", True), ("7.7", False), ("9.0", False)])
def test_biogenic_identity_within_the_rounding_tolerance(no_spec, incl, ok):
    """9.0 + (-1.5) = 7.5; tolerance half a unit in the last place of each figure: 0.15."""
    doc = json.loads(CATHODE.read_text())
    doc["pcf"].update(pcfIncludingBiogenicUptake=incl, biogenicCO2Uptake="-1.5")
    if ok:
        assert read_pact(doc, spec_dir_path=no_spec)[0].value_including_biogenic == float(incl)
    else:
        with pytest.raises(InvalidPCF, match=rf"pcfIncludingBiogenicUptake.*{incl} != "):
            read_pact(doc, spec_dir_path=no_spec)


def test_v2_has_no_biogenic_identity_to_check(no_spec):
    """PACT v2's pCfIncludingBiogenic holds every biogenic emission, which v2 does not itemise:
    there is no identity with the other fields, so nothing is refused."""
    doc = _load("v2/examples/get-footprint-response.json")["data"] if HAVE_SPEC else None
    if doc is None:
        pytest.skip("no v2 example")
    doc["pcf"]["pCfIncludingBiogenic"] = "123.4"
    assert read_pact(doc, spec_dir_path=no_spec)[0].value_including_biogenic == 123.4


# -- conflicting supplier PCFs ----------------------------------------------------------------------
def _table(tmp_path, name, *rows):
    f = tmp_path / name
    f.write_text("id,value,unit,reference_period_end,technological_dqr\n" + "".join(rows))
    return f


def test_conflicting_pcfs_for_one_product_are_refused_naming_both(tmp_path):
    from supply_chain import select_pcfs
    from supply_chain.errors import ConflictingPCFs

    a = read_pcf_table(_table(tmp_path, "a.csv", "bms,70,piece,2024-01-01,2\n"))
    b = read_pcf_table(_table(tmp_path, "b.csv", "x,1,kg,,\nbms,90,piece,2025-01-01,3\n"))
    with pytest.raises(
        ConflictingPCFs, match=r"'bms'.*a.csv, row 2 \(70 .*\).*b.csv, row 3 \(90 .*--pcf-rule"
    ) as e:
        select_pcfs(a + b)
    assert e.value.product == "bms" and len(e.value.sources) == 2
    # the roll-up's own index refuses them as well
    from supply_chain.bom import add_part, new_bom
    from supply_chain.roll_up import rollup

    G = new_bom("P")
    add_part(G, "bms", "P", 1, "piece", pcf="bms")
    with pytest.raises(ConflictingPCFs, match="'bms'"):
        rollup(G, pcfs=a + b)
    # a rule chooses, and the choice is logged
    assert [p.value for p in select_pcfs(a + b, "first") if p.id == "bms"] == [70.0]
    assert [p.value for p in select_pcfs(a + b, "latest") if p.id == "bms"] == [90.0]
    assert [p.value for p in select_pcfs(a + b, "lowest-dqr") if p.id == "bms"] == [70.0]
    assert rollup(G, pcfs=select_pcfs(a + b, "latest")).total == 90.0
    with pytest.raises(ValueError, match="rule 'best'"):
        select_pcfs(a + b, "best")


def test_the_same_pcf_twice_is_not_a_conflict(tmp_path):
    from supply_chain import select_pcfs

    a = read_pcf_table(_table(tmp_path, "a.csv", "bms,70,piece,2024-01-01,2\n"))
    b = read_pcf_table(_table(tmp_path, "b.csv", "bms,70,piece,2024-01-01,2\n"))
    assert [p.source for p in select_pcfs(a + b)] == [a[0].source]


# -- mutated documents ------------------------------------------------------------------------------
@needs_spec
@pytest.mark.parametrize("rules_only", [False, True], ids=["with-spec", "rules-only"])
@pytest.mark.parametrize("version,path,value,field,in_schema", MUTATIONS, ids=MUTATION_IDS)
def test_mutated_document_is_rejected_naming_the_field(
    no_spec, rules_only, version, path, value, field, in_schema
):
    doc = mutated(version, path, value)
    # the official schema may name the enclosing object (geography one-of): its first part then
    where = f"{field}'" if rules_only or not in_schema else field.split(".")[0]
    located = re.escape(f"mutated.json: invalid supplier PCF, field '{where}")
    with pytest.raises(InvalidPCF, match=located) as e:
        validate_pact(
            doc,
            f"{version}.0.0",
            source="mutated.json",
            spec_dir_path=no_spec if rules_only else None,
        )
    if rules_only or not in_schema:
        assert e.value.field == field
    else:  # the official schema reports the enclosing object for "exactly one geography"
        assert field.startswith(e.value.field)
    assert e.value.field in str(e.value) and "mutated.json" in str(e.value)
    assert isinstance(e.value, ValueError)


@needs_spec
@pytest.mark.parametrize("version,path,value,field,in_schema", MUTATIONS, ids=MUTATION_IDS)
def test_official_schema_and_our_rules_agree(version, path, value, field, in_schema):
    """Where the schema can express a rule, both reject the mutation at the same field (the
    schema names ``pcf`` for the geography one-of); prose-only rules pass the schema."""
    doc = mutated(version, path, value)
    official = pact_spec.schema_errors(doc, str(version), SPEC / f"v{version}/openapi.yaml")
    ours, inconsistent = pact_spec.rule_errors(doc, str(version))
    ours_fields = [f for f, _ in ours + inconsistent]
    assert ours_fields and ours_fields[0] == field
    if in_schema:
        assert official, "official schema accepted it"
        assert field.startswith(official[0][0])
    else:
        assert official == []


@needs_spec
def test_v3_document_fails_v2_schema(no_spec):
    doc = _load("v3/examples/example-1.json")
    with pytest.raises(InvalidPCF, match="field 'version': .*is a required property"):
        validate_pact(doc, "2")
    with pytest.raises(InvalidPCF, match="field 'version': .*is a required property"):
        validate_pact(doc, "2", spec_dir_path=no_spec)


# -- without the official spec ---------------------------------------------------------------------
def _minimal_v3() -> dict:
    """A small valid v3 footprint written here (no spec needed)."""
    return {
        "id": "3893bb5d-da16-4dc1-9185-351a8c4e3c7e",
        "specVersion": "3.0.0",
        "created": "2024-01-01T00:00:00Z",
        "status": "Active",
        "companyName": "Co",
        "companyIds": ["urn:example:co"],
        "productDescription": "p",
        "productIds": ["urn:example:p"],
        "productNameCompany": "P",
        "pcf": {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": "1",
            "referencePeriodStart": "2023-01-01T00:00:00Z",
            "referencePeriodEnd": "2024-01-01T00:00:00Z",
            "geographyCountry": "DE",
            "pcfExcludingBiogenicUptake": "2.5",
            "pcfIncludingBiogenicUptake": "2",
            "biogenicCO2Uptake": "-0.5",
            "fossilGhgEmissions": "2.5",
            "fossilCarbonContent": "0",
            "ipccCharacterizationFactors": ["AR6"],
            "crossSectoralStandards": ["ISO14067"],
            "exemptedEmissionsPercent": "0",
            "primaryDataShare": "40",
            "dqi": {"technologicalDQR": "2", "geographicalDQR": "1", "temporalDQR": "5"},
        },
    }


def test_without_spec_rules_run_and_a_warning_names_the_variable(no_spec, monkeypatch, caplog):
    monkeypatch.setattr(pact_spec.schema, "_warned", set())
    monkeypatch.setenv(pact_spec.ENV_SPEC_DIR, str(no_spec))
    with caplog.at_level(logging.WARNING, logger="supply_chain.pact_spec"):
        assert validate_pact(_minimal_v3()) == "3"
        assert validate_pact(_minimal_v3()) == "3"
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].levelno == logging.WARNING  # once
    assert pact_spec.ENV_SPEC_DIR in skipped[0].getMessage()
    doc = _minimal_v3()
    doc["pcf"]["dqi"]["temporalDQR"] = "6"
    with pytest.raises(InvalidPCF, match="pcf.dqi.temporalDQR"):
        validate_pact(doc)


def test_identity_holds_to_the_stated_precision(no_spec):
    doc = _minimal_v3()
    doc["pcf"].update(
        pcfExcludingBiogenicUptake="0.384",
        biogenicCO2Uptake="-1.61",
        pcfIncludingBiogenicUptake="-1.23",
    )  # -1.226 stated to 2 decimals
    validate_pact(doc, spec_dir_path=no_spec)
    doc["pcf"]["pcfIncludingBiogenicUptake"] = "-1.25"
    with pytest.raises(
        InvalidPCF, match=r"field 'pcf\.pcfIncludingBiogenicUptake': -1\.25 != "
    ) as e:
        validate_pact(doc, spec_dir_path=no_spec)
    assert e.value.field == "pcf.pcfIncludingBiogenicUptake"
    assert validate_pact(doc, spec_dir_path=no_spec, strict=False) == "3"
    del doc["pcf"]["biogenicCO2Uptake"]  # not stated: 0 (x-rule BIO), so -1.25 != 0.384
    with pytest.raises(InvalidPCF, match=r"biogenicCO2Uptake \(not stated\) 0 = 0\.384"):
        validate_pact(doc, spec_dir_path=no_spec)
    doc["pcf"]["pcfIncludingBiogenicUptake"] = "0.384"
    validate_pact(doc, spec_dir_path=no_spec)


def test_every_violation_is_listed(no_spec):
    doc = _minimal_v3()
    doc["status"] = "Draft"
    doc["pcf"]["primaryDataShare"] = "-1"
    with pytest.raises(InvalidPCF, match=r"field 'status': .* \(and 1 more\)$") as e:
        validate_pact(doc, spec_dir_path=no_spec)
    assert e.value.field == "status"
    assert len(e.value.errors) == 2 and "(and 1 more)" in str(e.value)


def test_unsupported_spec_version_is_named(no_spec):
    doc = {**_minimal_v3(), "specVersion": "9.0.0"}
    with pytest.raises(
        InvalidPCF, match="field 'specVersion': unsupported PACT version '9.0.0'"
    ) as e:
        validate_pact(doc, spec_dir_path=no_spec)
    assert e.value.field == "specVersion"


# -- the simple table and validity ------------------------------------------------------------------
def test_validity_status_and_period():
    p = SupplierPCF("x", 1.0, "kilogram", reference_period=(None, dt.datetime(2023, 12, 31)))
    assert p.validity(dt.date(2026, 12, 31)) == (True, "valid")
    assert p.validity(dt.date(2027, 1, 1))[0] is False  # 3 years after the reference period
    assert SupplierPCF("y", 1.0, "kg", status="Deprecated").validity()[0] is False


def test_table_reader(tmp_path):
    f = tmp_path / "pcfs.csv"
    f.write_text(
        "id,value,unit,primary_data_share,technological_dqr,reference_period_end\n"
        "steel-1,2.1,kg,40,2,2024-12-31\n"
    )
    (p,) = read_pcf_table(f)
    assert (p.id, p.value, p.unit, p.primary_data_share, p.dqr) == (
        "steel-1",
        2.1,
        "kg",
        40.0,
        {"technological": 2.0},
    )
    f.write_text("id,value,unit,temporal_dqr\nsteel-1,2.1,kg,9\n")
    with pytest.raises(InvalidPCF, match="row 2.*temporal_dqr"):
        read_pcf_table(f)
    f.write_text("id,value,unit\nsteel-1,2.1,bushel\n")
    with pytest.raises(InvalidPCF, match="'unit'"):
        read_pcf_table(f)


# -- the value's boundary: IPCC-characterised, biogenic CO2 at 0 ------------------------------------
def _v3_with_parts() -> dict:
    """A v3 footprint whose parts are known (per declared unit of 2 kg):

    fossil 2.0 (of which land-management fossil 0.1), land-use change 0.3, land-management
    biogenic CO2 emissions 0.4 and removals -0.1, biogenic non-CO2 0.05, biogenic uptake -0.5.
    pcfExcludingBiogenicUptake = 2.0 + 0.3 + 0.4 - 0.1 + 0.05 = 2.65 (the spec's sum),
    pcfIncludingBiogenicUptake = 2.65 - 0.5 = 2.15.
    """
    doc = _minimal_v3()
    doc["pcf"].update(
        declaredUnitAmount="2",
        productMassPerDeclaredUnit="2",
        pcfExcludingBiogenicUptake="2.65",
        pcfIncludingBiogenicUptake="2.15",
        fossilGhgEmissions="2.0",
        landManagementFossilGhgEmissions="0.1",
        landUseChangeGhgEmissions="0.3",
        landManagementBiogenicCO2Emissions="0.4",
        landManagementBiogenicCO2Removals="-0.1",
        biogenicNonCO2Emissions="0.05",
        biogenicCO2Uptake="-0.5",
    )
    return doc


@pytest.mark.parametrize("rules_only", [False, True], ids=["with-spec", "rules-only"])
def test_v3_value_is_fossil_plus_luc_plus_biogenic_non_co2(no_spec, rules_only, caplog):
    if not rules_only and not HAVE_SPEC:
        pytest.skip("official PACT spec not available")
    with caplog.at_level(logging.WARNING, logger="supply_chain.pcfs"):
        (p,) = read_pact(_v3_with_parts(), spec_dir_path=no_spec if rules_only else None)
    # (2.0 + 0.3 + 0.05) / 2 kg: the land-management fossil 0.1 is inside the 2.0 already;
    # biogenic CO2 (0.4 emitted, -0.1 removed) and the uptake count 0, as in IPCC GWP100
    assert p.value == pytest.approx(2.35 / 2)
    assert p.value_stated == pytest.approx(2.65 / 2)
    assert p.value_including_biogenic == pytest.approx(2.15 / 2)
    assert p.fossil == pytest.approx(1.0)
    (rec,) = [r for r in caplog.records if r.name == "supply_chain.pcfs"]
    assert rec.levelno == logging.WARNING
    msg = rec.getMessage()
    assert "landManagementBiogenicCO2Emissions 0.4" in msg
    assert "landManagementBiogenicCO2Removals -0.1" in msg and "2.35" in msg


def test_v3_without_biogenic_co2_reads_silently(no_spec, caplog):
    with caplog.at_level(logging.WARNING, logger="supply_chain.pcfs"):
        (p,) = read_pact(_minimal_v3(), spec_dir_path=no_spec)
    assert p.value == pytest.approx(2.5) == p.value_stated
    assert not [r for r in caplog.records if r.name == "supply_chain.pcfs"]


def test_v3_total_not_itemised_uses_the_headline_and_warns_with_both(no_spec, caplog):
    doc = _v3_with_parts()
    for k in ("landManagementBiogenicCO2Emissions", "landManagementBiogenicCO2Removals"):
        del doc["pcf"][k]  # the biogenic CO2 is in the total but not itemised
    with caplog.at_level(logging.WARNING, logger="supply_chain.pcfs"):
        (p,) = read_pact(doc, spec_dir_path=no_spec)
    # 2.65 declared, 2.35 itemised: the declared headline, per 2 kg
    assert p.value == pytest.approx(2.65 / 2)
    msg = " ".join(r.getMessage() for r in caplog.records if r.name == "supply_chain.pcfs")
    assert "pcfExcludingBiogenicUptake 2.65 and the sum of its stated parts 2.35" in msg
    assert "the headline is used" in msg
    (parts,) = read_pact(doc, spec_dir_path=no_spec, value_from="parts")
    assert parts.value == pytest.approx(2.35 / 2)


def test_v3_headline_below_its_parts_uses_the_parts(no_spec, caplog):
    """A headline below its itemised parts can only hide removals or captures it does not
    itemise, which the engine's boundary does not credit: the parts are used, with a warning."""
    doc = _v3_with_parts()
    # 0.4 of unitemised removals (beyond the rounding of the stated figures, 0.205)
    doc["pcf"]["pcfExcludingBiogenicUptake"] = "2.25"
    doc["pcf"]["pcfIncludingBiogenicUptake"] = "1.75"  # keeps the v3 biogenic identity
    with caplog.at_level(logging.WARNING, logger="supply_chain.pcfs"):
        (p,) = read_pact(doc, spec_dir_path=no_spec)
    assert p.value == pytest.approx(2.35 / 2)
    msg = " ".join(r.getMessage() for r in caplog.records if r.name == "supply_chain.pcfs")
    assert "2.25 and the sum of its stated parts 2.65" in msg and "removals or captures" in msg


@needs_spec
def test_wbcsd_example_4_headline_differs_from_its_parts_by_11_7_percent(caplog):
    """WBCSD's v3 example-4: declared 0.42 kg CO2e/kg; itemised fossil 0.17 + land-use change
    0.2 + biogenic non-CO2 0.001 = 0.371, (0.371 - 0.42) / 0.42 = -11.7 %."""
    with caplog.at_level(logging.WARNING, logger="supply_chain.pcfs"):
        (p,) = read_pact(SPEC / "v3/examples/example-4.json")
    assert p.value == pytest.approx(0.42) == p.value_stated
    msg = " ".join(r.getMessage() for r in caplog.records if r.name == "supply_chain.pcfs")
    assert "pcfExcludingBiogenicUptake 0.42 and the sum of its stated parts 0.371" in msg
    assert "-11.7%" in msg
    (parts,) = read_pact(SPEC / "v3/examples/example-4.json", value_from="parts")
    assert parts.value == pytest.approx(0.371)


@needs_spec
def test_event_envelope_is_read():
    """WBCSD's pf-response-event.json: a RequestFulfilledEvent whose data.pfs holds the
    footprints (CloudEvents envelope, no specVersion of its own)."""
    path = SPEC / "v3/examples/pf-response-event.json"
    # its one footprint states pcfIncludingBiogenicUptake 1.63 for 1.85 + -1.5 = 0.35: the
    # envelope is read and that footprint refused, naming the field (not "specVersion missing")
    with pytest.raises(InvalidPCF, match=r"pcfIncludingBiogenicUptake': 1\.63 != ") as e:
        read_pact(path)
    assert "specVersion" not in str(e.value) and str(path) in str(e.value)
    doc = _load("v3/examples/pf-response-event.json")
    doc["data"]["pfs"][0]["pcf"]["pcfIncludingBiogenicUptake"] = "0.35"
    pfs = read_pact(doc)
    assert [p.id for p in pfs] == ["91715e5e-fd0b-4d1c-8fab-76290c46e6ed"]
    assert pfs[0].spec_version.startswith("3") and pfs[0].value_stated == pytest.approx(1.85)


def test_v3_without_fossil_figure_is_refused(no_spec):
    doc = _minimal_v3()
    del doc["pcf"]["fossilGhgEmissions"]
    with pytest.raises(InvalidPCF, match=r"field 'pcf\.fossilGhgEmissions': required") as e:
        read_pact(doc, validate=False)
    assert e.value.field == "pcf.fossilGhgEmissions"


def test_v2_value_is_pcf_excluding_biogenic(no_spec):
    """v2's pCfExcludingBiogenic excludes biogenic CO2 by definition: taken as it is."""
    from supply_chain.pcfs import from_pact

    doc = {
        "specVersion": "2.2.0",
        "id": "x",
        "pcf": {
            "declaredUnit": "kilogram",
            "pCfExcludingBiogenic": "1.7",
            "pCfIncludingBiogenic": "1.2",
            "fossilGhgEmissions": "1.5",
            "dLucGhgEmissions": "0.1",
            "otherBiogenicGhgEmissions": "0.1",
        },
    }
    p = from_pact(doc, validate=False)
    assert p.value == p.value_stated == pytest.approx(1.7) and p.fossil == pytest.approx(1.5)


# -- the independent corpus's cases (issue 9): each refused naming file, field and value ----------
@pytest.mark.parametrize(
    "content,kind",
    [("null", "null"), ("[]", "an empty list"), ('"x"', "a string"), ('{"data": null}', "null")],
)
def test_a_pact_file_that_is_not_a_footprint_is_refused(tmp_path, content, kind):
    f = tmp_path / "cathode.json"
    f.write_text(content)
    with pytest.raises(
        InvalidPCF, match=rf"cathode\.json: .*not a PACT ProductFootprint: .*{kind}"
    ):
        read_pact(f)


def test_including_uptake_without_a_stated_uptake_must_equal_excluding(no_spec, tmp_path):
    """The corpus's pact:incl-ne-excl: 5.0 stated for 9.0 and no biogenicCO2Uptake (0)."""
    doc = json.loads(CATHODE.read_text())
    doc["pcf"]["pcfIncludingBiogenicUptake"] = "5.0"
    f = tmp_path / "cathode.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(
        InvalidPCF,
        match=r"cathode\.json: .*'pcf\.pcfIncludingBiogenicUptake': 5\.0 != "
        r"pcfExcludingBiogenicUptake 9\.0 \+ biogenicCO2Uptake \(not stated\) 0",
    ):
        read_pact(f, spec_dir_path=no_spec)


@pytest.mark.parametrize("total", ["-1", "0", "8.0"])
def test_a_total_below_its_stated_parts_warns_and_counts_the_parts(
    no_spec, tmp_path, total, caplog
):
    """A headline below the stated fossil 9.0 can only hide removals or captures the document
    does not itemise; the engine's boundary credits none: the parts (9.0) are used, and the
    warning gives both values."""
    doc = json.loads(CATHODE.read_text())
    doc["pcf"].update(pcfExcludingBiogenicUptake=total, pcfIncludingBiogenicUptake=total)
    f = tmp_path / "cathode.json"
    f.write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING, logger="supply_chain.pcfs"):
        (p,) = read_pact(f, spec_dir_path=no_spec)
    per = float(doc["pcf"]["declaredUnitAmount"])
    assert p.value == pytest.approx(9.0 / per)
    msg = " ".join(r.getMessage() for r in caplog.records if r.name == "supply_chain.pcfs")
    assert f"pcfExcludingBiogenicUptake {total} and the sum of its stated parts 9.0" in msg


def _supplier_table(tmp_path, column=None, value=None, header_only=False) -> Path:
    text = (CATHODE.parent / "battery-pack-supplier-pcfs.csv").read_text()
    if header_only:
        text = text.splitlines(keepends=True)[0]
    f = tmp_path / "supplier-pcfs.csv"
    if column is not None:
        rows = list(csv.reader(io.StringIO(text)))
        rows[1][rows[0].index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        text = out.getvalue()
    f.write_text(text)
    return f


@pytest.mark.parametrize(
    "column,value,why",
    [
        ("value", "-1", r"'-1' is refused: must be a finite number >= 0"),
        ("value", "1e308", r"'1e308' is refused: 1e\+308 is too large"),
        ("reference_period_start", "2026-01-01T00:00:00+00:00", r"2026-01-01.* is not before"),
        ("status", "Bananas", r"'Bananas' is not one of \['Active', 'Deprecated'\]"),
    ],
)
def test_supplier_table_cells_are_refused_where_read(tmp_path, column, value, why):
    f = _supplier_table(tmp_path, column, value)
    with pytest.raises(InvalidPCF, match=rf"supplier-pcfs\.csv, row 2: .*'{column}': {why}") as e:
        read_pcf_table(f)
    assert e.value.field == column


def test_supplier_table_status_is_read_case_insensitively(tmp_path):
    (p, _) = read_pcf_table(_supplier_table(tmp_path, "status", "deprecated"))
    assert p.status == "Deprecated" and p.validity()[0] is False


def test_a_header_only_supplier_table_is_refused(tmp_path):
    with pytest.raises(InvalidPCF, match=r"supplier-pcfs\.csv: .*no rows"):
        read_pcf_table(_supplier_table(tmp_path, header_only=True))
