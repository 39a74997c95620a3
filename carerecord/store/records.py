"""What the store accepts and returns: plain frozen dataclasses, no SQLAlchemy outside store/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from carerecord.identity.patients import SearchKeys
from carerecord.organisations import Organisation

__all__ = [
    "Deletion",
    "ExcludedItem",
    "IncomingResource",
    "Merge",
    "Organisation",
    "QuarantineItem",
    "QuarantinedEntry",
    "SectionTally",
    "StoredResource",
    "Submission",
    "WriteCounts",
]


@dataclass(frozen=True)
class IncomingResource:
    """One validated FHIR resource from a source, with its indexed facts already extracted."""

    source_ods: str
    resource_type: str
    source_id: str
    section: str
    body: str  # compact JSON as received
    content_hash: str
    codes: tuple[str, ...]
    location: str  # where it came from (file:line), for quarantine and errors
    patient_local_id: str | None = None  # the source's own id for the patient it is about
    patient_nhs_number: str | None = None  # or the NHS number it names
    source_version: str | None = None
    last_updated_at_source: datetime | None = None
    clinical_date: datetime | None = None
    code_system: str | None = None
    code: str | None = None
    status: str | None = None
    hidden: bool = False
    search: SearchKeys | None = None  # for a Patient: what it can be looked up by
    references: tuple[tuple[str, str], ...] = ()  # (type, id) of the source's resources it cites
    replaced_by: str | None = None  # for a Patient: the local id that replaces this one
    # The latest lastUpdated believable when this was checked: a held version dated later
    # is not believed, and this one replaces it.
    believed_until: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source_ods, self.resource_type, self.source_id)


@dataclass(frozen=True)
class QuarantineItem:
    """Anything not stored, kept whole with the reason, so it can be fixed and retried."""

    input_format: str
    location: str
    reason_code: str
    reason: str
    raw: str
    source_ods: str | None = None
    resource_type: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class ExcludedItem:
    """A legally restricted item refused at ingest. Only its key is kept, never its content."""

    source_ods: str
    resource_type: str
    source_id: str
    category: str
    references: tuple[tuple[str, str], ...] = ()  # what it cites, which goes with it

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source_ods, self.resource_type, self.source_id)


@dataclass(frozen=True)
class Deletion:
    """The source withdrew a resource: hidden from the view, kept in history."""

    source_ods: str
    resource_type: str
    source_id: str


@dataclass(frozen=True)
class Merge:
    """The source merged two of its local patient ids: the prior one's data moves across."""

    source_ods: str
    prior_local_id: str
    surviving_local_id: str
    # Where the merge came from and what to keep if it is quarantined (a Patient.link's
    # resource); an HL7 message is kept whole by its own intake instead.
    location: str | None = None
    raw: str | None = None


@dataclass(frozen=True)
class Submission:
    """Everything one delivery asks of the store, written in one transaction."""

    resources: Sequence[IncomingResource] = ()
    rejected: Sequence[QuarantineItem] = ()
    excluded: Sequence[ExcludedItem] = ()
    deletions: Sequence[Deletion] = ()
    merges: Sequence[Merge] = ()


@dataclass
class WriteCounts:
    stored: int = 0  # new to carerecord
    updated: int = 0  # a new version replaced the current one
    unchanged: int = 0  # the same content again: nothing written
    older: int = 0  # older than the version held: kept in history, current unchanged
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    excluded: int = 0  # legally restricted: not stored
    excluded_categories: dict[str, int] = field(default_factory=dict)
    deleted: int = 0  # hidden at the source's request
    merged: int = 0  # resources moved by a merge of local patient ids
    # What this write did with each item, for answering the sender (not summed by add()):
    # (source, type, id) → "created", "updated", "unchanged" or "older"; and what it quarantined.
    outcomes: dict[tuple[str, str, str], str] = field(default_factory=dict)
    rejections: list[QuarantineItem] = field(default_factory=list)
    excluded_keys: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, other: WriteCounts) -> None:
        self.stored += other.stored
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older
        self.quarantined += other.quarantined
        for reason, count in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count
        self.excluded += other.excluded
        for category, count in other.excluded_categories.items():
            self.excluded_categories[category] = self.excluded_categories.get(category, 0) + count
        self.deleted += other.deleted
        self.merged += other.merged


@dataclass(frozen=True)
class StoredResource:
    """The current version of one resource, as the record layer reads it."""

    id: int
    source_ods: str
    resource_type: str
    source_id: str
    section: str
    version: int
    last_updated_at_source: datetime | None
    received_at: datetime
    clinical_date: datetime | None
    code_system: str | None
    code: str | None
    status: str | None
    body: str


@dataclass(frozen=True)
class SectionTally:
    """How many current items one source holds in one section of a patient's record."""

    source_ods: str
    section: str
    count: int
    last_updated_at_source: datetime | None
    last_received_at: datetime
    # The clinical date of its newest entry that is not dated after it arrived (a booked
    # appointment is not news, and a date ahead is a source's error, flagged apart).
    newest_entry: datetime | None = None


@dataclass(frozen=True)
class QuarantinedEntry:
    """A quarantine row as the tools that work the quarantine see it."""

    id: int
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int
    source_ods: str | None
    input_format: str
    location: str
    reason_code: str
    reason: str
    resource_type: str | None
    source_id: str | None
    raw: str
    status: str
    resolved_at: datetime | None
    resolution: str | None
