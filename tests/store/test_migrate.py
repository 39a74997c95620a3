from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import DBAPIError

from carerecord.store import Store
from carerecord.store.migrate import current_revision, head_revision, upgrade
from carerecord.store.schema import audit_events, metadata


def test_migrations_reach_head_and_create_every_table(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    assert set(metadata.tables) <= set(inspect(store.engine).get_table_names())


def test_upgrading_twice_is_harmless(store: Store) -> None:
    upgrade(store.engine)
    assert current_revision(store.engine) == head_revision()


def test_migrated_columns_match_the_schema_module(store: Store) -> None:
    inspector = inspect(store.engine)
    for table in metadata.sorted_tables:
        in_database = {column["name"] for column in inspector.get_columns(table.name)}
        assert in_database == set(table.columns.keys()), table.name


def test_audit_log_refuses_updates_and_deletes(store: Store) -> None:
    from datetime import UTC, datetime

    with store.transaction() as conn:
        conn.execute(
            insert(audit_events).values(
                occurred_at=datetime.now(UTC),
                actor="system",
                action="test",
                outcome="ok",
                detail={},
                prev_hash="0" * 64,
                hash="1" * 64,
            )
        )
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), store.transaction() as conn:
            conn.execute(text(statement))
