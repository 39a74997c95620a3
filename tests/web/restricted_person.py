"""A restricted person (meta.security R: at risk if found) with a distinctive address, telephone
numbers and registered GP practice, known to several organisations the way a real record is:
the practice itself shares their details, allergies, problems, an appointment and a letter; a
hospital, a community service, a care home and a mental health team hold their own parts, some
of which name the practice (a referral back to it, the team it belongs to, where an
appointment was). Users of every role that opens records sit in each of those organisations.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_org, make_patient, register, valid_nhs_number, write_ndjson

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"

NHS_NUMBER = valid_nhs_number(4242)
FAMILY, GIVEN, BORN = "QUILLFEATHER", "Robin", "1984-07-21"
ADDRESS = ("17 Larkspur Hidden Row", "Tufnell Park", "N19 3QZ")
PHONES = ("020 7946 0321", "07700 900321")
EMAIL = "robin.q@example.org"

PRACTICE = make_org("LQS9Z", "gp", name="Larkhill Quietway Surgery")
HOSPITAL = make_org("RBG01", "acute", name="Redbrook General Hospital")
COMMUNITY = make_org("FCS01", "community", name="Ferncliffe Community Services")
CARE_HOME = make_org("WCH01", "care-home", name="Willowmead Care Home")
MENTAL_HEALTH = make_org("MCM01", "mental-health", name="Meadowcroft Mental Health")
URGENT_CARE = make_org("SUC01", "community", name="Stonegate Urgent Care")  # no relationship
ORGANISATIONS = (PRACTICE, HOSPITAL, COMMUNITY, CARE_HOME, MENTAL_HEALTH, URGENT_CARE)

# Where a user works, for each relationship the record shows with them.
RELATIONSHIPS = {
    "registered-gp": PRACTICE,
    "recent-encounter": HOSPITAL,
    "open-referral": COMMUNITY,
    "care-home-resident": CARE_HOME,
    "care-team": MENTAL_HEALTH,
}

# Every text that would say where the person lives, how to reach them, or who their GP is.
HIDDEN = (*ADDRESS, *PHONES, EMAIL, PRACTICE.name, PRACTICE.ods_code)


def seed(store: Store, folder: Path) -> None:
    register(store, *ORGANISATIONS)
    counts = ingest_paths(store, [write_ndjson(folder / "restricted.ndjson", *resources())])
    assert counts.quarantined == 0, counts.quarantine_reasons


def resources() -> Iterator[dict[str, Any]]:
    for org in (PRACTICE, HOSPITAL, COMMUNITY, CARE_HOME, MENTAL_HEALTH):  # each its own record
        yield _patient(org.ods_code)
    yield from _from_the_practice()
    yield from _from_the_hospital()
    yield _item(
        COMMUNITY.ods_code,
        "EpisodeOfCare",
        "episode",
        subject_field="patient",
        status="active",
        type=[{"text": "Community nursing"}],
        period={"start": "2026-06-01"},
        careManager={"display": "Nurse H. Ellery"},
    )
    yield _item(
        MENTAL_HEALTH.ods_code,
        "CareTeam",
        "team",
        status="active",
        name="Community mental health team",
        participant=[
            {"role": [{"text": "Care coordinator"}], "member": {"display": "Ms K. Odum"}},
            {"role": [{"text": "Team base"}], "member": _org_ref(MENTAL_HEALTH)},
            {"role": [{"text": "GP"}], "member": _org_ref(PRACTICE)},
        ],
    )


def _from_the_practice() -> Iterator[dict[str, Any]]:
    at = PRACTICE.ods_code
    yield _item(
        at,
        "AllergyIntolerance",
        "allergy",
        subject_field="patient",
        clinicalStatus=_coded("allergyintolerance-clinical", "active"),
        code={"text": "Allergy to latex"},
        recordedDate="2020-02-02",
    )
    yield _item(
        at,
        "Condition",
        "problem",
        clinicalStatus=_coded("condition-clinical", "active"),
        code={"text": "Asthma"},
        onsetDateTime="2012-05-05",
    )
    yield _item(
        at,
        "Appointment",
        "appointment",
        subject_field=None,
        status="booked",
        serviceType=[{"text": "Asthma review"}],
        start=(NOW + timedelta(days=7)).isoformat(),
        participant=[
            {"actor": {"reference": "Patient/person"}, "status": "accepted"},
            {"actor": {"display": f"{PRACTICE.name}, room 2"}, "status": "accepted"},
        ],
    )
    letter = f"Dear colleague, Robin attended {PRACTICE.name} for an asthma review."
    yield _document(at, "gp-letter", "GP letter", letter.replace(PRACTICE.name, "the surgery"))


def _from_the_hospital() -> Iterator[dict[str, Any]]:
    at = HOSPITAL.ods_code
    yield _item(
        at,
        "Observation",
        "result",
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "2345-7"}], "text": "Glucose"},
        valueQuantity={"value": 5.4, "unit": "mmol/L"},
        effectiveDateTime="2026-09-20T10:00:00+00:00",
    )
    yield _item(
        at,
        "Encounter",
        "visit",
        status="finished",
        type=[{"text": "Asthma clinic"}],
        period={"start": "2026-09-20T10:00:00+00:00", "end": "2026-09-20T11:00:00+00:00"},
        location=[{"location": {"display": "Respiratory clinic"}}],
    )
    yield _item(
        at,
        "ServiceRequest",
        "to-community",
        status="active",
        intent="order",
        code={"text": "Referral to community nursing"},
        authoredOn="2026-09-20",
        performer=[_org_ref(COMMUNITY)],
    )
    yield _item(
        at,
        "ServiceRequest",
        "back-to-gp",
        status="active",
        intent="order",
        code={"text": "Follow-up by GP"},
        authoredOn="2026-09-21",
        performer=[_org_ref(PRACTICE)],
    )
    yield _document(at, "discharge", "Discharge summary", "Discharged home, well.")
    pdf = b"%PDF-1.4\n% clinic letter\n%%EOF\n"
    yield _item(
        at,
        "DocumentReference",
        "scan",
        status="current",
        type={"text": "Clinic letter"},
        date="2026-09-21T09:00:00+00:00",
        content=[{"attachment": {"contentType": "application/pdf", "data": _b64(pdf)}}],
    )


def _patient(source: str) -> dict[str, Any]:
    line, town, postcode = ADDRESS
    return make_patient(
        "person",
        NHS_NUMBER,
        family=FAMILY,
        given=(GIVEN,),
        birth_date=BORN,
        source=source,
        gp_ods=None,
        restricted=True,
        address=[{"use": "home", "line": [line], "city": town, "postalCode": postcode}],
        telecom=[
            {"system": "phone", "value": PHONES[0], "use": "home"},
            {"system": "phone", "value": PHONES[1], "use": "mobile"},
            {"system": "email", "value": EMAIL},
        ],
        generalPractitioner=[_org_ref(PRACTICE)],
    )


def _document(source: str, local_id: str, kind: str, words: str) -> dict[str, Any]:
    organisation = PRACTICE if source == PRACTICE.ods_code else HOSPITAL
    return _item(
        source,
        "DocumentReference",
        local_id,
        status="current",
        type={"text": kind},
        date="2026-09-22T09:00:00+00:00",
        author=[{"display": "Dr A. Penhallow"}],
        custodian=_org_ref(organisation),
        content=[{"attachment": {"contentType": "text/plain", "data": _b64(words.encode())}}],
    )


def _item(
    source: str,
    resource_type: str,
    local_id: str,
    subject_field: str | None = "subject",
    **fields: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": resource_type,
        "id": local_id,
        "meta": {"lastUpdated": "2026-09-30T09:00:00+00:00", "source": f"urn:ods:{source}"},
        **fields,
    }
    if subject_field:
        resource[subject_field] = {"reference": "Patient/person"}
    return resource


def _org_ref(org: Any) -> dict[str, Any]:
    return {"identifier": {"system": ODS_SYSTEM, "value": org.ods_code}, "display": org.name}


def _coded(system: str, code: str) -> dict[str, Any]:
    url = f"http://terminology.hl7.org/CodeSystem/{system}"
    return {"coding": [{"system": url, "code": code}]}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
