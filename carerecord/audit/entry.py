"""One event for the audit log, in the fields of the IHE Basic Audit Log Patterns (which map
onto FHIR AuditEvent): who, from where, did what to whose record, what they were shown and
what was kept back, why, and with what result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Requester:
    """The signed-in user behind a request, and where it came from, as the log keeps them."""

    user_id: int | None
    username: str
    name: str
    role: str
    organisation: str  # ODS code
    org_type: str
    region: str
    assurance: str  # AAL1 password, AAL2 with a one-time code, AAL3 smartcard
    client_address: str = ""
    user_agent: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class ShownVersion:
    """One resource exactly as shown: its key in the store and the version then current."""

    resource_id: int
    version: int
    section: str


@dataclass(frozen=True)
class Shown:
    """What a page of the record showed, in enough detail to build it again as it was."""

    page: str  # overview, a section name, document, timeline
    sections: tuple[str, ...]
    versions: tuple[ShownVersion, ...]
    params: Mapping[str, str] = field(default_factory=dict)  # the page's filters
    # the sources table: source, section, count, updated at source, received, newest entry
    tallies: tuple[tuple[str, str, int, str | None, str, str | None], ...] = ()
    new_since: datetime | None = None  # what "new since your last view" was measured from


@dataclass(frozen=True)
class AuditRecord:
    """An event to append. `actor` is the username, or `operator:<login>`, `source:<ODS>`."""

    actor: str
    action: str
    outcome: str  # success, failure, refused, error
    detail: Mapping[str, object]
    patient_id: str | None = None
    requester: Requester | None = None
    purpose: str | None = None
    relationship: str | None = None  # the legitimate relationship the grant rested on
    override: str | None = None  # or the override in force
    shown: Shown | None = None
    withheld: Mapping[str, int] = field(default_factory=dict)  # items kept back, by reason


# The actions that show a person's record; `view-withheld` shows only who they are.
RECORD_VIEWS = frozenset({"view-record", "view-timeline", "view-document"})


@dataclass(frozen=True)
class StoredEntry:
    """One entry as the log holds it: the fields the chain covers, and its links."""

    id: int
    occurred_at: datetime
    format: int
    actor: str
    action: str
    outcome: str
    patient_id: str | None
    organisation: str | None
    user_id: int | None
    role: str | None
    request_id: str | None
    detail: Mapping[str, object]
    prev_hash: str
    hash: str

    @property
    def shows_a_record(self) -> bool:
        """A record page that was shown (not refused, withheld or not found), with what it
        showed recorded: the views whose page can be rebuilt."""
        return (
            self.action in RECORD_VIEWS
            and self.outcome == "success"
            and self.patient_id is not None
            and isinstance(self.detail.get("shown"), Mapping)
        )


def context_of(record: AuditRecord) -> dict[str, object]:
    """Everything about the event beyond its indexed columns, as the `detail` column holds
    it: the event's own detail under `detail`, the rest under fixed names."""
    body: dict[str, object] = {"detail": dict(record.detail)}
    if record.requester is not None:
        r = record.requester
        body["user"] = {
            "id": r.user_id,
            "username": r.username,
            "name": r.name,
            "role": r.role,
            "organisation": r.organisation,
            "org_type": r.org_type,
            "region": r.region,
            "assurance": r.assurance,
        }
        body["client"] = {"address": r.client_address, "user_agent": r.user_agent}
    for name, value in (
        ("purpose", record.purpose),
        ("relationship", record.relationship),
        ("override", record.override),
    ):
        if value is not None:
            body[name] = value
    if record.shown is not None:
        s = record.shown
        body["shown"] = {
            "page": s.page,
            "sections": list(s.sections),
            "versions": [[v.resource_id, v.version, v.section] for v in s.versions],
            "params": dict(s.params),
            "tallies": [list(t) for t in s.tallies],
            "new_since": instant(s.new_since) if s.new_since else None,
        }
    if record.withheld:
        body["withheld"] = dict(record.withheld)
    return body


def instant(moment: datetime) -> str:
    """A moment as the chain spells it: UTC to the microsecond, whatever zone it came in."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
