"""feeds: HL7 message log, exclusion log, source clients and tokens, local ids, merges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Which of the source's local patient ids a resource arrived under: merges move by it.
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_local_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_resources_source_ods_patient_local_id",
            ["source_ods", "patient_local_id"],
            unique=False,
        )
    with op.batch_alter_table("patient_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("merged_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        batch_op.create_index("ix_quarantine_status_reason_code", ["status", "reason_code"])

    op.create_table(
        "hl7_messages",
        sa.Column("source_ods", sa.String(length=12), nullable=False),
        sa.Column("control_id", sa.String(length=199), nullable=False),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("ack_code", sa.String(length=2), nullable=False),
        sa.Column("ack", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source_ods", "control_id", name=op.f("pk_hl7_messages")),
    )
    op.create_table(
        "exclusions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_ods", sa.String(length=12), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusions")),
        sa.UniqueConstraint(
            "source_ods",
            "resource_type",
            "source_id",
            name=op.f("uq_exclusions_source_ods_resource_type_source_id"),
        ),
    )
    op.create_table(
        "source_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("source_ods", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("jwks", sa.Text(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_ods"],
            ["organisations.ods_code"],
            name=op.f("fk_source_clients_source_ods_organisations"),
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_source_clients")),
    )
    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["source_clients.client_id"],
            name=op.f("fk_access_tokens_client_id_source_clients"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_access_tokens")),
    )
    op.create_table(
        "client_assertions",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_client_assertions")),
    )


def downgrade() -> None:
    op.drop_table("client_assertions")
    op.drop_table("access_tokens")
    op.drop_table("source_clients")
    op.drop_table("exclusions")
    op.drop_table("hl7_messages")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_status_reason_code")
        batch_op.drop_column("resolution")
    with op.batch_alter_table("patient_links", schema=None) as batch_op:
        batch_op.drop_column("merged_at")
        batch_op.drop_column("merged_into")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_source_ods_patient_local_id")
        batch_op.drop_column("patient_local_id")
