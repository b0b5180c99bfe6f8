"""``pcf serve`` and ``pcf node …``: run a PACT node and administer its footprint store
(:mod:`pcf.node`).

The store is ``--db URL`` (``sqlite:///FILE``, ``postgresql+psycopg://USER:PASS@HOST/DB``), else
``$PCF_DB_URL``, else ``pact-node.sqlite`` in the engine's data directory (``--data-dir``). Every
command upgrades an older schema first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pcf.context import PcfTyper, State, err, state
from pcf.options import JsonOpt, in_file_arg

__all__ = [
    "clients_add",
    "clients_list",
    "clients_revoke",
    "node_app",
    "partners_add",
    "publish",
    "pull",
    "request",
    "requests_list",
    "serve",
]

node_app = PcfTyper(
    help="The PACT node's store: clients, footprints, partners.", no_args_is_help=True
)
clients_app = PcfTyper(help="API clients allowed to read our footprints.", no_args_is_help=True)
partners_app = PcfTyper(help="Other nodes we send events to.", no_args_is_help=True)
node_app.add_typer(clients_app, name="clients")
node_app.add_typer(partners_app, name="partners")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="PCF_DB_URL",
        show_envvar=True,
        help="Database URL (default: sqlite in the data directory).",
    ),
]

PublicUrlOpt = Annotated[
    str | None,
    typer.Option(
        envvar="PCF_PUBLIC_URL",
        help="The node's public base URL behind a TLS proxy (https://…), for links and events.",
    ),
]


def _open(st: State, db: str | None):
    # heavy: keeps --help fast (SQLAlchemy, Alembic, supply_chain)
    from pcf.node.store import open_store, resolve_db_url

    return open_store(resolve_db_url(db, st.data_dir))


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    db: DbOpt = None,
    public_url: PublicUrlOpt = None,
    https_only: Annotated[
        bool,
        typer.Option(
            help="Refuse plain-HTTP requests (behind a TLS proxy setting X-Forwarded-Proto)."
        ),
    ] = False,
    token_ttl: Annotated[
        int, typer.Option(min=60, max=86400, help="Access token lifetime, seconds.")
    ] = 3600,
    portal: Annotated[
        bool,
        typer.Option(help="Serve the supplier carbon portal at /app (users: `pcf users add`)."),
    ] = True,
) -> None:
    """Serve the PACT Data Exchange API (v3.0 at /3, v2.3 at /2) and the supplier carbon
    portal (/app) with uvicorn."""
    import uvicorn

    from pcf.node.api import create_app

    st = state(ctx)
    store = _open(st, db)
    try:
        web = None
        if portal:
            from pcf.portal import create_portal

            web = create_portal(
                store, _portal_engine(st), public_url=public_url, https_cookies=https_only
            )
        app = create_app(
            store, token_ttl=token_ttl, public_url=public_url, https_only=https_only, portal=web
        )
        err.print(f"PACT node on http://{host}:{port} (store: {store.url})", highlight=False)
        if portal:
            err.print(f"supplier carbon portal on http://{host}:{port}/app/", highlight=False)
        # proxy_headers: behind a reverse proxy on this host, X-Forwarded-Proto/-For are honoured
        # (uvicorn trusts them from 127.0.0.1 only by default).
        uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="warning")
    finally:
        store.close()


def _portal_engine(st: State):
    """The portal's engine loader: the engine's project with the shipped inventories imported
    (once; :func:`lca.workflows.ensure_inventories` skips files already imported, as ``pcf
    demo`` does), so the example battery pack rolls up on a fresh data directory."""

    def load():
        from lca.footprint import FootprintEngine
        from lca.imports import shipped_inventories
        from lca.workflows import ensure_inventories

        project = st.open()
        ensure_inventories(project, shipped_inventories())
        return FootprintEngine(project)

    return load


@clients_app.command("add")
def clients_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who the client is (a customer's name).")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API client; its secret is printed once and stored only as a hash."""
    st = state(ctx)
    with _open(st, db) as store:
        client_id, secret = store.add_client(name)
    if as_json:
        st.out_json({"client_id": client_id, "client_secret": secret})
    else:
        st.out(f"client_id:     {client_id}\nclient_secret: {secret}")
        err.print("The secret is not stored: keep it now.")


@clients_app.command("list")
def clients_list(ctx: typer.Context, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List API clients (never their secrets)."""
    st = state(ctx)
    with _open(st, db) as store:
        rows = store.list_clients()
    if as_json:
        st.out_json(rows)
        return
    table = Table("client_id", "name", "created", "revoked")
    for r in rows:
        table.add_row(r["client_id"], r["name"], r["created_at"], r["revoked_at"] or "")
    st.console().print(table)


@clients_app.command("revoke")
def clients_revoke(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(help="The client to revoke.")],
    db: DbOpt = None,
) -> None:
    """Revoke a client: its tokens stop working at once."""
    st = state(ctx)
    with _open(st, db) as store:
        store.revoke_client(client_id)
    err.print(f"revoked {client_id}", highlight=False)


def _documents(path: Path) -> list[dict]:
    from lca.errors import PCFError
    from lca.files import read_text

    try:
        data = json.loads(read_text(path))
    except ValueError as exc:
        raise PCFError(f"{path}: not JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list | dict):
        data = data["data"]
    docs = data if isinstance(data, list) else [data]
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise PCFError(f"{path}: item {i} is not a PACT ProductFootprint object")
    return docs


@node_app.command("publish")
def publish(
    ctx: typer.Context,
    files: Annotated[list[Path], in_file_arg("PACT JSON: one footprint, a list, or {data: …}.")],
    db: DbOpt = None,
    notify: Annotated[
        bool, typer.Option(help="Send a PublishedEvent to subscribed partners.")
    ] = True,
    public_url: PublicUrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store footprints we issue: the same footprint keeps its id; a changed one becomes a new
    version (new id, precedingPfIds) and the old one Deprecated."""
    st = state(ctx)
    results = []
    with _open(st, db) as store:
        # all files are read and validated before any is stored
        docs = [(f, i, d) for f in files for i, d in enumerate(_documents(f))]
        for f, i, doc in docs:
            r = store.publish(doc, source=f"{f}" + (f" item {i}" if i else ""))
            results.append(
                {
                    "file": str(f),
                    "id": r.pf_id,
                    "action": r.action,
                    "deprecated": r.deprecated,
                    "specVersion": r.document.get("specVersion"),
                }
            )
        changed = [r for r in results if r["action"] != "unchanged"]
        delivered = _notify(store, changed, public_url) if notify and changed else []
    if as_json:
        st.out_json({"published": results, "notified": delivered})
        return
    table = Table("file", "id", "action", "deprecated")
    for r in results:
        table.add_row(r["file"], r["id"], r["action"], ", ".join(r["deprecated"]))
    st.console().print(table)


def _notify(store, changed: list[dict], public_url: str | None) -> list[dict]:
    """PublishedEvents to subscribers, one per spec version; failures are reported, not fatal
    (the footprints are stored)."""
    import datetime as dt
    import functools
    import uuid

    import anyio

    from pcf.node.api import TYPE_OF
    from pcf.node.errors import RemoteError
    from pcf.node.remote import send_event

    out = []
    for partner in store.subscribers():
        for major in sorted({str(r["specVersion"])[0] for r in changed}):
            event = {
                "type": TYPE_OF[("published", major)],
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                # the event source is our events endpoint when we know our public URL
                "source": f"{public_url.rstrip('/')}/{major}/events"
                if public_url
                else "urn:pcf:node",
                "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": {"pfIds": [r["id"] for r in changed if str(r["specVersion"])[0] == major]},
            }
            try:
                anyio.run(
                    functools.partial(send_event, partner["events_url"], event, partner=partner)
                )
                out.append({"partner": partner["events_url"], "delivered": True})
            except RemoteError as exc:
                err.print(f"[yellow]warning:[/] {exc}", highlight=False)
                out.append({"partner": partner["events_url"], "delivered": False, "error": exc.why})
    return out


@node_app.command("pull")
def pull(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Base URL of the supplier's PACT node.")],
    client_id: Annotated[str, typer.Option(help="Client id the supplier gave us.")],
    client_secret: Annotated[
        str, typer.Option(envvar="PCF_PULL_CLIENT_SECRET", help="Its secret.")
    ],
    version: Annotated[str, typer.Option(help="PACT API version: 3 or 2.")] = "3",
    db: DbOpt = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per HTTP call.")] = 15.0,
    as_json: JsonOpt = False,
) -> None:
    """Pull a supplier node's footprints into the store (OAuth2, pagination, retries); each is
    validated and kept with its source and time of receipt."""
    from lca.errors import PCFError
    from pcf.node.remote import PactClient
    from supply_chain.errors import InvalidPCF

    if version not in ("2", "3"):
        raise PCFError(f"--version {version!r}: expected 3 or 2")
    st = state(ctx)
    counts = {"new": 0, "updated": 0, "invalid": 0}
    invalid = []
    with (
        _open(st, db) as store,
        PactClient(url, client_id, client_secret, version=version, timeout=timeout) as client,
    ):
        source = client.base_url
        for doc in client.footprints():
            try:
                counts[store.add_supplier_footprint(doc, source)] += 1
            except InvalidPCF as exc:
                counts["invalid"] += 1
                invalid.append(str(exc))
    if as_json:
        st.out_json({"source": source, **counts, "errors": invalid})
        return
    st.out(
        f"{source}: {counts['new']} new, {counts['updated']} updated, {counts['invalid']} refused"
    )
    for line in invalid:
        err.print(f"[yellow]refused:[/] {line}", highlight=False)


@node_app.command("request")
def request(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Base URL of the supplier's PACT node.")],
    product_id: Annotated[
        list[str], typer.Option("--product-id", help="Product URN wanted (repeatable).")
    ],
    client_id: Annotated[str, typer.Option(help="Client id the supplier gave us.")],
    client_secret: Annotated[
        str, typer.Option(envvar="PCF_PULL_CLIENT_SECRET", help="Its secret.")
    ],
    public_url: Annotated[
        str,
        typer.Option(
            envvar="PCF_PUBLIC_URL",
            help="Our node's public base URL: the answer is posted to <it>/<version>/events.",
        ),
    ],
    version: Annotated[str, typer.Option(help="PACT API version: 3 or 2.")] = "3",
    comment: Annotated[str | None, typer.Option(help="Free text for the supplier.")] = None,
    db: DbOpt = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per HTTP call.")] = 15.0,
    as_json: JsonOpt = False,
) -> None:
    """Ask a supplier's node for footprints (RequestCreated event); its answer arrives later at
    our `pcf serve` and is stored (see `pcf node requests`)."""
    import datetime as dt
    import uuid

    from lca.errors import PCFError
    from pcf.node.api import TYPE_OF
    from pcf.node.errors import RemoteError
    from pcf.node.remote import PactClient

    if version not in ("2", "3"):
        raise PCFError(f"--version {version!r}: expected 3 or 2")
    st = state(ctx)
    ids = [p.strip() for p in product_id if p.strip()]
    data: dict = {"productId": ids} if version == "3" else {"pf": {"productIds": ids}}
    if comment:
        data["comment"] = comment
    event = {
        "type": TYPE_OF[("created", version)],
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"{public_url.rstrip('/')}/{version}/events",
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
    with (
        _open(st, db) as store,
        PactClient(url, client_id, client_secret, version=version, timeout=timeout) as client,
    ):
        rid = store.record_request("outgoing", event["id"], client.base_url, data)
        try:
            client.post_event(event)
        except RemoteError as exc:
            store.answer_request(rid, "failed", {"error": exc.why})
            raise
    if as_json:
        st.out_json({"event_id": event["id"], "answer_to": event["source"]})
    else:
        st.out(f"request {event['id']} sent; the answer goes to {event['source']}")


@node_app.command("requests")
def requests_list(
    ctx: typer.Context,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Data requests: received (incoming), sent (outgoing), PublishedEvents received."""
    st = state(ctx)
    with _open(st, db) as store:
        rows = store.requests()
    if as_json:
        st.out_json(rows)
        return
    table = Table("id", "direction", "event", "source", "status", "received", "answered")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["direction"],
            r["event_id"],
            r["source"],
            r["status"],
            r["received_at"],
            r["answered_at"] or "",
        )
    st.console().print(table)


@partners_app.command("add")
def partners_add(
    ctx: typer.Context,
    events_url: Annotated[str, typer.Argument(help="The partner's events endpoint (…/3/events).")],
    client_id: Annotated[str | None, typer.Option(help="Client id it gave us.")] = None,
    client_secret: Annotated[
        str | None, typer.Option(envvar="PCF_PARTNER_CLIENT_SECRET", help="Its secret.")
    ] = None,
    token_url: Annotated[
        str | None, typer.Option(help="Its token endpoint (default: OpenID discovery).")
    ] = None,
    subscribe: Annotated[bool, typer.Option(help="Send it our PublishedEvents.")] = False,
    db: DbOpt = None,
) -> None:
    """Record a node we answer requests of or notify (its credentials for posting events)."""
    st = state(ctx)
    with _open(st, db) as store:
        store.add_partner(
            events_url,
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            subscribed=subscribe,
        )
    err.print(f"partner {events_url} recorded", highlight=False)
