"""How a resource points at its patient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord.nhs_number import SYSTEM as NHS_NUMBER_SYSTEM

# Fields that name the person a resource is about, in the order they are looked for.
_PATIENT_FIELDS = ("subject", "patient", "beneficiary")


@dataclass(frozen=True)
class PatientReference:
    """Either the source's own id for the patient, or an NHS number."""

    local_id: str | None = None
    nhs_number: str | None = None


def patient_reference(resource: dict[str, Any]) -> PatientReference | None:
    """The patient a resource is about, or None when it names no patient."""
    if resource.get("resourceType") == "Appointment":
        for participant in resource.get("participant") or ():
            found = _from_reference(
                participant.get("actor") if isinstance(participant, dict) else None
            )
            if found:
                return found
        return None
    for field_name in _PATIENT_FIELDS:
        found = _from_reference(resource.get(field_name))
        if found:
            return found
    return None


def _from_reference(reference: Any) -> PatientReference | None:
    if not isinstance(reference, dict):
        return None
    text = reference.get("reference")
    if isinstance(text, str) and text.startswith("urn:uuid:"):
        return PatientReference(local_id=text)  # the bundle it came in says which patient
    if isinstance(text, str) and (text.startswith("Patient/") or "/Patient/" in text):
        tail = text.split("Patient/", 1)[1]
        return PatientReference(local_id=tail.split("/_history")[0])
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("system") == NHS_NUMBER_SYSTEM:
        value = identifier.get("value")
        return PatientReference(nhs_number=value) if isinstance(value, str) else None
    return None
