"""An audit log with entries of chosen ages, for retention tests: appended at explicit times
rather than waited for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from carerecord.audit.entry import AuditRecord
from carerecord.store import Store
from carerecord.store import audit as audit_log
from carerecord.store.schema import audit_events

NOW = datetime.now(UTC)
OLD = datetime(2011, 3, 1, 9, 0, tzinfo=UTC)  # long past any retention period
RECENT = NOW - timedelta(days=30)


def append_at(store: Store, *times: datetime) -> list[int]:
    """One view entry at each time, in that order (so in chain order); their ids."""
    for n, when in enumerate(times):
        record = AuditRecord("nurse.ng", "view-record", "success", {"n": n}, f"patient-{n}")
        with store.engine.begin() as conn:
            audit_log.append(conn, record, when)
    return remaining(store)[-len(times) :]


def remaining(store: Store) -> list[int]:
    """The ids of every entry still in the log, in order."""
    with store.engine.connect() as conn:
        return list(conn.execute(select(audit_events.c.id).order_by(audit_events.c.id)).scalars())
