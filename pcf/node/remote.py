"""Talking to other PACT nodes with httpx: OAuth2 client credentials, paginated ListFootprints,
events. Timeouts on every call; transient failures (connection errors, 429, 5xx) retried with
exponential back-off, a bounded number of times. Secrets never reach the logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Self
from urllib.parse import urlsplit

import httpx

from .errors import RemoteError

__all__ = ["PactClient", "absolute_url", "async_token", "send_event"]

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}


def absolute_url(url: str) -> str:
    """An event ``source`` as an absolute URL (``//host/path`` -> ``https://host/path``)."""
    return f"https:{url}" if url.startswith("//") else url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _token_response(url: str, resp: httpx.Response) -> str:
    if resp.status_code != 200:
        raise RemoteError(url, f"token request refused: HTTP {resp.status_code}")
    try:
        token = resp.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        raise RemoteError(url, "token response has no access_token") from None
    if not isinstance(token, str):
        raise RemoteError(url, "token response has no access_token")
    return token


class PactClient:
    """A client of one PACT node (``base_url``: where ``/3/footprints`` lives)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        version: str = "3",
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.retries, self.backoff = retries, backoff
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _request(self, method: str, url: str, **kw) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.request(method, url, **kw)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise RemoteError(url, f"cannot reach it: {exc}") from None
            else:
                if resp.status_code not in RETRY_STATUS or attempt == self.retries:
                    return resp
            delay = self.backoff * 2**attempt
            log.info("%s %s failed; retrying in %.1f s", method, url, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def token_url(self) -> str:
        """The token endpoint: OpenID discovery's ``token_endpoint``, else ``/auth/token``."""
        url = f"{self.base_url}/.well-known/openid-configuration"
        resp = self._request("GET", url)
        if resp.status_code == 200:
            try:
                endpoint = resp.json().get("token_endpoint")
            except ValueError:
                endpoint = None
            if isinstance(endpoint, str) and endpoint:
                return endpoint
        return f"{self.base_url}/auth/token"

    def token(self) -> str:
        if self._token is None:
            url = self.token_url()
            resp = self._request(
                "POST", url, data={"grant_type": "client_credentials"}, auth=self._auth
            )
            self._token = _token_response(url, resp)
        return self._token

    def _get(self, url: str, params=None) -> httpx.Response:
        resp = self._request(
            "GET", url, params=params, headers={"Authorization": f"Bearer {self.token()}"}
        )
        if resp.status_code == 401:  # expired: one fresh token
            self._token = None
            resp = self._request(
                "GET", url, params=params, headers={"Authorization": f"Bearer {self.token()}"}
            )
        return resp

    def footprints(self, limit: int = 100) -> Iterator[dict]:
        """Every footprint of ``GET /<version>/footprints``, following ``Link: rel="next"``."""
        url: str | None = f"{self.base_url}/{self.version}/footprints"
        params: dict | None = {"limit": limit}
        seen = set()
        while url:
            resp = self._get(url, params)
            if resp.status_code != 200:
                raise RemoteError(
                    url, f"ListFootprints answered HTTP {resp.status_code}: {resp.text[:200]}"
                )
            try:
                data = resp.json()["data"]
            except (ValueError, KeyError, TypeError):
                raise RemoteError(url, "ListFootprints answer has no 'data' list") from None
            if not isinstance(data, list):
                raise RemoteError(url, "ListFootprints answer has no 'data' list")
            yield from data
            nxt = resp.links.get("next", {}).get("url")
            if nxt in seen:
                raise RemoteError(nxt, "pagination link repeats itself")
            seen.add(nxt)
            url, params = nxt, None

    def post_event(self, event: Mapping) -> None:
        """POST a CloudEvent to the node's ``/<version>/events`` (structured mode).

        Raises
        ------
        RemoteError
            Any answer but 2xx.
        """
        url = f"{self.base_url}/{self.version}/events"
        headers = {
            "Authorization": f"Bearer {self.token()}",
            "Content-Type": "application/cloudevents+json; charset=UTF-8",
        }
        resp = self._request("POST", url, content=json.dumps(dict(event)), headers=headers)
        if resp.status_code >= 300:
            raise RemoteError(url, f"event refused: HTTP {resp.status_code}: {resp.text[:200]}")

    def get_footprint(self, pf_id: str) -> dict:
        url = f"{self.base_url}/{self.version}/footprints/{pf_id}"
        resp = self._get(url)
        if resp.status_code != 200:
            raise RemoteError(url, f"GetFootprint answered HTTP {resp.status_code}")
        return resp.json()["data"]


async def async_token(
    http: httpx.AsyncClient, events_url: str, partner: Mapping | None
) -> str | None:
    """A token for posting to ``events_url`` with the credentials the partner gave us (None when
    we hold none: the event is then sent without one)."""
    if not partner or not partner.get("client_id"):
        return None
    token_url = partner.get("token_url")
    if not token_url:
        token_url = f"{_origin(events_url)}/auth/token"
        try:
            resp = await http.get(f"{_origin(events_url)}/.well-known/openid-configuration")
            if resp.status_code == 200 and isinstance(resp.json().get("token_endpoint"), str):
                token_url = resp.json()["token_endpoint"]
        except (httpx.HTTPError, ValueError):
            pass
    resp = await http.post(
        token_url,
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(partner["client_id"], partner.get("client_secret") or ""),
    )
    return _token_response(token_url, resp)


async def send_event(
    url: str,
    event: Mapping,
    *,
    partner: Mapping | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
) -> int:
    """POST a CloudEvent (structured mode) to ``url``; returns the HTTP status.

    Raises
    ------
    RemoteError
        No 2xx answer after the retries.
    """
    url = absolute_url(url)
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as http:
        last = ""
        for attempt in range(retries + 1):
            try:
                token = await async_token(http, url, partner)
                headers = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                resp = await http.post(url, content=json.dumps(dict(event)), headers=headers)
                if resp.status_code < 300:
                    return resp.status_code
                last = f"HTTP {resp.status_code}"
                if resp.status_code not in RETRY_STATUS and resp.status_code != 401:
                    break
            except (httpx.HTTPError, RemoteError) as exc:
                last = str(exc)
            if attempt < retries:
                await asyncio.sleep(backoff * 2**attempt)
        raise RemoteError(url, f"event {event.get('type')} not accepted: {last}")
