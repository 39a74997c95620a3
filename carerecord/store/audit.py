"""Appending to the audit log: each entry carries the SHA-256 of the one before it.

Writers take one lock per database (an advisory lock on PostgreSQL; SQLite has one writer),
so entries from several server processes still form a single chain.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import orjson
from sqlalchemy import Connection, insert, select, text

from carerecord.store.account_records import AuditRecord
from carerecord.store.schema import audit_events

GENESIS = "0" * 64
_CHAIN_LOCK = 7_300_001  # an arbitrary, fixed advisory-lock key for the chain


def append(conn: Connection, record: AuditRecord, now: datetime) -> str:
    """Adds one entry in the caller's transaction and returns its hash."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    previous = conn.execute(
        select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev_hash = previous or GENESIS
    entry = {
        "occurred_at": now.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "patient_id": record.patient_id,
        "outcome": record.outcome,
        "detail": record.detail,
    }
    canonical = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(prev_hash.encode() + canonical).hexdigest()
    conn.execute(
        insert(audit_events).values(
            occurred_at=now,
            actor=record.actor[:100],
            action=record.action[:60],
            patient_id=record.patient_id,
            outcome=record.outcome[:20],
            detail=record.detail,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return digest
