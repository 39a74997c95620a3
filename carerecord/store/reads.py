"""Reading from the store: one patient's current resources, lookups, and operator counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Select, String, bindparam, case, func, not_, select, type_coerce

from carerecord.store.records import SectionTally, StoredResource
from carerecord.store.schema import metadata, patient_links, patient_search, patients, resources

_STORED_COLUMNS = [resources.c[name] for name in StoredResource.__dataclass_fields__]
_TIMES = ("last_updated_at_source", "received_at", "clinical_date")
# A record page reads a thousand rows of three times each, many of them equal (a feed's
# batch shares one received_at): the times come raw and are converted once per distinct value
# (as UTCDateTime does), which halves the cost of reading the rows.
_RAW_COLUMNS = [type_coerce(c, String) if c.name in _TIMES else c for c in _STORED_COLUMNS]
_TIME_AT = [i for i, c in enumerate(_STORED_COLUMNS) if c.name in _TIMES]


def patient_id_for_nhs_number(conn: Connection, nhs_number: str) -> str | None:
    return conn.execute(
        select(patients.c.id).where(patients.c.nhs_number == nhs_number)
    ).scalar_one_or_none()


def patient_id_for_local_id(conn: Connection, source_ods: str, local_id: str) -> str | None:
    links = patient_links.c
    return conn.execute(
        select(links.patient_id).where(links.source_ods == source_ods, links.local_id == local_id)
    ).scalar_one_or_none()


def find_by_details(
    conn: Connection, family: str, birth_date: date, postcode: str | None, limit: int | None
) -> list[str]:
    """Ids of patients any source knows by this surname and date of birth (and postcode
    start, when given), at most limit of them (None: all)."""
    query = select(patient_search.c.patient_id).where(
        patient_search.c.family == family, patient_search.c.birth_date == birth_date
    )
    if postcode:
        query = query.where(patient_search.c.postcode.startswith(postcode, autoescape=True))
    query = query.distinct().order_by(patient_search.c.patient_id)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query).scalars())


def patient_resources(
    conn: Connection,
    patient_id: str,
    sections: Sequence[str] | None,
    newest: Mapping[str, int] | None = None,
) -> list[StoredResource]:
    """Current, visible resources of one patient, newest clinical date first. For a section
    named in `newest`, only that many of its newest dated items (one index range scan each)."""
    newest = newest or {}
    base = select(*_RAW_COLUMNS).where(
        resources.c.patient_id == patient_id, not_(resources.c.hidden)
    )
    times: dict[Any, datetime] = {}
    whole = [s for s in sections if s not in newest] if sections is not None else None
    found: list[StoredResource] = []
    if whole is None or whole:
        query = base if whole is None else base.where(resources.c.section.in_(whole))
        query = query.order_by(resources.c.section, resources.c.clinical_date.desc())
        found.extend(_stored(conn, query, times))
    for section, limit in newest.items():
        if sections is not None and section not in sections:
            continue
        query = (
            base.where(resources.c.section == section, resources.c.clinical_date.is_not(None))
            .order_by(resources.c.clinical_date.desc())
            .limit(limit)
        )
        found.extend(_stored(conn, query, times))
    return found


# Directory entries a page may cite, at most, in one read: a record's care teams name a
# handful of people; a source citing thousands gets the first of them, never a huge query.
MAX_CITED = 200


def directory_entries(
    conn: Connection, wanted: Iterable[tuple[str, str, str]]
) -> list[StoredResource]:
    """The current directory entries (practitioners, their roles: resources about no patient)
    with these (source ODS code, resource type, the source's id) keys; a source's references
    stay within that source. Keys not held are simply absent."""
    keys = sorted(set(wanted))[:MAX_CITED]
    if not keys:
        return []
    found: list[StoredResource] = []
    by_source: dict[tuple[str, str], list[str]] = {}
    for source, kind, source_id in keys:
        by_source.setdefault((source, kind), []).append(source_id)
    for (source, kind), ids in sorted(by_source.items()):
        query = select(*_RAW_COLUMNS).where(
            resources.c.source_ods == source,
            resources.c.resource_type == kind,
            resources.c.source_id.in_(ids),
            resources.c.patient_id.is_(None),
            not_(resources.c.hidden),
        )
        found.extend(_stored(conn, query, {}))
    return found


def _stored(
    conn: Connection, query: Select[Any], times: dict[Any, datetime]
) -> Iterable[StoredResource]:
    for row in conn.execute(query):
        values = list(row)
        for i in _TIME_AT:
            raw = values[i]
            if raw is not None:
                when = times.get(raw)
                if when is None:
                    when = times[raw] = _utc(raw)
                values[i] = when
        yield StoredResource(*values)


def _utc(raw: str | datetime) -> datetime:
    """As UTCDateTime reads a time: ISO text on SQLite, a naive UTC datetime on PostgreSQL."""
    return (datetime.fromisoformat(raw) if isinstance(raw, str) else raw).replace(tzinfo=UTC)


def patient_resource(conn: Connection, patient_id: str, resource_id: int) -> StoredResource | None:
    """One current, visible resource, only if it belongs to this patient."""
    row = conn.execute(
        select(*_STORED_COLUMNS).where(
            resources.c.id == resource_id,
            resources.c.patient_id == patient_id,
            not_(resources.c.hidden),
        )
    ).first()
    return None if row is None else StoredResource(*row)


def table_counts(conn: Connection) -> dict[str, int]:
    return {
        name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in metadata.tables.items()
    }


# Built once: every record page runs it. Grouped by section first so both engines read it
# from the section index (which carries source and times) rather than from each row; ordered
# by source, as the pages and the audit log have always had it.
_TALLIES = (
    select(
        resources.c.source_ods,
        resources.c.section,
        func.count(),
        func.max(resources.c.last_updated_at_source),
        func.max(resources.c.received_at),
        func.max(
            case((resources.c.clinical_date <= resources.c.received_at, resources.c.clinical_date))
        ),
    )
    .where(
        resources.c.patient_id == bindparam("patient_id"),
        not_(resources.c.hidden),
        resources.c.section.in_(bindparam("sections", expanding=True)),
    )
    .group_by(resources.c.section, resources.c.source_ods)
    .order_by(resources.c.source_ods, resources.c.section)
)


def section_tallies(
    conn: Connection, patient_id: str, sections: Sequence[str]
) -> list[SectionTally]:
    """How many current items each source holds in each section, and when it last updated
    them: every record page shows these counts."""
    rows = conn.execute(_TALLIES, {"patient_id": patient_id, "sections": list(sections)})
    return [SectionTally(*row) for row in rows]


def sample_nhs_numbers(conn: Connection, limit: int) -> list[str]:
    """A few NHS numbers held, for the demo's welcome message."""
    query = select(patients.c.nhs_number).order_by(patients.c.nhs_number).limit(limit)
    return list(conn.execute(query).scalars())
