"""Audit entries made for tests, appended through the store as every door appends them."""

from __future__ import annotations

from datetime import datetime

from carerecord.audit.entry import AuditRecord, Requester, Shown, ShownVersion
from carerecord.store import Store, audit


def append(store: Store, record: AuditRecord, at: datetime) -> str:
    with store.engine.begin() as conn:
        return audit.append(conn, record, at)


def requester(
    username: str = "gp-clinician",
    organisation: str = "F83004",
    role: str = "clinician",
    request_id: str = "req-1",
) -> Requester:
    return Requester(
        user_id=7,
        username=username,
        name=username.replace("-", " ").title(),
        role=role,
        organisation=organisation,
        org_type="gp",
        region="London",
        assurance="AAL2",
        client_address="10.1.2.3",
        user_agent="Firefox",
        request_id=request_id,
    )


def viewed(
    patient_id: str,
    username: str = "gp-clinician",
    organisation: str = "F83004",
    role: str = "clinician",
    page: str = "medications",
    versions: tuple[tuple[int, int, str], ...] = ((11, 2, "medications"), (12, 1, "medications")),
    withheld: dict[str, int] | None = None,
    relationship: str | None = "registered-gp",
    override: str | None = None,
    action: str = "view-record",
) -> AuditRecord:
    """A view of a person's record, as the record pages log it."""
    sections = tuple(dict.fromkeys(section for _, _, section in versions)) or (page,)
    return AuditRecord(
        actor=username,
        action=action,
        outcome="success",
        detail={"page": page},
        patient_id=patient_id,
        requester=requester(username, organisation, role, f"req-{username}-{page}"),
        purpose="direct-care",
        relationship=relationship,
        override=override,
        shown=Shown(
            page=page,
            sections=sections,
            versions=tuple(ShownVersion(r, v, s) for r, v, s in versions),
        ),
        withheld=withheld or {},
    )
