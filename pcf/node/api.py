"""The PACT Data Exchange API of the node (Technical Specifications v3.0 at ``/3``, v2.3 at
``/2``), a FastAPI application over a :class:`~pcf.node.store.Store`.

Endpoints: ``GET /.well-known/openid-configuration``; ``POST /auth/token`` (OAuth2 client
credentials, HTTP Basic or form fields; HS256 JWT access tokens that expire); ``GET
/{3,2}/footprints`` (ListFootprints: v3 filters or the v2 ``$filter`` subset, ``limit``,
``Link: <…>; rel="next"``); ``GET /{3,2}/footprints/{id}``; ``POST /{3,2}/events``
(CloudEvents).

Errors are PACT ``{"code", "message"}`` objects (see :data:`pcf.node.errors.ERROR_STATUS`). Where
WBCSD's conformance tests differ from a literal reading of the OpenAPI (``PACT-NOTES.md``): an
invalid or missing bearer token is ``400 BadRequest``; an expired one is ``401 TokenExpired``; a
valid token of a revoked client is ``403 AccessDenied``; an unknown footprint id, UUID or not, is
``404 NoSuchFootprint``; the token endpoint answers bad credentials with ``401
{"error": "invalid_client"}`` (RFC 6749 §5.2).

A RequestCreated event is answered after the ``200``: the node looks up the footprints matching
the request's criteria and POSTs a RequestFulfilled event (with them) or a RequestRejected event
(none matched) to the request's ``source``, with a token obtained from the recipient when it is a
known partner (``pcf node partners add``). Bodies over ``max_body`` bytes are refused (413). CORS
is off (no CORS middleware): browsers on other origins cannot call the API.

Plain HTTP: the node speaks HTTP on loopback; in production it runs behind a TLS-terminating
reverse proxy, and ``public_url`` (``https://…``) is what pagination links and event sources use.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

import httpx
import jwt
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from supply_chain.errors import InvalidPCF

from .errors import ApiError, RemoteError
from .filters import (
    Criteria,
    FilterNotImplemented,
    FilterSyntaxError,
    criteria_from_event,
    parse_v2_filter,
    parse_v3_query,
)
from .remote import send_event
from .store import Store

__all__ = ["EVENT_TYPES", "create_app"]

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ALGORITHM = "HS256"
SCOPES = "footprint:list footprint:read"

#: CloudEvent type -> (kind, spec major) for both versions' event names.
EVENT_TYPES = {
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3": ("created", "3"),
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3": ("fulfilled", "3"),
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3": ("rejected", "3"),
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3": ("published", "3"),
    "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1": ("created", "2"),
    "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1": ("fulfilled", "2"),
    "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1": ("rejected", "2"),
    "org.wbcsd.pathfinder.ProductFootprint.Published.v1": ("published", "2"),
}
TYPE_OF = {(kind, major): name for name, (kind, major) in EVENT_TYPES.items()}


def _error(code: str, message: str, status: int | None = None) -> JSONResponse:
    err = ApiError(code, message)
    return JSONResponse({"code": code, "message": message}, status_code=status or err.status)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class BodyLimit:
    """Pure ASGI middleware refusing request bodies over ``max_body`` bytes with 413 (by
    ``Content-Length`` up front, and by counting a streamed body)."""

    class _TooLarge(Exception):
        pass

    def __init__(self, app, max_body: int, max_upload: int | None = None):
        self.app, self.max_body = app, max_body
        # the portal (/app) takes users' BOM workbooks and PCF files: a larger, separate limit
        self.max_upload = max_upload if max_upload is not None else max_body

    async def _refuse(self, send) -> None:
        body = json.dumps({"code": "BadRequest", "message": "request body too large"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_upload if scope.get("path", "").startswith("/app/") else self.max_body
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await self._refuse(send)
        total = 0
        started = False

        async def limited():
            nonlocal total
            msg = await receive()
            if msg["type"] == "http.request":
                total += len(msg.get("body", b""))
                if total > limit:
                    raise self._TooLarge
            return msg

        async def tracking_send(msg):
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, limited, tracking_send)
        except self._TooLarge:
            if not started:
                await self._refuse(send)


class HttpsOnly:
    """Pure ASGI middleware answering requests that did not arrive over HTTPS (the scheme as
    uvicorn sees it, ``X-Forwarded-Proto`` of a trusted proxy included) with ``400 BadRequest``
    and no data or token: WBCSD's conformance cases 9-11 and 17."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("scheme") != "https":
            body = json.dumps({"code": "BadRequest", "message": "HTTPS is required"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def create_app(
    store: Store,
    *,
    token_ttl: int = 3600,
    public_url: str | None = None,
    https_only: bool = False,
    max_body: int = 1_000_000,
    max_upload: int = 50_000_000,
    outbound_transport: httpx.AsyncBaseTransport | None = None,
    event_retries: int = 3,
    portal=None,
) -> FastAPI:
    """The API over ``store``.

    Parameters
    ----------
    token_ttl
        Lifetime of access tokens in seconds.
    public_url
        The node's public base URL (``https://pact.example.com``) for pagination links, the
        OpenID configuration and the ``source`` of events we send; by default the request's own
        scheme and ``Host``.
    https_only
        Refuse every request that did not come over HTTPS (production behind a TLS proxy).
    max_body
        Largest request body accepted by the PACT API, in bytes.
    max_upload
        Largest request body accepted by the portal under ``/app`` (file uploads), in bytes.
    outbound_transport
        httpx transport for events we send (tests route them to an in-process app).
    portal
        An ASGI app mounted at ``/app`` (the supplier carbon portal, :mod:`pcf.portal`).
    """
    app = FastAPI(
        title="pcf PACT node",
        description="PACT Data Exchange API (Technical Specifications v3.0 and v2.3)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    key = store.signing_key()
    base_override = public_url.rstrip("/") if public_url else None

    def base_url(request: Request) -> str:
        if base_override:
            return base_override
        host = request.headers.get("host") or request.url.netloc
        return f"{request.url.scheme}://{host}"

    # -- errors -------------------------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error(exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        return _error("BadRequest", "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _error("NotFound", f"no such endpoint: {request.url.path}")
        return _error("BadRequest", str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error("InternalError", "internal error")

    # -- auth -----------------------------------------------------------------------------------
    @app.get("/.well-known/openid-configuration")
    def openid_configuration(request: Request):
        base = base_url(request)
        # No jwks_uri: tokens are HS256-signed with a key only this node holds and are verified
        # only here (RS256 would need the `cryptography` package for a key pair).
        return {
            "issuer": base,
            "token_endpoint": f"{base}/auth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["token"],
            "scopes_supported": SCOPES.split(),
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "subject_types_supported": ["public"],
        }

    @app.post("/auth/token")
    async def token(request: Request):
        def oauth_error(error: str, description: str, status: int) -> JSONResponse:
            headers = {"WWW-Authenticate": 'Basic realm="pact"'} if status == 401 else None
            return JSONResponse(
                {"error": error, "error_description": description},
                status_code=status,
                headers=headers,
            )

        # The form is parsed with the standard library: Starlette's form parser needs the
        # python-multipart package for a body of three short fields.
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return oauth_error("unsupported_grant_type", "use grant_type=client_credentials", 400)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                client_id, _, secret = (
                    base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                return oauth_error("invalid_client", "Client authentication failed", 401)
        if not client_id or secret is None:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        if not await run_in_threadpool(store.check_client, client_id, secret):
            log.info("token refused for client %r", client_id)
            return oauth_error("invalid_client", "Client authentication failed", 401)
        now = dt.datetime.now(dt.UTC)
        claims = {
            "sub": client_id,
            "iat": now,
            "exp": now + dt.timedelta(seconds=token_ttl),
            "scope": SCOPES,
            "jti": uuid.uuid4().hex,
        }
        return JSONResponse(
            {
                "access_token": jwt.encode(claims, key, algorithm=ALGORITHM),
                "token_type": "Bearer",
                "expires_in": token_ttl,
                "scope": SCOPES,
            },
            headers={"Cache-Control": "no-store"},
        )

    def client_of(request: Request) -> str:
        header = request.headers.get("authorization", "")
        if header[:7].lower() != "bearer " or not header[7:].strip():
            raise ApiError("BadRequest", "missing bearer access token")
        try:
            claims = jwt.decode(
                header[7:].strip(), key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise ApiError("TokenExpired", "the access token has expired") from None
        except jwt.InvalidTokenError:
            raise ApiError("BadRequest", "Invalid token provided") from None
        if not store.client_active(claims["sub"]):
            raise ApiError("AccessDenied", "this client's access has been revoked")
        return claims["sub"]

    # -- footprints -----------------------------------------------------------------------------
    def list_footprints(request: Request, major: str) -> Response:
        client_of(request)
        items = request.query_params.multi_items()
        limit, offset = DEFAULT_LIMIT, 0
        for name, value in items:
            if name.lower() in ("limit", "offset"):
                try:
                    number = int(value)
                except ValueError:
                    raise ApiError("BadRequest", f"{name}={value!r} is not an integer") from None
                if number < 0:
                    raise ApiError("BadRequest", f"{name} must be 0 or more")
                if name.lower() == "limit":
                    limit = number
                else:
                    offset = number
        try:
            if major == "3":
                crit = parse_v3_query(items)
            else:
                text = request.query_params.get("$filter")
                crit = Criteria(conditions=parse_v2_filter(text) if text else [])
        except FilterNotImplemented as exc:
            raise ApiError("NotImplemented", str(exc)) from None
        except FilterSyntaxError as exc:
            raise ApiError("BadRequest", str(exc)) from None
        page = min(limit, MAX_LIMIT)
        docs, more = store.list_issued(major, crit, offset, page) if page else ([], False)
        headers = {}
        if more:
            kept = [(k, v) for k, v in items if k.lower() not in ("limit", "offset")]
            query = urlencode(kept + [("limit", str(page)), ("offset", str(offset + len(docs)))])
            headers["Link"] = f'<{base_url(request)}{request.url.path}?{query}>; rel="next"'
        return Response(
            '{"data":[' + ",".join(docs) + "]}", media_type="application/json", headers=headers
        )

    def get_footprint(request: Request, major: str, pf_id: str) -> Response:
        client_of(request)
        doc = store.get_issued(pf_id, major)
        if doc is None:
            raise ApiError("NoSuchFootprint", f"Footprint with ID {pf_id!r} does not exist")
        return Response('{"data":' + doc + "}", media_type="application/json")

    @app.get("/3/footprints")
    def list_v3(request: Request):
        return list_footprints(request, "3")

    @app.get("/2/footprints")
    def list_v2(request: Request):
        return list_footprints(request, "2")

    @app.get("/3/footprints/{pf_id}")
    def get_v3(request: Request, pf_id: str):
        return get_footprint(request, "3", pf_id)

    @app.get("/2/footprints/{pf_id}")
    def get_v2(request: Request, pf_id: str):
        return get_footprint(request, "2", pf_id)

    # -- events ---------------------------------------------------------------------------------
    async def answer_request(
        request_id: int, event: Mapping, crit: Criteria, major: str, our_source: str
    ) -> None:
        docs, _ = await run_in_threadpool(store.list_issued, major, crit, 0, MAX_LIMIT)
        if docs:
            kind = "fulfilled"
            data: dict = {"requestEventId": event["id"], "pfs": [json.loads(d) for d in docs]}
        else:
            kind = "rejected"
            data = {
                "requestEventId": event["id"],
                "error": {"code": "NotFound", "message": "No footprint matches the request."},
            }
        answer = {
            "type": TYPE_OF[(kind, major)],
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": our_source,
            "time": _now_iso(),
            "data": data,
        }
        partner = await run_in_threadpool(store.partner, event["source"])
        record = {"eventId": answer["id"], "pfIds": [p["id"] for p in data.get("pfs", [])]}
        try:
            status = await send_event(
                event["source"],
                answer,
                partner=partner,
                transport=outbound_transport,
                retries=event_retries,
            )
            record["delivered"] = status
        except RemoteError as exc:
            log.warning("could not deliver %s for request %s: %s", kind, event["id"], exc.why)
            record["error"] = exc.why
        await run_in_threadpool(store.answer_request, request_id, kind, record)

    async def events(request: Request, background: BackgroundTasks, major: str) -> Response:
        client = await run_in_threadpool(client_of, request)
        try:
            event = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ApiError("BadRequest", "the body is not JSON") from None
        if not isinstance(event, dict):
            raise ApiError("BadRequest", "the event is not a JSON object")
        for name in ("specversion", "id", "source", "time", "type"):
            if not isinstance(event.get(name), str) or not event[name]:
                raise ApiError("BadRequest", f"event field {name!r} missing or not a string")
        kind, _ = EVENT_TYPES.get(event["type"], (None, None))
        if kind is None:
            raise ApiError("BadRequest", f"unknown event type {event['type']!r}")
        data = event.get("data")
        if not isinstance(data, dict):
            raise ApiError("BadRequest", "event field 'data' missing or not an object")
        if kind == "created":
            try:
                crit = criteria_from_event(data)
            except FilterSyntaxError as exc:
                raise ApiError("BadRequest", str(exc)) from None
            rid = await run_in_threadpool(
                store.record_request,
                "incoming",
                event["id"],
                event["source"],
                data,
                client_id=client,
            )
            background.add_task(
                answer_request, rid, event, crit, major, f"{base_url(request)}/{major}/events"
            )
        elif kind in ("fulfilled", "rejected"):
            await run_in_threadpool(receive_answer, kind, event, data)
        else:
            await run_in_threadpool(
                store.record_request,
                "published",
                event["id"],
                event["source"],
                data,
                client_id=client,
                status="received",
            )
        return Response(status_code=200)

    def receive_answer(kind: str, event: Mapping, data: Mapping) -> None:
        request_event = data.get("requestEventId")
        if not isinstance(request_event, str):
            raise ApiError("BadRequest", "event data has no 'requestEventId'")
        rid = store.outgoing_request(request_event)
        if kind == "rejected":
            if not isinstance(data.get("error"), dict):
                raise ApiError("BadRequest", "RequestRejected event data has no 'error' object")
            if rid is not None:
                store.answer_request(rid, "rejected", data["error"])
            return
        pfs = data.get("pfs")
        if not isinstance(pfs, list):
            raise ApiError("BadRequest", "RequestFulfilled event data has no 'pfs' list")
        if rid is None:  # not a request of ours: accepted (200), nothing stored
            log.info(
                "RequestFulfilled for unknown request %r from %s ignored",
                request_event,
                event["source"],
            )
            return
        stored, invalid = [], []
        for pf in pfs:
            try:
                store.add_supplier_footprint(pf, event["source"])
                stored.append(pf.get("id"))
            except InvalidPCF as exc:
                invalid.append(str(exc))
                log.warning("supplier footprint refused: %s", exc)
        store.answer_request(rid, "fulfilled", {"stored": stored, "invalid": invalid})

    @app.post("/3/events")
    async def events_v3(request: Request, background: BackgroundTasks):
        return await events(request, background, "3")

    @app.post("/2/events")
    async def events_v2(request: Request, background: BackgroundTasks):
        return await events(request, background, "2")

    if portal is not None:
        app.mount("/app", portal)

    outer = BodyLimit(app, max_body, max_upload) if max_body else app
    return HttpsOnly(outer) if https_only else outer  # type: ignore[return-value]
