"""PID and PD1 to a FHIR Patient whose id is the sender's own patient number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.segments import Message, Rep, Segment, component
from carerecord.ingest.hl7v2.values import ODS_SYSTEM, fhir_date, fhir_datetime, fhir_id, prune
from carerecord.nhs_number import SYSTEM as NHS_SYSTEM

_NHS_AUTHORITIES = {"NHS", "NHSNBR", "NHS NUMBER", "NHSNUMBER"}
_LOCAL_TYPES = ("MR", "PI", "PAS", "PN")
_GENDER = {"M": "male", "F": "female", "U": "unknown", "O": "other", "1": "male", "2": "female"}
_NAME_USE = {"L": "official", "D": "usual", "N": "nickname", "M": "maiden", "A": "anonymous"}
_PHONE_USE = {"PRN": "home", "WPN": "work", "ORN": "work", "PRS": "mobile", "NET": None}


def is_nhs_number(rep: Rep) -> bool:
    authority = component(rep, 4).upper()
    return component(rep, 5).upper() == "NH" or authority in _NHS_AUTHORITIES


def local_id_of(reps: list[Rep]) -> str:
    """The sender's patient number: a MR/PI/PAS/PN id, else any non-NHS id, else the NHS no."""
    ids = [rep for rep in reps if component(rep, 1)]
    local = [rep for rep in ids if not is_nhs_number(rep)]
    preferred = [rep for rep in local if component(rep, 5).upper() in _LOCAL_TYPES]
    chosen = (preferred or local or ids or [()])[0]
    return component(chosen, 1)


@dataclass(frozen=True)
class PatientIds:
    local_id: str  # as sent
    resource_id: str  # as a FHIR id
    nhs_number: str


def patient_ids(pid: Segment) -> PatientIds:
    reps = pid.reps(3)
    nhs = next((component(r, 1) for r in reps if is_nhs_number(r) and component(r, 1)), "")
    if not nhs and component(pid.rep(2), 5).upper() == "NH":
        nhs = pid.get(2)
    local = local_id_of(reps) or nhs
    if not local:
        raise HL7Error(
            "PID-3 holds no patient identifier, so the patient cannot be recorded.",
            code="101",
            location="PID^1^3",
            reject=False,
        )
    return PatientIds(local, fhir_id(local), nhs.replace(" ", ""))


def _name(rep: Rep) -> dict[str, Any]:
    given = [component(rep, 2), *component(rep, 3).split()]
    return prune(
        {
            "use": _NAME_USE.get(component(rep, 7).upper()),
            "family": component(rep, 1),
            "given": given,
            "prefix": [component(rep, 5)],
            "suffix": [component(rep, 4)],
        }
    )


def _address(rep: Rep) -> dict[str, Any]:
    lines = [component(rep, 1), component(rep, 2)]
    return prune(
        {
            "line": lines,
            "city": component(rep, 3),
            "district": component(rep, 4),
            "postalCode": component(rep, 5),
            "country": component(rep, 6),
        }
    )


def _telecom(rep: Rep, default_use: str) -> dict[str, Any]:
    use_code = component(rep, 2).upper()
    email = component(rep, 4)
    if use_code == "NET" or (email and "@" in email):
        return prune({"system": "email", "value": email or component(rep, 1)})
    number = component(rep, 1) or "".join(component(rep, i) for i in (5, 6, 7))
    return prune({"system": "phone", "value": number, "use": _PHONE_USE.get(use_code, default_use)})


def _general_practitioner(pd1: Segment | None) -> list[dict[str, Any]]:
    if pd1 is None:
        return []
    found = []
    for rep in pd1.reps(3):
        code, name = component(rep, 10) or component(rep, 3), component(rep, 1)
        identifier = {"system": ODS_SYSTEM, "value": code} if code else None
        found.append(prune({"type": "Organization", "identifier": identifier, "display": name}))
    for rep in pd1.reps(4):
        names = [component(rep, i) for i in (6, 3, 4, 2)]
        display = " ".join(n for n in names if n)
        code = component(rep, 1)
        identifier = {"value": code} if code else None
        found.append(prune({"type": "Practitioner", "identifier": identifier, "display": display}))
    return [gp for gp in found if len(gp) > 1]


def build_patient(message: Message, meta: dict[str, Any], ods: str) -> dict[str, Any]:
    pid = message.first("PID")
    if pid is None:
        raise HL7Error("The message has no PID segment.", "101", "PID", reject=False)
    ids = patient_ids(pid)
    identifiers = [{"system": f"urn:ods:{fhir_id(ods)}:local-patient-id", "value": ids.local_id}]
    if ids.nhs_number:
        identifiers.insert(0, {"system": NHS_SYSTEM, "value": ids.nhs_number})
    deceased: dict[str, Any] = {}
    if fhir_datetime(pid.get(29)):
        deceased["deceasedDateTime"] = fhir_datetime(pid.get(29))
    elif pid.get(30).upper() == "Y":
        deceased["deceasedBoolean"] = True
    telecoms = [_telecom(r, "home") for r in pid.reps(13)]
    telecoms += [_telecom(r, "work") for r in pid.reps(14)]
    resource = {
        "resourceType": "Patient",
        "id": ids.resource_id,
        "meta": meta,
        "identifier": identifiers,
        "name": [_name(rep) for rep in pid.reps(5)],
        "gender": _GENDER.get(pid.get(8).upper()),
        "birthDate": fhir_date(pid.get(7)),
        "address": [_address(rep) for rep in pid.reps(11)],
        "telecom": [t for t in telecoms if t.get("value")],
        "generalPractitioner": _general_practitioner(message.first("PD1")),
        **deceased,
    }
    return dict(prune(resource))
