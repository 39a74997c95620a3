"""Audit entries planted for the usage figures: views and searches by staff of given
organisations, each carrying a patient's id, NHS number and name as real entries would."""

from __future__ import annotations

from datetime import datetime

from carerecord.audit.entry import AuditRecord, Requester, Shown, ShownVersion
from carerecord.store import Store
from carerecord.store.audit import append

PATIENT_ID = "p7c1e5a0f3b9d2e4a6c8b0d1e3f5a7c9"
NHS_NUMBER = "9434765919"
PATIENT_NAME = "SMITHERSON, Jane"
DETAILS = {"query": NHS_NUMBER, "found": 1, "family": "SMITHERSON", "name": PATIENT_NAME}


def plant(
    store: Store,
    when: datetime,
    action: str = "view-record",
    *,
    user: int = 1,
    org: str = "F83004",
    org_type: str = "gp",
    region: str = "North Central London",
    page: str | None = "overview",
    outcome: str = "success",
) -> None:
    """One entry by user `user` (username `staff-<n>`) of organisation `org`."""
    requester = Requester(
        user_id=user,
        username=f"staff-{user}",
        name=f"Staff Member {user}",
        role="care-home" if org_type == "care-home" else "clinician",
        organisation=org,
        org_type=org_type,
        region=region,
        assurance="AAL2",
        client_address="127.0.0.1",
    )
    shown = None
    if page is not None:
        shown = Shown(page, (page,), (ShownVersion(1, 1, page),), {"patient": PATIENT_NAME})
    record = AuditRecord(
        actor=requester.username,
        action=action,
        outcome=outcome,
        detail=DETAILS,
        patient_id=PATIENT_ID,
        requester=requester,
        shown=shown,
    )
    with store.engine.begin() as conn:
        append(conn, record, when)
