"""The PACT node's footprint store (pcf/node/store.py) on SQLite and, when
``PCF_TEST_POSTGRES_URL`` is set (``.ci/postgres.sh``), on PostgreSQL.

The documents are WBCSD's PACT v3 ``example-1.json`` (``../shared/reference/pact/v3/examples``)
with the identifying fields of :data:`FOOTPRINTS` put in (our own product and company URNs under
``urn:pact:example.com:``, geography, classification, validity), so that each passes our PACT
validation strictly and each filter of the API has something to tell apart.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACT = ROOT.parent / "shared" / "reference" / "pact"
EXAMPLES = [PACT / "v3" / "examples" / f"example-{i}.json" for i in range(1, 5)]
V2_EXAMPLE = PACT / "v2" / "examples" / "get-footprint-response.json"

pytestmark = pytest.mark.skipif(
    not all(p.exists() for p in EXAMPLES), reason=f"WBCSD's PACT examples not found in {PACT}"
)

BACKENDS = ["sqlite", "postgresql"]


ACME = "urn:pact:example.com:company:acme"
GLOBEX = "urn:pact:example.com:company:globex"
CAS = "urn:pact:productclassification:cas:1456"
CPC = "urn:pact:productclassification:un-cpc:1234"
#: n -> (id, product id, company, geography field and value, classification, validity or None)
FOOTPRINTS = {
    1: (
        "11111111-0000-4000-8000-000000000001",
        "urn:pact:example.com:product:p1",
        ACME,
        ("geographyCountry", "DE"),
        CAS,
        ("2025-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
    ),
    2: (
        "11111111-0000-4000-8000-000000000002",
        "urn:pact:example.com:product:P2",
        ACME,
        ("geographyCountry", "US"),
        CPC,
        ("2025-03-01T00:00:00Z", "2026-03-01T00:00:00Z"),
    ),
    3: (
        "11111111-0000-4000-8000-000000000003",
        "urn:pact:example.com:product:p3",
        GLOBEX,
        ("geographyCountrySubdivision", "DE-BW"),
        CPC,
        None,
    ),
    4: (
        "11111111-0000-4000-8000-000000000004",
        "urn:pact:example.com:product:p3",
        GLOBEX,
        ("geographyRegionOrSubregion", "Latin America and the Caribbean"),
        CPC,
        ("2025-01-01T00:00:00Z", "2025-12-31T00:00:00Z"),
    ),
}


def example(i: int) -> dict:
    """Footprint ``i`` (1-4) of :data:`FOOTPRINTS`, a v3 ProductFootprint; its reference period
    is 2024 (example-1's), so without a stated validity it is valid 2024-12-31 to 2027-12-31."""
    pf_id, product, company, (geo, where), classification, valid = FOOTPRINTS[i]
    doc = json.loads(EXAMPLES[0].read_text())
    doc.update(
        id=pf_id,
        companyIds=[company],
        companyName=company.rsplit(":", 1)[1].title(),
        productIds=[product],
        productClassifications=[classification],
        productNameCompany=f"Product {i}",
    )
    for name in ("geographyCountry", "geographyCountrySubdivision", "geographyRegionOrSubregion"):
        doc["pcf"].pop(name, None)
    doc["pcf"][geo] = where
    doc.pop("validityPeriodStart"), doc.pop("validityPeriodEnd")
    if valid:
        doc["validityPeriodStart"], doc["validityPeriodEnd"] = valid
    return doc


def v2_example(n: int = 1) -> dict:
    """WBCSD's v2 GetFootprint example with our own product URN; ``n=2``: another product,
    created 2023-06-01, in DE."""
    doc = json.loads(V2_EXAMPLE.read_text())["data"]
    doc["productIds"] = [f"urn:pact:example.com:product:v2-{n}"]
    if n == 2:
        doc["id"] = "22222222-0000-4000-8000-000000000002"
        doc["created"] = "2023-06-01T00:00:00Z"
        doc["pcf"].pop("geographyRegionOrSubregion", None)
        doc["pcf"]["geographyCountry"] = "DE"
    return doc


def make_db_url(backend: str, tmp_path: Path):
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped by
    the returned cleanup)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'node.sqlite'}", lambda: None
    base = os.environ.get("PCF_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL: set PCF_TEST_POSTGRES_URL (e.g. via .ci/postgres.sh) to run")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    url, drop = make_db_url(request.param, tmp_path)
    yield url
    drop()


@pytest.fixture
def store(db_url):
    from pcf.node.store import open_store

    with open_store(db_url) as st:
        yield st


def changed(doc: dict, comment: str) -> dict:
    """``doc`` as a changed footprint: another ``pcf.exemptedEmissionsPercent`` (a value, one per
    label) and ``pcf.boundaryProcessesDescription``. Free text alone is not a change: the id and
    the store's comparison are made of the footprint's identity and values
    (:func:`supply_chain.pact_spec.identity_fields`)."""
    import zlib

    new = copy.deepcopy(doc)
    new["pcf"]["boundaryProcessesDescription"] = comment
    new["pcf"]["exemptedEmissionsPercent"] = f"{1 + zlib.crc32(comment.encode()) % 400 / 100:g}"
    return new


def test_a_comment_only_change_is_not_a_new_version(store):
    first = store.publish(example(1))
    reworded = copy.deepcopy(example(1))
    reworded["comment"] = "reworded"
    again = store.publish(reworded)
    assert (first.action, again.action) == ("new", "unchanged")
    assert again.pf_id == first.pf_id


def test_publishing_the_same_footprint_keeps_its_id(store):
    first = store.publish(example(1))
    again = store.publish(example(1))
    assert (first.action, again.action) == ("new", "unchanged")
    assert first.pf_id == again.pf_id == FOOTPRINTS[1][0]
    assert [r["status"] for r in store.issued()] == ["Active"]


def test_a_changed_footprint_is_a_new_version_and_the_old_one_deprecated(store):
    from supply_chain.pact_spec import validate_pact

    v1 = store.publish(example(1))
    v2 = store.publish(changed(example(1), "cradle-to-gate, v2"))
    v3 = store.publish(changed(example(1), "cradle-to-gate, v3"))
    # the given id is taken, so each change gets a fresh UUID
    assert len({v1.pf_id, v2.pf_id, v3.pf_id}) == 3
    assert (v2.action, v2.deprecated) == ("new version", [v1.pf_id])
    assert v3.deprecated == [v2.pf_id]
    assert v3.document["precedingPfIds"] == [v1.pf_id, v2.pf_id]
    statuses = {r["id"]: r["status"] for r in store.issued()}
    assert statuses == {v1.pf_id: "Deprecated", v2.pf_id: "Deprecated", v3.pf_id: "Active"}
    for pf_id, status in statuses.items():  # what the API would serve passes our validation
        doc = json.loads(store.get_issued(pf_id, "3"))
        assert validate_pact(doc, strict=True) == "3"
        assert doc["status"] == status
    # going back to v2's figures is a change of the Active v3: a fourth version
    back = store.publish(changed(example(1), "cradle-to-gate, v2"))
    assert back.action == "new version" and back.pf_id not in statuses
    assert back.document["precedingPfIds"] == [v1.pf_id, v2.pf_id, v3.pf_id]


def test_other_products_are_other_footprints(store):
    # footprints 3 and 4 share product and company, not geography
    results = [store.publish(example(i)) for i in (1, 2, 3, 4)]
    assert [r.action for r in results] == ["new"] * 4
    assert [r["status"] for r in store.issued()] == ["Active"] * 4


def test_the_test_footprints_pass_strict_validation():
    from supply_chain.pact_spec import validate_pact

    for i in FOOTPRINTS:
        assert validate_pact(example(i), strict=True) == "3"
    for n in (1, 2):
        assert validate_pact(v2_example(n), strict=True) == "2"


def test_an_invalid_document_is_refused_and_nothing_stored(store):
    from supply_chain.errors import InvalidPCF

    bad = example(1)
    bad["pcf"]["declaredUnitOfMeasurement"] = "bucket"
    with pytest.raises(InvalidPCF) as exc:
        store.publish(bad)
    assert exc.value.field == "pcf.declaredUnitOfMeasurement"
    assert store.issued() == []


def test_client_secrets_are_stored_hashed(store):
    from pcf.node.errors import UnknownClient
    from pcf.node.models import ApiClient

    client_id, secret = store.add_client("Acme Purchasing")
    assert store.check_client(client_id, secret)
    assert not store.check_client(client_id, secret + "x")
    assert not store.check_client("pcf-unknown", secret)
    with store.session() as s:
        stored = s.get(ApiClient, client_id).secret_hash
    assert secret not in stored and stored.startswith("scrypt$16384$8$1$")
    store.revoke_client(client_id)
    assert not store.check_client(client_id, secret)
    assert store.list_clients()[0]["revoked_at"] is not None
    with pytest.raises(UnknownClient):
        store.revoke_client("pcf-unknown")


def test_supplier_footprints_keep_their_provenance(store):
    doc = example(2)
    assert store.add_supplier_footprint(doc, "https://supplier.example/") == "new"
    assert store.add_supplier_footprint(doc, "https://supplier.example/") == "updated"
    assert store.add_supplier_footprint(doc, "https://other.example/") == "new"
    rows = store.supplier_footprints("https://supplier.example/")
    assert len(rows) == 1
    row = rows[0]
    assert row["document"] == doc  # every field kept
    assert row["validity_start"] == "2025-03-01T00:00:00Z"
    assert row["validity_end"] == "2026-03-01T00:00:00Z"
    assert row["product_ids"] == ["urn:pact:example.com:product:P2"]
    assert row["verification"] == doc["pcf"].get("verification")


def test_validity_defaults_to_three_years_after_the_reference_period():
    from pcf.node.store import validity

    doc = {"pcf": {"referencePeriodEnd": "2024-02-29T00:00:00Z"}}
    start, end = validity(doc)
    assert (start.isoformat(), end.isoformat()) == ("2024-02-29T00:00:00", "2027-02-28T00:00:00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_older_schema_is_upgraded_and_its_rows_survive(backend, tmp_path):
    from pcf.node.store import HEAD, Store, _engine, current_revision, open_store, upgrade

    url, drop = make_db_url(backend, tmp_path)
    try:
        engine = _engine(url)
        upgrade(engine, "0001")  # the first revision: issued footprints and clients only
        old = Store(engine)
        pf = old.publish(example(2)).pf_id
        client_id, secret = old.add_client("Acme")
        assert current_revision(engine) == "0001"
        old.close()

        with open_store(url) as st:
            assert current_revision(st.engine) == HEAD == "0004"
            assert json.loads(st.get_issued(pf, "3")) == example(2)
            assert st.check_client(client_id, secret)
            assert st.add_supplier_footprint(example(3), "https://s.example") == "new"
        with open_store(url) as st:  # opening again at head changes nothing
            assert st.counts()["issued_footprints"] == 1
    finally:
        drop()


def test_the_models_match_the_migrations(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from pcf.node.models import Base
    from pcf.node.store import open_store

    with open_store(db_url) as st, st.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_database_from_a_newer_pcf_is_refused(db_url):
    from sqlalchemy import text

    from pcf.node.errors import StoreError
    from pcf.node.store import open_store

    with open_store(db_url) as st, st.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer pcf"):
        open_store(db_url)


def test_a_bad_database_url_is_a_located_error(tmp_path):
    from pcf.node.errors import StoreError
    from pcf.node.store import open_store

    with pytest.raises(StoreError, match="not a database URL"):
        open_store("no-such-scheme")
