"""audit format 2: who (user, role, organisation) and the request id as indexed columns; the
privacy officer's reviews of alerts

Columns are added in place, not by copying the table: a copy would drop the triggers that
keep the log append-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 20:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "audit_events", sa.Column("format", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("audit_events", sa.Column("organisation", sa.String(length=12), nullable=True))
    op.add_column("audit_events", sa.Column("user_id", _ID, nullable=True))
    op.add_column("audit_events", sa.Column("role", sa.String(length=30), nullable=True))
    op.add_column("audit_events", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_audit_events_organisation"), "audit_events", ["organisation"])
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.create_index("ix_audit_events_actor_occurred_at", "audit_events", ["actor", "occurred_at"])
    op.create_table(
        "audit_reviews",
        sa.Column("id", _ID, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["audit_events.id"], name=op.f("fk_audit_reviews_event_id_audit_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_reviews")),
    )
    op.create_index("ix_audit_reviews_rule_event", "audit_reviews", ["rule", "event_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_reviews_rule_event", table_name="audit_reviews")
    op.drop_table("audit_reviews")
    op.drop_index("ix_audit_events_actor_occurred_at", table_name="audit_events")
    op.drop_index("ix_audit_events_occurred_at", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_organisation"), table_name="audit_events")
    for column in ("request_id", "role", "user_id", "organisation", "format"):
        op.drop_column("audit_events", column)
