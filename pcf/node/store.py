"""The footprint store: SQLAlchemy 2 over SQLite (default, in the data directory) or PostgreSQL.

:func:`open_store` opens a database by URL and brings its schema to the head Alembic revision
(``pcf/node/migrations``) before anything else runs: a database of an older schema is upgraded
in place, never dropped. The URL is, in order: the ``--db`` option, ``$PCF_DB_URL``,
``sqlite:///<data dir>/pact-node.sqlite`` where the data directory is the engine's
(:func:`lca.project.resolve_data_dir`: ``--data-dir``, ``$PCF_DATA_DIR``, ``./.pcf/brightway``).

What it holds:

- **issued footprints** (:meth:`Store.publish`): every version of every PACT document we issue.
  Two documents are *the same footprint* when they have the same spec major version, product
  ids, company ids and geography (:func:`identity`); they are *equal* when they agree on every
  field but id, status, created/updated and precedingPfIds (:func:`content_hash`). Publishing an
  equal document changes nothing and returns the stored id; a changed one is stored under a new
  id (the given one if unused, else a fresh UUID) with ``precedingPfIds`` listing every earlier
  version, and the earlier Active version becomes Deprecated (the rule of PACT v3's footprint
  lifecycle). Each stored document passes :func:`supply_chain.pact_spec.validate_pact` strictly,
  so whatever the API serves does.
- **supplier footprints** (:meth:`Store.add_supplier_footprint`): documents received from other
  nodes with their source, time of receipt, validity period and verification, validated as the
  supplier-PCF reader does (``strict=False``, the biogenic identity refused).
- **API clients** (secrets kept as salted scrypt hashes, compared in constant time),
  **partners** (other nodes' event endpoints, the credentials they gave us, subscriptions) and
  **data requests** (incoming and outgoing RequestCreated events and their answers).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Self

from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from supply_chain import pact_spec
from supply_chain.pact_spec import BIOGENIC_IDENTITY, parse_datetime, validate_pact

from .errors import StoreError, UnknownClient
from .filters import Condition, Criteria
from .models import (
    ApiClient,
    DataRequest,
    FootprintKey,
    IssuedFootprint,
    Partner,
    Setting,
    SupplierFootprint,
)

__all__ = [
    "DB_FILE",
    "ENV_DB_URL",
    "HEAD",
    "PublishResult",
    "Store",
    "content_hash",
    "default_db_url",
    "identity",
    "open_store",
    "resolve_db_url",
    "upgrade",
    "utcnow",
]

log = logging.getLogger(__name__)

DB_FILE = "pact-node.sqlite"
ENV_DB_URL = "PCF_DB_URL"
#: The head revision of ``pcf/node/migrations/versions``.
HEAD = "0004"
#: Key kinds of :class:`~pcf.node.models.FootprintKey` and the document fields they index.
GEOGRAPHY_FIELDS = ("geographyCountry", "geographyRegionOrSubregion", "geographyCountrySubdivision")
#: scrypt parameters of client secrets (RFC 7914's interactive-login setting: N=2^14, r=8, p=1).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def utcnow() -> dt.datetime:
    """Now, as the store keeps times: naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive_utc(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = parse_datetime(value)
    except ValueError:
        return None
    return stamp.astimezone(dt.UTC).replace(tzinfo=None)


def _plus_years(stamp: dt.datetime, years: int) -> dt.datetime:
    try:
        return stamp.replace(year=stamp.year + years)
    except ValueError:  # 29 February
        return stamp.replace(year=stamp.year + years, day=28)


def validity(doc: Mapping) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The validity period of a footprint (naive UTC): ``validityPeriodStart``/``End`` when
    stated, else PACT v3's default (ProductFootprint.validityPeriodStart): three years from
    ``pcf.referencePeriodEnd``."""
    start, end = (
        _naive_utc(doc.get("validityPeriodStart")),
        _naive_utc(doc.get("validityPeriodEnd")),
    )
    if start is None and end is None:
        ref_end = _naive_utc((doc.get("pcf") or {}).get("referencePeriodEnd"))
        if ref_end is not None:
            start, end = ref_end, _plus_years(ref_end, 3)
    return start, end


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(doc: Mapping) -> str:
    """:func:`supply_chain.pact_spec.content_hash`: SHA-256 of the footprint's identity and
    values (what its PACT id is made of); free text (the comment), time stamps, the id and
    the status left out, so a comment-only change is not a new version.

    >>> a = {"id": "1", "status": "Active", "pcf": {"x": "1"}}
    >>> content_hash(a) == content_hash({**a, "id": "2", "status": "Deprecated"})
    True
    >>> content_hash(a) == content_hash({**a, "comment": "reworded"})
    True
    """
    return pact_spec.content_hash(doc)


def _lower_list(values) -> list[str]:
    return sorted({str(v).strip().lower() for v in values or [] if isinstance(v, str)})


def _geographies(doc: Mapping) -> list[str]:
    pcf = doc.get("pcf") or {}
    return _lower_list(pcf.get(f) for f in GEOGRAPHY_FIELDS)


def identity(doc: Mapping, major: str) -> str:
    """What makes two documents versions of one footprint: spec major version, product ids,
    company ids and geography (a product made in two regions has two footprints).

    >>> d = {"productIds": ["urn:A"], "companyIds": ["urn:c"], "pcf": {"geographyCountry": "DE"}}
    >>> identity(d, "3") == identity({**d, "productIds": ["URN:a"]}, "3")
    True
    """
    parts = [
        major,
        _lower_list(doc.get("productIds")),
        _lower_list(doc.get("companyIds")),
        _geographies(doc),
    ]
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()


def _keys(doc: Mapping) -> list[tuple[str, str]]:
    keys = [("productid", v) for v in _lower_list(doc.get("productIds"))]
    keys += [("companyid", v) for v in _lower_list(doc.get("companyIds"))]
    keys += [("classification", v) for v in _lower_list(doc.get("productClassifications"))]
    cpc = doc.get("productCategoryCpc")
    keys += [("cpc", v) for v in _lower_list([cpc] if isinstance(cpc, str) else [])]
    keys += [("geography", v) for v in _geographies(doc)]
    return [(k, v[:512]) for k, v in keys]


# -- hashing of client secrets ----------------------------------------------------------------
def hash_secret(secret: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of a client secret, with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches a :func:`hash_secret` value (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        assert scheme == "scrypt"
        got = hashlib.scrypt(
            secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, AssertionError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# -- URLs, engine, migrations -----------------------------------------------------------------
def default_db_url(data_dir: str | os.PathLike | None = None) -> str:
    """``sqlite:///<data dir>/pact-node.sqlite`` (see the module doc for the data dir)."""
    from lca.project import resolve_data_dir

    return f"sqlite:///{resolve_data_dir(data_dir) / DB_FILE}"


def resolve_db_url(db: str | None = None, data_dir: str | os.PathLike | None = None) -> str:
    """The database URL: ``db`` > ``$PCF_DB_URL`` > :func:`default_db_url`."""
    return db or os.environ.get(ENV_DB_URL) or default_db_url(data_dir)


def shown_url(url: str) -> str:
    """``url`` with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            shown_url(url),
            "not a database URL (sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST/DB)",
        ) from None
    kwargs: dict = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        # No server-side prepared statements: a generic plan cannot know that a geography
        # matches half the table and a product id one row (measured: 530 ms instead of 2 ms
        # for a first page filtered by geography on 100,000 footprints).
        kwargs["connect_args"] = {"prepare_threshold": None}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(shown_url(url), f"cannot use this database: {exc}") from None
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: `pcf serve` reads while the CLI writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("pcf.node") / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` with Alembic (never drops data: every
    revision only adds tables, columns and indexes)."""
    from alembic import command
    from alembic.util import CommandError

    cfg = _alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except CommandError as exc:
        raise StoreError(
            shown_url(str(engine.url)),
            f"cannot upgrade the schema ({exc}); is this database from a newer pcf?",
        ) from None
    except OperationalError as exc:
        raise StoreError(shown_url(str(engine.url)), f"cannot open: {exc.orig}") from None


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the store at ``url``, upgrading its schema to the head revision first."""
    engine = _engine(url)
    if migrate:
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
    return Store(engine)


# -- the store --------------------------------------------------------------------------------
@dataclass
class PublishResult:
    """What :meth:`Store.publish` did: ``action`` is ``"new"``, ``"new version"`` or
    ``"unchanged"``; ``deprecated`` lists the ids that became Deprecated."""

    pf_id: str
    action: str
    deprecated: list[str] = field(default_factory=list)
    document: dict = field(default_factory=dict)


class Store:
    """The footprint store on one database (see the module doc). Thread-safe: every method
    runs in its own session."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.url = shown_url(str(engine.url))
        self._session = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with self._session.begin() as s:
                yield s
        except OperationalError as exc:
            raise StoreError(self.url, f"database error: {exc.orig}") from None

    # -- settings ---------------------------------------------------------------------------
    def setting(self, name: str, make) -> str:
        """The node setting ``name``, created with ``make()`` on first use."""
        with self.session() as s:
            row = s.get(Setting, name)
            if row is None:
                row = Setting(name=name, value=make())
                s.add(row)
            return row.value

    def signing_key(self) -> str:
        """The key that signs this node's access tokens (HS256), created on first use and kept
        in the database, so tokens survive restarts and every worker shares it."""
        return self.setting("jwt_signing_key", lambda: secrets.token_urlsafe(48))

    # -- API clients ------------------------------------------------------------------------
    def add_client(self, name: str) -> tuple[str, str]:
        """Create an API client; returns ``(client_id, client_secret)``. Only the hash of the
        secret is stored: it cannot be shown again."""
        name = name.strip()
        if not name:
            raise StoreError(self.url, "a client needs a non-empty name")
        client_id = f"pcf-{secrets.token_hex(8)}"
        secret = secrets.token_urlsafe(32)
        with self.session() as s:
            s.add(
                ApiClient(
                    client_id=client_id,
                    name=name[:200],
                    secret_hash=hash_secret(secret),
                    created_at=utcnow(),
                )
            )
        return client_id, secret

    def list_clients(self) -> list[dict]:
        with self.session() as s:
            rows = s.scalars(select(ApiClient).order_by(ApiClient.created_at)).all()
            return [
                {
                    "client_id": r.client_id,
                    "name": r.name,
                    "created_at": r.created_at.isoformat() + "Z",
                    "revoked_at": r.revoked_at.isoformat() + "Z" if r.revoked_at else None,
                }
                for r in rows
            ]

    def revoke_client(self, client_id: str) -> None:
        with self.session() as s:
            row = s.get(ApiClient, client_id)
            if row is None:
                raise UnknownClient(client_id)
            if row.revoked_at is None:
                row.revoked_at = utcnow()

    def check_client(self, client_id: str, secret: str) -> bool:
        """Whether the credentials are an active client's (hash compared in constant time)."""
        with self.session() as s:
            row = s.get(ApiClient, client_id)
            stored = row.secret_hash if row is not None and row.revoked_at is None else None
        if stored is None:
            check_secret(secret, hash_secret("x"))  # same work either way: no timing oracle
            return False
        return check_secret(secret, stored)

    def client_active(self, client_id: str) -> bool:
        with self.session() as s:
            row = s.get(ApiClient, client_id)
            return row is not None and row.revoked_at is None

    # -- issued footprints ------------------------------------------------------------------
    def publish(self, doc: Mapping, *, source: str = "PACT document") -> PublishResult:
        """Store a PACT ProductFootprint we issue (see the module doc for versions).

        Raises
        ------
        InvalidPCF
            The document (or the new version made from it) fails strict PACT validation.
        """
        major = validate_pact(doc, source=source, strict=True)
        doc = json.loads(json.dumps(doc))
        ident, chash = identity(doc, major), content_hash(doc)
        with self.session() as s:
            active = s.scalars(
                select(IssuedFootprint)
                .where(IssuedFootprint.identity == ident, IssuedFootprint.status == "Active")
                .order_by(IssuedFootprint.seq)
                .with_for_update()
            ).all()
            for row in active:
                if row.content_hash == chash:
                    return PublishResult(row.pf_id, "unchanged", [], json.loads(row.document))
            same_id = s.scalar(select(IssuedFootprint).where(IssuedFootprint.pf_id == doc["id"]))
            if same_id is not None:
                if same_id.content_hash == chash:
                    return PublishResult(
                        same_id.pf_id, "unchanged", [], json.loads(same_id.document)
                    )
                doc["id"] = str(uuid.uuid4())  # a changed footprint is a new id (PACT v3)
            preceding = list(doc.get("precedingPfIds") or [])
            for row in active:
                preceding += json.loads(row.document).get("precedingPfIds") or []
                preceding.append(row.pf_id)
            preceding = [p for p in dict.fromkeys(preceding) if p != doc["id"]]
            if preceding:
                doc["precedingPfIds"] = preceding
            doc["status"] = "Active"
            validate_pact(doc, major, source=source, strict=True)
            now = utcnow()
            deprecated = []
            for row in active:
                old = json.loads(row.document)
                old["status"] = "Deprecated"
                if major == "2":  # v2 keeps the time of the last change in `updated`
                    old["updated"] = now.replace(microsecond=0).isoformat() + "Z"
                validate_pact(old, major, source=f"{source} (previous version)", strict=True)
                row.status, row.document = "Deprecated", _canonical(old)
                row.updated = _naive_utc(old.get("updated"))
                deprecated.append(row.pf_id)
            s.add(self._issued_row(doc, major, ident, chash, now))
            action = "new version" if deprecated else "new"
            log.info("published %s (%s)", doc["id"], action)
            return PublishResult(doc["id"], action, deprecated, doc)

    @staticmethod
    def _issued_row(doc: dict, major: str, ident: str, chash: str, now) -> IssuedFootprint:
        pcf = doc.get("pcf") or {}
        start, end = validity(doc)
        row = IssuedFootprint(
            pf_id=doc["id"],
            spec_major=major,
            status=doc["status"],
            identity=ident,
            content_hash=chash,
            created=_naive_utc(doc.get("created")) or now,
            updated=_naive_utc(doc.get("updated")),
            reference_start=_naive_utc(pcf.get("referencePeriodStart")),
            reference_end=_naive_utc(pcf.get("referencePeriodEnd")),
            validity_start=start,
            validity_end=end,
            published_at=now,
            document=_canonical(doc),
        )
        row.keys = [FootprintKey(kind=k, value=v) for k, v in _keys(doc)]
        return row

    def get_issued(self, pf_id: str, major: str) -> str | None:
        """The JSON text of our footprint ``pf_id`` of spec ``major``, or ``None``."""
        with self.session() as s:
            return s.scalar(
                select(IssuedFootprint.document).where(
                    IssuedFootprint.pf_id == pf_id, IssuedFootprint.spec_major == major
                )
            )

    def list_issued(
        self, major: str, criteria: Criteria | None = None, offset: int = 0, limit: int = 100
    ) -> tuple[list[str], bool]:
        """One page of our footprints of spec ``major`` matching ``criteria``, oldest first:
        ``(JSON texts, whether more follow)``."""
        query = select(IssuedFootprint.document).where(IssuedFootprint.spec_major == major)
        for cond in _where(criteria or Criteria()):
            query = query.where(cond)
        query = query.order_by(IssuedFootprint.seq).offset(offset).limit(limit + 1)
        with self.session() as s:
            docs = list(s.scalars(query))
        return docs[:limit], len(docs) > limit

    def issued(self, major: str | None = None) -> list[dict]:
        """Every issued footprint (all versions) as ``{id, status, specMajor, productIds}``."""
        query = select(IssuedFootprint).order_by(IssuedFootprint.seq)
        if major:
            query = query.where(IssuedFootprint.spec_major == major)
        with self.session() as s:
            return [
                {
                    "id": r.pf_id,
                    "status": r.status,
                    "specMajor": r.spec_major,
                    "productIds": json.loads(r.document).get("productIds"),
                }
                for r in s.scalars(query)
            ]

    # -- supplier footprints ----------------------------------------------------------------
    def add_supplier_footprint(
        self, doc: Mapping, source: str, *, received_at: dt.datetime | None = None
    ) -> str:
        """Store a footprint received from ``source`` (a node's URL); returns ``"new"`` or
        ``"updated"`` (the same id from the same source replaces the earlier copy).

        Raises
        ------
        InvalidPCF
            The document fails PACT validation (read as the supplier-PCF reader does).
        """
        major = validate_pact(
            doc,
            source=f"{source}: footprint {doc.get('id')!r}" if isinstance(doc, Mapping) else source,
            strict=False,
            refuse=(BIOGENIC_IDENTITY,),
        )
        pcf = doc.get("pcf") or {}
        verification = pcf.get("verification", pcf.get("assurance"))
        start, end = validity(doc)
        values = {
            "received_at": received_at or utcnow(),
            "spec_major": major,
            "status": str(doc.get("status")),
            "company_name": str(doc.get("companyName"))[:500],
            "product_ids": _canonical(doc.get("productIds") or []),
            "validity_start": start,
            "validity_end": end,
            "verification": _canonical(verification) if verification is not None else None,
            "document": _canonical(doc),
        }
        with self.session() as s:
            row = s.scalar(
                select(SupplierFootprint).where(
                    SupplierFootprint.pf_id == str(doc["id"]), SupplierFootprint.source == source
                )
            )
            if row is None:
                s.add(SupplierFootprint(pf_id=str(doc["id"]), source=source, **values))
                return "new"
            for k, v in values.items():
                setattr(row, k, v)
            return "updated"

    def supplier_footprints(self, source: str | None = None) -> list[dict]:
        """Stored supplier footprints with their provenance, oldest first."""
        query = select(SupplierFootprint).order_by(SupplierFootprint.seq)
        if source is not None:
            query = query.where(SupplierFootprint.source == source)
        with self.session() as s:
            return [
                {
                    "id": r.pf_id,
                    "source": r.source,
                    "received_at": r.received_at.isoformat() + "Z",
                    "status": r.status,
                    "company_name": r.company_name,
                    "product_ids": json.loads(r.product_ids),
                    "validity_start": r.validity_start.isoformat() + "Z"
                    if r.validity_start
                    else None,
                    "validity_end": r.validity_end.isoformat() + "Z" if r.validity_end else None,
                    "verification": json.loads(r.verification) if r.verification else None,
                    "document": json.loads(r.document),
                }
                for r in s.scalars(query)
            ]

    # -- partners ---------------------------------------------------------------------------
    def add_partner(
        self,
        events_url: str,
        *,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        subscribed: bool = False,
    ) -> None:
        """Record (or update) a node we send events to and the credentials it gave us."""
        with self.session() as s:
            row = s.scalar(select(Partner).where(Partner.events_url == events_url))
            if row is None:
                row = Partner(events_url=events_url, created_at=utcnow(), subscribed=False)
                s.add(row)
            row.token_url, row.client_id, row.client_secret = token_url, client_id, client_secret
            row.subscribed = subscribed

    def partner(self, events_url: str) -> dict | None:
        """The partner whose events endpoint is ``events_url`` (or on the same origin)."""
        with self.session() as s:
            rows = s.scalars(select(Partner)).all()
        exact = [r for r in rows if r.events_url == events_url]
        origin = [r for r in rows if _origin(r.events_url) == _origin(events_url)]
        row = (exact or origin or [None])[0]
        return None if row is None else _partner_dict(row)

    def subscribers(self) -> list[dict]:
        with self.session() as s:
            rows = s.scalars(select(Partner).where(Partner.subscribed.is_(True))).all()
        return [_partner_dict(r) for r in rows]

    # -- data requests ----------------------------------------------------------------------
    def record_request(
        self,
        direction: str,
        event_id: str,
        source: str,
        criteria: Mapping,
        *,
        client_id: str | None = None,
        status: str = "pending",
    ) -> int:
        with self.session() as s:
            row = DataRequest(
                direction=direction,
                event_id=str(event_id)[:200],
                source=str(source)[:1000],
                client_id=client_id,
                criteria=_canonical(criteria),
                status=status,
                received_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return row.id

    def answer_request(self, request_id: int, status: str, answer: Mapping | None) -> None:
        with self.session() as s:
            s.execute(
                update(DataRequest)
                .where(DataRequest.id == request_id)
                .values(
                    status=status,
                    answered_at=utcnow(),
                    answer=_canonical(answer) if answer is not None else None,
                )
            )

    def outgoing_request(self, event_id: str) -> int | None:
        """The id of the pending request we sent as event ``event_id``, if any."""
        with self.session() as s:
            return s.scalar(
                select(DataRequest.id)
                .where(DataRequest.direction == "outgoing", DataRequest.event_id == event_id)
                .order_by(DataRequest.id.desc())
            )

    def requests(self, direction: str | None = None) -> list[dict]:
        query = select(DataRequest).order_by(DataRequest.id)
        if direction:
            query = query.where(DataRequest.direction == direction)
        with self.session() as s:
            return [
                {
                    "id": r.id,
                    "direction": r.direction,
                    "event_id": r.event_id,
                    "source": r.source,
                    "client_id": r.client_id,
                    "criteria": json.loads(r.criteria),
                    "status": r.status,
                    "received_at": r.received_at.isoformat() + "Z",
                    "answered_at": r.answered_at.isoformat() + "Z" if r.answered_at else None,
                    "answer": json.loads(r.answer) if r.answer else None,
                }
                for r in s.scalars(query)
            ]

    def counts(self) -> dict[str, int]:
        """Rows per table (for ``pcf node status`` and tests)."""
        with self.session() as s:
            return {
                model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (IssuedFootprint, SupplierFootprint, ApiClient, Partner, DataRequest)
            }

    def delete_issued(self, pf_ids: Sequence[str]) -> None:  # pragma: no cover - admin helper
        with self.session() as s:
            s.execute(delete(IssuedFootprint).where(IssuedFootprint.pf_id.in_(list(pf_ids))))


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"https:{url}" if url.startswith("//") else url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _partner_dict(row: Partner) -> dict:
    return {
        "events_url": row.events_url,
        "token_url": row.token_url,
        "client_id": row.client_id,
        "client_secret": row.client_secret,
        "subscribed": row.subscribed,
    }


def _key_match(kind: str, values: Sequence[str]):
    """Rows with a key ``kind`` among ``values``. A product id names one footprint or a few
    (its versions): ``seq IN (matching keys)`` reads just those. Company ids, geographies and
    classifications are shared by many (every footprint we issue has our company id): a
    correlated ``EXISTS`` costs one probe of the (kind, value, footprint_seq) index per listed
    row, and the listing stops after ``limit`` rows instead of first collecting every match.
    (On 100,000 footprints in SQLite: 0.3 ms and 0.5 ms for a first page, where the other form
    takes 105 ms and 530 ms.)"""
    values = list(values)
    if kind == "productid":
        return IssuedFootprint.seq.in_(
            select(FootprintKey.footprint_seq).where(
                FootprintKey.kind == kind, FootprintKey.value.in_(values)
            )
        )
    return exists().where(
        FootprintKey.footprint_seq == IssuedFootprint.seq,
        FootprintKey.kind == kind,
        FootprintKey.value.in_(values),
    )


_OPS = {
    "eq": lambda c, v: c == v,
    "lt": lambda c, v: c < v,
    "le": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "ge": lambda c, v: c >= v,
}
_STATUS = {"active": "Active", "deprecated": "Deprecated"}


def _where(c: Criteria) -> list:
    """SQLAlchemy conditions (bound parameters, no SQL text) for a :class:`Criteria`."""
    conds = []
    for kind, values in (
        ("productid", c.product_ids),
        ("companyid", c.company_ids),
        ("classification", c.classifications),
        ("geography", c.geographies),
    ):
        if values:
            conds.append(_key_match(kind, values))
    if c.statuses:  # unknown values are not errors: they match nothing
        conds.append(IssuedFootprint.status.in_([_STATUS.get(v, "") for v in c.statuses]))
    if c.valid_on is not None:
        conds += [
            IssuedFootprint.validity_start <= c.valid_on,
            IssuedFootprint.validity_end >= c.valid_on,
        ]
    if c.valid_after is not None:
        conds.append(IssuedFootprint.validity_start > c.valid_after)
    if c.valid_before is not None:
        conds.append(IssuedFootprint.validity_end < c.valid_before)
    for cond in c.conditions:
        conds.append(_condition(cond))
    return conds


def _condition(cond: Condition):
    if cond.field in ("created", "updated", "reference_start", "reference_end"):
        return _OPS[cond.op](getattr(IssuedFootprint, cond.field), cond.value)
    return _key_match(cond.field, [str(cond.value)])
