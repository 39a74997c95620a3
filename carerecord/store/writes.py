"""Writing a batch of incoming resources in one transaction: link patients, then upsert.

Unique keys in the database decide what is new (source + type + id for resources, NHS number
for master patients, source + local id for links), so concurrent writers never double a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update

from carerecord.store.quarantine import quarantine_items
from carerecord.store.records import IncomingResource, QuarantineItem, WriteCounts
from carerecord.store.schema import (
    organisations,
    patient_links,
    patient_search,
    patients,
    resource_versions,
    resources,
)
from carerecord.store.upsert import insert_for


@dataclass(frozen=True)
class _Current:
    id: int
    version: int
    content_hash: str
    last_updated_at_source: datetime | None


def write_batch(
    conn: Connection,
    batch: Sequence[IncomingResource],
    now: datetime,
    already_rejected: Sequence[QuarantineItem] = (),
) -> WriteCounts:
    """Stores what can be stored and quarantines the rest, all in the caller's transaction."""
    rejected: list[QuarantineItem] = list(already_rejected)
    patient_of = _link_patients(
        conn, [r for r in batch if r.resource_type == "Patient"], now, rejected
    )
    patient_of.update(_resolve_references(conn, [r for r in batch if r.resource_type != "Patient"]))

    resolvable: list[tuple[IncomingResource, str | None]] = []
    for item in batch:
        if _names_a_patient(item) and _patient_key(item) not in patient_of:
            if item.resource_type != "Patient":
                rejected.append(_unmatched(item))
            continue
        resolvable.append((item, patient_of.get(_patient_key(item))))

    counts = _upsert(conn, resolvable, now)
    _mark_feeds_fresh(conn, {item.source_ods for item in batch}, now)
    quarantine_items(conn, rejected, now)
    counts.quarantined = len(rejected)
    for rejection in rejected:
        reasons = counts.quarantine_reasons
        reasons[rejection.reason_code] = reasons.get(rejection.reason_code, 0) + 1
    return counts


def _mark_feeds_fresh(conn: Connection, sources: set[str], now: datetime) -> None:
    """Each source's feed is as fresh as the last batch it delivered (stored or unchanged)."""
    if sources:
        conn.execute(
            update(organisations)
            .where(organisations.c.ods_code.in_(sorted(sources)))
            .values(last_received_at=now)
        )


def _names_a_patient(item: IncomingResource) -> bool:
    return item.patient_local_id is not None or item.patient_nhs_number is not None


def _patient_key(item: IncomingResource) -> tuple[str, str]:
    if item.patient_local_id is not None:
        return ("local:" + item.source_ods, item.patient_local_id)
    return ("nhs", item.patient_nhs_number or "")


def _link_patients(
    conn: Connection, items: list[IncomingResource], now: datetime, rejected: list[QuarantineItem]
) -> dict[tuple[str, str], str]:
    """Finds or creates the master patient for each NHS number and links the source's local id."""
    if not items:
        return {}
    numbers = {item.patient_nhs_number for item in items if item.patient_nhs_number}
    conn.execute(
        insert_for(conn, patients).on_conflict_do_nothing(index_elements=["nhs_number"]),
        [{"id": uuid.uuid4().hex, "nhs_number": n, "created_at": now} for n in sorted(numbers)],
    )
    master = _masters(conn, numbers)
    wanted = {
        (item.source_ods, item.patient_local_id or ""): master[item.patient_nhs_number or ""]
        for item in items
    }
    conn.execute(
        insert_for(conn, patient_links).on_conflict_do_nothing(
            index_elements=["source_ods", "local_id"]
        ),
        [
            {"source_ods": s, "local_id": lid, "patient_id": p, "linked_at": now}
            for (s, lid), p in wanted.items()
        ],
    )
    linked = _links(conn, wanted.keys())
    found: dict[tuple[str, str], str] = {}
    accepted: list[IncomingResource] = []
    for item in items:
        key = (item.source_ods, item.patient_local_id or "")
        if linked.get(key) != wanted[key]:
            rejected.append(_identity_conflict(item))
            continue
        found[("local:" + item.source_ods, key[1])] = wanted[key]
        found[("nhs", item.patient_nhs_number or "")] = wanted[key]
        accepted.append(item)
    _index_for_search(conn, accepted, wanted)
    return found


def _index_for_search(
    conn: Connection, items: list[IncomingResource], patient_of: dict[tuple[str, str], str]
) -> None:
    """Keeps each source's lookup keys for the person current (the newest Patient wins)."""
    rows = {
        (item.source_ods, item.patient_local_id or ""): {
            "source_ods": item.source_ods,
            "local_id": item.patient_local_id or "",
            "patient_id": patient_of[(item.source_ods, item.patient_local_id or "")],
            "family": item.search.family[:100] if item.search.family else None,
            "birth_date": item.search.birth_date,
            "postcode": item.search.postcode[:10] if item.search.postcode else None,
        }
        for item in items
        if item.search is not None
    }
    if not rows:
        return
    statement = insert_for(conn, patient_search)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source_ods", "local_id"],
            set_={
                "family": statement.excluded.family,
                "birth_date": statement.excluded.birth_date,
                "postcode": statement.excluded.postcode,
            },
        ),
        list(rows.values()),
    )


def _resolve_references(
    conn: Connection, items: list[IncomingResource]
) -> dict[tuple[str, str], str]:
    local = {(i.source_ods, i.patient_local_id) for i in items if i.patient_local_id is not None}
    numbers = {i.patient_nhs_number for i in items if i.patient_nhs_number is not None}
    found = {("local:" + s, lid): p for (s, lid), p in _links(conn, local).items()}
    found.update({("nhs", n): p for n, p in _masters(conn, numbers).items()})
    return found


def _masters(conn: Connection, numbers: Iterable[str | None]) -> dict[str, str]:
    numbers = [n for n in numbers if n]
    if not numbers:
        return {}
    rows = conn.execute(
        select(patients.c.nhs_number, patients.c.id).where(patients.c.nhs_number.in_(numbers))
    )
    return {row.nhs_number: row.id for row in rows}


def _links(conn: Connection, keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], str]:
    keys = list(keys)
    if not keys:
        return {}
    column = tuple_(patient_links.c.source_ods, patient_links.c.local_id)
    rows = conn.execute(
        select(
            patient_links.c.source_ods, patient_links.c.local_id, patient_links.c.patient_id
        ).where(column.in_(keys))
    )
    return {(row.source_ods, row.local_id): row.patient_id for row in rows}


def _upsert(
    conn: Connection, items: list[tuple[IncomingResource, str | None]], now: datetime
) -> WriteCounts:
    counts = WriteCounts()
    current = _current_versions(conn, [item.key for item, _ in items])
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    older_rows: list[dict[str, Any]] = []
    for item, patient_id in items:
        held = current.get(item.key)
        if held is None:
            new_rows.append(_row(item, patient_id, now, version=1))
            counts.stored += 1
        elif held.content_hash == item.content_hash:
            counts.unchanged += 1
        elif _is_older(item, held):
            older_rows.append({"resource_id": held.id, **_version_row(item, now)})
        else:
            changed_rows.append({"_id": held.id, **_row(item, patient_id, now, held.version + 1)})
            counts.updated += 1
    if new_rows:
        conn.execute(insert(resources), new_rows)
    if changed_rows:
        _keep_history(conn, [row["_id"] for row in changed_rows])
        conn.execute(
            update(resources).where(resources.c.id == bindparam("_id")),
            [{k: v for k, v in row.items() if k not in _IDENTITY} for row in changed_rows],
        )
    counts.older = _keep_older(conn, older_rows)
    counts.unchanged += len(older_rows) - counts.older
    return counts


_IDENTITY = frozenset({"source_ods", "resource_type", "source_id"})


def _current_versions(
    conn: Connection, keys: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], _Current]:
    """One index lookup per (source, type) in the batch: cheaper than a row-value IN list."""
    groups: dict[tuple[str, str], list[str]] = {}
    for source, resource_type, source_id in keys:
        groups.setdefault((source, resource_type), []).append(source_id)
    found: dict[tuple[str, str, str], _Current] = {}
    for (source, resource_type), ids in groups.items():
        rows = conn.execute(
            select(
                resources.c.source_id,
                resources.c.id,
                resources.c.version,
                resources.c.content_hash,
                resources.c.last_updated_at_source,
            ).where(
                resources.c.source_ods == source,
                resources.c.resource_type == resource_type,
                resources.c.source_id.in_(ids),
            )
        )
        for r in rows:
            found[(source, resource_type, r.source_id)] = _Current(
                r.id, r.version, r.content_hash, r.last_updated_at_source
            )
    return found


def _is_older(item: IncomingResource, held: _Current) -> bool:
    if item.last_updated_at_source is None or held.last_updated_at_source is None:
        return False
    return item.last_updated_at_source < held.last_updated_at_source


def _row(
    item: IncomingResource, patient_id: str | None, now: datetime, version: int
) -> dict[str, Any]:
    return {
        "source_ods": item.source_ods,
        "resource_type": item.resource_type,
        "source_id": item.source_id,
        "patient_id": patient_id,
        "section": item.section,
        "version": version,
        "source_version": item.source_version,
        "last_updated_at_source": item.last_updated_at_source,
        "received_at": now,
        "clinical_date": item.clinical_date,
        "code_system": item.code_system,
        "code": item.code,
        "status": item.status,
        "hidden": item.hidden,
        "codes": list(item.codes),
        "body": item.body,
        "content_hash": item.content_hash,
    }


def _version_row(item: IncomingResource, now: datetime) -> dict[str, Any]:
    return {
        "source_version": item.source_version,
        "last_updated_at_source": item.last_updated_at_source,
        "received_at": now,
        "status": item.status,
        "hidden": item.hidden,
        "body": item.body,
        "content_hash": item.content_hash,
    }


def _keep_history(conn: Connection, resource_ids: list[int]) -> None:
    """Copies the versions about to be replaced into resource_versions: history is never lost."""
    columns = [c.name for c in resource_versions.c if c.name != "resource_id"]
    source = select(resources.c.id, *[resources.c[c] for c in columns]).where(
        resources.c.id.in_(resource_ids)
    )
    conn.execute(insert(resource_versions).from_select(["resource_id", *columns], source))


def _keep_older(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """An older version arriving late goes into history once, numbered below every version held
    (0, -1, ...) so the current version stays current."""
    kept = 0
    for row in rows:
        known = conn.execute(
            select(resource_versions.c.version).where(
                resource_versions.c.resource_id == row["resource_id"],
                resource_versions.c.content_hash == row["content_hash"],
            )
        ).first()
        if known is not None:
            continue
        lowest = conn.execute(
            select(resource_versions.c.version)
            .where(resource_versions.c.resource_id == row["resource_id"])
            .order_by(resource_versions.c.version)
            .limit(1)
        ).scalar()
        conn.execute(insert(resource_versions).values(version=min(lowest or 1, 1) - 1, **row))
        kept += 1
    return kept


def _unmatched(item: IncomingResource) -> QuarantineItem:
    if item.patient_local_id is not None:
        reason = (
            f"{item.resource_type}/{item.source_id} refers to Patient/{item.patient_local_id}, "
            f"which {item.source_ods} has not sent (or sent without a valid NHS number)"
        )
    else:
        reason = (
            f"{item.resource_type}/{item.source_id} names an NHS number carerecord does not hold"
        )
    return QuarantineItem(
        input_format="fhir",
        location=item.location,
        reason_code="unknown-patient",
        reason=reason,
        raw=item.body,
        source_ods=item.source_ods,
        resource_type=item.resource_type,
        source_id=item.source_id,
    )


def _identity_conflict(item: IncomingResource) -> QuarantineItem:
    return QuarantineItem(
        input_format="fhir",
        location=item.location,
        reason_code="identity-conflict",
        reason=(
            f"{item.source_ods} Patient/{item.patient_local_id} is already linked to a different "
            "NHS number; not merged (a possible wrong-patient match to be resolved by hand)"
        ),
        raw=item.body,
        source_ods=item.source_ods,
        resource_type=item.resource_type,
        source_id=item.source_id,
    )
