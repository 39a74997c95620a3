from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from carerecord.store import Store
from carerecord.store.migrate import _config, current_revision, head_revision, upgrade
from carerecord.store.schema import audit_events, client_grants, metadata, source_clients
from tests.factories import make_org, register


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


def test_clients_registered_before_grants_keep_their_push_scopes(store: Store) -> None:
    """0009 grants every client it finds the push scopes: before it, any client could push."""
    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    register(store, make_org("F83004"))
    with store.transaction() as conn:
        conn.execute(
            insert(source_clients).values(
                client_id="old-client",
                source_ods="F83004",
                name="EMIS Web",
                jwks='{"keys": []}',
                registered_at=datetime.now(UTC),
                disabled=False,
            )
        )

    upgrade(store.engine)

    with store.engine.connect() as conn:
        held = conn.execute(select(client_grants.c.client_id, client_grants.c.scope)).all()
    assert sorted(tuple(row) for row in held) == [
        ("old-client", "system/*.cud"),
        ("old-client", "system/*.write"),
    ]
