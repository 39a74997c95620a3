"""Which section of the record a FHIR resource belongs to (see ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Any

# Ordered as a clinician reads the record.
SECTIONS: tuple[str, ...] = (
    "demographics",
    "alerts",
    "allergies",
    "medications",
    "problems",
    "results",
    "encounters",
    "documents",
    "referrals",
    "care-plans",
    "care-team",
    "community",
)

SECTION_TITLES: dict[str, str] = {
    "demographics": "Demographics and GP",
    "alerts": "Alerts",
    "allergies": "Allergies",
    "medications": "Medications",
    "problems": "Problems and diagnoses",
    "results": "Results",
    "encounters": "Encounters",
    "documents": "Documents",
    "referrals": "Referrals",
    "care-plans": "Care plans and wishes",
    "care-team": "Involved teams and support network",
    "community": "Community, CAMHS and addiction events",
}

# Resources that support others (a Medication a MedicationRequest points at, the Binary behind
# a DocumentReference) are stored in no section of their own.
SUPPORTING = "supporting"

_BY_TYPE: dict[str, str] = {
    "Patient": "demographics",
    "Flag": "alerts",
    "AllergyIntolerance": "allergies",
    "MedicationStatement": "medications",
    "MedicationRequest": "medications",
    "MedicationDispense": "medications",
    "Condition": "problems",
    "DiagnosticReport": "results",
    "Observation": "results",
    "ImagingStudy": "results",
    "Appointment": "encounters",
    "Encounter": "encounters",
    "DocumentReference": "documents",
    "Composition": "documents",
    "ServiceRequest": "referrals",
    "CarePlan": "care-plans",
    "Goal": "care-plans",
    "CareTeam": "care-team",
    "RelatedPerson": "care-team",
    "PractitionerRole": "care-team",
    "EpisodeOfCare": "community",
}


def section_of(resource: dict[str, Any]) -> str:
    """The section a resource is shown in; SUPPORTING for everything that is not shown alone.

    Community, CAMHS and addiction services record an EpisodeOfCare and link each contact to
    it, so an Encounter that names an episode of care is one of those events.
    """
    resource_type = resource.get("resourceType")
    if resource_type == "Encounter" and resource.get("episodeOfCare"):
        return "community"
    return _BY_TYPE.get(str(resource_type), SUPPORTING)
