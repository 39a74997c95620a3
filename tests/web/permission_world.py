"""One database holding a person, a user and their relation for every row of the permission
matrix, set up the way the real system gets them: organisations in the registry, clinical data
through the ingest pipeline, users and sessions in the account store, declarations, overrides,
objections and a national-emergency period through the consent store.

Every person carries a distinctive marker per section ("MARKER-allergies-00007"), so a page can
be searched for anything it should not hold. Rows differ by user and by person, so one
database serves every row, and no row's outcome depends on another's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from carerecord.access.actors import SYSTEM
from carerecord.access.gate import RecordAccess
from carerecord.access.rules import AccessRules, load_rules
from carerecord.access.sign_in import token_hash
from carerecord.access.vocabulary import Role
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.store.account_records import AuditRecord, NewObjection
from carerecord.store.records import Organisation
from tests.factories import make_org, make_patient, register, valid_nhs_number, write_ndjson
from tests.support.staff import add_staff, session_for

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
COPI_NOW = NOW + timedelta(hours=6)  # inside the one national-emergency period
COPI_PERIOD = (COPI_NOW - timedelta(hours=2), COPI_NOW + timedelta(hours=2))
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
MARKER = re.compile(r"MARKER-[a-z-]+-\d{5}", re.IGNORECASE)  # medicines are in lower case

HOSPITAL = make_org("MKRHOSP", "acute", name="Marker Vale Hospital")  # shares every section
PRACTICE = make_org("GPXPRAC", "gp", name="Elsewhere Green Surgery")  # others' registered GP
_KINDS = {
    "registered-gp": ("gp", "RG", "Rowan Practice"),
    "care-home-resident": ("care-home", "RC", "Rowan Care Home"),
}
_STATUS_CODES = {"live": "LIVE", "pilot": "PILOT", "onboarding": "ONB"}


@dataclass(frozen=True)
class Marker:
    text: str
    section: str
    resource_type: str


@dataclass(frozen=True)
class Row:
    """One row of the matrix, set up: who asks, about whom, and how to ask as them."""

    n: int
    combination: Mapping[str, str]
    username: str
    org: Organisation
    nhs_number: str
    family: str
    address: str
    telephone: str
    markers: tuple[Marker, ...]
    patient_id: str
    document_id: int
    session_token: str
    now: datetime

    @property
    def restricted(self) -> bool:
        return self.combination["restricted"] == "yes"

    def practice(self) -> Organisation:
        """The person's registered GP practice."""
        return self.org if self.combination["relationship"] == "registered-gp" else PRACTICE


def organisation_for(combination: Mapping[str, str]) -> Organisation:
    """The user's organisation: a GP practice for a registered person, a care home for a
    resident, else a community service; in the row's rollout status."""
    kind, prefix, name = _KINDS.get(
        combination["relationship"], ("community", "RN", "Rowan Community Service")
    )
    status = combination["status"]
    return make_org(prefix + _STATUS_CODES[status], kind, name=f"{name} {status}", status=status)


def build(store: Store, folder: Path, combinations: Sequence[Mapping[str, str]]) -> list[Row]:
    """Seeds every row; returns them in the order given."""
    orgs = {organisation_for(c).ods_code: organisation_for(c) for c in combinations}
    register(store, HOSPITAL, PRACTICE, *orgs.values())
    people = [_person(n, c) for n, c in enumerate(combinations, start=1)]
    resources = [r for n, c in enumerate(combinations, start=1) for r in _resources(n, c)]
    ingest_paths(store, [write_ndjson(folder / "matrix.ndjson", *resources)])
    reader = RecordAccess(store, SYSTEM, load_rules(), NOW)
    store.consent.declare_copi(
        *COPI_PERIOD, "national emergency", "tests", NOW, AuditRecord("tests", "copi", "ok", {})
    )
    rows = []
    for n, combination in enumerate(combinations, start=1):
        nhs, family, address, telephone, markers = people[n - 1]
        patient_id = store.patient_id_for_nhs_number(nhs)
        assert patient_id is not None, f"row {n}: the person was not stored"
        documents = reader.view(patient_id, ["documents"]).sections["documents"].items
        org = organisation_for(combination)
        username, now = f"row-{n:05d}", COPI_NOW if combination["override"] == "copi" else NOW
        token = _user(store, username, org, combination, now)
        _consent(store, username, patient_id, token, combination, now)
        rows.append(
            Row(
                n,
                combination,
                username,
                org,
                nhs,
                family,
                address,
                telephone,
                markers,
                patient_id,
                documents[0].id,
                token,
                now,
            )
        )
    return rows


def visible_markers(row: Row, rules: AccessRules, shown: bool) -> set[str]:
    """The markers of the sections (and resource types) the row's user may see."""
    if not shown:
        return set()
    role = rules.for_role(Role(row.combination["role"]))
    return {
        m.text
        for m in row.markers
        if m.section in role.sections
        and m.resource_type in role.only_types.get(m.section, {m.resource_type})  # type: ignore[call-overload]
    }


def markers_in(text: str) -> set[str]:
    return {"MARKER" + found[6:].lower() for found in MARKER.findall(text)}


# -- The person ------------------------------------------------------------------------------


def _person(
    n: int, combination: Mapping[str, str]
) -> tuple[str, str, str, str, tuple[Marker, ...]]:
    markers = tuple(
        Marker(text, section, kind) for text, section, kind in _marker_list(n, combination)
    )
    return (
        valid_nhs_number(1000 + n),
        f"ROWPERSON{n:05d}",
        f"{n} Quietwater Mews",
        f"020 7946 {n:04d}",
        markers,
    )


def _marker_list(n: int, combination: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
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
        (f"MARKER-letter-{tag}", "documents", "DocumentReference"),  # the document's content
        (f"MARKER-referrals-{tag}", "referrals", "ServiceRequest"),
        (f"MARKER-care-plans-{tag}", "care-plans", "CarePlan"),
        (f"MARKER-care-team-{tag}", "care-team", "CareTeam"),
        (f"MARKER-community-{tag}", "community", "EpisodeOfCare"),
    )
    relationship = combination["relationship"]
    if relationship in ("recent-encounter", "none"):
        yield f"MARKER-visit-{tag}", "encounters", "Encounter"
    if relationship == "none":
        yield f"MARKER-finished-referral-{tag}", "referrals", "ServiceRequest"
        yield f"MARKER-ended-team-{tag}", "care-team", "CareTeam"
    if relationship == "open-referral":
        yield f"MARKER-open-referral-{tag}", "referrals", "ServiceRequest"
    if relationship == "care-team":
        yield f"MARKER-team-{tag}", "care-team", "CareTeam"


def _resources(n: int, combination: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """What the hospital shares about the person, and the evidence of the row's relationship."""
    nhs, family, address, telephone, _ = _person(n, combination)
    org = organisation_for(combination)
    relationship = combination["relationship"]
    gp = org.ods_code if relationship == "registered-gp" else PRACTICE.ods_code
    patient = make_patient(
        f"p{n}",
        nhs,
        family=family,
        given=("Row",),
        source=HOSPITAL.ods_code,
        gp_ods=gp,
        restricted=combination["restricted"] == "yes",
        address=[{"use": "home", "line": [address], "city": "London", "postalCode": "E1 6AN"}],
        telecom=[{"system": "phone", "value": telephone, "use": "home"}],
    )
    yield patient
    yield from _hospital_items(n)
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


def _hospital_items(n: int) -> Iterator[dict[str, Any]]:
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
        code={"text": f"MARKER-results-{tag}"},
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
    return _item(
        n,
        source,
        "Encounter",
        what,
        status="finished",
        **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
        type=[{"text": f"MARKER-{what}-{n:05d}"}],
        period={"start": when.isoformat(), "end": (when + timedelta(hours=1)).isoformat()},
    )


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


# -- The user and what the record holds about their access -----------------------------------

_TRAINED = {"current": timedelta(days=30), "expired": timedelta(days=400)}


def _user(
    store: Store, username: str, org: Organisation, combination: Mapping[str, str], now: datetime
) -> str:
    age = _TRAINED.get(combination["training"])
    trained_at = NOW - age if age is not None else None
    add_staff(store, username, org.ods_code, combination["role"], trained_at, NOW)
    token, _ = session_for(store, username, now)
    return token


def _consent(
    store: Store,
    username: str,
    patient_id: str,
    token: str,
    combination: Mapping[str, str],
    now: datetime,
) -> None:
    account = store.accounts.user_by_name(username)
    assert account is not None
    event = AuditRecord(username, "declare", "success", {}, patient_id)
    relationship, override = combination["relationship"], combination["override"]
    if relationship in ("self-declared", "lapsed-self-declared"):
        starts = NOW - timedelta(hours=1 if relationship == "self-declared" else 72)
        ends = starts + timedelta(hours=24)
        reason = "test: unplanned care"
        store.consent.declare(
            account.id,
            patient_id,
            "relationship",
            "unplanned-care",
            reason,
            starts,
            ends,
            None,
            event,
        )
    if override in ("emergency", "safeguarding"):
        store.consent.declare(
            account.id,
            patient_id,
            "override",
            override,
            "test: override",
            now,
            now + timedelta(minutes=60),
            token_hash(token),
            event,
        )
    if combination["objection"] in ("active", "withdrawn"):
        objection = NewObjection(patient_id, "tests", "the person asked not to share")
        store.consent.add_objection(objection, NOW - timedelta(days=5), event)
    if combination["objection"] == "withdrawn":
        held = store.consent.objections(patient_id)[0]
        store.consent.withdraw_objection(held.id, "tests", "changed their mind", NOW, event)
