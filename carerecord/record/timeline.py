"""One person's whole record in date order: every item of every section, saying what it is.

Pure functions over Items. What an encounter was (an admission, an emergency department
attendance, an ambulance call-out...) is decided here too, so the timeline and the
encounters page call the same things by the same names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from carerecord.record.items import Item
from carerecord.record.sections import SectionView

# What each type of resource is, in words.
KINDS: dict[str, str] = {
    "Flag": "Alert",
    "AllergyIntolerance": "Allergy or intolerance",
    "MedicationStatement": "Medicine",
    "MedicationRequest": "Prescription",
    "MedicationDispense": "Dispensed medicine",
    "Condition": "Problem or diagnosis",
    "DiagnosticReport": "Result report",
    "Observation": "Result",
    "ImagingStudy": "Imaging",
    "Appointment": "Appointment",
    "Encounter": "Contact",
    "DocumentReference": "Document",
    "Composition": "Document",
    "ServiceRequest": "Referral",
    "CarePlan": "Care plan",
    "Goal": "Goal",
    "CareTeam": "Care team",
    "RelatedPerson": "Support network",
    "PractitionerRole": "Practitioner",
    "EpisodeOfCare": "Episode of care",
}

ADMISSION = "Admission"
EMERGENCY = "Emergency department attendance"
AMBULANCE = "Ambulance call-out"
TELEPHONE = "Telephone assessment"
CONTACT = "Contact"

# Encounter.class (v3 ActCode) to what the encounter was.
_BY_CLASS = {"IMP": ADMISSION, "EMER": EMERGENCY, "FLD": AMBULANCE, "VR": TELEPHONE}


def encounter_kind(item: Item) -> str:
    """What an Encounter was: its class first; an ambulance service's contacts are call-outs."""
    klass = item.resource.get("class")
    code = klass.get("code") if isinstance(klass, dict) else None
    if isinstance(code, str) and code in _BY_CLASS:
        return _BY_CLASS[code]
    if item.provenance.org_type == "ambulance":
        return AMBULANCE
    return CONTACT


def kind_of(item: Item) -> str:
    if item.resource_type == "Encounter":
        return encounter_kind(item)
    return KINDS.get(item.resource_type, item.resource_type)


@dataclass(frozen=True)
class Entry:
    item: Item
    section: str
    kind: str  # what it is, in words
    when: datetime | None


def timeline(sections: Iterable[SectionView]) -> tuple[Entry, ...]:
    """Every item of these sections, newest first; undated items last, in a stable order."""
    entries = [
        Entry(item, view.section, kind_of(item), item.clinical_date)
        for view in sections
        for item in view.items
    ]
    dated = sorted(
        (e for e in entries if e.when is not None),
        key=lambda e: (_aware(e.when), e.item.id),
        reverse=True,
    )
    undated = sorted((e for e in entries if e.when is None), key=lambda e: e.item.id)
    return (*dated, *undated)


def _aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
