"""The footprints we issue and the API clients allowed to read them.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "issued_footprints",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pf_id", sa.String(64), nullable=False, unique=True),
        sa.Column("spec_major", sa.String(1), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=True),
        sa.Column("reference_start", sa.DateTime(), nullable=True),
        sa.Column("reference_end", sa.DateTime(), nullable=True),
        sa.Column("validity_start", sa.DateTime(), nullable=True),
        sa.Column("validity_end", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    )
    op.create_index("ix_issued_footprints_identity", "issued_footprints", ["identity"])
    op.create_index("ix_issued_major_seq", "issued_footprints", ["spec_major", "seq"])
    op.create_table(
        "footprint_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "footprint_seq",
            sa.Integer(),
            sa.ForeignKey("issued_footprints.seq", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
    )
    op.create_index(
        "ix_footprint_keys_kind_value", "footprint_keys", ["kind", "value", "footprint_seq"]
    )
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_clients")
    op.drop_index("ix_footprint_keys_kind_value", "footprint_keys")
    op.drop_table("footprint_keys")
    op.drop_index("ix_issued_major_seq", "issued_footprints")
    op.drop_index("ix_issued_footprints_identity", "issued_footprints")
    op.drop_table("issued_footprints")
    op.drop_table("node_settings")
