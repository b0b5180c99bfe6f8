"""The supplier carbon portal (``pcf.portal``) in-process: every route through FastAPI's test
client on a temporary SQLite store and the session's temporary Brightway project, the users
commands through ``pcf`` (CliRunner), the schema upgrade to revision 0003.

The figures on the pages are checked against the CLI on the same files (``pcf bom rollup``)
and against the library the demo uses; the security rules (sign-in, roles, CSRF) by requests
that must be refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import time
from pathlib import Path

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from pcf.app import app as cli

ROOT = Path(__file__).resolve().parent.parent
BOM_DIR = ROOT / "inventories" / "bom"
PACK_BOM = BOM_DIR / "battery-pack-bom.csv"
PACK_PACT = BOM_DIR / "battery-pack-cathode-pcf.json"
PACK_TABLE = BOM_DIR / "battery-pack-supplier-pcfs.csv"
#: Inside the validity of the example supplier PCFs (cathode: to 2027-12-31; BMS: 3 years
#: after a reference period ending 2025-01-01).
STUDY_DAY = dt.date(2026, 6, 1)
PASSWORDS = {"bea": "buyer-pass-1", "vic": "viewer-pass-1", "ada": "admin-pass-1"}
runner = CliRunner()


def pcf(*args, check=True):
    r = runner.invoke(cli, [*map(str, args)])
    if check and r.exit_code != 0:
        raise AssertionError(f"pcf {args} failed ({r.exit_code}):\n{r.stderr}{r.exception!r}")
    return r


@pytest.fixture
def store(tmp_path):
    from pcf.node.store import open_store
    from pcf.portal.data import add_user

    with open_store(f"sqlite:///{tmp_path / 'portal.sqlite'}") as st:
        add_user(st, "bea", PASSWORDS["bea"], "buyer")
        add_user(st, "vic", PASSWORDS["vic"], "viewer")
        add_user(st, "ada", PASSWORDS["ada"], "admin")
        yield st


class Browserless:
    """Synchronous calls to an ASGI app through ``httpx.ASGITransport`` with a cookie jar kept
    between calls (Starlette's TestClient warns about httpx; the node's tests do the same)."""

    def __init__(self, app, base: str = "http://testserver"):
        self.app, self.base = app, base
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, follow_redirects: bool = True, **kw):
        async def go():
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url=self.base,
                cookies=self.cookies,
                follow_redirects=follow_redirects,
            ) as c:
                r = await c.request(method, url, **kw)
                self.cookies = httpx.Cookies(c.cookies)
                return r

        return anyio.run(go)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)


@pytest.fixture
def client(store, shipped):
    from lca.footprint import FootprintEngine
    from pcf.node.api import create_app
    from pcf.portal import create_portal

    portal = create_portal(store, lambda: FootprintEngine(shipped), today=lambda: STUDY_DAY)
    return Browserless(create_app(store, portal=portal))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(c, name: str) -> str:
    """Sign in as ``name``; returns the session's CSRF token."""
    tok = csrf_of(c.get("/app/login").text)
    r = c.post(
        "/app/login",
        data={"csrf": tok, "name": name, "password": PASSWORDS[name]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/app/suppliers"
    return csrf_of(c.get("/app/suppliers").text)


def wait_job(c, location: str, seconds: float = 300) -> dict:
    assert location.startswith("/app/jobs/")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s = c.get(location + "/status").json()
        if s["status"] in ("done", "failed"):
            return s
        time.sleep(0.2)
    raise AssertionError(f"job {location} still running after {seconds} s")


def upload_pack(c, tok: str) -> int:
    files = [
        ("bom", (PACK_BOM.name, PACK_BOM.read_bytes(), "text/csv")),
        ("pcfs", (PACK_PACT.name, PACK_PACT.read_bytes(), "application/json")),
        ("pcfs", (PACK_TABLE.name, PACK_TABLE.read_bytes(), "text/csv")),
    ]
    r = c.post(
        "/app/products",
        data={"csrf": tok, "name": "battery-pack"},
        files=files,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    s = wait_job(c, r.headers["location"])
    assert s["status"] == "done", s["error"]
    return int(s["redirect"].rsplit("/", 1)[1])


def cli_rollup(bw_dir) -> dict:
    r = pcf(
        "--data-dir",
        bw_dir,
        "bom",
        "rollup",
        PACK_BOM,
        "--pcf",
        PACK_PACT,
        "--pcf",
        PACK_TABLE,
        "--on",
        STUDY_DAY.isoformat(),
        "--json",
    )
    return json.loads(r.stdout)


# -- schema -------------------------------------------------------------------------------------
def test_a_0002_database_is_upgraded_to_the_portal_tables(tmp_path):
    from sqlalchemy import inspect

    from pcf.node.store import Store, _engine, current_revision, open_store, upgrade
    from pcf.portal.data import add_user, authenticate

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = _engine(url)
    upgrade(engine, "0002")
    old = Store(engine)
    client_id, secret = old.add_client("Acme")
    old.close()
    with open_store(url) as st:
        assert current_revision(st.engine) == "0004"
        names = set(inspect(st.engine).get_table_names())
        assert {"portal_users", "portal_products", "portal_requests"} <= names
        assert {"portal_plans", "portal_scenario_sets"} <= names
        assert st.check_client(client_id, secret)  # rows of 0002 survive
        add_user(st, "anna", "correct horse", "buyer")
        assert authenticate(st, "anna", "correct horse")["role"] == "buyer"
        assert authenticate(st, "anna", "wrong horse") is None
        assert authenticate(st, "nobody", "correct horse") is None


# -- pcf users ----------------------------------------------------------------------------------
def test_pcf_users_add_hashes_the_password_and_prompts_when_omitted(tmp_path):
    from sqlalchemy import select

    from pcf.node.models import PortalUser
    from pcf.node.store import open_store
    from pcf.portal.data import authenticate

    db = f"sqlite:///{tmp_path / 'u.sqlite'}"
    pcf("users", "add", "bea", "--role", "buyer", "--password", "s3cret-pass", "--db", db)
    r = runner.invoke(
        cli, ["users", "add", "vic", "--db", db], input="another-pass\nanother-pass\n"
    )
    assert r.exit_code == 0, r.stderr
    listed = json.loads(pcf("users", "list", "--db", db, "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("bea", "buyer"), ("vic", "viewer")]
    with open_store(db) as st:
        with st.session() as s:
            stored = s.scalars(select(PortalUser.password_hash)).all()
        assert all(h.startswith("$argon2id$") for h in stored)
        assert not any("s3cret-pass" in h for h in stored)
        assert authenticate(st, "vic", "another-pass")["role"] == "viewer"
    short = pcf("users", "add", "x", "--password", "short", "--db", db, check=False)
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    dup = pcf("users", "add", "bea", "--password", "long-enough", "--db", db, check=False)
    assert dup.exit_code == 1 and "exists already" in dup.stderr
    bad = pcf(
        "users", "add", "y", "--role", "boss", "--password", "long-enough", "--db", db, check=False
    )
    assert bad.exit_code == 2
    pcf("users", "role", "vic", "admin", "--db", db)
    pcf("users", "disable", "bea", "--db", db)
    with open_store(db) as st:
        assert authenticate(st, "bea", "s3cret-pass") is None  # disabled
        assert authenticate(st, "vic", "another-pass")["role"] == "admin"


# -- sign-in, roles, CSRF -----------------------------------------------------------------------
def test_pages_need_a_signed_in_user(client):
    for path in ("/app/suppliers", "/app/products", "/app/plans", "/app/requests", "/app/admin"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/app/login", path
    tok = csrf_of(client.get("/app/login").text)  # a session, but nobody signed in
    r = client.post("/app/products/example", data={"csrf": tok}, follow_redirects=False)
    assert r.status_code == 401


def test_a_wrong_password_is_refused(client):
    tok = csrf_of(client.get("/app/login").text)
    r = client.post("/app/login", data={"csrf": tok, "name": "bea", "password": "nope-nope"})
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    assert client.get("/app/suppliers", follow_redirects=False).status_code == 303


def test_a_post_without_the_csrf_token_is_refused(client, store):
    from pcf.portal.data import products

    tok = sign_in(client, "bea")
    forged = client.post("/app/products/example", data={}, follow_redirects=False)
    assert forged.status_code == 403 and "security token" in forged.text
    wrong = client.post("/app/products/example", data={"csrf": tok + "x"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert products(store) == []  # nothing happened
    # the login form itself needs the token (no login CSRF)
    client.cookies.clear()
    r = client.post("/app/login", data={"name": "bea", "password": PASSWORDS["bea"]})
    assert r.status_code == 403


def test_a_viewer_is_refused_buyer_and_admin_actions(client, store):
    from pcf.portal.data import products, users

    tok = sign_in(client, "vic")
    page = client.get("/app/products").text
    assert 'action="/app/products"' not in page  # no upload form for a viewer
    r = client.post("/app/products/example", data={"csrf": tok}, follow_redirects=False)
    assert r.status_code == 403 and "Your role may not do this" in r.text
    assert products(store) == []
    assert client.get("/app/admin").status_code == 403
    r = client.post(
        "/app/admin/users",
        data={"csrf": tok, "name": "eve", "password": "password-1", "role": "admin"},
    )
    assert r.status_code == 403
    assert "eve" not in [u["name"] for u in users(store)]


def test_a_buyer_is_refused_admin_actions(client, store):
    tok = sign_in(client, "bea")
    assert client.get("/app/admin").status_code == 403
    r = client.post("/app/admin/clients", data={"csrf": tok, "name": "Acme"})
    assert r.status_code == 403 and store.list_clients() == []


def test_admin_manages_users_and_api_clients(client, store):
    from pcf.portal.data import users

    tok = sign_in(client, "ada")
    r = client.post(
        "/app/admin/users",
        data={"csrf": tok, "name": "carl", "password": "password-1", "role": "buyer", "lang": "zh"},
    )
    assert r.status_code == 200 and "carl" in r.text
    client.post("/app/admin/users/carl", data={"csrf": tok, "role": "viewer"})
    assert {u["name"]: u["role"] for u in users(store)}["carl"] == "viewer"
    page = client.post("/app/admin/clients", data={"csrf": tok, "name": "Acme"}).text
    (client_id,) = re.findall(r"client_id: (pcf-[0-9a-f]+)", page)
    secret = re.search(r"client_secret: (\S+)</code>", page).group(1)
    assert store.check_client(client_id, secret)  # the secret shown once works at /auth/token
    assert "client_secret" not in client.get("/app/admin").text  # ... and is not shown again
    assert secret not in str(client.cookies)  # nor kept in the (signed, readable) cookie
    client.post(f"/app/admin/clients/{client_id}/revoke", data={"csrf": tok})
    assert not store.client_active(client_id)


# -- products: the roll-up equals the CLI's ------------------------------------------------------
def test_the_uploaded_pack_rolls_up_to_the_cli_total(client, store, bw_dir):
    tok = sign_in(client, "bea")
    pid = upload_pack(client, tok)
    page = client.get(f"/app/products/{pid}").text
    shown = float(re.search(r'id="rollup-total" data-value="([^"]+)"', page).group(1))
    ref = cli_rollup(bw_dir)
    assert shown == pytest.approx(ref["footprint"], rel=1e-12)
    assert f"{ref['footprint']:,.2f}" in page  # the visible figure, 6 significant digits
    primary = re.search(r'id="rollup-primary">([^<]+)<', page).group(1)
    assert primary == f"{ref['primary_data_share']:.1f} %"
    # hotspots: by supplier, as the CLI's table, values written on the bars
    by_supplier = {h["item"]: h["value"] for h in ref["hotspots"]["supplier"]}
    for name in by_supplier:
        if name != "rest":
            assert name in page
    cathode = by_supplier["Example Cathode Co."]
    assert cathode == pytest.approx(2.0 * 60 * 9.0)  # 2 kg/kWh x 60 kWh x 9.0 kg CO2e/kg (PCF)
    # its share of the pack: 1,080 / 5,179.85 (the demo pack's roll-up) = 20.9 %
    assert f"1,080 kg CO2-Eq ({1080 / ref['footprint']:.1%})".replace("%", " %") in page
    assert "1,080 kg CO2-Eq (20.9 %)" in page
    assert "battery-pack &lt;- cells &lt;- cathode-material" in page  # a top path
    # rank stability: the deterministic ranking is the CLI's by-part hotspots
    stab = re.search(r'<table class="data" id="stability">(.*?)</table>', page, re.DOTALL).group(1)
    first = re.findall(r"<td>([^<]+)</td>", stab)[0]
    top_part = ref["hotspots"]["node"][0]
    # since the cell factory takes Degen et al. 2023's 37.5 kWh/kWh (60 x 37.5 x 0.6104 = 1,373.4
    # kg), the cells' other materials are the largest part
    assert first == top_part["item"] == "other-cell-materials"
    probs = [float(p) for p in re.findall(r'<td class="num">(\d+) %</td>', stab)]
    assert len(probs) == 10 and all(0 <= p <= 100 for p in probs)
    # the PACT file uploaded is in the store with its provenance
    (row,) = [r for r in store.supplier_footprints() if r["source"].startswith("upload:")]
    assert row["source"] == f"upload:{PACK_PACT.name} (bea)"


def test_the_supplier_portfolio_and_its_export(client, bw_dir):
    from openpyxl import load_workbook

    tok = sign_in(client, "bea")
    upload_pack(client, tok)
    ref = cli_rollup(bw_dir)
    page = client.get("/app/suppliers").text
    for name in (
        "Example Cell Co.",
        "Example Cathode Co.",
        "Example Housing Co.",
        "Example BMS Co. A",
    ):
        assert name in page
    assert "Traffic-light rule" in page
    # the cathode supplier: a valid PCF with 60 % primary data, no verification stated: amber
    cathode_row = re.search(r"Example Cathode Co\.</a></td>(.*?)</tr>", page, re.DOTALL).group(1)
    assert "60 %" in cathode_row and "amber" in cathode_row
    # the housing supplier: background data only: red
    housing_row = re.search(r"Example Housing Co\.</a></td>(.*?)</tr>", page, re.DOTALL).group(1)
    assert "red" in housing_row and "0 declared / 2 background" in housing_row
    filtered = client.get("/app/suppliers", params={"q": "cathode"}).text
    assert "Example Cathode Co." in filtered and "Example Housing Co." not in filtered

    r = client.get("/app/suppliers.xlsx")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Supplier" and rows[0][5] == "Footprint share"
    shares = {row[0]: row[5] for row in rows[1:] if row[0] and row[0].startswith("Example")}
    total = ref["footprint"]
    cell = {h["item"]: h["value"] for h in ref["hotspots"]["supplier"]}["Example Cell Co."]
    assert shares["Example Cell Co."] == pytest.approx(cell / total, rel=1e-9)


def test_the_supplier_page_lists_pcfs_and_history(client):
    tok = sign_in(client, "bea")
    upload_pack(client, tok)
    page = client.get("/app/suppliers/Example%20Cathode%20Co.").text
    assert "5d2c7a1e-94b3-4f0a-8c61-2e7f4b9a0d13" in page  # the PACT PCF's id
    assert "file upload" in page and PACK_PACT.name in page
    assert "2027-12-31" in page  # its validity end
    r = client.post(
        "/app/suppliers/Example%20Cathode%20Co.",
        data={"csrf": tok, "engagement": "engaged", "contact": "ms.li@example.com"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "engaged" in client.get("/app/suppliers").text
    assert client.get("/app/suppliers/Nobody").status_code == 404


def test_a_bad_bom_is_a_message_naming_the_file(client):
    tok = sign_in(client, "bea")
    bad = b"part,parent,quantity,unit\npack,,,piece\ncell,pack,abc,kilogram\n"
    r = client.post(
        "/app/products",
        data={"csrf": tok},
        files=[("bom", ("bad-bom.csv", bad, "text/csv"))],
        follow_redirects=False,
    )
    s = wait_job(client, r.headers["location"])
    assert s["status"] == "failed"
    assert "bad-bom.csv" in s["error"] and "quantity" in s["error"]
    assert "internal error" not in s["error"]
    bad_pcf = client.post(
        "/app/products",
        data={"csrf": tok},
        files=[
            ("bom", (PACK_BOM.name, PACK_BOM.read_bytes(), "text/csv")),
            ("pcfs", ("broken.json", b"{not json", "application/json")),
        ],
    )
    assert bad_pcf.status_code == 400 and "broken.json" in bad_pcf.text


# -- language -----------------------------------------------------------------------------------
def test_a_user_switches_to_chinese(client, store):
    from pcf.portal.data import users

    tok = sign_in(client, "bea")
    r = client.post("/app/lang", data={"csrf": tok, "lang": "zh", "next": "/products"})
    assert r.status_code == 200 and r.url.path == "/app/products"
    assert "上传物料清单和供应商 PCF" in r.text and 'lang="zh-CN"' in r.text
    assert {u["name"]: u["lang"] for u in users(store)}["bea"] == "zh"  # kept per user
    assert "供应商组合" in client.get("/app/suppliers").text


def test_every_label_of_the_templates_is_translated():
    from pcf.portal.i18n import STRINGS

    used = set()
    for p in (ROOT / "pcf" / "portal" / "templates").glob("*.html"):
        used |= set(re.findall(r"(?<![\w.])t\('([a-z_]+)'\)", p.read_text()))
    used |= {f"eng_{e}" for e in ("not_contacted", "requested", "engaged", "committed", "declined")}
    used |= {
        f"st_{s}"
        for s in ("pending", "sent", "fulfilled", "rejected", "failed", "overdue", "closed")
    }
    used |= {f"role_{r}" for r in ("viewer", "buyer", "admin")}
    used |= {f"light_{c}" for c in ("red", "amber", "green")}
    used |= {f"src_{s}" for s in ("supplier_pcf", "brightway", "spend", "bom", "direct", "missing")}
    # the job steps the computations report, the stages and units of the example files
    compute = (ROOT / "pcf" / "portal" / "compute.py").read_text()
    used |= set(re.findall(r'report\([0-9.]+, "([a-z_]+)"\)', compute))
    from lca._footprint_result import STAGES

    used |= {f"stage_{s}" for s in (*STAGES, "unassigned")}
    with PACK_BOM.open(newline="") as fh:
        used |= {f"unit_{row['unit']}" for row in csv.DictReader(fh)}
    used.add("unit_kg CO2-Eq")
    used |= {f"status_{s}" for s in ("optimal", "time_limit", "infeasible")}
    missing = sorted(used - set(STRINGS))
    assert missing == []
    cjk = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [k for k, (en, zh) in STRINGS.items() if not en or not cjk.search(zh)]
    assert untranslated == ["switch_lang"]  # the Chinese page's switch reads "English"


# -- reduction planning -------------------------------------------------------------------------
def test_a_30_percent_plan_is_solved_and_verified_exactly(client, bw_dir):
    tok = sign_in(client, "bea")
    pid = upload_pack(client, tok)
    r = client.post(
        "/app/plans",
        data={"csrf": tok, "product": str(pid), "target": "30%", "year": "2030"},
        follow_redirects=False,
    )
    s = wait_job(client, r.headers["location"])
    assert s["status"] == "done", s["error"]
    page = client.get(s["redirect"]).text
    assert re.search(r'id="verified-met">yes<', page)
    # the baseline is the CLI's roll-up of the same files; the exact re-solve meets the cap
    before = cli_rollup(bw_dir)["footprint"]
    shown_before = re.search(r"<dt>Footprint before</dt><dd>([^<]+)<", page).group(1)
    assert shown_before == f"{before:,.2f} kg CO2-Eq"
    exact = float(re.search(r'id="after-exact" data-value="([^"]+)"', page).group(1))
    assert exact <= 0.7 * before * (1 + 1e-9)
    # the cost is the sum of the chosen levers' costs in the uploaded file
    with (BOM_DIR / "battery-pack-levers.csv").open(newline="") as fh:
        costs = {row["lever"]: float(row["cost"]) for row in csv.DictReader(fh)}
    chosen = re.findall(r'<td class="lever">([^<]+)</td>', page)
    assert chosen and all(c in costs for c in chosen)
    cost = float(re.search(r'id="plan-cost" data-value="([^"]+)"', page).group(1))
    assert cost == pytest.approx(sum(costs[c] for c in chosen), rel=1e-12)
    # pcf reduce --bom solves on the levers file's `delta` column and re-solves exactly on the
    # model; when those deltas are current (the model's), its plan is the portal's
    ref = json.loads(
        pcf(
            "--data-dir",
            bw_dir,
            "reduce",
            "--levers",
            BOM_DIR / "battery-pack-levers.csv",
            "--baseline",
            BOM_DIR / "battery-pack-baseline.csv",
            "--target",
            "30%",
            "--year",
            "2030",
            "--bom",
            PACK_BOM,
            "--pcf",
            PACK_PACT,
            "--pcf",
            PACK_TABLE,
            "--on",
            STUDY_DAY.isoformat(),
            "--json",
        ).stdout
    )
    if not ref["verification"].get("stale_levers"):
        assert sorted(chosen) == sorted(ref["chosen"])
    assert "<svg" in page and "Marginal abatement cost curve" in page


# -- requests -----------------------------------------------------------------------------------
def test_a_letter_request_is_tracked_and_downloadable(client, store):
    from pcf.portal.data import supplier_records

    tok = sign_in(client, "bea")
    r = client.post(
        "/app/requests",
        data={
            "csrf": tok,
            "supplier": "Example Housing Co.",
            "product_ids": "urn:pact:example.com:product:housing\n",
            "channel": "letter",
            "due": "2026-05-01",  # before the study day: overdue
        },
    )
    assert r.status_code == 200
    assert "Example Housing Co." in r.text and "overdue" in r.text
    letter = client.get("/app/requests/1/letter")
    assert "attachment" in letter.headers["content-disposition"]
    assert "urn:pact:example.com:product:housing" in letter.text and "2026-05-01" in letter.text
    assert supplier_records(store)["Example Housing Co."]["engagement"] == "requested"
    client.post("/app/requests/1/close", data={"csrf": tok})
    assert "closed" in client.get("/app/requests").text


def test_a_pact_request_goes_to_the_suppliers_node(client, store, tmp_path):
    """Without a node recorded for the supplier the PACT channel is refused; with one, the
    RequestCreated event is sent and tracked (here the node is unreachable: delivery failed)."""
    tok = sign_in(client, "bea")
    form = {
        "csrf": tok,
        "supplier": "Example Cathode Co.",
        "product_ids": "urn:pact:example.com:product:cathode",
        "channel": "pact",
    }
    r = client.post("/app/requests", data=form)
    assert r.status_code == 400 and "no PACT node recorded" in r.text
    client.post(
        "/app/suppliers/Example%20Cathode%20Co.",
        data={"csrf": tok, "engagement": "engaged", "events_url": "http://127.0.0.1:9/3/events"},
    )
    r = client.post("/app/requests", data=form)
    assert r.status_code == 200 and "delivery failed" in r.text
    (sent,) = store.requests("outgoing")
    assert sent["criteria"] == {"productId": ["urn:pact:example.com:product:cathode"]}
    assert sent["status"] == "failed"


def test_a_pact_request_is_answered_by_the_suppliers_node_into_the_store(store, shipped, tmp_path):
    """Two nodes in-process: the buyer's portal sends RequestCreated to the supplier's node,
    which answers with RequestFulfilled to the buyer's node; the footprint lands in the
    buyer's store (provenance: PACT exchange) and the request shows as fulfilled."""
    from test_node_store import example

    from lca.footprint import FootprintEngine
    from pcf.node.api import create_app
    from pcf.node.store import open_store
    from pcf.portal import create_portal

    buyer_url, supplier_url = "https://buyer.test", "https://supplier.test"
    apps: dict = {}

    async def to_buyer(scope, receive, send):  # the buyer's app, created below
        await apps["buyer"](scope, receive, send)

    with open_store(f"sqlite:///{tmp_path / 'supplier.sqlite'}") as sup:
        doc = example(3)
        sup.publish(doc)
        sup_app = create_app(
            sup, outbound_transport=httpx.ASGITransport(app=to_buyer), event_retries=0
        )
        ours = sup.add_client("buyer")  # the supplier lets us post events
        store.add_partner(f"{supplier_url}/3/events", client_id=ours[0], client_secret=ours[1])
        theirs = store.add_client("supplier")  # we let the supplier answer
        sup.add_partner(f"{buyer_url}/3/events", client_id=theirs[0], client_secret=theirs[1])
        portal = create_portal(
            store,
            lambda: FootprintEngine(shipped),
            public_url=buyer_url,
            today=lambda: STUDY_DAY,
            outbound_transport=httpx.ASGITransport(app=sup_app),
        )
        apps["buyer"] = create_app(store, portal=portal)
        c = Browserless(apps["buyer"], base=buyer_url)
        tok = sign_in(c, "bea")
        name = doc["companyName"]
        c.post(
            f"/app/suppliers/{name}",
            data={"csrf": tok, "engagement": "engaged", "events_url": f"{supplier_url}/3/events"},
        )
        r = c.post(
            "/app/requests",
            data={
                "csrf": tok,
                "supplier": name,
                "product_ids": doc["productIds"][0],
                "channel": "pact",
                "due": "2026-12-31",
            },
        )
        assert r.status_code == 200
        row = re.search(r'<tr id="r\d+">(.*?)</tr>', c.get("/app/requests").text, re.DOTALL).group(
            1
        )
        assert name in row and "fulfilled" in row
        (incoming,) = sup.requests("incoming")
        assert incoming["status"] == "fulfilled"
        (got,) = store.supplier_footprints()
        assert got["id"] == doc["id"] and got["source"] == f"{supplier_url}/3/events"
        supplier_page = c.get(f"/app/suppliers/{name}").text
        assert doc["id"] in supplier_page and "PACT exchange" in supplier_page


def test_an_xlsx_bom_rolls_up_like_its_csv(client, bw_dir, tmp_path):
    from openpyxl import Workbook

    with PACK_BOM.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    wb = Workbook()
    for row in rows:
        wb.active.append([_cell(v) for v in row])
    path = tmp_path / "battery-pack-bom.xlsx"
    wb.save(path)
    tok = sign_in(client, "bea")
    r = client.post(
        "/app/products",
        data={"csrf": tok, "name": "pack from xlsx"},
        files=[
            ("bom", (path.name, path.read_bytes(), "application/octet-stream")),
            ("pcfs", (PACK_PACT.name, PACK_PACT.read_bytes(), "application/json")),
            ("pcfs", (PACK_TABLE.name, PACK_TABLE.read_bytes(), "text/csv")),
        ],
        follow_redirects=False,
    )
    s = wait_job(client, r.headers["location"])
    assert s["status"] == "done", s["error"]
    page = client.get(s["redirect"]).text
    shown = float(re.search(r'id="rollup-total" data-value="([^"]+)"', page).group(1))
    assert shown == pytest.approx(cli_rollup(bw_dir)["footprint"], rel=1e-12)


def _cell(v: str):
    try:
        return float(v)
    except ValueError:
        return v or None


# -- saved plans, edited levers, progress (revision 0004) -------------------------------------
def solve_plan(c, tok: str, pid: int, target: str, **form) -> tuple[str, str]:
    r = c.post(
        "/app/plans",
        data={"csrf": tok, "product": str(pid), "target": target, "year": "2030", **form},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    s = wait_job(c, r.headers["location"])
    assert s["status"] == "done", s["error"]
    assert s["progress"] == 1.0
    return s["redirect"].split("job=")[1], c.get(s["redirect"]).text


def chosen_levers(page: str) -> list[str]:
    return re.findall(r'<td class="lever">([^<]+)</td>', page)


def levers_form(page: str) -> dict:
    """The levers table of the plans page as a browser would post it (every row ticked)."""
    csv_text = re.search(r'<textarea name="levers_csv"[^>]*>([^<]*)</textarea>', page).group(1)
    import html

    form = {"levers_csv": html.unescape(csv_text), "levers_name": "battery-pack-levers.csv"}
    for name, value in re.findall(
        r'<input class="cell" name="(\w+)" id="\w+" value="([^"]*)"', page
    ):
        form[name] = html.unescape(value)
    for i in re.findall(r'name="use_(\d+)"', page):
        form[f"use_{i}"] = "1"
    return form


def test_levers_edited_in_the_table_change_the_plan(client):
    tok = sign_in(client, "bea")
    pid = upload_pack(client, tok)
    page = client.get("/app/plans").text
    form = levers_form(page)
    with (BOM_DIR / "battery-pack-levers.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len([k for k in form if k.startswith("use_")]) == len(rows)
    assert form["cost_0"] == rows[0]["cost"]
    # as shipped, the table gives the plan of the file itself
    _job, plain = solve_plan(client, tok, pid, "30%", **form)
    first = chosen_levers(plain)
    assert first
    # a lever of that plan left out (unticked) is not chosen again; a cost edited is the cost
    drop = next(i for i, r in enumerate(rows) if r["lever"] == first[0])
    edited = {k: v for k, v in form.items() if k != f"use_{drop}"}
    keep = next(i for i, r in enumerate(rows) if r["lever"] in first[1:] or i != drop)
    edited[f"cost_{keep}"] = "123456"
    _job, page2 = solve_plan(client, tok, pid, "30%", **edited)
    second = chosen_levers(page2)
    assert rows[drop]["lever"] not in second
    costs = {r["lever"]: float(r["cost"]) for r in rows}
    costs[rows[keep]["lever"]] = 123456.0
    cost = float(re.search(r'id="plan-cost" data-value="([^"]+)"', page2).group(1))
    assert cost == pytest.approx(sum(costs[c] for c in second), rel=1e-12)
    # the table on the result page is the edited one, without the lever left out
    assert rows[drop]["lever"] not in re.findall(r'<td class="lever-id">([^<]+)</td>', page2)
    # a value the library cannot read is a message naming the file's row and field
    bad = dict(form, cost_0="cheap")
    r = client.post(
        "/app/plans",
        data={"csrf": tok, "product": str(pid), "target": "30%", **bad},
        follow_redirects=False,
    )
    s = wait_job(client, r.headers["location"])
    assert s["status"] == "failed" and "cost" in s["error"] and "internal" not in s["error"]


def test_plans_are_saved_and_compared_side_by_side(client, store):
    from pcf.portal.data import plans

    tok = sign_in(client, "bea")
    pid = upload_pack(client, tok)
    j30, p30 = solve_plan(client, tok, pid, "30%")
    j20, p20 = solve_plan(client, tok, pid, "20%")
    for job, name in ((j30, "minus 30"), (j20, "minus 20")):
        r = client.post(
            "/app/plans/save", data={"csrf": tok, "job": job, "name": name}, follow_redirects=False
        )
        assert r.status_code == 303
    saved = plans(store)
    assert [p["name"] for p in saved] == ["minus 30", "minus 20"]
    assert saved[0]["target"] == "30% 2030" and "lever," in saved[0]["levers_csv"]
    exact = {
        n: float(re.search(r'id="after-exact" data-value="([^"]+)"', p).group(1))
        for n, p in (("minus 30", p30), ("minus 20", p20))
    }
    ids = [p["id"] for p in saved]
    page = client.get(f"/app/plans/compare?id={ids[0]}&id={ids[1]}").text
    row = re.search(r'<tr class="exact">(.*?)</tr>', page, re.DOTALL).group(1)
    shown = [float(v) for v in re.findall(r'data-value="([^"]+)"', row)]
    assert shown == [exact["minus 30"], exact["minus 20"]]
    assert exact["minus 30"] <= exact["minus 20"]  # a deeper cut leaves less
    assert page.count("<svg") == 1 and "minus 20" in page
    # a saved plan's levers come back into the table
    again = client.get(f"/app/plans?plan={ids[0]}").text
    assert levers_form(again)["levers_csv"] == saved[0]["levers_csv"]
    # nothing ticked: a message, not an error page
    assert client.get("/app/plans/compare").status_code == 400
    # a viewer may look but not save
    client.post("/app/logout", data={"csrf": tok})
    vtok = sign_in(client, "vic")
    assert client.get(f"/app/plans/compare?id={ids[0]}").status_code == 200
    r = client.post("/app/plans/save", data={"csrf": vtok, "job": j30, "name": "x"})
    assert r.status_code == 403


def test_the_job_status_reports_progress():
    import threading

    from pcf.portal.jobs import JobRunner

    runner_ = JobRunner()
    go, reached = threading.Event(), threading.Event()

    def fn(report):
        report(0.25, "step_rollup")
        reached.set()
        go.wait(10)
        report(0.1, "step_paths")  # progress never goes backwards
        return "/done"

    job = runner_.submit("rollup", 1, fn)
    assert reached.wait(10)
    assert (job.status, job.progress, job.stage) == ("running", 0.25, "step_rollup")
    go.set()
    deadline = time.monotonic() + 10
    while job.status != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (job.status, job.progress, job.stage, job.redirect) == ("done", 1.0, "done", "/done")
    runner_.shutdown()


def test_a_rollup_reports_its_steps_to_the_status_endpoint(client, store):
    """The roll-up job's steps, polled: every answer has a progress between 0 and 1 that never
    decreases, and the last is 1."""
    tok = sign_in(client, "bea")
    r = client.post("/app/products/example", data={"csrf": tok}, follow_redirects=False)
    seen = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        s = client.get(r.headers["location"] + "/status").json()
        seen.append(s["progress"])
        if s["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert s["status"] == "done", s["error"]
    assert all(0 <= p <= 1 for p in seen) and seen == sorted(seen) and seen[-1] == 1.0
    page = client.get(r.headers["location"]).text  # the job page once done redirects
    assert "rollup-total" in page


# -- scenarios --------------------------------------------------------------------------------
CELL_FACTORY = "pcf-products|lfp-cell-manufacturing-cn"


def test_a_saved_scenario_set_is_run_with_the_clis_figures(client, store, bw_dir):
    from pcf.portal.charts import fmt
    from pcf.portal.data import scenario_sets

    tok = sign_in(client, "bea")
    r = client.post(
        "/app/scenarios/sets", data={"csrf": tok, "example": "1"}, follow_redirects=False
    )
    assert r.status_code == 303
    (saved,) = scenario_sets(store)
    assert saved["filename"] == "battery-pack-scenarios.yaml"
    r = client.post(
        "/app/scenarios/run",
        data={"csrf": tok, "set": str(saved["id"]), "products": CELL_FACTORY},
        follow_redirects=False,
    )
    s = wait_job(client, r.headers["location"])
    assert s["status"] == "done", s["error"]
    page = client.get(s["redirect"]).text
    ref = json.loads(
        pcf(
            "--data-dir",
            bw_dir,
            "scenario",
            "run",
            BOM_DIR / "battery-pack-scenarios.yaml",
            CELL_FACTORY,
            "--json",
        ).stdout
    )
    rows = ref["rows"] if isinstance(ref, dict) else ref
    table = re.search(r'<table class="data" id="scenario-results">(.*?)</table>', page, re.DOTALL)
    shown = [float(v) for v in re.findall(r'data-value="([^"]+)"', table.group(1))]
    assert shown == [pytest.approx(x["score"], rel=1e-12) for x in rows]
    assert next(x["scenario"] for x in rows) == "baseline"
    assert len(shown) == 5  # baseline and the file's four scenarios
    # the bar chart writes every value on its bar
    svg = re.search(r"<svg.*?</svg>", page, re.DOTALL).group(0)
    for x in rows:
        assert fmt(x["score"]) in svg


def test_a_bad_scenario_set_is_refused_naming_the_file(client, store):
    tok = sign_in(client, "bea")
    r = client.post(
        "/app/scenarios/sets",
        data={"csrf": tok, "name": "bad"},
        files={"file": ("bad.yaml", b"- name: x\n  changes:\n    - type: teleport\n", "text/yaml")},
    )
    assert r.status_code == 400 and "bad.yaml" in r.text
    client.post("/app/logout", data={"csrf": tok})
    vtok = sign_in(client, "vic")
    r = client.post("/app/scenarios/sets", data={"csrf": vtok, "example": "1"})
    assert r.status_code == 403
    r = client.post("/app/scenarios/run", data={"csrf": vtok, "set": "1", "products": "x|y"})
    assert r.status_code == 403


# -- Sankey, stages and units in Chinese -------------------------------------------------------
def test_the_sankey_adds_up_to_the_total_and_its_labels_do_not_overlap(client, store, bw_dir):
    from pcf.portal.charts import SANKEY_LINE
    from pcf.portal.data import latest_rollup

    tok = sign_in(client, "bea")
    pid = upload_pack(client, tok)
    r = latest_rollup(store, pid)
    assert sum(f["value"] for f in r["flows"]) == pytest.approx(cli_rollup(bw_dir)["footprint"])
    # flows by supplier sum to the supplier hotspots (the same d_n m_n, grouped)
    by_supplier = {}
    for f in r["flows"]:
        by_supplier[f["source"]] = by_supplier.get(f["source"], 0.0) + f["value"]
    for h in r["hotspots"]["supplier"]:
        if h["item"] in by_supplier:
            assert by_supplier[h["item"]] == pytest.approx(h["value"], rel=1e-9)
    page = client.get(f"/app/products/{pid}").text
    svg = re.search(r'<svg class="chart sankey".*?</svg>', page, re.DOTALL).group(0)
    for side in ("src", "tgt"):
        ys = sorted(
            float(y) for y in re.findall(rf'y="([\d.]+)"[^>]*class="lbl sankey-{side}"', svg)
        )
        assert len(ys) >= 2
        assert all(b - a >= SANKEY_LINE for a, b in itertools.pairwise(ys))
    assert "Main product production" in svg
    # in Chinese: the stage names, the units
    client.post("/app/lang", data={"csrf": tok, "lang": "zh", "next": f"/products/{pid}"})
    zh = client.get(f"/app/products/{pid}").text
    assert "主要产品生产" in zh and "原材料获取和预处理" in zh
    assert "千克二氧化碳当量" in zh and "/千瓦时" in zh
    assert "raw_material_acquisition" not in zh


def test_sankey_layout_keeps_small_nodes_one_line_high():
    from pcf.portal.charts import SANKEY_GAP, SANKEY_LINE, sankey_layout

    flows = [
        {"source": "A", "target": "s", "value": 1000.0},
        {"source": "B", "target": "s", "value": 0.001},
        {"source": "C", "target": "t", "value": 0.002},
    ]
    src, tgt = sankey_layout(flows, 300)
    # by hand: 3 nodes, 2 gaps of 6 and 3 lines of 16 leave 300 - 12 - 48 = 240 to share
    assert src["A"][1] == pytest.approx(16 + 240 * 1000 / 1000.003)
    assert src["B"][1] == pytest.approx(16 + 240 * 0.001 / 1000.003)
    # largest first: A, then C (0.002), then B (0.001), a gap between each
    assert src["C"][0] == pytest.approx(src["A"][1] + SANKEY_GAP)
    assert src["B"][0] == pytest.approx(src["C"][0] + src["C"][1] + SANKEY_GAP)
    assert all(h >= SANKEY_LINE for _, h, _ in (*src.values(), *tgt.values()))


def test_a_scenario_set_is_carried_to_a_portfolio_product(client, store):
    """The pack's total in each scenario. Cross-checked against another code path: the levers
    file's lever cell-wind-50 is the same change as the scenario cell-factory-wind-50 (half
    the cell factory's electricity from wind), and the plan reports each lever's effect on the
    pack computed by the supply-chain model (supply_chain.model_plans)."""
    tok = sign_in(client, "bea")
    pid = upload_pack(client, tok)
    client.post("/app/scenarios/sets", data={"csrf": tok, "example": "1"})
    r = client.post(
        "/app/scenarios/run",
        data={"csrf": tok, "set": "1", "bom_product": str(pid), "products": ""},
        follow_redirects=False,
    )
    s = wait_job(client, r.headers["location"])
    assert s["status"] == "done", s["error"]
    page = client.get(s["redirect"]).text
    table = re.search(r'<table class="data" id="scenario-bom">(.*?)</table>', page, re.DOTALL)
    rows = re.findall(
        r"<td>([^<]+)</td><td class=\"num\" data-value=\"([^\"]+)\".*?data-delta=\"([^\"]+)\"",
        table.group(1),
    )
    delta = {name: float(d) for name, _v, d in rows}
    total = {name: float(v) for name, v, _d in rows}
    assert delta["baseline"] == 0.0
    assert total["baseline"] == pytest.approx(
        total["cell-factory-wind-50"] - delta["cell-factory-wind-50"]
    )
    _job, plan = solve_plan(client, tok, pid, "30%")
    effects = {
        m.group(1): float(m.group(2).replace(",", ""))
        for m in re.finditer(
            r'<tr><td class="lever">([^<]+)</td>.*?<td class="num">([\d,.]+) kg CO2-Eq</td></tr>',
            plan,
        )
    }
    assert "cell-wind-50" in effects  # chosen in the 30 % plan (the chosen-levers table)
    # the page writes effects to 4 significant digits: equal to that rounding
    assert f"{-delta['cell-factory-wind-50']:,.1f}" == f"{effects['cell-wind-50']:,.1f}"
    # and to the levers file's `delta` column (per pack, 10 digits), lever by lever: the same
    # three changes of the cell factory (wind 50 %, wind 100 %, electricity x 0.8: 37.5 -> 30 kWh)
    with (BOM_DIR / "battery-pack-levers.csv").open(newline="") as fh:
        lever_delta = {row["lever"]: float(row["delta"]) for row in csv.DictReader(fh)}
    same = {
        "cell-wind-50": "cell-factory-wind-50",
        "cell-wind-100": "cell-factory-wind-100",
        "cell-efficiency": "cell-factory-30kwh",
    }
    for lever, scenario in same.items():
        assert -delta[scenario] == pytest.approx(lever_delta[lever], rel=1e-8)
    # wind for all of it removes twice as much as for half (a linear change of one column)
    assert delta["cell-factory-wind-100"] == pytest.approx(2 * delta["cell-factory-wind-50"])
    assert "<svg" in page
