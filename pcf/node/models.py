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
