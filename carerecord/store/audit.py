"""The audit log in the database: appending entries to the chain and reading them back.

Writers take one lock per database (an advisory lock on PostgreSQL; SQLite has one writer),
and read the previous hash under it, so entries from several server processes still form a
single chain. The chain itself (what is hashed, how it is checked) is carerecord.audit's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, text

from carerecord.audit import canonical
from carerecord.audit.entry import AuditRecord, StoredEntry, context_of
from carerecord.store.schema import audit_events

GENESIS = canonical.GENESIS
CHAIN_LOCK = 7_300_001  # an arbitrary, fixed advisory-lock key for the chain
COLUMNS = (
    audit_events.c.id,
    audit_events.c.occurred_at,
    audit_events.c.format,
    audit_events.c.actor,
    audit_events.c.action,
    audit_events.c.outcome,
    audit_events.c.patient_id,
    audit_events.c.organisation,
    audit_events.c.user_id,
    audit_events.c.role,
    audit_events.c.request_id,
    audit_events.c.detail,
    audit_events.c.prev_hash,
    audit_events.c.hash,
)


def append(conn: Connection, record: AuditRecord, now: datetime) -> str:
    """Adds one entry in the caller's transaction and returns its hash."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    previous = conn.execute(
        select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev_hash = previous or GENESIS
    requester = record.requester
    values: dict[str, Any] = {
        "occurred_at": now,
        "format": canonical.FORMAT,
        "actor": _text(record.actor, 100),
        "action": _text(record.action, 60),
        "outcome": _text(record.outcome, 20),
        "patient_id": record.patient_id,
        "organisation": _text(requester.organisation, 12) if requester else None,
        "user_id": requester.user_id if requester else None,
        "role": _text(requester.role, 30) if requester else None,
        "request_id": _text(requester.request_id, 64) if requester else None,
        "detail": canonical.storable(context_of(record)),
    }
    entry = StoredEntry(id=0, prev_hash=prev_hash, hash="", **values)
    digest = canonical.link(prev_hash, canonical.fields_of(entry))
    conn.execute(insert(audit_events).values(**values, prev_hash=prev_hash, hash=digest))
    return digest


def entries(
    engine: Engine, after_id: int = 0, batch: int = 5_000, up_to: int | None = None
) -> Iterator[StoredEntry]:
    """Every entry after `after_id` (and, given `up_to`, no later than it), in chain order,
    read in batches (bounded memory)."""
    while True:
        query = select(*COLUMNS).where(audit_events.c.id > after_id)
        if up_to is not None:
            query = query.where(audit_events.c.id <= up_to)
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(audit_events.c.id).limit(batch)).all()
        for row in rows:
            yield stored(row)  # type: ignore[arg-type]
        if len(rows) < batch:
            return
        after_id = rows[-1].id


def head(engine: Engine) -> StoredEntry | None:
    with engine.connect() as conn:
        row = conn.execute(select(*COLUMNS).order_by(audit_events.c.id.desc()).limit(1)).first()
    return stored(row) if row else None  # type: ignore[arg-type]


def entry(engine: Engine, entry_id: int) -> StoredEntry | None:
    with engine.connect() as conn:
        row = conn.execute(select(*COLUMNS).where(audit_events.c.id == entry_id)).first()
    return None if row is None else stored(row)  # type: ignore[arg-type]


def id_bounds(engine: Engine, after_id: int = 0) -> tuple[int, int] | None:
    """The lowest and highest entry ids after `after_id`, or None when there are none."""
    with engine.connect() as conn:
        low, high = conn.execute(
            select(func.min(audit_events.c.id), func.max(audit_events.c.id)).where(
                audit_events.c.id > after_id
            )
        ).one()
    return None if low is None else (int(low), int(high))


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def between(engine: Engine, start: datetime, end: datetime) -> Iterator[StoredEntry]:
    """Entries with start <= occurred_at < end, oldest first, in batches."""
    after_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(*COLUMNS)
                .where(
                    audit_events.c.occurred_at >= start,
                    audit_events.c.occurred_at < end,
                    audit_events.c.id > after_id,
                )
                .order_by(audit_events.c.id)
                .limit(2_000)
            ).all()
        yield from (stored(row) for row in rows)  # type: ignore[arg-type]
        if len(rows) < 2_000:
            return
        after_id = rows[-1].id


def stored(row: Row[Any]) -> StoredEntry:
    return StoredEntry(*row)  # type: ignore[call-arg]  # COLUMNS are in its order (tested)


def _text(value: str, limit: int) -> str:
    return value.replace("\x00", "\ufffd")[:limit]


class StoredChain:
    """Lookups into the stored log for explaining a break (carerecord.audit.verify)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def id_of_hash(self, digest: str) -> int | None:
        query = select(audit_events.c.id).where(audit_events.c.hash == digest)
        return self._one(query)

    def id_after(self, entry_id: int) -> int | None:
        query = select(func.min(audit_events.c.id)).where(audit_events.c.id > entry_id)
        return self._one(query)

    def _one(self, query: Any) -> int | None:
        with self._engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return int(found) if found is not None else None
