"""Quarantine: everything not stored is kept whole with its reason; seeing it again is counted."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, update

from carerecord.store.records import QuarantinedEntry, QuarantineItem
from carerecord.store.schema import quarantine
from carerecord.store.upsert import insert_for


def quarantine_items(conn: Connection, items: Sequence[QuarantineItem], now: datetime) -> None:
    if not items:
        return
    rows = {}
    for item in items:
        raw_hash = hashlib.sha256(
            f"{item.source_ods}\n{item.reason_code}\n{item.raw}".encode()
        ).hexdigest()
        row = {
            "first_seen_at": now,
            "last_seen_at": now,
            "times_seen": 1,
            "source_ods": item.source_ods[:12] if item.source_ods else None,  # may be any text
            "input_format": item.input_format,
            "location": item.location[:500],
            "reason_code": item.reason_code,
            "reason": item.reason,
            "resource_type": (item.resource_type or "")[:40] or None,
            "source_id": (item.source_id or "")[:64] or None,
            "raw": item.raw,
            "raw_hash": raw_hash,
            "status": "open",
        }
        # Whatever a sender sent must fit: PostgreSQL text cannot hold NUL, so it is kept as
        # U+FFFD (the hash above is of the input as received).
        rows[raw_hash] = {
            k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in row.items()
        }
    statement = insert_for(conn, quarantine)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["raw_hash"],
            set_={
                "last_seen_at": statement.excluded.last_seen_at,
                "times_seen": quarantine.c.times_seen + 1,
                "location": statement.excluded.location,
                "status": "open",  # seen again after being resolved: the cause is back
            },
        ),
        list(rows.values()),
    )


def entries(
    conn: Connection,
    status: str | None,
    reason_code: str | None,
    source_ods: str | None,
    limit: int,
) -> list[QuarantinedEntry]:
    query = select(*_ENTRY_COLUMNS).order_by(quarantine.c.id).limit(limit)
    if status is not None:
        query = query.where(quarantine.c.status == status)
    if reason_code is not None:
        query = query.where(quarantine.c.reason_code == reason_code)
    if source_ods is not None:
        query = query.where(quarantine.c.source_ods == source_ods)
    return [QuarantinedEntry(**row._mapping) for row in conn.execute(query)]


def entry(conn: Connection, entry_id: int) -> QuarantinedEntry | None:
    row = conn.execute(select(*_ENTRY_COLUMNS).where(quarantine.c.id == entry_id)).first()
    return QuarantinedEntry(**row._mapping) if row is not None else None


def resolve(conn: Connection, entry_id: int, resolution: str, now: datetime) -> None:
    conn.execute(
        update(quarantine)
        .where(quarantine.c.id == entry_id)
        .values(status="resolved", resolved_at=now, resolution=resolution)
    )


_ENTRY_COLUMNS = (
    quarantine.c.id,
    quarantine.c.first_seen_at,
    quarantine.c.last_seen_at,
    quarantine.c.times_seen,
    quarantine.c.source_ods,
    quarantine.c.input_format,
    quarantine.c.location,
    quarantine.c.reason_code,
    quarantine.c.reason,
    quarantine.c.resource_type,
    quarantine.c.source_id,
    quarantine.c.raw,
    quarantine.c.status,
    quarantine.c.resolved_at,
    quarantine.c.resolution,
)
