"""Load on a real ``pcf serve`` (uvicorn, 127.0.0.1, a free port) and the first page of a
100,000-footprint store.

* **Load**: 1,000 footprints published into a fresh SQLite store (``Store.publish``, each
  validated), one API client created as ``pcf clients add`` does; ``pcf serve`` started in its
  own process. 100 concurrent clients (coroutines sharing one ``httpx.AsyncClient`` pool of 100
  connections), each with its own access token from ``POST /auth/token``, alternate
  ListFootprints (``GET /3/footprints``, first page of 100) and GetFootprint (``GET
  /3/footprints/{id}``, a random one of the 1,000) for ``PCF_BENCH_SERVE_SECONDS`` (default
  60) or until ``PCF_BENCH_SERVE_MAX_REQUESTS`` (default 200,000) requests, whichever comes
  first. Any answer but 200 (or a transport error) is an error; the run asserts there are none.
  Baseline, same server, same 100 clients, a quarter of the time: ``GET
  /.well-known/openid-configuration`` (no database, no token check): the framework's floor.
* **First page at scale**: ``Store.list_issued`` (what ListFootprints runs) on 100,000 stored
  footprints, first page of 100, median of 20 calls, and the same page as a client gets it
  (``GET /3/footprints`` from ``pcf serve`` on that store, one client, median of 20 after the
  connection is open); target <= 50 ms. The rows are inserted
  in bulk (publishing validates each document: ~25 ms apiece, 40 minutes for 100,000); the
  baseline is the same first page read with a plain ``SELECT … ORDER BY seq LIMIT 101``
  through sqlite3 (the database's floor, no ORM).

Prints detail lines and ``BENCH serve: …`` lines (requests/s, p50 and p99 latency, the
first-page time). ``ratio`` is ``baseline / ours`` as in :mod:`benchmarks.__main__`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "../shared/reference/pact/v3/examples/example-1.json"
N_FOOTPRINTS = 1_000
N_LARGE = 100_000
CLIENTS = 100
SECONDS = float(os.environ.get("PCF_BENCH_SERVE_SECONDS", "60"))
MAX_REQUESTS = int(os.environ.get("PCF_BENCH_SERVE_MAX_REQUESTS", "200000"))
FIRST_PAGE_TARGET = 0.050  # seconds (issue 14)
TIMEOUT = 30.0  # per HTTP call


def documents(n: int):
    """``n`` v3 footprints: WBCSD's example-1 under ``n`` ids and product URNs."""
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    base["companyIds"] = ["urn:pact:example.com:company:acme"]
    for i in range(n):
        doc = copy.deepcopy(base)
        doc["id"] = str(uuid.UUID(int=i + 1, version=4))
        doc["productIds"] = [f"urn:pact:example.com:product:{i}"]
        yield doc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(db: str, log: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    with log.open("wb") as err:  # the server's messages, shown if it fails to start
        proc = subprocess.Popen(
            [sys.executable, "-m", "pcf", "serve", "--port", str(port), "--db", db, "--no-portal"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{base}/.well-known/openid-configuration", timeout=2).raise_for_status()
            return base, proc
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                why = log.read_text(encoding="utf-8", errors="replace")
                raise SystemExit(f"pcf serve did not start: {why}") from None
            time.sleep(0.2)


def stop_serve(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Load:
    """Latencies and errors of one load phase, per kind of request."""

    def __init__(self):
        self.latency: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.wall = 0.0

    def count(self) -> int:
        return sum(len(v) for v in self.latency.values())

    def line(self, kind: str) -> str:
        lat = sorted(self.latency[kind])
        q = statistics.quantiles(lat, n=100, method="inclusive")
        return (
            f"{kind}: {len(lat):,} requests, {CLIENTS} clients, {len(lat) / self.wall:,.1f} "
            f"requests/s, p50 {q[49] * 1e3:.1f} ms, p99 {q[98] * 1e3:.1f} ms"
        )


async def tokens(base: str, client_id: str, secret: str, n: int) -> list[str]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        out = []
        for _ in range(n):  # one after the other: each costs a scrypt check on the server
            r = await http.post(
                f"{base}/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret),
            )
            r.raise_for_status()
            out.append(r.json()["access_token"])
        return out


async def load(base: str, toks: list[str], ids: list[str], seconds: float, kinds) -> Load:
    """``len(toks)`` clients requesting ``kinds`` in turn until ``seconds`` or MAX_REQUESTS."""
    res = Load()
    budget = MAX_REQUESTS
    limits = httpx.Limits(max_connections=len(toks), max_keepalive_connections=len(toks))
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as http:
        t0 = time.perf_counter()
        stop = t0 + seconds

        async def client(i: int, token: str):
            nonlocal budget
            rng = random.Random(i)
            headers = {"Authorization": f"Bearer {token}"}
            turn = i
            while time.perf_counter() < stop and budget > 0:
                budget -= 1
                kind = kinds[turn % len(kinds)]
                turn += 1
                url = {
                    "list": "/3/footprints",
                    "get": f"/3/footprints/{rng.choice(ids)}",
                    "openid-configuration": "/.well-known/openid-configuration",
                }[kind]
                t = time.perf_counter()
                try:
                    r = await http.get(url, headers=headers)
                    ok = r.status_code == 200 and (kind != "list" or len(r.json()["data"]) == 100)
                    why = f"{url}: HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    ok, why = False, f"{url}: {type(exc).__name__} {exc}"
                res.latency.setdefault(kind, []).append(time.perf_counter() - t)
                if not ok:
                    res.errors.append(why)

        await asyncio.gather(*(client(i, tok) for i, tok in enumerate(toks)))
        res.wall = time.perf_counter() - t0
    return res


def serve_load(tmp: Path) -> None:
    from pcf.node.store import open_store

    db = f"sqlite:///{tmp / 'node.sqlite'}"
    t = time.perf_counter()
    with open_store(db) as store:
        ids = [store.publish(doc).pf_id for doc in documents(N_FOOTPRINTS)]
        client_id, secret = store.add_client("bench")
    print(f"serve: {N_FOOTPRINTS:,} footprints published in {time.perf_counter() - t:.1f} s")
    base, proc = start_serve(db, tmp / "serve.log")
    try:
        toks = asyncio.run(tokens(base, client_id, secret, CLIENTS))
        ours = asyncio.run(load(base, toks, ids, SECONDS, ("list", "get")))
        floor = asyncio.run(load(base, toks, ids, SECONDS / 4, ("openid-configuration",)))
    finally:
        stop_serve(proc)
    for res, kinds in ((ours, ("list", "get")), (floor, ("openid-configuration",))):
        for kind in kinds:
            print("serve " + res.line(kind))
    assert not ours.errors and not floor.errors, (ours.errors + floor.errors)[:10]
    s_ours, s_floor = ours.wall / ours.count(), floor.wall / floor.count()
    both = sorted(ours.latency["list"] + ours.latency["get"])
    q = statistics.quantiles(both, n=100, method="inclusive")
    print(
        f"BENCH serve: ours={s_ours:.6f} baseline={s_floor:.6f} ratio={s_floor / s_ours:.2f} "
        "target=n/a"
    )
    print(
        f"BENCH serve: clients={CLIENTS} seconds={ours.wall:.1f} requests={ours.count()} "
        f"errors={len(ours.errors)} requests/s={ours.count() / ours.wall:.1f} "
        f"p50={q[49] * 1e3:.1f}ms p99={q[98] * 1e3:.1f}ms"
    )
    for kind in ("list", "get"):
        lat = sorted(ours.latency[kind])
        qk = statistics.quantiles(lat, n=100, method="inclusive")
        print(
            f"BENCH serve: {kind} requests/s={len(lat) / ours.wall:.1f} "
            f"p50={qk[49] * 1e3:.1f}ms p99={qk[98] * 1e3:.1f}ms"
        )


def large_store(tmp: Path) -> None:
    from sqlalchemy import insert

    from pcf.node.models import FootprintKey, IssuedFootprint
    from pcf.node.store import _canonical, content_hash, identity, open_store, utcnow, validity

    path = tmp / "large.sqlite"
    t = time.perf_counter()
    with open_store(f"sqlite:///{path}") as store:
        rows, keys, now = [], [], utcnow()
        for i, d in enumerate(documents(N_LARGE), start=1):
            start, end = validity(d)
            rows.append(
                {
                    "seq": i,
                    "pf_id": d["id"],
                    "spec_major": "3",
                    "status": "Active",
                    "identity": identity(d, "3"),
                    "content_hash": content_hash(d),
                    "created": now,
                    "validity_start": start,
                    "validity_end": end,
                    "published_at": now,
                    "document": _canonical(d),
                }
            )
            keys.append({"footprint_seq": i, "kind": "productid", "value": d["productIds"][0]})
            keys.append({"footprint_seq": i, "kind": "companyid", "value": d["companyIds"][0]})
        with store.session() as s:
            s.execute(insert(IssuedFootprint), rows)
            s.execute(insert(FootprintKey), keys)
        print(f"first page: {N_LARGE:,} footprints inserted in {time.perf_counter() - t:.1f} s")
        ours = []
        for _ in range(20):
            t = time.perf_counter()
            docs, more = store.list_issued("3", None, 0, 100)
            ours.append(time.perf_counter() - t)
        assert len(docs) == 100 and more
        client_id, secret = store.add_client("bench")
    con = sqlite3.connect(path)
    floor = []
    for _ in range(20):
        t = time.perf_counter()
        got = con.execute(
            "SELECT document FROM issued_footprints WHERE spec_major = '3' ORDER BY seq LIMIT 101"
        ).fetchall()
        floor.append(time.perf_counter() - t)
    con.close()
    assert len(got) == 101
    # the same first page as a client gets it: ListFootprints over HTTP from `pcf serve`
    base, proc = start_serve(f"sqlite:///{path}", tmp / "serve-large.log")
    try:
        (token,) = asyncio.run(tokens(base, client_id, secret, 1))
        over_http = []
        with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
            for _ in range(21):
                t = time.perf_counter()
                r = http.get("/3/footprints", headers={"Authorization": f"Bearer {token}"})
                over_http.append(time.perf_counter() - t)
                assert r.status_code == 200 and len(r.json()["data"]) == 100, r.status_code
        over_http = over_http[1:]  # the first opens the connection
    finally:
        stop_serve(proc)
    m_ours, m_floor, m_http = (statistics.median(v) for v in (ours, floor, over_http))
    print(
        f"first page of {N_LARGE:,}: Store.list_issued median {m_ours * 1e3:.2f} ms "
        f"(max {max(ours) * 1e3:.2f}); GET /3/footprints median {m_http * 1e3:.2f} ms "
        f"(max {max(over_http) * 1e3:.2f}); plain sqlite3 {m_floor * 1e3:.2f} ms; target <= "
        f"{FIRST_PAGE_TARGET * 1e3:.0f} ms: "
        + ("met" if max(m_ours, m_http) <= FIRST_PAGE_TARGET else "NOT met")
    )
    print(
        f"BENCH serve-first-page: ours={m_ours:.6f} baseline={m_floor:.6f} "
        f"ratio={m_floor / m_ours:.2f} target=n/a"
    )
    print(
        f"BENCH serve: first_page_{N_LARGE}_store={m_ours * 1e3:.2f}ms "
        f"first_page_{N_LARGE}_http={m_http * 1e3:.2f}ms target<={FIRST_PAGE_TARGET * 1e3:.0f}ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-serve-") as d:
        serve_load(Path(d))
        large_store(Path(d))


if __name__ == "__main__":
    main()
