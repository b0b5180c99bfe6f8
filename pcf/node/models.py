"""The tables of the footprint store (SQLAlchemy 2 declarative models).

The schema itself is owned by the Alembic revisions in ``pcf/node/migrations/versions``; these
models describe the head revision for the code that reads and writes it
(``tests/test_node_store.py`` checks the two agree). Times are naive UTC ``DateTime`` values (the
same on SQLite and PostgreSQL); documents are stored as the JSON text we serve, so a listing
concatenates them without re-encoding.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ApiClient",
    "Base",
    "DataRequest",
    "FootprintKey",
    "IssuedFootprint",
    "Partner",
    "PortalFile",
    "PortalProduct",
    "PortalRequest",
    "PortalRollup",
    "PortalSupplier",
    "PortalUser",
    "Setting",
    "SupplierFootprint",
]


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Node-wide values created on first start (the token signing key)."""

    __tablename__ = "node_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class IssuedFootprint(Base):
    """A ProductFootprint we issue: every version, Active or Deprecated.

    ``seq`` orders listings (stable pagination); ``identity`` is what makes two documents "the
    same footprint" (product ids, company ids, geography: see :func:`pcf.node.store.identity`),
    ``content_hash`` what makes them equal (the document without id, status, timestamps and
    precedingPfIds).
    """

    __tablename__ = "issued_footprints"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pf_id: Mapped[str] = mapped_column(String(64), unique=True)
    spec_major: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(16))
    identity: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(DateTime)
    updated: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reference_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reference_end: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    validity_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    validity_end: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime)
    document: Mapped[str] = mapped_column(Text)
    keys: Mapped[list[FootprintKey]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (Index("ix_issued_major_seq", "spec_major", "seq"),)


class FootprintKey(Base):
    """One filterable value of an issued footprint, lower-cased (the v3 filters match
    case-insensitively): ``kind`` is productid, companyid, classification, geography or cpc."""

    __tablename__ = "footprint_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    footprint_seq: Mapped[int] = mapped_column(
        ForeignKey("issued_footprints.seq", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(512))

    __table_args__ = (Index("ix_footprint_keys_kind_value", "kind", "value", "footprint_seq"),)


class ApiClient(Base):
    """A data recipient allowed to call our API; the secret is kept as a salted scrypt hash."""

    __tablename__ = "api_clients"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SupplierFootprint(Base):
    """A footprint a supplier sent us (pulled or received in an event), with its provenance."""

    __tablename__ = "supplier_footprints"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pf_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    spec_major: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(16))
    company_name: Mapped[str] = mapped_column(String(500))
    product_ids: Mapped[str] = mapped_column(Text)
    validity_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    validity_end: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    verification: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("pf_id", "source", name="uq_supplier_pf_source"),)


class Partner(Base):
    """Another node we send events to: its events endpoint, the credentials it gave us for its
    token endpoint, and whether it subscribed to our PublishedEvents."""

    __tablename__ = "partners"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    events_url: Mapped[str] = mapped_column(String(1000), unique=True)
    token_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    client_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_secret: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DataRequest(Base):
    """A data request: ``incoming`` (a RequestCreated event a client sent us, and our answer),
    ``outgoing`` (one we sent, and the supplier's answer) or ``published`` (a PublishedEvent
    notice received)."""

    __tablename__ = "data_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(1000))
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    criteria: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)


# -- the supplier carbon portal (pcf.portal; revision 0003) ------------------------------------
class PortalUser(Base):
    """A person signed in to the portal: ``role`` is viewer, buyer or admin; the password is
    kept as an argon2id hash (argon2-cffi's PHC string); ``lang`` is ``en`` or ``zh``."""

    __tablename__ = "portal_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class PortalProduct(Base):
    """A product of the portfolio: its BOM file as uploaded (CSV or xlsx bytes, base64 text)."""

    __tablename__ = "portal_products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PortalFile(Base):
    """A supplier-PCF file attached to a product (PACT JSON or a PCF table), as uploaded."""

    __tablename__ = "portal_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("portal_products.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PortalRollup(Base):
    """A computed roll-up of a product (its figures as JSON), newest last."""

    __tablename__ = "portal_rollups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("portal_products.id", ondelete="CASCADE"), index=True
    )
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    on_date: Mapped[str] = mapped_column(String(10))
    result: Mapped[str] = mapped_column(Text)


class PortalSupplier(Base):
    """What the purchasing team records about a supplier: engagement status, contact, node."""

    __tablename__ = "portal_suppliers"
    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    engagement: Mapped[str] = mapped_column(String(32))
    contact: Mapped[str | None] = mapped_column(String(500), nullable=True)
    events_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PortalRequest(Base):
    """A PCF request to a supplier: sent as a PACT RequestCreated event (``data_request_id``
    links the exchange record) or as a letter; its due date and status."""

    __tablename__ = "portal_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    supplier: Mapped[str] = mapped_column(String(500), index=True)
    part: Mapped[str | None] = mapped_column(String(500), nullable=True)
    product_ids: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data_request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


# -- the supplier carbon portal, second part (revision 0004) -----------------------------------
class PortalPlan(Base):
    """A reduction plan saved by a buyer: the target, the levers table it was solved on (CSV
    text) and the solved and verified result (JSON), to compare plans side by side."""

    __tablename__ = "portal_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("portal_products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(100))
    levers: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PortalScenarioSet(Base):
    """A saved scenario set (the YAML/JSON of :func:`supply_chain.scenarios.load_scenarios`)."""

    __tablename__ = "portal_scenario_sets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
