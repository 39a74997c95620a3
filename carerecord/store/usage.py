"""The usage figures counted in the database: GROUP BY over audit_events, never a row per entry
brought back. Which entries count and what the figures mean is carerecord.audit.usage's.

Months are UK calendar months: each entry is put in its month by comparing occurred_at with
the months' first instants (computed in Python, so British Summer Time is right on both
engines). The JSON paths (user.org_type, user.region, shown.page) are SQLAlchemy's JSON
index expressions, JSON_EXTRACT on SQLite and #>> on PostgreSQL. The range filter uses
ix_audit_events_occurred_at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    String,
    and_,
    case,
    distinct,
    func,
    literal_column,
    select,
)

from carerecord.audit.usage import (
    ALL_CARE_HOMES,
    CARE_HOME,
    PAGE_OF_ACTION,
    SEARCH_ACTIONS,
    VIEW_ACTIONS,
    Count,
    Month,
    MonthRange,
)
from carerecord.store.schema import audit_events

_e = audit_events.c
_ORG_TYPE = _e.detail[("user", "org_type")].as_string()
_REGION = _e.detail[("user", "region")].as_string()
_PAGE = _e.detail[("shown", "page")].as_string()


def active_users(engine: Engine, span: MonthRange, by: str) -> list[Count]:
    """Different users with at least one successful view or search, per month and by
    organisation type (`org_type`) or region (`region`)."""
    dimension = {"org_type": _ORG_TYPE, "region": _REGION}[by]
    inner = _used(span, (*VIEW_ACTIONS, *SEARCH_ACTIONS), dimension)
    return _grouped(engine, inner, distinct_users=True)


def views_by_page(engine: Engine, span: MonthRange) -> list[Count]:
    """Successful record views per month by the part of the record shown."""
    page = func.coalesce(
        _PAGE, case(*((_e.action == a, p) for a, p in PAGE_OF_ACTION.items()), else_=None)
    )
    return _grouped(engine, _used(span, VIEW_ACTIONS, page), distinct_users=False)


def care_home_views(engine: Engine, span: MonthRange, per_organisation: bool) -> list[Count]:
    """Successful record views by staff of care homes, per month: all together, or per
    care-home organisation (its ODS code)."""
    dimension: ColumnElement[Any] = (
        _e.organisation if per_organisation else literal_column(f"'{ALL_CARE_HOMES}'", String)
    )
    inner = _used(span, VIEW_ACTIONS, dimension).where(_ORG_TYPE == CARE_HOME)
    return _grouped(engine, inner, distinct_users=False)


def _month_of(months: Sequence[Month]) -> ColumnElement[Any]:
    return case(
        *(
            (and_(_e.occurred_at >= m.starts(), _e.occurred_at < m.next().starts()), m.key)
            for m in months
        ),
        else_=None,
    )


def _used(span: MonthRange, actions: Sequence[str], dimension: ColumnElement[Any]) -> Select[Any]:
    """The successful entries of these actions in the range: month, dimension and user."""
    return select(
        _month_of(span.months).label("month"),
        dimension.label("dimension"),
        _e.user_id.label("user_id"),
    ).where(
        _e.occurred_at >= span.starts(),
        _e.occurred_at < span.ends(),
        _e.action.in_(actions),
        _e.outcome == "success",
        _e.user_id.is_not(None),
    )


def _grouped(engine: Engine, inner: Select[Any], distinct_users: bool) -> list[Count]:
    """Counts per month and dimension: of different users, or of entries (each with the
    number of different users behind it)."""
    rows = inner.subquery()
    staff = func.count(distinct(rows.c.user_id))
    query = (
        select(rows.c.month, rows.c.dimension, staff if distinct_users else func.count(), staff)
        .group_by(rows.c.month, rows.c.dimension)
        .order_by(rows.c.month, rows.c.dimension)
    )
    with engine.connect() as conn:
        return [
            Count(_month(month), dimension or "", int(value), int(users))
            for month, dimension, value, users in conn.execute(query)
        ]


def _month(key: str) -> Month:
    year, month = key.split("-")
    return Month(int(year), int(month))
