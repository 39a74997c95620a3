"""Hand-made Items for the record's pure functions: no database, no ingest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from carerecord.record.items import Item, Provenance

_ids = itertools.count(1)
SNOMED = "http://snomed.info/sct"
DMD = "https://dmd.nhs.uk"
SOURCES = {
    "GP": ("F83004", "Camden Road Surgery", "gp"),
    "HOSPITAL": ("RAL01", "Royal Free London", "acute"),
}


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def item(
    resource: dict[str, Any],
    source: str = "GP",
    status: str | None = "active",
    updated: str = "2026-10-01T09:00",
    clinical: str | None = "2020-01-01T09:00",
    code: tuple[str, str] | None = None,
) -> Item:
    ods, name, org_type = SOURCES[source]
    return Item(
        id=next(_ids),
        resource_type=resource["resourceType"],
        section="",
        clinical_date=when(clinical) if clinical else None,
        status=status,
        code_system=code[0] if code else None,
        code=code[1] if code else None,
        parsed=resource,
        provenance=Provenance(
            ods_code=ods,
            name=name,
            org_type=org_type,
            recorded_at=when(clinical) if clinical else None,
            last_updated_at_source=when(updated),
            received_at=when(updated),
        ),
    )


def medicine(
    name: str = "Amlodipine 5mg tablets",
    dose: str = "One tablet once a day",
    source: str = "GP",
    status: str = "active",
    dmd: str | None = "319283006",
    resource_type: str = "MedicationStatement",
    updated: str = "2026-10-01T09:00",
    **extra: Any,
) -> Item:
    concept: dict[str, Any] = {"text": name}
    if dmd:
        concept["coding"] = [{"system": DMD, "code": dmd, "display": name}]
    resource: dict[str, Any] = {
        "resourceType": resource_type,
        "id": f"m{next(_ids)}",
        "status": status,
        "medicationCodeableConcept": concept,
        "dosage" if resource_type == "MedicationStatement" else "dosageInstruction": [
            {"text": dose}
        ],
        **extra,
    }
    return item(resource, source, status, updated, code=(DMD, dmd) if dmd else None)


def allergy(
    code: str = "91936005",
    display: str = "Allergy to penicillin",
    source: str = "GP",
    status: str = "active",
    reaction: str | None = "Urticaria",
    severity: str | None = None,
    updated: str = "2026-10-01T09:00",
) -> Item:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": f"a{next(_ids)}",
        "clinicalStatus": {"coding": [{"code": status}]},
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
    }
    if reaction:
        resource["reaction"] = [{"manifestation": [{"text": reaction}]}]
        if severity:
            resource["reaction"][0]["severity"] = severity
    return item(resource, source, status, updated, code=(SNOMED, code))
