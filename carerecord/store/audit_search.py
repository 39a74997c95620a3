"""Searching the audit log for the privacy officer and for systems: newest first, paged,
by the indexed columns (actor, organisation, patient, time, action)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Engine, Select, false, func, or_, select

from carerecord.audit.entry import StoredEntry
from carerecord.audit.fhir_search import EventSearch
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


def events_before(
    engine: Engine, search: EventSearch, listed: Collection[str]
) -> tuple[list[StoredEntry], bool]:
    """Up to `search.count` entries matching a FHIR search, newest (highest id) first, below
    `search.before` when given; and whether more follow. Keyed on id, so a page asked for again
    holds the same entries however many were appended since. `listed` are the actions with a
    type of their own (the rest share the default type)."""
    statement = select(*COLUMNS)
    conditions: list[ColumnElement[bool]] = []
    if search.before is not None:
        conditions.append(_E.id < search.before)
    if search.start is not None:
        conditions.append(_E.occurred_at >= search.start)
    if search.end is not None:
        conditions.append(_E.occurred_at < search.end)
    if search.patient_id is not None:
        conditions.append(_E.patient_id == search.patient_id)
    if search.agent is not None:
        conditions.append(_E.actor == search.agent)
    if search.outcomes:
        conditions.append(_E.outcome.in_(search.outcomes))
    if search.actions is not None:
        either: list[ColumnElement[bool]] = []
        if search.actions.names:
            either.append(_E.action.in_(sorted(search.actions.names)))
        if search.actions.others:
            either.append(_E.action.not_in(sorted(listed)))
        conditions.append(or_(*either) if either else false())
    statement = statement.where(*conditions).order_by(_E.id.desc()).limit(search.count + 1)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    found = [stored(row) for row in rows[: search.count]]  # type: ignore[arg-type]
    return found, len(rows) > search.count
