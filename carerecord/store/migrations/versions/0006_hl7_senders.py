"""hl7 senders: which peers may send HL7 v2 as which organisations; each applied message's
content hash (a re-sent control id must match it) and the peer that sent it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hl7_senders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ods_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("credential", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ods_code"],
            ["organisations.ods_code"],
            name=op.f("fk_hl7_senders_ods_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hl7_senders")),
        sa.UniqueConstraint(
            "kind", "credential", "ods_code", name=op.f("uq_hl7_senders_kind_credential_ods_code")
        ),
    )
    with op.batch_alter_table("hl7_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("peer", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hl7_messages", schema=None) as batch_op:
        batch_op.drop_column("peer")
        batch_op.drop_column("content_hash")
    op.drop_table("hl7_senders")
