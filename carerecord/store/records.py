"""What the store accepts and returns: plain frozen dataclasses, no SQLAlchemy outside store/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from carerecord.identity.patients import SearchKeys
from carerecord.organisations import Organisation

__all__ = [
    "IncomingResource",
    "Organisation",
    "QuarantineItem",
    "SectionTally",
    "StoredResource",
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


@dataclass
class WriteCounts:
    stored: int = 0  # new to carerecord
    updated: int = 0  # a new version replaced the current one
    unchanged: int = 0  # the same content again: nothing written
    older: int = 0  # older than the version held: kept in history, current unchanged
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteCounts) -> None:
        self.stored += other.stored
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older
        self.quarantined += other.quarantined
        for reason, count in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count


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
