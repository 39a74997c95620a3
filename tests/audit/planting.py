"""Audit entries as the doors write them, planted straight into the log for alert tests:
views of a record, overrides and declarations, each with the user, client and what was shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from carerecord.audit.entry import AuditRecord, Requester, Shown
from carerecord.store import Store, audit


@dataclass(frozen=True)
class Staff:
    user_id: int
    username: str
    name: str
    role: str = "clinician"
    organisation: str = "F83004"
    org_type: str = "gp"


def requester(staff: Staff, request: int = 0) -> Requester:
    return Requester(
        user_id=staff.user_id,
        username=staff.username,
        name=staff.name,
        role=staff.role,
        organisation=staff.organisation,
        org_type=staff.org_type,
        region="North Central London",
        assurance="AAL2",
        client_address="10.20.0.7",
        user_agent="Mozilla/5.0 (Windows NT 10.0) Edge/126",
        request_id=f"req-{staff.user_id}-{request}",
    )


def view(
    staff: Staff,
    patient_id: str,
    *,
    action: str = "view-record",
    relationship: str | None = "registered-gp",
    override: str | None = None,
    page: str = "overview",
) -> AuditRecord:
    return AuditRecord(
        actor=staff.username,
        action=action,
        outcome="success",
        detail={},
        patient_id=patient_id,
        requester=requester(staff),
        purpose="direct-care",
        relationship=relationship,
        override=override,
        shown=Shown(page=page, sections=("allergies", "medications"), versions=()),
    )


def override(staff: Staff, patient_id: str, reason: str = "unconscious in A&E") -> AuditRecord:
    return AuditRecord(
        actor=staff.username,
        action="override",
        outcome="success",
        detail={"override": "emergency", "reason": reason},
        patient_id=patient_id,
        requester=requester(staff),
        purpose="direct-care",
        override="emergency",
    )


def declaration(staff: Staff, patient_id: str) -> AuditRecord:
    return AuditRecord(
        actor=staff.username,
        action="declare-relationship",
        outcome="success",
        detail={"reason_code": "unplanned-care", "reason": "seen in clinic today"},
        patient_id=patient_id,
        requester=requester(staff),
        purpose="direct-care",
        relationship="self-declared",
    )


def plant(store: Store, entries: Iterable[tuple[AuditRecord, datetime]]) -> list[int]:
    """Appends the entries (each at its moment) in one transaction; their ids, in order."""
    planted = list(entries)
    before = audit.head(store.engine)
    with store.engine.begin() as conn:
        for record, moment in planted:
            audit.append(conn, record, moment)
    return [e.id for e in audit.entries(store.engine, before.id if before else 0)]
