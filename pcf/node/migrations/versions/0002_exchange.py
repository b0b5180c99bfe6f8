"""Exchange with other nodes: supplier footprints received, partners (event endpoints,
credentials, subscriptions) and data requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_footprints",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pf_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("spec_major", sa.String(1), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("company_name", sa.String(500), nullable=False),
        sa.Column("product_ids", sa.Text(), nullable=False),
        sa.Column("validity_start", sa.DateTime(), nullable=True),
        sa.Column("validity_end", sa.DateTime(), nullable=True),
        sa.Column("verification", sa.Text(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.UniqueConstraint("pf_id", "source", name="uq_supplier_pf_source"),
    )
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("events_url", sa.String(1000), nullable=False, unique=True),
        sa.Column("token_url", sa.String(1000), nullable=True),
        sa.Column("client_id", sa.String(200), nullable=True),
        sa.Column("client_secret", sa.String(500), nullable=True),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
    )
    op.create_index("ix_data_requests_event_id", "data_requests", ["event_id"])


def downgrade() -> None:
    op.drop_index("ix_data_requests_event_id", "data_requests")
    op.drop_table("data_requests")
    op.drop_table("partners")
    op.drop_table("supplier_footprints")
