"""The people of the permission matrix: one per row, with what a hospital shares about them
(a distinctive marker per section, "MARKER-allergies-00007") and the evidence, held by the
record itself, of the row's relationship between the person and the user's organisation.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from carerecord.store.records import Organisation
from tests.factories import make_org, make_patient, valid_nhs_number

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
LOINC = "http://loinc.org"
MARKER = re.compile(r"MARKER-[a-z-]+-\d{5}", re.IGNORECASE)  # medicines are in lower case

HOSPITAL = make_org("MKRHOSP", "acute", name="Marker Vale Hospital")  # shares every section
PRACTICE = make_org("GPXPRAC", "gp", name="Elsewhere Green Surgery")  # others' registered GP


@dataclass(frozen=True)
class Marker:
    text: str
    section: str
    resource_type: str


@dataclass(frozen=True)
class Person:
    n: int
    nhs_number: str
    family: str
    address: str
    telephone: str
    markers: tuple[Marker, ...]

    def marker(self, what: str) -> str:
        return f"MARKER-{what}-{self.n:05d}"


def person(n: int, relationship: str) -> Person:
    return Person(
        n,
        valid_nhs_number(1000 + n),
        f"ROWPERSON{n:05d}",
        f"{n} Quietwater Mews",
        f"020 7946 {n:04d}",
        tuple(Marker(*m) for m in _markers(n, relationship)),
    )


def trend_code(n: int) -> str:
    """The code of the person's one numeric result: no one else's result has it."""
    return f"{70000 + n}-1"


def markers_in(text: str) -> set[str]:
    return {"MARKER" + found[6:].lower() for found in MARKER.findall(text)}


def resources(
    who: Person, org: Organisation, relationship: str, restricted: bool
) -> Iterator[dict[str, Any]]:
    """What the hospital shares about the person, and the record's evidence of the
    relationship with the user's organisation `org` (of none, for "none")."""
    n = who.n
    gp = org.ods_code if relationship == "registered-gp" else PRACTICE.ods_code
    patient = make_patient(
        f"p{n}",
        who.nhs_number,
        family=who.family,
        given=("Row",),
        source=HOSPITAL.ods_code,
        gp_ods=gp,
        restricted=restricted,
        address=[{"use": "home", "line": [who.address], "city": "London", "postalCode": "E1 6AN"}],
        telecom=[{"system": "phone", "value": who.telephone, "use": "home"}],
    )
    yield patient
    yield from _shared_by_the_hospital(n)
    at = HOSPITAL.ods_code
    if relationship in ("recent-encounter", "none", "care-home-resident"):
        # The user's organisation holds its own record of the person.
        yield {**patient, "meta": _meta(org.ods_code)}
    if relationship in ("recent-encounter", "none"):
        days = 30 if relationship == "recent-encounter" else 730  # within the window, or not
        yield _encounter(n, org.ods_code, "visit", NOW - timedelta(days=days))
    if relationship == "none":
        yield _referral(n, at, "finished-referral", "completed", org.ods_code)
        yield _team(n, at, "ended-team", "inactive", org.ods_code)
    if relationship == "open-referral":
        yield _referral(n, at, "open-referral", "active", org.ods_code)
    if relationship == "care-team":
        yield _team(n, at, "team", "active", org.ods_code)


def _markers(n: int, relationship: str) -> Iterator[tuple[str, str, str]]:
    tag = f"{n:05d}"
    yield from (
        (f"MARKER-alerts-{tag}", "alerts", "Flag"),
        (f"MARKER-allergies-{tag}", "allergies", "AllergyIntolerance"),
        (f"MARKER-medications-{tag}", "medications", "MedicationStatement"),
        (f"MARKER-problems-{tag}", "problems", "Condition"),
        (f"MARKER-results-{tag}", "results", "Observation"),
        (f"MARKER-appointments-{tag}", "encounters", "Appointment"),
        (f"MARKER-encounters-{tag}", "encounters", "Encounter"),
        (f"MARKER-documents-{tag}", "documents", "DocumentReference"),
        (f"MARKER-letter-{tag}", "documents", "DocumentReference"),  # the letter's words
        (f"MARKER-scan-{tag}", "documents", "DocumentReference"),
        (f"MARKER-pdf-{tag}", "documents", "DocumentReference"),  # inside the scan's PDF
        (f"MARKER-referrals-{tag}", "referrals", "ServiceRequest"),
        (f"MARKER-care-plans-{tag}", "care-plans", "CarePlan"),
        (f"MARKER-care-team-{tag}", "care-team", "CareTeam"),
        (f"MARKER-community-{tag}", "community", "EpisodeOfCare"),
    )
    if relationship in ("recent-encounter", "none"):
        yield f"MARKER-visit-{tag}", "encounters", "Encounter"
    if relationship == "none":
        yield f"MARKER-finished-referral-{tag}", "referrals", "ServiceRequest"
        yield f"MARKER-ended-team-{tag}", "care-team", "CareTeam"
    if relationship == "open-referral":
        yield f"MARKER-open-referral-{tag}", "referrals", "ServiceRequest"
    if relationship == "care-team":
        yield f"MARKER-team-{tag}", "care-team", "CareTeam"


def _shared_by_the_hospital(n: int) -> Iterator[dict[str, Any]]:
    tag, at = f"{n:05d}", HOSPITAL.ods_code
    when = (NOW - timedelta(days=100)).date().isoformat()
    yield _item(n, at, "Flag", "alerts", status="active", code={"text": f"MARKER-alerts-{tag}"})
    yield _item(
        n,
        at,
        "AllergyIntolerance",
        "allergies",
        patient_field="patient",
        clinicalStatus=_coded(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"
        ),
        code={"text": f"MARKER-allergies-{tag}"},
        recordedDate=when,
    )
    yield _item(
        n,
        at,
        "MedicationStatement",
        "medications",
        status="active",
        medicationCodeableConcept={"text": f"MARKER-medications-{tag}"},
        effectiveDateTime=when,
    )
    yield _item(
        n,
        at,
        "Condition",
        "problems",
        clinicalStatus=_coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
        code={"text": f"MARKER-problems-{tag}"},
        onsetDateTime=when,
    )
    yield _item(
        n,
        at,
        "Observation",
        "results",
        status="final",
        code={
            "coding": [{"system": LOINC, "code": trend_code(n)}],
            "text": f"MARKER-results-{tag}",
        },
        valueQuantity={"value": 5.1, "unit": "mmol/L"},
        effectiveDateTime=when,
    )
    yield _item(
        n,
        at,
        "Appointment",
        "appointments",
        patient_field=None,
        status="booked",
        serviceType=[{"text": f"MARKER-appointments-{tag}"}],
        start=(NOW + timedelta(days=10)).isoformat(),
        participant=[{"actor": {"reference": f"Patient/p{n}"}, "status": "accepted"}],
    )
    yield _encounter(n, at, "encounters", NOW - timedelta(days=100))
    letter = base64.b64encode(f"Dear colleague, MARKER-letter-{tag}.".encode()).decode()
    yield _item(
        n,
        at,
        "DocumentReference",
        "documents",
        status="current",
        type={"text": f"MARKER-documents-{tag}"},
        date=f"{when}T10:00:00+00:00",
        content=[{"attachment": {"contentType": "text/plain", "data": letter}}],
    )
    pdf = base64.b64encode(f"%PDF-1.4\n% MARKER-pdf-{tag}\n%%EOF\n".encode()).decode()
    yield _item(
        n,
        at,
        "DocumentReference",
        "scan",
        status="current",
        type={"text": f"MARKER-scan-{tag}"},
        date=f"{when}T11:00:00+00:00",
        content=[{"attachment": {"contentType": "application/pdf", "data": pdf}}],
    )
    yield _referral(n, at, "referrals", "active", at)
    yield _item(
        n,
        at,
        "CarePlan",
        "care-plans",
        status="active",
        intent="plan",
        title=f"MARKER-care-plans-{tag}",
        period={"start": when},
    )
    yield _team(n, at, "care-team", "active", at)
    yield _item(
        n,
        at,
        "EpisodeOfCare",
        "community",
        patient_field="patient",
        status="active",
        type=[{"text": f"MARKER-community-{tag}"}],
        period={"start": when},
    )


def _encounter(n: int, source: str, what: str, when: datetime) -> dict[str, Any]:
    encounter = _item(
        n,
        source,
        "Encounter",
        what,
        status="finished",
        type=[{"text": f"MARKER-{what}-{n:05d}"}],
        period={"start": when.isoformat(), "end": (when + timedelta(hours=1)).isoformat()},
    )
    encounter["class"] = {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "AMB",
    }
    return encounter


def _referral(n: int, source: str, what: str, status: str, performer: str) -> dict[str, Any]:
    return _item(
        n,
        source,
        "ServiceRequest",
        what,
        status=status,
        intent="order",
        code={"text": f"MARKER-{what}-{n:05d}"},
        authoredOn=(NOW - timedelta(days=20)).isoformat(),
        performer=[{"identifier": {"system": ODS_SYSTEM, "value": performer}}],
    )


def _team(n: int, source: str, what: str, status: str, member: str) -> dict[str, Any]:
    return _item(
        n,
        source,
        "CareTeam",
        what,
        status=status,
        name=f"MARKER-{what}-{n:05d}",
        participant=[
            {
                "role": [{"text": "Key worker"}],
                "member": {"identifier": {"system": ODS_SYSTEM, "value": member}},
            }
        ],
    )


def _item(
    n: int,
    source: str,
    resource_type: str,
    local_id: str,
    patient_field: str | None = "subject",
    **fields: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": resource_type,
        "id": f"{local_id}-{n}",
        "meta": _meta(source),
        **fields,
    }
    if patient_field:
        resource[patient_field] = {"reference": f"Patient/p{n}"}
    return resource


def _meta(source: str) -> dict[str, str]:
    return {"lastUpdated": "2026-09-30T09:00:00+00:00", "source": f"urn:ods:{source}"}


def _coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}
