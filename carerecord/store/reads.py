"""Reading from the store: one patient's current resources, lookups, and operator counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import Connection, func, not_, select

from carerecord.store.records import SectionTally, StoredResource
from carerecord.store.schema import metadata, patient_links, patient_search, patients, resources

_STORED_COLUMNS = [resources.c[name] for name in StoredResource.__dataclass_fields__]


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
    base = select(*_STORED_COLUMNS).where(
        resources.c.patient_id == patient_id, not_(resources.c.hidden)
    )
    whole = [s for s in sections if s not in newest] if sections is not None else None
    found: list[StoredResource] = []
    if whole is None or whole:
        query = base if whole is None else base.where(resources.c.section.in_(whole))
        query = query.order_by(resources.c.section, resources.c.clinical_date.desc())
        found.extend(StoredResource(*row) for row in conn.execute(query))
    for section, limit in newest.items():
        if sections is not None and section not in sections:
            continue
        query = (
            base.where(resources.c.section == section, resources.c.clinical_date.is_not(None))
            .order_by(resources.c.clinical_date.desc())
            .limit(limit)
        )
        found.extend(StoredResource(*row) for row in conn.execute(query))
    return found


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


def section_tallies(
    conn: Connection, patient_id: str, sections: Sequence[str]
) -> list[SectionTally]:
    query = (
        select(
            resources.c.source_ods,
            resources.c.section,
            func.count().label("count"),
            func.max(resources.c.last_updated_at_source).label("last_updated_at_source"),
            func.max(resources.c.received_at).label("last_received_at"),
        )
        .where(
            resources.c.patient_id == patient_id,
            not_(resources.c.hidden),
            resources.c.section.in_(sections),
        )
        .group_by(resources.c.source_ods, resources.c.section)
    )
    return [SectionTally(**row._mapping) for row in conn.execute(query)]


def sample_nhs_numbers(conn: Connection, limit: int) -> list[str]:
    """A few NHS numbers held, for the demo's welcome message."""
    query = select(patients.c.nhs_number).order_by(patients.c.nhs_number).limit(limit)
    return list(conn.execute(query).scalars())
