"""Tampering with the audit log as someone with database access would: the append-only
triggers dropped first, then rows edited, deleted, renumbered or added by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from carerecord.audit import canonical
from carerecord.audit.entry import AuditRecord, Requester, StoredEntry
from carerecord.store import Store
from carerecord.store import audit as audit_log
from carerecord.store.schema import audit_events

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NURSE = Requester(7, "nurse.ng", "Nurse Ng", "clinician", "RAL", "acute", "North Central London",
                  "AAL2", "10.1.2.3", "Firefox", "req-1")  # fmt: skip


def write_entries(store: Store, count: int) -> list[int]:
    """`count` entries, a minute apart, each a view of a different person; their ids."""
    for n in range(count):
        record = AuditRecord(
            "nurse.ng", "view-record", "success", {"n": n}, f"patient-{n}", NURSE,
            purpose="direct-care", relationship="recent-encounter",
        )  # fmt: skip
        with store.engine.begin() as conn:
            audit_log.append(conn, record, START + timedelta(minutes=n))
    return spread(store)


def spread(store: Store) -> list[int]:
    """Renumbers the entries 10, 20, 30... (order kept), leaving room to slip one in."""
    with unguarded(store) as conn:
        conn.execute(update(audit_events).values(id=-audit_events.c.id))
        conn.execute(update(audit_events).values(id=-audit_events.c.id * 10))
        if conn.dialect.name == "postgresql":  # new entries carry on after the highest id
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), "
                "(SELECT max(id) FROM audit_events))"
            )
        return list(conn.execute(select(audit_events.c.id).order_by(audit_events.c.id)).scalars())


@contextmanager
def unguarded(store: Store) -> Iterator[Connection]:
    """A transaction with the append-only triggers out of the way (put back afterwards)."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            yield conn
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
            return
        guards = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_events'"
        ).all()
        for name, _ in guards:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        yield conn
        for _, sql in guards:  # exactly as the migrations made them
            conn.exec_driver_sql(sql)


def row(conn: Connection, entry_id: int) -> dict[str, Any]:
    found = conn.execute(select(audit_events).where(audit_events.c.id == entry_id)).one()
    return dict(found._mapping)


def edit(store: Store, entry_id: int, **values: Any) -> None:
    with unguarded(store) as conn:
        conn.execute(update(audit_events).where(audit_events.c.id == entry_id).values(**values))


def remove(store: Store, entry_id: int) -> None:
    with unguarded(store) as conn:
        conn.execute(delete(audit_events).where(audit_events.c.id == entry_id))


def swap(store: Store, first: int, second: int) -> None:
    """Two entries change places in the order (their ids exchanged)."""
    with unguarded(store) as conn:
        spare = 10_000_000
        for old, new in ((first, spare), (second, first), (spare, second)):
            conn.execute(update(audit_events).where(audit_events.c.id == old).values(id=new))


def insert_between(store: Store, after: int, new_id: int, chained: bool) -> None:
    """A made-up entry given an id between two real ones; `chained`: its hash properly made
    from the entry before it, as a careful forger would."""
    with unguarded(store) as conn:
        before = row(conn, after)
        values = {k: v for k, v in before.items() if k not in ("id", "prev_hash", "hash")}
        values["detail"] = {**before["detail"], "detail": {"forged": True}}
        values["occurred_at"] = before["occurred_at"] + timedelta(seconds=1)
        prev = before["hash"] if chained else "f" * 64
        fields = canonical.fields_of(StoredEntry(id=new_id, prev_hash=prev, hash="", **values))
        digest = canonical.link(prev, fields)
        conn.execute(insert(audit_events).values(id=new_id, prev_hash=prev, hash=digest, **values))
