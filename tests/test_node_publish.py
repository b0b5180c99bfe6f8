"""Our footprints computed and published on the node (``pcf publish KEY…``), the node's commands
under the user's-guide names (``pcf clients``, ``pcf pact pull``), and supplier footprints read
from the store by the BOM roll-up (``pcf bom rollup --from-store``), all through ``pcf``
in-process; the supplier node is a real ``pcf serve`` on a loopback port."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from test_node_cli import start_serve, stop_serve
from test_node_store import db_url
from typer.testing import CliRunner

from pcf.app import app

__all__ = ["db_url"]  # the fixture (SQLite, and PostgreSQL with PCF_TEST_POSTGRES_URL), re-used

ROOT = Path(__file__).resolve().parent.parent
KEY = "pcf-products-lfp-pack|lfp-pack-per-kwh"  # the demo's flagship product, with its meta
PACK_BOM = ROOT / "inventories/bom/battery-pack-bom.csv"
CATHODE_PCF = ROOT / "inventories/bom/battery-pack-cathode-pcf.json"
runner = CliRunner()


@pytest.fixture
def pcf(shipped, bw_dir, monkeypatch):
    """``pcf --data-dir <the session's directory> ARGS`` in-process, with the shipped
    inventories imported."""
    monkeypatch.delenv("PCF_DB_URL", raising=False)

    def run(*args, code=0):
        r = runner.invoke(app, ["--data-dir", str(bw_dir), *[str(a) for a in args]])
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
        return r

    return run


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'node.sqlite'}"


def test_clients_under_their_own_name(pcf, db):
    out = json.loads(pcf("clients", "add", "Acme Purchasing", "--db", db, "--json").stdout)
    assert set(out) == {"client_id", "client_secret"}
    listed = json.loads(pcf("clients", "list", "--db", db, "--json").stdout)
    assert [c["client_id"] for c in listed] == [out["client_id"]]
    assert out["client_secret"] not in json.dumps(listed)
    pcf("clients", "revoke", out["client_id"], "--db", db)
    # the same store seen through `pcf node clients`: one set of functions
    again = json.loads(pcf("node", "clients", "list", "--db", db, "--json").stdout)
    assert again[0]["revoked_at"]


@pytest.mark.parametrize("version", ["3", "2"])
def test_publish_stores_the_document_pcf_report_pact_writes(pcf, db, tmp_path, version):
    from pcf.node.store import open_store

    v = ("--pact-version", version)
    first = json.loads(pcf("publish", KEY, *v, "--db", db, "--json").stdout)["published"]
    assert [(p["product"], p["action"], p["deprecated"]) for p in first] == [(KEY, "new", [])]
    assert first[0]["specVersion"].startswith(f"{version}.")
    pcf("report", "pact", KEY, *v, "--out", tmp_path / "out")
    (written,) = (tmp_path / "out").glob(f"pact-v{version}-*.json")
    doc = json.loads(written.read_text(encoding="utf-8"))
    with open_store(db) as store:
        stored = json.loads(store.get_issued(first[0]["id"], version))
    # the same footprint: the same id and every field but the time it was made
    assert stored["id"] == doc["id"] == first[0]["id"]
    assert {k: v for k, v in stored.items() if k != "created"} == {
        k: v for k, v in doc.items() if k != "created"
    }
    again = json.loads(pcf("publish", KEY, *v, "--db", db, "--json").stdout)["published"]
    assert (again[0]["id"], again[0]["action"]) == (first[0]["id"], "unchanged")


def test_a_changed_footprint_is_a_new_version_and_the_old_one_deprecated(pcf, db_url, tmp_path):
    from pcf.node.store import open_store

    db = db_url
    first = json.loads(pcf("publish", KEY, "--db", db, "--json").stdout)["published"][0]
    meta = yaml.safe_load((ROOT / "pcf/demo/demo_meta.yaml").read_text(encoding="utf-8"))
    # a changed value (a PACT figure; the id is made of identity and values, not of the comment,
    # supply_chain.pact_spec.ids): the product mass per declared unit
    meta["declaration"]["product_mass_per_declared_unit"] = 6.9
    meta["declaration"]["comment"] = "Second issue: product mass corrected."
    changed = tmp_path / "meta.yaml"
    changed.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    out = json.loads(pcf("publish", KEY, "--meta", changed, "--db", db, "--json").stdout)
    second = out["published"][0]
    assert second["action"] == "new version" and second["deprecated"] == [first["id"]]
    assert second["id"] != first["id"]
    with open_store(db) as store:
        old = json.loads(store.get_issued(first["id"], "3"))
        new = json.loads(store.get_issued(second["id"], "3"))
    assert old["status"] == "Deprecated" and new["status"] == "Active"
    assert new["precedingPfIds"] == [first["id"]]
    assert new["comment"].startswith("Second issue: product mass corrected.")
    assert new["pcf"]["productMassPerDeclaredUnit"] == "6.9"


def test_publish_refuses_bad_input_and_stores_nothing(pcf, db, tmp_path):
    from pcf.node.store import open_store

    r = pcf("publish", KEY, "pcf-products-lfp-pack|no-such-product", "--db", db, code=1)
    assert "no-such-product" in r.stderr and "internal error" not in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("declaration:\n  company_name: X\n", encoding="utf-8")
    r = pcf("publish", KEY, "--meta", bad, "--db", db, code=1)
    assert "declaration" in r.stderr and "internal error" not in r.stderr
    with open_store(db) as store:
        assert store.counts()["issued_footprints"] == 0


def _rollup(pcf, *args) -> dict:
    return json.loads(pcf("bom", "rollup", PACK_BOM, *args, "--json").stdout)


def test_a_pulled_pcf_changes_the_rollup_as_the_same_file_does(pcf, db_url, tmp_path):
    db = db_url
    supplier_db = f"sqlite:///{tmp_path / 'supplier.sqlite'}"
    pcf("node", "publish", CATHODE_PCF, "--db", supplier_db)
    creds = json.loads(pcf("clients", "add", "buyer", "--db", supplier_db, "--json").stdout)
    url, proc = start_serve(supplier_db)
    try:
        got = json.loads(
            pcf(
                "pact",
                "pull",
                url,
                "--client-id",
                creds["client_id"],
                "--client-secret",
                creds["client_secret"],
                "--db",
                db,
                "--json",
            ).stdout
        )
    finally:
        stop_serve(proc)
    assert (got["new"], got["invalid"]) == (1, 0)

    without = _rollup(pcf)
    from_file = _rollup(pcf, "--pcf", CATHODE_PCF)
    from_store = _rollup(pcf, "--from-store", "--db", db)
    # the cathode's supplier PCF is used: the roll-up changes...
    assert from_file["sources"] != without["sources"]
    assert from_file["footprint"] != pytest.approx(without["footprint"], rel=1e-9)
    # ... and the stored copy changes it exactly as the file does
    assert from_store["footprint"] == from_file["footprint"]
    assert from_store["sources"] == from_file["sources"]
    assert from_store["primary_data_share"] == from_file["primary_data_share"]
    assert from_store["hotspots"] == from_file["hotspots"]
    # both at once: the same document twice is one PCF, not a conflict
    both = _rollup(pcf, "--pcf", CATHODE_PCF, "--from-store", "--db", db)
    assert both["footprint"] == from_file["footprint"]


def test_an_empty_store_changes_nothing_and_db_alone_is_refused(pcf, db):
    assert _rollup(pcf, "--from-store", "--db", db)["footprint"] == _rollup(pcf)["footprint"]
    r = pcf("bom", "rollup", PACK_BOM, "--db", db, code=1)
    assert "--from-store" in r.stderr


def test_the_demo_products_are_published_into_the_default_store(pcf, shipped, tmp_path):
    """What ``pcf demo`` calls (pcf.node.publish.publish_to_store): the demo's key products
    into the store ``pcf serve`` opens by default, with the demo's meta; the same documents as
    ``pcf publish`` stores (same ids), and a second run changes nothing."""
    from lca.footprint import FootprintEngine
    from pcf.demo.reports import DEMO_PRODUCTS
    from pcf.node.publish import publish_to_store

    data_dir = tmp_path / "data"
    eng = FootprintEngine(shipped)
    first = publish_to_store(eng, DEMO_PRODUCTS, data_dir=data_dir)
    assert [p["product"] for p in first] == ["|".join(k) for k in DEMO_PRODUCTS]
    assert {p["action"] for p in first} == {"new"}
    assert (data_dir / "pact-node.sqlite").is_file()
    again = publish_to_store(eng, DEMO_PRODUCTS, data_dir=data_dir)
    assert [(p["id"], p["action"]) for p in again] == [(p["id"], "unchanged") for p in first]
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    keys = ["|".join(k) for k in DEMO_PRODUCTS]
    cli = json.loads(pcf("publish", *keys, "--db", db, "--json").stdout)["published"]
    assert [p["id"] for p in cli] == [p["id"] for p in first]
