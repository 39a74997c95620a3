"""Quarantine: everything not stored is kept whole with its reason; seeing it again is counted."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from carerecord.store.records import QuarantineItem
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
        rows[raw_hash] = {
            "first_seen_at": now,
            "last_seen_at": now,
            "times_seen": 1,
            "source_ods": item.source_ods,
            "input_format": item.input_format,
            "location": item.location[:500],
            "reason_code": item.reason_code,
            "reason": item.reason,
            "resource_type": item.resource_type,
            "source_id": (item.source_id or "")[:64] or None,
            "raw": item.raw,
            "raw_hash": raw_hash,
            "status": "open",
        }
    statement = insert_for(conn, quarantine)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["raw_hash"],
            set_={
                "last_seen_at": statement.excluded.last_seen_at,
                "times_seen": quarantine.c.times_seen + 1,
                "location": statement.excluded.location,
            },
        ),
        list(rows.values()),
    )
