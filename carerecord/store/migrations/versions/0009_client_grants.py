"""client grants: the scopes each source system holds; every client registered before now
keeps the push scopes it had (any client could push)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 05:45:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Written out, not imported: a migration must mean the same thing whatever the code says later.
_PUSH_SCOPES = ("system/*.write", "system/*.cud")


def upgrade() -> None:
    grants = op.create_table(
        "client_grants",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["source_clients.client_id"],
            name=op.f("fk_client_grants_client_id_source_clients"),
        ),
        sa.PrimaryKeyConstraint("client_id", "scope", name=op.f("pk_client_grants")),
    )
    clients = sa.table("source_clients", sa.column("client_id", sa.String()))
    held = [row.client_id for row in op.get_bind().execute(sa.select(clients.c.client_id))]
    now = datetime.now(UTC)
    rows = [
        {"client_id": client_id, "scope": scope, "granted_at": now, "granted_by": "migration"}
        for client_id in held
        for scope in _PUSH_SCOPES
    ]
    if rows:
        op.bulk_insert(grants, rows)


def downgrade() -> None:
    op.drop_table("client_grants")
