"""Searching the audit log for the privacy officer and for systems: newest first, paged,
by the indexed columns (actor, organisation, patient, time, action)."""

from __future__ import annotations

from sqlalchemy import Engine, Select, func, select

from carerecord.audit.entry import StoredEntry
from carerecord.audit.query import AuditQuery
from carerecord.store.audit import COLUMNS, stored
from carerecord.store.schema import audit_events

_E = audit_events.c


def search(
    engine: Engine, query: AuditQuery, limit: int, offset: int = 0
) -> tuple[list[StoredEntry], bool]:
    """Up to `limit` entries from `offset`, newest first, and whether more follow."""
    statement = (
        _filtered(select(*COLUMNS), query)
        .order_by(_E.occurred_at.desc(), _E.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    return [stored(row) for row in rows[:limit]], len(rows) > limit


def count(engine: Engine, query: AuditQuery) -> int:
    statement = _filtered(select(func.count()).select_from(audit_events), query)
    with engine.connect() as conn:
        return int(conn.execute(statement).scalar_one())


def _filtered(statement: Select, query: AuditQuery) -> Select:  # type: ignore[type-arg]
    if query.user:
        statement = statement.where(_E.actor == query.user)
    if query.organisation:
        statement = statement.where(_E.organisation == query.organisation)
    if query.patient_id:
        statement = statement.where(_E.patient_id == query.patient_id)
    if query.start is not None:
        statement = statement.where(_E.occurred_at >= query.start)
    if query.end is not None:
        statement = statement.where(_E.occurred_at < query.end)
    if query.actions:
        statement = statement.where(_E.action.in_(query.actions))
    return statement
