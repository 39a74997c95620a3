"""Reading the audit log back in tests: every entry, oldest first, as plain dicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from carerecord.store import Store
from carerecord.store.schema import audit_events


def entries(store: Store, action: str | None = None) -> list[dict[str, Any]]:
    """The audit entries written so far (only those of `action`, when given)."""
    query = select(audit_events).order_by(audit_events.c.id)
    if action is not None:
        query = query.where(audit_events.c.action == action)
    with store.engine.connect() as conn:
        return [_unwrapped(dict(row._mapping)) for row in conn.execute(query)]


def _unwrapped(entry: dict[str, Any]) -> dict[str, Any]:
    """The event's own detail as `detail`; everything the log keeps about it as `context`."""
    context = entry["detail"]
    return {**entry, "detail": context.get("detail", context), "context": context}


def refuse_audit_writes(store: Store) -> None:
    """The database itself refuses every new audit entry (as a full disk or a revoked grant
    would): a trigger, on each engine in its own dialect."""
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION no_audit()"
            )
