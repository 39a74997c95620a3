"""A first read model of one person: who they are, and what each source holds about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Telecom:
    system: str  # phone, email, ...
    value: str
    use: str | None = None


@dataclass(frozen=True)
class Demographics:
    patient_id: str  # opaque id used in URLs; never the NHS number
    nhs_number: str
    family: str | None
    given: tuple[str, ...]
    prefix: str | None
    preferred_name: str | None
    birth_date: date | None
    gender: str | None  # FHIR administrative gender: male, female, other, unknown
    deceased: bool
    deceased_at: date | None
    address: tuple[str, ...]  # lines, town, postcode in order; empty when unknown
    telecom: tuple[Telecom, ...]
    gp_practice: str | None  # registered GP practice name
    gp_practice_ods: str | None
    restricted: bool  # address, contact details and GP are never shown
    source_ods: str  # the source whose Patient resource these details come from
    source_updated_at: datetime | None


@dataclass(frozen=True)
class SourceHolding:
    """What one organisation has shared about the person."""

    ods_code: str
    name: str
    org_type: str
    region: str
    section_counts: dict[str, int] = field(default_factory=dict)
    last_updated_at_source: datetime | None = None
    last_received_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.section_counts.values())


@dataclass(frozen=True)
class PatientOverview:
    demographics: Demographics
    holdings: tuple[SourceHolding, ...]
