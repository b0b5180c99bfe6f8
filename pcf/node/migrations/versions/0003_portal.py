"""The supplier carbon portal (pcf.portal): users, products and their supplier-PCF files,
computed roll-ups, supplier engagement and PCF requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "portal_products",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "portal_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey("portal_products.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_portal_files_product_id", "portal_files", ["product_id"])
    op.create_table(
        "portal_rollups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey("portal_products.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("on_date", sa.String(10), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
    )
    op.create_index("ix_portal_rollups_product_id", "portal_rollups", ["product_id"])
    op.create_table(
        "portal_suppliers",
        sa.Column("name", sa.String(500), primary_key=True),
        sa.Column("engagement", sa.String(32), nullable=False),
        sa.Column("contact", sa.String(500), nullable=True),
        sa.Column("events_url", sa.String(1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "portal_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("supplier", sa.String(500), nullable=False),
        sa.Column("part", sa.String(500), nullable=True),
        sa.Column("product_ids", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("event_id", sa.String(200), nullable=True),
        sa.Column("data_request_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_portal_requests_supplier", "portal_requests", ["supplier"])


def downgrade() -> None:
    op.drop_index("ix_portal_requests_supplier", "portal_requests")
    op.drop_table("portal_requests")
    op.drop_table("portal_suppliers")
    op.drop_index("ix_portal_rollups_product_id", "portal_rollups")
    op.drop_table("portal_rollups")
    op.drop_index("ix_portal_files_product_id", "portal_files")
    op.drop_table("portal_files")
    op.drop_table("portal_products")
    op.drop_table("portal_users")
