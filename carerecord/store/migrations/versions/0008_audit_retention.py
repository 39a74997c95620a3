"""audit retention: a retention period that can only be raised, deletes of audit entries older
than it (and nothing else), alert reviews kept as long as the entries they review, and
checkpoints from which the kept chain is verified

The guards are triggers, so they hold for any SQL sent to the database, not only carerecord's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 05:40:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from carerecord.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIRST_YEARS = 8  # the default of CARERECORD_AUDIT_RETENTION_YEARS; raised later if set higher

_EXPIRED_SQLITE = (
    "OLD.occurred_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || "
    "(SELECT retention_years FROM audit_policy WHERE id = 1) || ' years')"
)
# A review goes only with its entry: the entry's time is the one held to the period.
_REVIEWED_EXPIRED_SQLITE = _EXPIRED_SQLITE.replace(
    "OLD.occurred_at", "(SELECT occurred_at FROM audit_events WHERE id = OLD.event_id)"
)
_PG_FUNCTIONS = {
    "audit_events_guard_delete": (
        "BEGIN IF (OLD.occurred_at < (now() AT TIME ZONE 'UTC') - make_interval(years => "
        "(SELECT retention_years FROM audit_policy WHERE id = 1))) IS NOT TRUE THEN "
        "RAISE EXCEPTION 'audit_events is append-only: only entries older than the retention "
        "period may be deleted'; END IF; RETURN OLD; END"
    ),
    "audit_policy_guard": (
        "BEGIN IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION 'audit_policy cannot be removed'; "
        "END IF; IF NEW.retention_years < OLD.retention_years OR NEW.id <> OLD.id THEN "
        "RAISE EXCEPTION 'audit_policy: the retention period can only be raised'; END IF; "
        "RETURN NEW; END"
    ),
    "audit_reviews_guard": (
        "BEGIN IF TG_OP <> 'DELETE' OR ((SELECT occurred_at FROM audit_events WHERE id = "
        "OLD.event_id) < (now() AT TIME ZONE 'UTC') - make_interval(years => (SELECT "
        "retention_years FROM audit_policy WHERE id = 1))) IS NOT TRUE THEN RAISE EXCEPTION "
        "'audit_reviews is append-only: a review goes only with its expired entry'; END IF; "
        "RETURN OLD; END"
    ),
    "audit_checkpoints_refuse_change": (
        "BEGIN RAISE EXCEPTION 'audit_checkpoints is append-only'; END"
    ),
}
_PG_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    "CREATE TRIGGER audit_events_expired_delete BEFORE DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_guard_delete()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()",
    "CREATE TRIGGER audit_policy_raise_only BEFORE UPDATE OR DELETE ON audit_policy "
    "FOR EACH ROW EXECUTE FUNCTION audit_policy_guard()",
    "CREATE TRIGGER audit_policy_no_truncate BEFORE TRUNCATE ON audit_policy "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_policy_guard()",
    "CREATE TRIGGER audit_reviews_append_only BEFORE UPDATE OR DELETE ON audit_reviews "
    "FOR EACH ROW EXECUTE FUNCTION audit_reviews_guard()",
    "CREATE TRIGGER audit_reviews_no_truncate BEFORE TRUNCATE ON audit_reviews "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_reviews_guard()",
    "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints "
    "FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change()",
    "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change()",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    f"WHEN NOT coalesce({_EXPIRED_SQLITE}, 0) BEGIN SELECT RAISE(ABORT, "
    "'audit_events is append-only: only entries older than the retention period may be "
    "deleted'); END",
    "CREATE TRIGGER audit_policy_raise_only BEFORE UPDATE ON audit_policy "
    "WHEN NEW.retention_years < OLD.retention_years OR NEW.id <> OLD.id BEGIN SELECT "
    "RAISE(ABORT, 'audit_policy: the retention period can only be raised'); END",
    "CREATE TRIGGER audit_policy_no_delete BEFORE DELETE ON audit_policy "
    "BEGIN SELECT RAISE(ABORT, 'audit_policy cannot be removed'); END",
    "CREATE TRIGGER audit_reviews_no_update BEFORE UPDATE ON audit_reviews "
    "BEGIN SELECT RAISE(ABORT, 'audit_reviews is append-only'); END",
    "CREATE TRIGGER audit_reviews_no_delete BEFORE DELETE ON audit_reviews "
    f"WHEN NOT coalesce({_REVIEWED_EXPIRED_SQLITE}, 0) BEGIN SELECT RAISE(ABORT, "
    "'audit_reviews is append-only: a review goes only with its expired entry'); END",
    "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
    "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints "
    "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
)


def upgrade() -> None:
    policy = op.create_table(
        "audit_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_policy_one_row")),
        sa.CheckConstraint("retention_years >= 1", name=op.f("ck_audit_policy_years")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_policy")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", _ID, nullable=False),
        sa.Column("purged_at", UTCDateTime(), nullable=False),
        sa.Column("last_id", _ID, nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.bulk_insert(
        policy,
        [{"id": 1, "retention_years": FIRST_YEARS, "changed_at": datetime.now(UTC)}],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        for name, body in _PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ {body} $$ LANGUAGE plpgsql")
        for statement in _PG_TRIGGERS:
            op.execute(statement)
        return
    op.execute("DROP TRIGGER audit_events_no_delete")
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Back to 0007: audit_events refuses every UPDATE and DELETE again."""
    if op.get_bind().dialect.name == "postgresql":
        for table, trigger in (
            ("audit_events", "audit_events_no_update"),
            ("audit_events", "audit_events_expired_delete"),
            ("audit_events", "audit_events_no_truncate"),
            ("audit_reviews", "audit_reviews_append_only"),
            ("audit_reviews", "audit_reviews_no_truncate"),
        ):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()"
        )
    else:
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute("DROP TRIGGER audit_reviews_no_update")
        op.execute("DROP TRIGGER audit_reviews_no_delete")
        op.execute(
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
    op.drop_table("audit_checkpoints")  # their own triggers go with them
    op.drop_table("audit_policy")
    if op.get_bind().dialect.name == "postgresql":
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
