"""The PACT node from the command line: ``pcf node clients|publish|pull|partners`` in-process
(``CliRunner``), and ``pcf serve`` in a real process on a loopback port, pulled from by
``pcf node pull`` (the round trip keeps every field)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_node_store import FOOTPRINTS, changed, example, v2_example
from typer.testing import CliRunner

from pcf.app import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args, code=0):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    return r


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("PCF_DB_URL", raising=False)
    return f"sqlite:///{tmp_path / 'node.sqlite'}"


def write(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_clients_add_list_revoke(db):
    out = json.loads(run("node", "clients", "add", "Acme Purchasing", "--db", db, "--json").stdout)
    assert set(out) == {"client_id", "client_secret"} and len(out["client_secret"]) >= 40
    listed = run("node", "clients", "list", "--db", db, "--json").stdout
    assert out["client_id"] in listed and out["client_secret"] not in listed
    run("node", "clients", "revoke", out["client_id"], "--db", db)
    assert json.loads(run("node", "clients", "list", "--db", db, "--json").stdout)[0]["revoked_at"]
    r = run("node", "clients", "revoke", "pcf-nobody", "--db", db, code=1)
    assert "Unknown API client 'pcf-nobody'" in r.stderr


def test_the_default_store_is_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("PCF_DB_URL", raising=False)
    run("--data-dir", tmp_path / "bw", "node", "clients", "add", "x", "--json")
    assert (tmp_path / "bw" / "pact-node.sqlite").is_file()


def test_publish_versions(db, tmp_path):
    f = write(tmp_path / "pf.json", example(1))
    first = json.loads(run("node", "publish", f, "--db", db, "--json").stdout)["published"]
    again = json.loads(run("node", "publish", f, "--db", db, "--json").stdout)["published"]
    assert first[0]["action"] == "new" and again[0]["action"] == "unchanged"
    assert first[0]["id"] == again[0]["id"] == FOOTPRINTS[1][0]
    g = write(tmp_path / "pf2.json", {"data": [changed(example(1), "v2"), example(2)]})
    out = json.loads(run("node", "publish", g, "--db", db, "--json").stdout)["published"]
    assert [o["action"] for o in out] == ["new version", "new"]
    assert out[0]["deprecated"] == [FOOTPRINTS[1][0]]


def test_publish_refuses_invalid_input_naming_the_field(db, tmp_path):
    bad = example(1)
    bad["pcf"]["declaredUnitOfMeasurement"] = "bucket"
    r = run("node", "publish", write(tmp_path / "bad.json", bad), "--db", db, code=1)
    assert "pcf.declaredUnitOfMeasurement" in r.stderr and "internal error" not in r.stderr
    notjson = tmp_path / "x.json"
    notjson.write_text("{oops", encoding="utf-8")
    r = run("node", "publish", notjson, "--db", db, code=1)
    assert "x.json" in r.stderr and "not JSON" in r.stderr
    r = run("node", "publish", write(tmp_path / "l.json", [1]), "--db", db, code=1)
    assert "item 0" in r.stderr


def test_a_bad_database_url_is_a_one_line_error(tmp_path):
    r = run("node", "clients", "list", "--db", "nonsense", code=1)
    assert "not a database URL" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(db: str) -> tuple[str, subprocess.Popen]:
    """``pcf serve --db DB`` in its own process on a free loopback port (waits, bounded, until
    it accepts connections)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pcf", "serve", "--port", str(port), "--db", db],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"http://127.0.0.1:{port}", proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"pcf serve did not start: {proc.stderr.read().decode()}")
            time.sleep(0.2)


def stop_serve(proc: subprocess.Popen) -> None:
    proc.terminate()  # SIGTERM; bounded wait
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    proc.stderr.close()


@pytest.fixture
def served(tmp_path):
    """A served supplier node holding footprints 1-4, two v2 footprints and a client."""
    db = f"sqlite:///{tmp_path / 'supplier.sqlite'}"
    for i in FOOTPRINTS:
        run("node", "publish", write(tmp_path / f"{i}.json", example(i)), "--db", db)
    run("node", "publish", write(tmp_path / "v2.json", [v2_example(1), v2_example(2)]), "--db", db)
    creds = json.loads(run("node", "clients", "add", "customer", "--db", db, "--json").stdout)
    url, proc = start_serve(db)
    yield url, creds, db
    stop_serve(proc)


def test_pull_from_a_served_node_keeps_every_field(served, db):
    from pcf.node.store import open_store

    url, creds, _ = served
    args = ("--client-id", creds["client_id"], "--client-secret", creds["client_secret"])
    out = json.loads(run("node", "pull", url, *args, "--db", db, "--json").stdout)
    assert (out["new"], out["updated"], out["invalid"]) == (4, 0, 0)
    again = json.loads(run("node", "pull", url, *args, "--db", db, "--json").stdout)
    assert (again["new"], again["updated"]) == (0, 4)
    out2 = json.loads(
        run("node", "pull", url, *args, "--version", "2", "--db", db, "--json").stdout
    )
    assert out2["new"] == 2
    with open_store(db) as store:
        got = store.supplier_footprints(url)
    assert [g["document"] for g in got] == [example(i) for i in FOOTPRINTS] + [
        v2_example(1),
        v2_example(2),
    ]
    assert all(g["received_at"].endswith("Z") for g in got)


def test_pull_with_wrong_credentials_fails_cleanly(served, db):
    url, creds, _ = served
    r = run(
        "node",
        "pull",
        url,
        "--client-id",
        creds["client_id"],
        "--client-secret",
        "wrong",
        "--db",
        db,
        code=1,
    )
    assert "token request refused: HTTP 401" in r.stderr and "wrong" not in r.stderr


def test_pull_from_nowhere_fails_cleanly(db):
    r = run(
        "node",
        "pull",
        f"http://127.0.0.1:{_free_port()}",
        "--client-id",
        "a",
        "--client-secret",
        "b",
        "--timeout",
        "2",
        "--db",
        db,
        code=1,
    )
    assert "cannot reach it" in r.stderr


def test_publish_notifies_subscribed_partners(served, db, tmp_path):
    from pcf.node.store import open_store

    url, creds, served_db = served  # the served node plays the subscribed customer
    run(
        "node",
        "partners",
        "add",
        f"{url}/3/events",
        "--client-id",
        creds["client_id"],
        "--client-secret",
        creds["client_secret"],
        "--subscribe",
        "--db",
        db,
    )
    f = write(tmp_path / "pf.json", example(2))
    out = json.loads(
        run(
            "node", "publish", f, "--db", db, "--public-url", "https://pact.example.com", "--json"
        ).stdout
    )
    assert out["notified"] == [{"partner": f"{url}/3/events", "delivered": True}]
    with open_store(served_db) as customer:
        (notice,) = customer.requests("published")
    assert notice["criteria"] == {"pfIds": [FOOTPRINTS[2][0]]}
    assert notice["source"] == "https://pact.example.com/3/events"
    assert notice["client_id"] == creds["client_id"]
    # unchanged: nothing to announce
    out = json.loads(run("node", "publish", f, "--db", db, "--json").stdout)
    assert out["notified"] == []


def test_a_request_between_two_served_nodes_is_answered(served, tmp_path):
    from pcf.node.store import open_store

    supplier_url, supplier_creds, supplier_db = served
    customer_db = f"sqlite:///{tmp_path / 'customer.sqlite'}"
    # the customer lets the supplier post answers to it; the supplier records that partner
    for_supplier = json.loads(
        run("node", "clients", "add", "supplier", "--db", customer_db, "--json").stdout
    )
    customer_url, customer = start_serve(customer_db)
    try:
        run(
            "node",
            "partners",
            "add",
            f"{customer_url}/3/events",
            "--client-id",
            for_supplier["client_id"],
            "--client-secret",
            for_supplier["client_secret"],
            "--db",
            supplier_db,
        )
        out = json.loads(
            run(
                "node",
                "request",
                supplier_url,
                "--product-id",
                "urn:pact:example.com:product:p3",
                "--client-id",
                supplier_creds["client_id"],
                "--client-secret",
                supplier_creds["client_secret"],
                "--public-url",
                customer_url,
                "--db",
                customer_db,
                "--json",
            ).stdout
        )
        assert out["answer_to"] == f"{customer_url}/3/events"
        deadline = time.monotonic() + 30  # the spec's bound for the answer
        with open_store(customer_db) as store:
            while store.requests("outgoing")[0]["status"] == "pending":
                assert time.monotonic() < deadline, "no answer within 30 s"
                time.sleep(0.2)
            (req,) = store.requests("outgoing")
            got = store.supplier_footprints()
        assert req["event_id"] == out["event_id"] and req["status"] == "fulfilled"
        assert [g["document"] for g in got] == [example(3), example(4)]
        assert {g["source"] for g in got} == {f"{supplier_url}/3/events"}
        listed = json.loads(run("node", "requests", "--db", supplier_db, "--json").stdout)
        assert [(r["direction"], r["status"]) for r in listed] == [("incoming", "fulfilled")]
    finally:
        stop_serve(customer)
