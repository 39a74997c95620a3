"""sign-in and access: accounts, sessions, networks, declarations, objections, COPI, views

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(200), nullable=True)
        batch_op.add_column(sa.Column("display_name", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("external_issuer", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("external_subject", sa.String(255), nullable=True))
        batch_op.create_unique_constraint(
            "uq_users_external_issuer_external_subject", ["external_issuer", "external_subject"]
        )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_behalf", sa.String(30), nullable=False, server_default="self")
        )
        batch_op.add_column(sa.Column("evidence_ref", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("checked_by", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("source_ods", sa.String(12), nullable=True))
        batch_op.add_column(sa.Column("external_ref", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.create_unique_constraint("uq_objections_external_ref", ["external_ref"])

    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", _BIG_ID, nullable=False),
        sa.Column("stage", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("assurance", sa.String(10), nullable=False),
        sa.Column("stepped_up_at", UTCDateTime(), nullable=True),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"])
    op.create_table(
        "org_networks",
        sa.Column("ods_code", sa.String(12), nullable=False),
        sa.Column("cidr", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ods_code"],
            ["organisations.ods_code"],
            name=op.f("fk_org_networks_ods_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("ods_code", "cidr", name=op.f("pk_org_networks")),
    )
    op.create_table(
        "access_declarations",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", _BIG_ID, nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=True),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_declarations_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_access_declarations_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_declarations")),
    )
    op.create_index(
        "ix_access_declarations_patient_id_user_id",
        "access_declarations",
        ["patient_id", "user_id"],
    )
    op.create_table(
        "copi_periods",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.Column("declared_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copi_periods")),
    )
    op.create_table(
        "record_views",
        sa.Column("user_id", _BIG_ID, nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("last_viewed_at", UTCDateTime(), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("previous_viewed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_record_views_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_record_views_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("user_id", "patient_id", name=op.f("pk_record_views")),
    )


def downgrade() -> None:
    op.drop_table("record_views")
    op.drop_table("copi_periods")
    op.drop_index("ix_access_declarations_patient_id_user_id", "access_declarations")
    op.drop_table("access_declarations")
    op.drop_table("org_networks")
    op.drop_index(op.f("ix_sessions_user_id"), "sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_constraint("uq_objections_external_ref", type_="unique")
        for name in (
            "withdrawal_reason",
            "withdrawn_by",
            "external_ref",
            "source_ods",
            "checked_by",
            "evidence_ref",
            "on_behalf",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_external_issuer_external_subject", type_="unique")
        for name in (
            "external_subject",
            "external_issuer",
            "locked_until",
            "failed_attempts",
            "totp_last_step",
            "totp_secret",
            "display_name",
        ):
            batch_op.drop_column(name)
        batch_op.alter_column("password_hash", existing_type=sa.String(200), nullable=False)
