"""Who a resource is about: master patients by NHS number, each source's local ids linked to
them, and merges of a source's local ids.

Who is the same person is decided by the pure rules in carerecord.identity.same_person; this
module reads what they need and carries out their answer. Records are joined by NHS number alone
(decision record 0003). A Patient whose NHS number is already held with a different date of birth
is a possible wrong-patient match: it is quarantined, never joined. A merge of two different
people waits in the quarantine for a person to confirm it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, select, tuple_, update

from carerecord.identity.same_person import (
    Conflict,
    HeldIdentity,
    MergeVerdict,
    birth_date_conflict,
    link_conflict,
    merge_verdict,
)
from carerecord.store.records import IncomingResource, Merge, QuarantineItem
from carerecord.store.schema import (
    objections,
    patient_links,
    patient_search,
    patients,
    resources,
)
from carerecord.store.upsert import insert_for
from carerecord.store.versions import hide_keys


def link_patients(
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
    # Checked before linking: a refused Patient's local id must not lead its records (or itself,
    # cited by them) into the person.
    held = _links(conn, wanted.keys())
    births = _birth_dates(conn, set(master.values()))
    candidates: list[IncomingResource] = []
    for item in items:
        key = (item.source_ods, item.patient_local_id or "")
        if link_conflict(held.get(key), wanted[key]):
            rejected.append(_identity_conflict(item))
            continue
        born = item.search.birth_date if item.search else None
        others = {d for k, d in births.get(wanted[key], {}).items() if k != key}
        if birth_date_conflict(born, others):
            rejected.append(_birth_date_conflict(item))
            continue
        if born is not None:
            births.setdefault(wanted[key], {})[key] = born
        candidates.append(item)
    keys = {(item.source_ods, item.patient_local_id or "") for item in candidates}
    if keys:
        conn.execute(
            insert_for(conn, patient_links).on_conflict_do_nothing(
                index_elements=["source_ods", "local_id"]
            ),
            [
                {"source_ods": s, "local_id": lid, "patient_id": wanted[(s, lid)], "linked_at": now}
                for s, lid in sorted(keys)
            ],
        )
    linked = _links(conn, keys)
    found: dict[tuple[str, str], str] = {}
    accepted: list[IncomingResource] = []
    for item in candidates:
        key = (item.source_ods, item.patient_local_id or "")
        if linked.get(key) != wanted[key]:  # another writer linked it elsewhere meanwhile
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


def resolve_references(
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


def _identity_conflict(item: IncomingResource) -> QuarantineItem:
    return QuarantineItem(
        input_format="fhir",
        location=item.location,
        reason_code=Conflict.IDENTITY.value,
        reason=(
            f"{item.source_ods} Patient/{item.patient_local_id} is already linked to a different "
            "NHS number; not merged (a possible wrong-patient match to be resolved by hand)"
        ),
        raw=item.body,
        source_ods=item.source_ods,
        resource_type=item.resource_type,
        source_id=item.source_id,
    )


def _birth_dates(conn: Connection, patient_ids: set[str]) -> dict[str, dict[tuple[str, str], date]]:
    """The date of birth each source's record gives for each of these master patients."""
    if not patient_ids:
        return {}
    found: dict[str, dict[tuple[str, str], date]] = {}
    rows = conn.execute(
        select(
            patient_search.c.patient_id,
            patient_search.c.source_ods,
            patient_search.c.local_id,
            patient_search.c.birth_date,
        ).where(
            patient_search.c.patient_id.in_(sorted(patient_ids)),
            patient_search.c.birth_date.is_not(None),
        )
    )
    for row in rows:
        found.setdefault(row.patient_id, {})[(row.source_ods, row.local_id)] = row.birth_date
    return found


def _birth_date_conflict(item: IncomingResource) -> QuarantineItem:
    return QuarantineItem(
        input_format="fhir",
        location=item.location,
        reason_code=Conflict.BIRTH_DATE.value,
        reason=(
            f"{item.source_ods} Patient/{item.patient_local_id} gives NHS number "
            f"{item.patient_nhs_number} a date of birth that differs from the one already held "
            "for it; not merged (a possible wrong-patient match to be resolved by hand)"
        ),
        raw=item.body,
        source_ods=item.source_ods,
        resource_type=item.resource_type,
        source_id=item.source_id,
    )


def merge(conn: Connection, merge: Merge, now: datetime, rejected: list[QuarantineItem]) -> int:
    """Moves everything the source sent under the prior local id to the surviving one's person,
    when the two are the same person (see merge_verdict); otherwise the merge is quarantined for
    a person to confirm (`confirm_merge`) and nothing moves.

    Returns how many resources moved. The prior id stays linked (to the survivor), so anything
    still sent under it lands in the right record.
    """
    if merge.prior_local_id == merge.surviving_local_id:
        return 0
    prior, surviving = held_identities(conn, merge)
    verdict = merge_verdict(prior, surviving)
    if not verdict.goes_ahead:
        rejected.append(_merge_refused(merge, verdict))
        return 0
    return _apply_merge(conn, merge, prior.patient_id, surviving.patient_id or "", now)


def confirm_merge(conn: Connection, merge: Merge, now: datetime) -> int | None:
    """Applies a merge a person has confirmed, whoever the two identities are. The prior id's
    search keys go with it: a person has judged them another identity's details, which must
    not be found for, or counted against, the survivor. None when the survivor is unknown."""
    prior, surviving = held_identities(conn, merge)
    if surviving.patient_id is None:
        return None
    if merge.prior_local_id == merge.surviving_local_id:
        return 0
    moved = _apply_merge(conn, merge, prior.patient_id, surviving.patient_id, now)
    conn.execute(
        delete(patient_search).where(
            patient_search.c.source_ods == merge.source_ods,
            patient_search.c.local_id == merge.prior_local_id,
        )
    )
    return moved


def held_identities(conn: Connection, merge: Merge) -> tuple[HeldIdentity, HeldIdentity]:
    """What the record holds for the merge's prior and surviving local ids."""
    wanted = (merge.prior_local_id, merge.surviving_local_id)
    search = patient_search.c
    rows = conn.execute(
        select(
            patient_links.c.local_id,
            patient_links.c.patient_id,
            patients.c.nhs_number,
            search.birth_date,
        )
        .join(patients, patients.c.id == patient_links.c.patient_id)
        .outerjoin(
            patient_search,
            (search.source_ods == patient_links.c.source_ods)
            & (search.local_id == patient_links.c.local_id),
        )
        .where(
            patient_links.c.source_ods == merge.source_ods,
            patient_links.c.local_id.in_(wanted),
        )
    )
    found = {
        row.local_id: HeldIdentity(row.local_id, row.patient_id, row.nhs_number, row.birth_date)
        for row in rows
    }
    prior, surviving = (found.get(local_id, HeldIdentity(local_id)) for local_id in wanted)
    return prior, surviving


def _apply_merge(
    conn: Connection, merge: Merge, before: str | None, survivor: str, now: datetime
) -> int:
    """Re-links the prior id to the survivor's person and moves what was stored under it."""
    source = merge.source_ods
    if before is not None:
        carry_objections(conn, before, survivor, now)
    conn.execute(
        insert_for(conn, patient_links).on_conflict_do_nothing(
            index_elements=["source_ods", "local_id"]
        ),
        [
            {
                "source_ods": source,
                "local_id": merge.prior_local_id,
                "patient_id": survivor,
                "linked_at": now,
            }
        ],
    )
    conn.execute(
        update(patient_links)
        .where(
            patient_links.c.source_ods == source,
            patient_links.c.local_id == merge.prior_local_id,
        )
        .values(patient_id=survivor, merged_into=merge.surviving_local_id, merged_at=now)
    )
    conn.execute(
        update(patient_search)
        .where(
            patient_search.c.source_ods == source,
            patient_search.c.local_id == merge.prior_local_id,
        )
        .values(patient_id=survivor)
    )
    # The retired Patient resource stays in history but no longer shows as a second identity.
    hide_keys(conn, [(source, "Patient", merge.prior_local_id)], now)
    moved = conn.execute(
        update(resources)
        .where(
            resources.c.source_ods == source,
            resources.c.patient_local_id == merge.prior_local_id,
            resources.c.resource_type != "Patient",
        )
        .values(patient_id=survivor, patient_local_id=merge.surviving_local_id)
    )
    return int(moved.rowcount or 0)


def _merge_refused(merge: Merge, verdict: MergeVerdict) -> QuarantineItem:
    if verdict.conflict is Conflict.UNKNOWN_SURVIVOR:
        reason = (
            f"{merge.source_ods} merged Patient/{merge.prior_local_id} into "
            f"Patient/{merge.surviving_local_id}, which it has not sent (or sent without a valid "
            "NHS number)"
        )
    else:
        reason = (
            f"{merge.source_ods} merged Patient/{merge.prior_local_id} into "
            f"Patient/{merge.surviving_local_id}, but the record holds them as different people "
            f"(their {' and '.join(verdict.differs)} differ); not merged until a person confirms "
            "they are the same person"
        )
    return QuarantineItem(
        input_format="fhir",
        location=merge.location or f"merge from {merge.source_ods}",
        reason_code=str(verdict.conflict),
        reason=reason,
        raw=merge.raw or f"merge {merge.prior_local_id} into {merge.surviving_local_id}",
        source_ods=merge.source_ods,
        resource_type="Patient",
        source_id=merge.prior_local_id,
    )


def link_by_hand(
    conn: Connection, source_ods: str, local_id: str, nhs_number: str, now: datetime
) -> bool:
    """Links (or re-links) a source's local id to the person with this NHS number, and moves
    anything already stored under that local id with it."""
    patient_id = _masters(conn, [nhs_number]).get(nhs_number)
    if patient_id is None:
        return False
    before = _links(conn, [(source_ods, local_id)]).get((source_ods, local_id))
    if before is not None:
        carry_objections(conn, before, patient_id, now)
    conn.execute(
        insert_for(conn, patient_links).on_conflict_do_nothing(
            index_elements=["source_ods", "local_id"]
        ),
        [
            {
                "source_ods": source_ods,
                "local_id": local_id,
                "patient_id": patient_id,
                "linked_at": now,
            }
        ],
    )
    conn.execute(
        update(patient_links)
        .where(patient_links.c.source_ods == source_ods, patient_links.c.local_id == local_id)
        .values(patient_id=patient_id, linked_at=now)
    )
    conn.execute(
        update(resources)
        .where(resources.c.source_ods == source_ods, resources.c.patient_local_id == local_id)
        .values(patient_id=patient_id)
    )
    return True


def carry_objections(conn: Connection, from_patient: str, to_patient: str, now: datetime) -> int:
    """An objection follows the data: when records move to another person, each objection in
    force on the first is recorded on the second too (without the source's reference, so only
    a person can lift the copy). Returns how many were carried."""
    if from_patient == to_patient:
        return 0
    o = objections.c
    rows = conn.execute(
        select(objections).where(o.patient_id == from_patient, o.withdrawn_at.is_(None))
    ).mappings()
    carried = [
        {
            **{k: v for k, v in row.items() if k not in ("id", "external_ref")},
            "patient_id": to_patient,
            "basis": f"{row['basis']} (carried over when records were merged on "
            f"{now.date().isoformat()})"[:4000],
        }
        for row in rows
    ]
    if carried:
        conn.execute(insert(objections), carried)
    return len(carried)
