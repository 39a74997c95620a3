"""How a resource points at its patient."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from carerecord.fhir.extract import listed
from carerecord.nhs_number import SYSTEM as NHS_NUMBER_SYSTEM

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def is_fhir_id(value: object) -> bool:
    """Whether a value can be a FHIR resource id: 1 to 64 letters, digits, '-' and '.'."""
    return isinstance(value, str) and _FHIR_ID.fullmatch(value) is not None


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
        for participant in listed(resource.get("participant")):
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


# Shared directory entries (people, places, products) are cited by many records: they never
# go with an excluded item, and are not followed when looking for what an item depends on.
_DIRECTORY_TYPES = frozenset(
    {
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "HealthcareService",
        "Device",
        "Group",
        "RelatedPerson",
        "Medication",
        "Endpoint",
    }
)


def cited_resources(
    resource: dict[str, Any], bundle_refs: dict[str, tuple[str, str]] | None = None
) -> tuple[tuple[str, str], ...]:
    """The (type, id) of every clinical resource this one cites: relative references
    ("Encounter/123"), absolute ones ending that way, and bundle fullUrls (urn:uuid:...)."""
    found: list[tuple[str, str]] = []
    _collect_references(resource, found, bundle_refs or {})
    return tuple(dict.fromkeys(ref for ref in found if ref[0] not in _DIRECTORY_TYPES))


def cited_by(
    objects: Iterable[dict[str, Any]], bundle_refs: dict[str, tuple[str, str]] | None = None
) -> tuple[tuple[str, str], ...]:
    """cited_resources, from the resource's objects already gathered in document order (see
    ingest.limits.shape_of): the same answer without walking the resource again."""
    refs, found = bundle_refs or {}, []
    for node in objects:
        text = node.get("reference")
        if type(text) is str:
            cited = refs.get(text) or _relative(text)
            if cited is not None:
                found.append(cited)
    return tuple(dict.fromkeys(ref for ref in found if ref[0] not in _DIRECTORY_TYPES))


def _collect_references(value: Any, found: list[tuple[str, str]], bundle_refs: Any) -> None:
    if type(value) is dict:
        text = value.get("reference")
        if type(text) is str:
            cited = bundle_refs.get(text) or _relative(text)
            if cited is not None:
                found.append(cited)
        children: Any = value.values()
    else:
        children = value
    for child in children:
        if type(child) is dict or type(child) is list:
            _collect_references(child, found, bundle_refs)


def _relative(text: str) -> tuple[str, str] | None:
    parts = text.split("/_history", 1)[0].rstrip("/").split("/")
    if len(parts) < 2 or not parts[-2][:1].isupper() or not parts[-1]:
        return None
    return (parts[-2], parts[-1])
