"""oidc states: sign-ins waiting for the OpenID Connect provider's answer

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_states",
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oidc_states")),
    )
    op.create_index(op.f("ix_oidc_states_created_at"), "oidc_states", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_states_created_at"), table_name="oidc_states")
    op.drop_table("oidc_states")
