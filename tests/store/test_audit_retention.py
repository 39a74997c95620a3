"""Audit retention on SQLite and PostgreSQL: the period can only be raised, even by SQL sent
from outside; the database deletes no entry younger than it; a purge removes only the leading
stretch of old entries, records its checkpoint and says so in the log; and the kept chain still
verifies from there, with tampering after a purge still named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from carerecord.audit.verify import Report, verify
from carerecord.errors import RetentionShortened
from carerecord.store import Store
from carerecord.store import audit as audit_log
from carerecord.store import audit_retention as retention
from carerecord.store.schema import audit_checkpoints, audit_events, audit_reviews
from tests.audit.tamper import edit, row, unguarded
from tests.support.aged_audit import NOW, OLD, RECENT, append_at, remaining
from tests.support.audit_log import entries


def kept_chain(store: Store) -> Report:
    after_id, start_hash = retention.chain_start(store.engine)
    return verify(
        audit_log.entries(store.engine, after_id, batch=3),
        audit_log.StoredChain(store.engine),
        start_hash,
    )


def raw(store: Store, statement: str) -> None:
    with store.transaction() as conn:
        conn.execute(text(statement))


# The period


def test_a_new_database_keeps_entries_for_eight_years(store: Store) -> None:
    assert retention.stored_years(store.engine) == 8


def test_the_period_can_be_raised_by_sql_but_never_lowered(store: Store) -> None:
    raw(store, "UPDATE audit_policy SET retention_years = 10")
    for statement in (
        "UPDATE audit_policy SET retention_years = 9",
        "UPDATE audit_policy SET retention_years = 1",
    ):
        with pytest.raises(DBAPIError, match="can only be raised"):
            raw(store, statement)
    assert retention.stored_years(store.engine) == 10


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_policy",
        "INSERT INTO audit_policy (id, retention_years, changed_at) "
        "VALUES (2, 1, '2026-01-01 00:00:00.000000')",
        "UPDATE audit_policy SET id = 2",
    ],
    ids=["delete", "second-row", "renumber"],
)
def test_the_policy_row_cannot_be_removed_or_doubled(store: Store, statement: str) -> None:
    with pytest.raises(DBAPIError):
        raw(store, statement)
    assert retention.stored_years(store.engine) == 8


def test_a_longer_configured_period_is_stored_and_a_shorter_one_refused(store: Store) -> None:
    assert retention.settle_policy(store.engine, 12, NOW) == 12

    with pytest.raises(RetentionShortened, match="keeps audit entries for 12 years"):
        retention.settle_policy(store.engine, 9, NOW)
    with pytest.raises(RetentionShortened, match="1 or more"):
        retention.settle_policy(store.engine, 0, NOW)
    assert retention.stored_years(store.engine) == 12


# What the database itself refuses


def test_sql_cannot_delete_an_entry_inside_the_period(store: Store) -> None:
    five_years_ago = NOW - timedelta(days=5 * 366)
    ids = append_at(store, five_years_ago, RECENT)

    for entry_id in ids:
        with pytest.raises(DBAPIError, match="append-only"):
            raw(store, f"DELETE FROM audit_events WHERE id = {entry_id}")
    with pytest.raises(DBAPIError, match="append-only"):
        raw(store, "DELETE FROM audit_events")
    assert remaining(store) == ids


def test_sql_cannot_update_even_an_expired_entry(store: Store) -> None:
    [old] = append_at(store, OLD)

    with pytest.raises(DBAPIError, match="append-only"):
        raw(store, f"UPDATE audit_events SET actor = 'x' WHERE id = {old}")


def test_raising_the_period_protects_entries_it_now_covers(store: Store) -> None:
    [old] = append_at(store, OLD)  # about 16 years ago
    raw(store, "UPDATE audit_policy SET retention_years = 30")

    with pytest.raises(DBAPIError, match="append-only"):
        raw(store, f"DELETE FROM audit_events WHERE id = {old}")


def test_checkpoints_cannot_be_changed(store: Store) -> None:
    append_at(store, OLD, RECENT)
    retention.purge_expired(store.engine, NOW, 8)

    for statement in (
        "UPDATE audit_checkpoints SET last_hash = 'x'",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            raw(store, statement)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table", ["audit_events", "audit_policy", "audit_checkpoints", "audit_reviews"]
)
def test_postgres_refuses_truncate(store: Store, table: str) -> None:
    if store.dialect != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE without WHERE is tested above)")
    append_at(store, OLD)
    with pytest.raises(DBAPIError):
        raw(store, f"TRUNCATE {table}")
    assert len(remaining(store)) == 1


# Purging


def test_the_plan_names_what_would_go_and_changes_nothing(store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)

    found = retention.plan(store.engine, NOW, 8)

    assert (found.entries, found.first_id, found.last_id) == (2, ids[0], ids[1])
    assert found.first_at == OLD and found.last_at == OLD + timedelta(days=1)
    assert remaining(store) == ids
    assert retention.chain_start(store.engine)[0] == 0


def test_a_purge_removes_only_the_leading_stretch_of_expired_entries(store: Store) -> None:
    # An old time after a recent one (a clock set back) stays: the chain is cut only at its start.
    ids = append_at(store, OLD, OLD + timedelta(days=1), OLD + timedelta(days=2), RECENT, OLD)

    found = retention.purge_expired(store.engine, NOW, 8, "operator:ops-alice")

    assert (found.entries, found.first_id, found.last_id) == (3, ids[0], ids[2])
    left = remaining(store)
    assert left[:2] == [ids[3], ids[4]] and len(left) == 3  # and the purge's own entry


def test_a_purge_records_its_checkpoint_and_an_entry_saying_what_went(store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)
    with store.engine.connect() as conn:
        last_hash = row(conn, ids[1])["hash"]

    retention.purge_expired(store.engine, NOW, 8, "operator:ops-alice")

    point = retention.checkpoint(store.engine)
    assert point is not None
    assert (point.last_id, point.last_hash, point.entries, point.retention_years) == (
        ids[1], last_hash, 2, 8,
    )  # fmt: skip
    assert retention.chain_start(store.engine) == (ids[1], last_hash)
    [said] = entries(store, "audit-purge")
    assert said["actor"] == "operator:ops-alice" and said["outcome"] == "success"
    detail = said["detail"]
    assert (detail["purged"], detail["first_id"], detail["last_id"]) == (2, ids[0], ids[1])
    assert detail["checkpoint"] == {"id": point.id, "last_id": ids[1], "last_hash": last_hash}


def test_nothing_due_is_recorded_without_a_checkpoint(store: Store) -> None:
    ids = append_at(store, RECENT)

    found = retention.purge_expired(store.engine, NOW, 8)

    assert found.entries == 0 and retention.checkpoint(store.engine) is None
    assert remaining(store)[0] == ids[0]
    [said] = entries(store, "audit-purge")
    assert said["detail"]["purged"] == 0


def test_a_purge_with_a_clock_ahead_is_refused_by_the_database(store: Store) -> None:
    ids = append_at(store, RECENT)

    with pytest.raises(RetentionShortened, match="the database refused"):
        retention.purge_expired(store.engine, NOW + timedelta(days=9 * 366), 8)
    assert remaining(store) == ids and retention.checkpoint(store.engine) is None


def test_a_shorter_period_is_refused_and_nothing_purged(store: Store) -> None:
    five_years_ago = NOW - timedelta(days=5 * 366)
    ids = append_at(store, OLD, five_years_ago)

    for attempt in (retention.plan, retention.purge_expired):
        with pytest.raises(RetentionShortened):
            attempt(store.engine, NOW, 3)
    assert remaining(store) == ids


def test_alert_reviews_of_purged_entries_go_with_them(store: Store) -> None:
    ids = append_at(store, OLD, RECENT)
    with store.transaction() as conn:
        for entry_id in ids:
            conn.execute(
                insert(audit_reviews).values(
                    rule="night-views", event_id=entry_id, outcome="justified", note="on call",
                    reviewed_by="ig.officer", reviewed_at=RECENT,
                )
            )  # fmt: skip

    found = retention.purge_expired(store.engine, NOW, 8)

    assert found.reviews == 1
    with store.engine.connect() as conn:
        left = conn.execute(select(audit_reviews.c.event_id)).scalars().all()
    assert left == [ids[1]]


def test_a_review_cannot_be_changed_or_removed_while_its_entry_is_kept(store: Store) -> None:
    [old, recent] = append_at(store, OLD, RECENT)
    with store.transaction() as conn:
        for entry_id in (old, recent):
            conn.execute(
                insert(audit_reviews).values(
                    rule="night-views", event_id=entry_id, outcome="justified", note="on call",
                    reviewed_by="ig.officer", reviewed_at=RECENT,
                )
            )  # fmt: skip

    for statement in (
        "UPDATE audit_reviews SET outcome = 'escalated'",
        f"UPDATE audit_reviews SET note = 'x' WHERE event_id = {old}",
        f"DELETE FROM audit_reviews WHERE event_id = {recent}",
        "DELETE FROM audit_reviews",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            raw(store, statement)
    with store.engine.connect() as conn:
        assert len(conn.execute(select(audit_reviews)).all()) == 2


def test_purging_twice_carries_the_chain_on_from_the_newer_checkpoint(store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)
    retention.purge_expired(store.engine, NOW, 8)
    raw(store, "UPDATE audit_policy SET retention_years = 9")

    second = retention.purge_expired(store.engine, NOW, 9)

    assert second.entries == 0
    assert retention.chain_start(store.engine)[0] == ids[1]
    assert kept_chain(store).ok


# Verifying what is kept


def test_the_kept_chain_verifies_from_the_checkpoint(store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT, RECENT + timedelta(hours=1))

    retention.purge_expired(store.engine, NOW, 8)

    report = kept_chain(store)
    assert report.ok and report.checked == 3  # two kept, and the purge's own entry
    assert retention.start_problem(store.engine) is None
    assert remaining(store)[:2] == ids[2:]


def test_an_entry_altered_after_a_purge_is_still_named(store: Store) -> None:
    ids = append_at(store, OLD, RECENT, RECENT + timedelta(hours=1), RECENT + timedelta(hours=2))
    retention.purge_expired(store.engine, NOW, 8)

    edit(store, ids[2], patient_id="someone-else")

    report = kept_chain(store)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.kind) == (ids[2], "altered")


def test_an_altered_checkpoint_is_named(store: Store) -> None:
    append_at(store, OLD, RECENT)
    retention.purge_expired(store.engine, NOW, 8)
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_checkpoints_no_update")
        conn.execute(update(audit_checkpoints).values(last_hash="e" * 64))

    problem = retention.start_problem(store.engine)

    assert problem is not None and problem.kind == "checkpoint"
    assert "was altered: it no longer matches entry #" in problem.message
    assert not kept_chain(store).ok  # and the first kept entry no longer links to it


def test_an_entry_put_back_before_the_checkpoint_is_named(store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)
    with store.engine.connect() as conn:
        gone = row(conn, ids[0])
    retention.purge_expired(store.engine, NOW, 8)

    with unguarded(store) as conn:
        conn.execute(insert(audit_events).values(**gone))

    problem = retention.start_problem(store.engine)

    assert problem is not None and problem.entry_id == ids[0]
    assert f"entry #{ids[0]} is older than the purge" in problem.message
    assert f"up to #{ids[1]}" in problem.message


def test_downgrading_restores_the_log_that_refuses_every_delete(store: Store) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from carerecord.store.migrate import _config, upgrade

    [old] = append_at(store, OLD)
    with store.engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")

    assert "audit_policy" not in inspect(store.engine).get_table_names()
    with pytest.raises(DBAPIError, match="append-only"):
        raw(store, f"DELETE FROM audit_events WHERE id = {old}")
    upgrade(store.engine)
    assert retention.stored_years(store.engine) == 8
    raw(store, f"DELETE FROM audit_events WHERE id = {old}")  # expired: allowed again
    assert remaining(store) == []
