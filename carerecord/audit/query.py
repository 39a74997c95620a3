"""What a search of the audit log asks for: pure values, read by the store's queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carerecord.audit.entry import StoredEntry

UK = ZoneInfo("Europe/London")

# The accesses to a person's record that "who has looked at this record" lists.
ACCESS_ACTIONS = (
    "view-record",
    "view-document",
    "view-timeline",
    "view-withheld",
    "search-nhs-number",
    "search-details",
    "override",
    "declare-relationship",
)


@dataclass(frozen=True)
class AuditQuery:
    """Entries matching every filter given; `start` inclusive, `end` exclusive."""

    user: str | None = None  # the actor: a username, operator:<login>, source:<ODS>
    organisation: str | None = None  # ODS code
    patient_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    actions: tuple[str, ...] = ()

    def as_detail(self) -> dict[str, object]:
        """The filters as the audit entry of the search records them."""
        return {
            "user": self.user,
            "organisation": self.organisation,
            "patient_id": self.patient_id,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class AuditPage:
    """One page of matching entries, newest first; `more` when another page follows."""

    entries: tuple[StoredEntry, ...]
    offset: int
    limit: int
    more: bool


def uk_days(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last`, UK time: the moments an inclusive
    range of days spans (a day is 23 or 25 hours when the clocks change)."""
    return start_of(first), start_of(last + timedelta(days=1))


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK)
