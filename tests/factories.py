"""Plain factory functions for test data: FHIR dicts shaped like a source would send them."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson

from carerecord import nhs_number
from carerecord.organisations import organisation
from carerecord.store import Store
from carerecord.store.records import Organisation

_serial = itertools.count(1)


def valid_nhs_number(seed: int) -> str:
    """A test-range (999) NHS number with a correct check digit, different for each seed."""
    for candidate in itertools.count(seed * 7):
        first_nine = f"999{candidate % 1_000_000:06d}"
        digit = nhs_number.check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
    raise AssertionError("unreachable")


def make_org(ods_code: str = "F83004", org_type: str = "gp", **kw: Any) -> Organisation:
    names = {"gp": "Camden Road Surgery", "acute": "Royal Free London", "care-home": "Kallar Lodge"}
    return organisation(
        ods_code,
        kw.pop("name", names.get(org_type, f"Organisation {ods_code}")),
        org_type,
        kw.pop("region", "North Central London"),
        **kw,
    )


def register(store: Store, *orgs: Organisation) -> None:
    for org in orgs:
        store.save_organisation(org)


def make_patient(
    local_id: str = "p1",
    nhs: str | None = "9434765919",
    family: str = "SMITH",
    given: tuple[str, ...] = ("Jane",),
    birth_date: str = "1957-03-14",
    source: str = "F83004",
    gp_ods: str | None = "F83004",
    restricted: bool = False,
    deceased: str | None = None,
    last_updated: str = "2026-10-01T09:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": local_id,
        "meta": {"lastUpdated": last_updated, "source": f"urn:ods:{source}"},
        "identifier": [],
        "name": [{"use": "official", "family": family, "given": list(given), "prefix": ["Mrs"]}],
        "gender": "female",
        "birthDate": birth_date,
        "address": [
            {"use": "home", "line": ["12 Agar Grove"], "city": "London", "postalCode": "NW1 9SL"}
        ],
        "telecom": [{"system": "phone", "value": "020 7946 0000", "use": "home"}],
    }
    if nhs is not None:
        patient["identifier"].append({"system": nhs_number.SYSTEM, "value": nhs})
    if gp_ods:
        patient["generalPractitioner"] = [
            {
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": gp_ods,
                }
            }
        ]
    if restricted:
        patient["meta"]["security"] = [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                "code": "R",
                "display": "restricted",
            }
        ]
    if deceased:
        patient["deceasedDateTime"] = deceased
    patient.update(extra)
    return patient


def make_allergy(
    patient: str = "p1",
    source: str = "F83004",
    resource_id: str | None = None,
    code: str = "91936005",
    display: str = "Allergy to penicillin",
    last_updated: str = "2026-10-01T09:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    resource = {
        "resourceType": "AllergyIntolerance",
        "id": resource_id or f"a{next(_serial)}",
        "meta": {"lastUpdated": last_updated, "source": f"urn:ods:{source}"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]
        },
        "patient": {"reference": f"Patient/{patient}"},
        "recordedDate": "2019-05-02",
    }
    resource.update(extra)
    return resource


def make_condition(
    patient: str = "p1", source: str = "F83004", resource_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    resource = {
        "resourceType": "Condition",
        "id": resource_id or f"c{next(_serial)}",
        "meta": {"lastUpdated": "2026-10-01T09:00:00+00:00", "source": f"urn:ods:{source}"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "44054006",
                    "display": "Diabetes mellitus type 2",
                }
            ]
        },
        "subject": {"reference": f"Patient/{patient}"},
        "onsetDateTime": "2015-06-01",
    }
    resource.update(extra)
    return resource


def write_ndjson(path: Path, *resources: dict[str, Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in resources))
    return path


def write_bundle(path: Path, *resources: dict[str, Any], kind: str = "collection") -> Path:
    bundle = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
    path.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    return path
