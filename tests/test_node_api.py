"""The PACT Data Exchange API of the node (pcf/node/api.py), in-process over httpx's ASGI
transport, on SQLite and (with ``PCF_TEST_POSTGRES_URL``) PostgreSQL.

The checks follow WBCSD's conformance test cases as summarised in ``../shared/PACT-NOTES.md``
(status codes, error codes, OpenID discovery, events, filters, pagination) and the v2.3/v3.0
OpenAPI documents. The footprints are those of tests/test_node_store.py (:data:`FOOTPRINTS`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx
import jwt
import pytest
from test_node_store import FOOTPRINTS, changed, db_url, example, make_db_url, v2_example

__all__ = ["db_url"]  # the fixture, re-used

A = "https://node-a.test"
B = "https://node-b.test"
V3_CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"


class Api:
    """Synchronous calls to an ASGI app through ``httpx.ASGITransport`` (background tasks run
    before the call returns)."""

    def __init__(self, app, base: str = A):
        self.app, self.base = app, base

    def request(self, method: str, url: str, **kw) -> httpx.Response:
        async def go():
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base) as c:
                return await c.request(method, url, **kw)

        return anyio.run(go)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def token(self, client_id: str, secret: str) -> dict:
        r = self.post(
            "/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        assert r.status_code == 200, r.text
        return r.json()

    def bearer(self, client_id: str, secret: str) -> dict:
        return {"Authorization": f"Bearer {self.token(client_id, secret)['access_token']}"}


@pytest.fixture
def node(db_url):
    """Node A: footprints 1-4 (v3) and two v2 footprints published, one API client."""
    from pcf.node.api import create_app
    from pcf.node.store import open_store

    with open_store(db_url) as store:
        for i in FOOTPRINTS:
            store.publish(example(i))
        store.publish(v2_example(1))
        store.publish(v2_example(2))
        client_id, secret = store.add_client("Acme Purchasing")
        api = Api(create_app(store))
        api.store, api.creds = store, (client_id, secret)
        api.auth = api.bearer(client_id, secret)
        yield api


def ids(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [d["id"] for d in resp.json()["data"]]


# -- authentication (conformance cases 1, 2, 18, 19) ---------------------------------------------
def test_token_with_valid_credentials(node):
    tok = node.token(*node.creds)
    assert (tok["token_type"], tok["expires_in"]) == ("Bearer", 3600)
    claims = jwt.decode(tok["access_token"], options={"verify_signature": False})
    assert claims["sub"] == node.creds[0] and claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    "auth",
    [("pcf-nobody", "secret"), ("right-id", "wrong"), None],
    ids=["unknown client", "wrong secret", "no credentials"],
)
def test_token_with_invalid_credentials_is_invalid_client(node, auth):
    if auth and auth[0] == "right-id":
        auth = (node.creds[0], "wrong")
    r = node.post("/auth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert node.creds[1] not in r.text


def test_token_needs_the_client_credentials_grant(node):
    r = node.post("/auth/token", data={"grant_type": "password"}, auth=node.creds)
    assert (r.status_code, r.json()["error"]) == (400, "unsupported_grant_type")


def test_openid_configuration_names_the_token_endpoint(node):
    conf = node.get("/.well-known/openid-configuration").json()
    assert conf["token_endpoint"] == f"{A}/auth/token"
    path = urlsplit(conf["token_endpoint"]).path
    r = node.post(path, data={"grant_type": "client_credentials"}, auth=node.creds)
    assert r.status_code == 200


@pytest.mark.parametrize(
    "path", ["/3/footprints", "/2/footprints", f"/3/footprints/{FOOTPRINTS[1][0]}"]
)
def test_an_invalid_token_is_bad_request(node, path):
    r = node.get(path, headers={"Authorization": "Bearer invalid-access-token"})
    assert r.status_code == 400 and r.json()["code"] == "BadRequest"
    r = node.get(path)  # no token at all
    assert r.status_code == 400 and r.json()["code"] == "BadRequest"


def test_an_expired_token_is_token_expired(node):
    key = node.store.signing_key()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    token = jwt.encode(
        {"sub": node.creds[0], "iat": past, "exp": past + dt.timedelta(hours=1)}, key, "HS256"
    )
    r = node.get("/3/footprints", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "TokenExpired"


def test_a_revoked_client_is_access_denied(node):
    node.store.revoke_client(node.creds[0])
    r = node.get("/3/footprints", headers=node.auth)
    assert r.status_code == 403 and r.json()["code"] == "AccessDenied"
    r = node.post("/auth/token", data={"grant_type": "client_credentials"}, auth=node.creds)
    assert r.status_code == 401


def test_a_token_signed_with_another_key_is_refused(node):
    token = jwt.encode(
        {"sub": node.creds[0], "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)},
        "not-our-key-" * 4,
        "HS256",
    )
    r = node.get("/3/footprints", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400


# -- GetFootprint / ListFootprints (cases 3-8) ---------------------------------------------------
def test_get_footprint_serves_a_valid_document(node):
    from supply_chain.pact_spec import validate_pact

    pf_id = FOOTPRINTS[2][0]
    r = node.get(f"/3/footprints/{pf_id}", headers=node.auth)
    assert r.status_code == 200
    doc = r.json()["data"]
    assert doc == example(2)
    assert validate_pact(doc, strict=True) == "3"
    r = node.get(f"/2/footprints/{v2_example(1)['id']}", headers=node.auth)
    assert r.json()["data"] == v2_example(1)


@pytest.mark.parametrize("major", ["3", "2"])
@pytest.mark.parametrize("pf_id", ["non-existent-id", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_footprint_is_no_such_footprint(node, major, pf_id):
    r = node.get(f"/{major}/footprints/{pf_id}", headers=node.auth)
    assert r.status_code == 404 and r.json()["code"] == "NoSuchFootprint"


def test_a_v3_footprint_is_not_served_at_v2(node):
    r = node.get(f"/2/footprints/{FOOTPRINTS[1][0]}", headers=node.auth)
    assert r.status_code == 404


def test_list_footprints_serves_every_version_valid(node):
    from supply_chain.pact_spec import validate_pact

    node.store.publish(changed(example(1), "new boundary"))
    r = node.get("/3/footprints", headers=node.auth)
    docs = r.json()["data"]
    assert len(docs) == 5 and "link" not in r.headers
    assert [d["status"] for d in docs] == ["Deprecated"] + ["Active"] * 4
    for doc in docs:
        validate_pact(doc, strict=True)
    assert ids(node.get("/2/footprints", headers=node.auth)) == [
        v2_example(1)["id"],
        v2_example(2)["id"],
    ]


def test_pagination_follows_link_headers(node):
    seen, url, pages = [], "/3/footprints?limit=3&companyId=" + FOOTPRINTS[1][2], 0
    while url:
        r = node.get(url, headers=node.auth)
        assert len(r.json()["data"]) <= 3
        seen += ids(r)
        pages += 1
        link = r.headers.get("link")
        if link:
            target = link.split(";")[0].strip("<>")
            assert link.endswith('rel="next"') and target.startswith(f"{A}/3/footprints?")
            assert ("companyId", FOOTPRINTS[1][2]) in parse_qsl(urlsplit(target).query)
            url = target[len(A) :]
        else:
            url = None
    assert pages == 1 and seen == [FOOTPRINTS[1][0], FOOTPRINTS[2][0]]
    seen, url = [], "/3/footprints?limit=1"
    while url:
        r = node.get(url, headers=node.auth)
        seen += ids(r)
        link = r.headers.get("link")
        url = link.split(";")[0].strip("<>")[len(A) :] if link else None
    assert seen == [FOOTPRINTS[i][0] for i in (1, 2, 3, 4)]


def test_the_link_uses_the_public_url_behind_a_proxy(db_url):
    from pcf.node.api import create_app
    from pcf.node.store import open_store

    with open_store(db_url) as store:
        for i in (1, 2):
            store.publish(example(i))
        cid, secret = store.add_client("x")
        api = Api(create_app(store, public_url="https://pact.example.com/"), base="http://10.0.0.5")
        r = api.get("/3/footprints?limit=1", headers=api.bearer(cid, secret))
        assert r.headers["link"] == (
            '<https://pact.example.com/3/footprints?limit=1&offset=1>; rel="next"'
        )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("productId=URN:PACT:EXAMPLE.COM:PRODUCT:p2", [2]),  # case-insensitive
        ("productId=urn:pact:example.com:product:p3", [3, 4]),
        (
            "productId=urn:pact:example.com:product:p1&productid=urn:pact:example.com:product:p2",
            [1, 2],
        ),
        ("companyId=urn:pact:example.com:company:globex", [3, 4]),
        ("geography=US", [2]),
        ("geography=de", [1]),  # geographyCountry DE, not the subdivision DE-BW
        ("geography=DE-BW&geography=latin america and the caribbean", [3, 4]),
        ("classification=urn:pact:productclassification:un-cpc:1234", [2, 3, 4]),
        ("classification=urn:pact:productclassification:un-cpc:1234&geography=US", [2]),
        ("status=Active&status=xyz", [1, 2, 3, 4]),
        ("status=Deprecated", []),
        ("status=xyz", []),
        # validity: 1 2025-01-01..2027-12-31; 2 2025-03-01..2026-03-01;
        # 3 (default) 2024-12-31..2027-12-31; 4 2025-01-01..2025-12-31
        ("validOn=2025-02-01T00:00:00Z", [1, 3, 4]),
        ("validOn=2026-01-01T00:00:00+00:00", [1, 2, 3]),
        ("validOn=2026-01-01T01:00:00 01:00", [1, 2, 3]),  # '+' arrived as a space
        ("validOn=2028-01-01T00:00:00Z", []),
        ("validAfter=2024-12-31T00:00:00Z", [1, 2, 4]),  # start > validAfter, strictly
        ("validAfter=2025-01-01T00:00:00Z", [2]),
        ("validBefore=2026-03-01T00:00:01Z", [2, 4]),
        ("validBefore=2026-03-01T00:00:00Z", [4]),  # end < validBefore, strictly
        ("validAfter=2024-12-31T00:00:00Z&validBefore=2027-01-01T00:00:00Z", [2, 4]),
        ("x-acme-invoice=12", [1, 2, 3, 4]),  # unknown extension parameters are ignored
    ],
)
def test_v3_filters(node, query, expected):
    r = node.get(f"/3/footprints?{query.replace('+', '%2B')}", headers=node.auth)
    assert ids(r) == [FOOTPRINTS[i][0] for i in expected]


def test_an_unencoded_plus_in_a_timestamp_is_understood(node):
    r = node.get("/3/footprints?validOn=2026-01-01T01:00:00+01:00", headers=node.auth)
    assert ids(r) == [FOOTPRINTS[i][0] for i in (1, 2, 3)]


def test_status_filter_after_a_new_version(node):
    new = node.store.publish(changed(example(2), "v2"))
    r = node.get("/3/footprints?status=deprecated", headers=node.auth)
    assert ids(r) == [FOOTPRINTS[2][0]]
    r = node.get(
        "/3/footprints?productId=urn:pact:example.com:product:p2&status=Active", headers=node.auth
    )
    assert ids(r) == [new.pf_id]


@pytest.mark.parametrize("query", ["validOn=yesterday", "limit=ten", "limit=-1"])
def test_bad_filter_values_are_bad_request(node, query):
    r = node.get(f"/3/footprints?{query}", headers=node.auth)
    assert r.status_code == 400 and r.json()["code"] == "BadRequest"


V2_1, V2_2 = v2_example(1)["id"], v2_example(2)["id"]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("created ge '2023-01-15T10:15:30Z'", [V2_2]),  # conformance case 20
        ("created lt '2023-01-15T10:15:30Z'", [V2_1]),
        ("created ge '2022-03-01T09:32:20Z' and created le '2022-03-01T09:32:20Z'", [V2_1]),
        ("pcf/geographyCountry eq 'DE'", [V2_2]),
        ("productIds/any(productId:(productId eq 'urn:pact:example.com:product:v2-1'))", [V2_1]),
        (
            "(productCategoryCpc eq '6398') and (pcf/referencePeriodStart ge '2021-01-01T00:00:00Z')",
            [V2_1, V2_2],
        ),
    ],
)
def test_v2_filter(node, expr, expected):
    r = node.get("/2/footprints", params={"$filter": expr}, headers=node.auth)
    assert ids(r) == expected


@pytest.mark.parametrize(
    ("expr", "status", "code"),
    [
        ("companyName eq 'Acme'", 501, "NotImplemented"),
        (
            "created ge '2023-01-01T00:00:00Z' or created lt '2020-01-01T00:00:00Z'",
            501,
            "NotImplemented",
        ),
        ("created ge", 400, "BadRequest"),
        ("created ge 'soon'", 400, "BadRequest"),
    ],
)
def test_v2_filter_errors(node, expr, status, code):
    r = node.get("/2/footprints", params={"$filter": expr}, headers=node.auth)
    assert (r.status_code, r.json()["code"]) == (status, code)


# -- events (cases 12-16; v3 events) -------------------------------------------------------------
def event(type_: str, data: dict, event_id: str = "test-run-id-12345", source: str = B) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "time": "2025-05-19T10:30:00Z",
        "type": type_,
        "data": data,
    }


def post_event(api: Api, path: str, ev, headers) -> httpx.Response:
    return api.post(
        path,
        content=json.dumps(ev),
        headers={**headers, "Content-Type": "application/cloudevents+json; charset=UTF-8"},
    )


@pytest.mark.parametrize(
    ("path", "ev"),
    [
        (
            "/2/events",
            event(
                "org.wbcsd.pathfinder.ProductFootprint.Published.v1",
                {"pfIds": ["urn:gtin:4712345060507"]},
            ),
        ),
        (
            "/3/events",
            event(
                "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
                {"pfIds": ["urn:gtin:4712345060507"]},
            ),
        ),
        (
            "/2/events",
            event(
                "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1",
                {"requestEventId": "x", "error": {"code": "NotFound", "message": "m"}},
            ),
        ),
        (
            "/3/events",
            event(
                "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
                {"requestEventId": "x", "pfs": [{"id": "not a footprint"}]},
            ),
        ),
    ],
    ids=["v2 published", "v3 published", "v2 rejected", "v3 fulfilled (unsolicited)"],
)
def test_events_are_accepted(node, path, ev):
    r = post_event(node, path, ev, node.auth)
    assert r.status_code == 200 and r.content == b""
    assert node.store.supplier_footprints() == []  # nothing stored from unsolicited answers


@pytest.mark.parametrize(
    "ev",
    [
        "not json",
        ["a list"],
        {"type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"},  # no id, source, time
        event("com.example.Unknown", {}),
        event(V3_CREATED, {"productId": [7]}),
    ],
    ids=["not json", "not an object", "missing fields", "unknown type", "bad criteria"],
)
def test_malformed_events_are_bad_request(node, ev):
    body = ev if isinstance(ev, str) else json.dumps(ev)
    r = node.post(
        "/3/events",
        content=body,
        headers={**node.auth, "Content-Type": "application/cloudevents+json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "BadRequest"


def test_events_need_a_valid_token(node):
    ev = event("org.wbcsd.pathfinder.ProductFootprint.Published.v1", {"pfIds": []})
    r = post_event(node, "/2/events", ev, {"Authorization": "Bearer invalid-access-token"})
    assert r.status_code == 400 and r.json()["code"] == "BadRequest"


def test_an_oversized_body_is_refused(db_url):
    from pcf.node.api import create_app
    from pcf.node.store import open_store

    with open_store(db_url) as store:
        api = Api(create_app(store, max_body=1000))
        r = api.post("/3/events", content=b"x" * 1001)
        assert r.status_code == 413


@pytest.fixture
def two_nodes(db_url, tmp_path):
    """Node A (owner of footprints 1-4) and node B (requester), each on its own database; A's
    outgoing events are routed in-process to B's app, with the credentials B gave A."""
    from pcf.node.api import create_app
    from pcf.node.store import open_store

    url_b, drop_b = (
        make_db_url("sqlite", tmp_path / "b")
        if "sqlite" in db_url
        else make_db_url("postgresql", tmp_path)
    )
    with open_store(db_url) as store_a, open_store(url_b) as store_b:
        for i in FOOTPRINTS:
            store_a.publish(example(i))
        b_app = create_app(store_b)
        a_for_b = store_b.add_client("node A")  # B lets A post events to it
        store_a.add_partner(f"{B}/3/events", client_id=a_for_b[0], client_secret=a_for_b[1])
        a_app = create_app(
            store_a, outbound_transport=httpx.ASGITransport(app=b_app), event_retries=0
        )
        b_on_a = store_a.add_client("node B")  # A lets B read and request
        a = Api(a_app)
        a.store, a.auth = store_a, a.bearer(*b_on_a)
        b = Api(b_app, base=B)
        b.store = store_b
        yield a, b
    drop_b()


def test_a_request_is_fulfilled_asynchronously(two_nodes):
    from supply_chain.pact_spec import validate_pact

    a, b = two_nodes
    b.store.record_request("outgoing", "req-1", A, {"pf": {"productIds": ["p3"]}})
    ev = event(
        V3_CREATED,
        {"pf": {"productIds": ["urn:pact:example.com:product:p3"]}},
        "req-1",
        f"{B}/3/events",
    )
    r = post_event(a, "/3/events", ev, a.auth)
    assert r.status_code == 200
    # A answered B with footprints 3 and 4; B stored them with their provenance
    got = b.store.supplier_footprints()
    assert [g["id"] for g in got] == [FOOTPRINTS[3][0], FOOTPRINTS[4][0]]
    assert [g["document"] for g in got] == [example(3), example(4)]
    assert {g["source"] for g in got} == {f"{A}/3/events"}
    for g in got:
        validate_pact(g["document"], strict=True)
    (out,) = b.store.requests("outgoing")
    assert out["status"] == "fulfilled" and out["answer"]["stored"] == [
        FOOTPRINTS[3][0],
        FOOTPRINTS[4][0],
    ]
    (inc,) = a.store.requests("incoming")
    assert inc["status"] == "fulfilled" and inc["answer"]["delivered"] == 200


def test_a_request_for_the_null_product_is_rejected(two_nodes):
    a, b = two_nodes
    b.store.record_request("outgoing", "req-2", A, {})
    for _ in range(2):  # the same id and source twice: both answered, none dropped
        ev = event(V3_CREATED, {"pf": {"productIds": ["urn:pact:null"]}}, "req-2", f"{B}/3/events")
        assert post_event(a, "/3/events", ev, a.auth).status_code == 200
    out = b.store.requests("outgoing")[0]
    assert out["status"] == "rejected"
    assert out["answer"]["code"] == "NotFound" and out["answer"]["message"]
    assert [r["status"] for r in a.store.requests("incoming")] == ["rejected", "rejected"]
    assert b.store.supplier_footprints() == []


def test_v3_request_fields_are_understood(two_nodes):
    a, b = two_nodes
    b.store.record_request("outgoing", "req-3", A, {})
    ev = event(
        V3_CREATED,
        {"productId": ["urn:pact:example.com:product:p3"], "geography": ["DE-BW"]},
        "req-3",
        f"{B}/3/events",
    )
    assert post_event(a, "/3/events", ev, a.auth).status_code == 200
    assert [g["id"] for g in b.store.supplier_footprints()] == [FOOTPRINTS[3][0]]


def test_an_undeliverable_answer_is_recorded(db_url):
    from pcf.node.api import create_app
    from pcf.node.store import open_store

    def refuse(request):
        return httpx.Response(503)

    with open_store(db_url) as store:
        store.publish(example(1))
        cid, secret = store.add_client("x")
        api = Api(
            create_app(store, outbound_transport=httpx.MockTransport(refuse), event_retries=1)
        )
        ev = event(
            V3_CREATED,
            {"productId": ["urn:pact:example.com:product:p1"]},
            "r",
            "//requester.example/3/events",
        )
        assert post_event(api, "/3/events", ev, api.bearer(cid, secret)).status_code == 200
        (inc,) = store.requests("incoming")
        assert inc["status"] == "fulfilled" and "HTTP 503" in inc["answer"]["error"]


def test_basic_auth_header_is_parsed_strictly(node):
    r = node.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!"},
    )
    assert r.status_code == 401
    good = base64.b64encode(f"{node.creds[0]}:{node.creds[1]}".encode()).decode()
    r = node.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {good}"},
    )
    assert r.status_code == 200


def test_https_only_refuses_plain_http(db_url):
    from pcf.node.api import create_app
    from pcf.node.store import open_store

    with open_store(db_url) as store:
        store.publish(example(1))
        cid, secret = store.add_client("x")
        app = create_app(store, https_only=True)
        plain = Api(app, base="http://node-a.test")
        r = plain.post("/auth/token", data={"grant_type": "client_credentials"}, auth=(cid, secret))
        assert r.status_code == 400 and "access_token" not in r.text
        r = plain.get("/3/footprints")
        assert r.status_code == 400 and "data" not in r.json()
        secure = Api(app)  # https://node-a.test
        assert secure.get("/3/footprints", headers=secure.bearer(cid, secret)).status_code == 200
