"""Writing a batch of incoming resources in one transaction: link patients, then upsert.

Unique keys in the database decide what is new (source + type + id for resources, NHS number
for master patients, source + local id for links), so concurrent writers never double a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from carerecord.errors import SubmissionRefused
from carerecord.store import bulk, exclusions, links
from carerecord.store.opt_outs import apply_opt_outs
from carerecord.store.quarantine import quarantine_items
from carerecord.store.records import (
    IncomingResource,
    Merge,
    QuarantineItem,
    Submission,
    WriteCounts,
)
from carerecord.store.schema import (
    organisations,
    resource_versions,
    resources,
)
from carerecord.store.versions import hide_keys, keep_history


@dataclass(frozen=True)
class _Current:
    id: int
    version: int
    content_hash: str
    last_updated_at_source: datetime | None
    hidden: bool


def write_batch(
    conn: Connection, submission: Submission, now: datetime, all_or_nothing: bool = False
) -> WriteCounts:
    """Stores what can be stored and quarantines the rest, all in the caller's transaction.

    With all_or_nothing, anything unstorable raises SubmissionRefused instead, and the caller
    rolls the transaction back.
    """
    rejected: list[QuarantineItem] = list(submission.rejected)
    excluded = list(submission.excluded)
    batch = exclusions.refuse_citing_excluded(conn, submission.resources, excluded)
    merges = list(submission.merges) + [
        Merge(r.source_ods, r.source_id, r.replaced_by, r.location, r.body)
        for r in batch
        if r.replaced_by
    ]
    patient_of = links.link_patients(
        conn, [r for r in batch if r.resource_type == "Patient"], now, rejected
    )
    accepted_patients = set(patient_of)  # a refused Patient must not slip in via its records
    patient_of.update(
        links.resolve_references(conn, [r for r in batch if r.resource_type != "Patient"])
    )

    resolvable: list[tuple[IncomingResource, str | None]] = []
    for item in batch:
        if item.resource_type == "Patient" and _patient_key(item) not in accepted_patients:
            continue
        if _names_a_patient(item) and _patient_key(item) not in patient_of:
            rejected.append(_unmatched(item))
            continue
        resolvable.append((item, patient_of.get(_patient_key(item))))
    if all_or_nothing and rejected:
        raise SubmissionRefused(rejected)

    counts = _upsert(conn, resolvable, now)
    counts.merged = sum(links.merge(conn, merge, now, rejected) for merge in merges)
    if all_or_nothing and rejected:
        raise SubmissionRefused(rejected)
    counts.deleted = hide_keys(
        conn, [(d.source_ods, d.resource_type, d.source_id) for d in submission.deletions], now
    )
    apply_opt_outs(conn, resolvable, counts.outcomes, submission.deletions, now)
    exclusions.record(conn, excluded, now)
    counts.excluded = len(excluded)
    counts.excluded_keys = {item.key for item in excluded}
    for refused in excluded:
        counts.excluded_categories[refused.category] = (
            counts.excluded_categories.get(refused.category, 0) + 1
        )
    sources = {item.source_ods for item in batch} | {d.source_ods for d in submission.deletions}
    _mark_feeds_fresh(conn, sources, now)
    quarantine_items(conn, rejected, now)
    counts.quarantined = len(rejected)
    counts.rejections = rejected
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


def _upsert(
    conn: Connection, items: list[tuple[IncomingResource, str | None]], now: datetime
) -> WriteCounts:
    counts = WriteCounts()
    current = _current_versions(conn, [item.key for item, _ in items])
    dialect = conn.dialect.name
    received = bulk.stamp(now, dialect)
    new_rows: list[bulk.Row] = []
    changed_rows: list[dict[str, Any]] = []
    older_rows: list[dict[str, Any]] = []
    outcomes = counts.outcomes
    for item, patient_id in items:
        held = current.get(item.key)
        if held is None:
            new_rows.append(_new_row(item, patient_id, received, dialect))
            counts.stored += 1
            outcomes[item.key] = "created"
        elif held.content_hash == item.content_hash and held.hidden == item.hidden:
            counts.unchanged += 1
            outcomes[item.key] = "unchanged"
        elif _is_older(item, held):
            older_rows.append({"resource_id": held.id, **_version_row(item, now)})
            outcomes[item.key] = "older"
        else:
            changed_rows.append({"_id": held.id, **_row(item, patient_id, now, held.version + 1)})
            counts.updated += 1
            outcomes[item.key] = "updated"
    bulk.insert_rows(conn, resources, _NEW_COLUMNS, new_rows)
    if changed_rows:
        keep_history(conn, [row["_id"] for row in changed_rows])
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
    if not keys:
        return {}
    return {(s, t, i): _Current(*held) for s, t, i, *held in bulk.current_rows(conn, set(keys))}


def _is_older(item: IncomingResource, held: _Current) -> bool:
    if item.last_updated_at_source is None or held.last_updated_at_source is None:
        return False
    if item.believed_until is not None and held.last_updated_at_source > item.believed_until:
        return False  # the held version claims a future time: a genuine version replaces it
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
        "patient_local_id": item.patient_local_id,
    }


_NEW_COLUMNS = (
    "source_ods",
    "resource_type",
    "source_id",
    "patient_id",
    "section",
    "version",
    "source_version",
    "last_updated_at_source",
    "received_at",
    "clinical_date",
    "code_system",
    "code",
    "status",
    "hidden",
    "codes",
    "body",
    "content_hash",
    "patient_local_id",
)


def _new_row(
    item: IncomingResource, patient_id: str | None, received: Any, dialect: str
) -> bulk.Row:
    """A first version, in _NEW_COLUMNS order, with values as the database holds them."""
    return (
        item.source_ods,
        item.resource_type,
        item.source_id,
        patient_id,
        item.section,
        1,
        item.source_version,
        bulk.stamp(item.last_updated_at_source, dialect),
        received,
        bulk.stamp(item.clinical_date, dialect),
        item.code_system,
        item.code,
        item.status,
        item.hidden,
        bulk.json_text(list(item.codes)),
        item.body,
        item.content_hash,
        item.patient_local_id,
    )


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
        conn.execute(
            insert(resource_versions).values(
                version=min(1 if lowest is None else lowest, 1) - 1, **row
            )
        )
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
