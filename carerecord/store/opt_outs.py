"""Opt-outs sources send: after a write has stored its resources, each Consent that denies
sharing becomes an objection from that source, and a later version that no longer denies (or
the source's delete of it) withdraws it. All in the write's own transaction, audited there.

The objection's key is `source|Consent id`, so a re-sent Consent is never counted twice. An
objection a source sent is withdrawn only by that source: a user cannot lift it here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import orjson
from sqlalchemy import Connection, insert, select, update

from carerecord.audit.entry import AuditRecord
from carerecord.fhir.consent import OptOut, opt_out
from carerecord.fhir.extract import parse_fhir_datetime
from carerecord.store import audit
from carerecord.store.records import Deletion, IncomingResource
from carerecord.store.schema import objections

SENT_BASIS = "Opt-out sent by the organisation as a FHIR Consent"
_ACTED_ON = frozenset({"created", "updated", "unchanged"})  # an older version changes nothing


def apply_opt_outs(
    conn: Connection,
    stored: Sequence[tuple[IncomingResource, str | None]],
    outcomes: Mapping[tuple[str, str, str], str],
    deletions: Sequence[Deletion],
    now: datetime,
) -> int:
    """How many objections were added or withdrawn."""
    changed = 0
    for item, patient_id in stored:
        outcome = outcomes.get(item.key)
        if item.resource_type != "Consent" or outcome not in _ACTED_ON:
            continue
        body = orjson.loads(item.body)
        said = opt_out(body) if isinstance(body, dict) else None
        if said is OptOut.IN_FORCE and patient_id is not None:
            changed += _object(conn, item, patient_id, body, outcome == "unchanged", now)
        elif said is OptOut.LIFTED:
            changed += _withdraw(
                conn,
                item.source_ods,
                item.source_id,
                "The organisation says this opt-out no longer stands",
                now,
            )
    for gone in deletions:
        if gone.resource_type == "Consent":
            changed += _withdraw(
                conn, gone.source_ods, gone.source_id, "The organisation deleted this opt-out", now
            )
    return changed


def _object(
    conn: Connection,
    item: IncomingResource,
    patient_id: str,
    body: dict[str, object],
    unchanged: bool,
    now: datetime,
) -> int:
    ref = _ref(item.source_ods, item.source_id)
    o = objections.c
    held = conn.execute(
        select(o.id, o.patient_id, o.withdrawn_at).where(o.external_ref == ref)
    ).first()
    if held is not None and (
        unchanged or (held.withdrawn_at is None and held.patient_id == patient_id)
    ):
        return 0  # as it was; a re-send of the very same Consent never reinstates anything
    if held is not None:
        if held.withdrawn_at is None:  # the source now says it is about someone else
            _withdraw(
                conn,
                item.source_ods,
                item.source_id,
                "The organisation now says this opt-out is about someone else",
                now,
            )
        # the withdrawn one keeps its history under a key of its own; the new one takes the key
        conn.execute(
            update(objections).where(o.id == held.id).values(external_ref=f"{ref}#{held.id}")
        )
    said_at = parse_fhir_datetime(body.get("dateTime"))
    new_id = conn.execute(
        insert(objections).values(
            patient_id=patient_id,
            recorded_at=min(said_at, now) if said_at else now,
            recorded_by=item.source_ods,
            basis=SENT_BASIS,
            on_behalf="self",
            source_ods=item.source_ods,
            recorded_org=item.source_ods,
            external_ref=ref,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    _audit(conn, "record-objection", item.source_ods, item.source_id, int(new_id), patient_id, now)
    return 1


def _withdraw(conn: Connection, source_ods: str, consent_id: str, why: str, now: datetime) -> int:
    o = objections.c
    held = conn.execute(
        select(o.id, o.patient_id).where(
            o.external_ref == _ref(source_ods, consent_id), o.withdrawn_at.is_(None)
        )
    ).first()
    if held is None:
        return 0
    conn.execute(
        update(objections)
        .where(o.id == held.id)
        .values(
            withdrawn_at=now,
            withdrawn_by=source_ods,
            withdrawn_org=source_ods,
            withdrawn_on_behalf="self",
            withdrawal_reason=why,
        )
    )
    _audit(conn, "withdraw-objection", source_ods, consent_id, held.id, held.patient_id, now)
    return 1


def _audit(
    conn: Connection,
    action: str,
    source_ods: str,
    consent_id: str,
    objection_id: int,
    patient_id: str,
    now: datetime,
) -> None:
    detail: dict[str, object] = {
        "organisation": source_ods,
        "consent": consent_id,
        "objection": objection_id,
    }
    audit.append(
        conn, AuditRecord(f"source:{source_ods}", action, "success", detail, patient_id), now
    )


def _ref(source_ods: str, consent_id: str) -> str:
    return f"{source_ods}|{consent_id}"
