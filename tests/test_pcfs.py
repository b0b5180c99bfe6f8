"""Supplier PCFs: PACT v2/v3 examples accepted, mutated ones rejected naming the field."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from supply_chain.errors import InvalidPCF
from supply_chain.pcfs import SupplierPCF, read_pact, read_pcf_table, spec_dir, validate_pact

SPEC = spec_dir()


def _load(rel):
    return json.loads((SPEC / rel).read_text())


@pytest.mark.parametrize("name", ["example-1.json", "example-2.json", "example-3.json",
                                  "example-4.json"])
def test_v3_examples_are_accepted(name):
    assert validate_pact(_load(f"v3/examples/{name}")) == "3"


def test_v2_response_is_accepted_and_read():
    (p,) = read_pact(SPEC / "v2/examples/get-footprint-response.json")
    doc = _load("v2/examples/get-footprint-response.json")["data"]
    assert p.id == doc["id"] and p.unit == "liter"
    assert p.value == float(doc["pcf"]["pCfExcludingBiogenic"])  # v2: per one declared unit


def test_v3_value_is_per_one_unit_and_carries_quality():
    (p,) = read_pact(SPEC / "v3/examples/example-1.json")
    assert p.value == pytest.approx(0.384)  # declaredUnitAmount 1 kg
    assert p.primary_data_share == 12.9
    assert p.dqr == {"technological": 1.5, "geographical": 3.2, "temporal": 2.4}
    assert p.reference_period[0] == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    doc = _load("v3/examples/example-1.json")
    doc["pcf"]["declaredUnitAmount"] = "12.5"
    (p2,) = read_pact(doc)
    assert p2.value == pytest.approx(0.384 / 12.5)


@pytest.mark.parametrize("path,value,field", [
    (("pcf", "declaredUnitOfMeasurement"), "bucket", "pcf.declaredUnitOfMeasurement"),
    (("id",), "not-a-uuid", "id"),
    (("status",), "Draft", "status"),
    (("created",), "yesterday", "created"),
    (("pcf", "primaryDataShare"), "140", "pcf.primaryDataShare"),
    (("pcf", "dqi", "temporalDQR"), "7", "pcf.dqi.temporalDQR"),
])
def test_mutated_v3_is_rejected_naming_the_field(path, value, field):
    doc = copy.deepcopy(_load("v3/examples/example-1.json"))
    obj = doc
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value
    with pytest.raises(InvalidPCF) as e:
        validate_pact(doc, "3.0.0", source="mutated.json")
    assert e.value.field == field
    assert field in str(e.value) and "mutated.json" in str(e.value)


def test_missing_required_field_is_named():
    doc = _load("v3/examples/example-1.json")
    del doc["pcf"]["pcfExcludingBiogenicUptake"]
    with pytest.raises(InvalidPCF, match="pcf.pcfExcludingBiogenicUptake") as e:
        validate_pact(doc)
    assert isinstance(e.value, ValueError)


def test_v3_document_fails_v2_schema():
    with pytest.raises(InvalidPCF):
        validate_pact(_load("v3/examples/example-1.json"), "2")


def test_validity_status_and_period():
    p = SupplierPCF("x", 1.0, "kilogram", reference_period=(None, dt.datetime(2023, 12, 31)))
    assert p.validity(dt.date(2026, 12, 31)) == (True, "valid")
    assert p.validity(dt.date(2027, 1, 1))[0] is False  # 3 years after the reference period
    assert SupplierPCF("y", 1.0, "kg", status="Deprecated").validity()[0] is False


def test_table_reader(tmp_path):
    f = tmp_path / "pcfs.csv"
    f.write_text("id,value,unit,primary_data_share,technological_dqr,reference_period_end\n"
                 "steel-1,2.1,kg,40,2,2024-12-31\n")
    (p,) = read_pcf_table(f)
    assert (p.id, p.value, p.unit, p.primary_data_share, p.dqr) == (
        "steel-1", 2.1, "kg", 40.0, {"technological": 2.0})
    f.write_text("id,value,unit,temporal_dqr\nsteel-1,2.1,kg,9\n")
    with pytest.raises(InvalidPCF, match="row 2.*temporal_dqr"):
        read_pcf_table(f)
    f.write_text("id,value,unit\nsteel-1,2.1,bushel\n")
    with pytest.raises(InvalidPCF, match="'unit'"):
        read_pcf_table(f)
