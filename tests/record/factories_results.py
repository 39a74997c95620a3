"""Results and documents as sources send them (FHIR dicts), and as hand-made Items."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from typing import Any

from carerecord.record.items import Item, Provenance

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
POTASSIUM = ("2823-3", "Potassium [Moles/volume] in Serum or Plasma")
SODIUM = ("2951-2", "Sodium [Moles/volume] in Serum or Plasma")
CHEST_XRAY = ("399208008", "Plain chest X-ray")
DISCHARGE = ("18842-5", "Discharge summary")
LETTER = ("34133-9", "Summary of episode note")
SOURCES = {
    "F83004": ("Camden Road Surgery", "gp"),
    "RAL01": ("Royal Free London", "acute"),
}
_serial = itertools.count(1)


def _meta(source: str, updated: str) -> dict[str, Any]:
    return {"lastUpdated": updated, "source": f"urn:ods:{source}"}


def _concept(system: str, code: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code[0], "display": code[1]}]}


def observation(
    value: float | None,
    when: str,
    test: tuple[str, str] = POTASSIUM,
    unit: str = "mmol/L",
    low: float | None = 3.5,
    high: float | None = 5.3,
    flag: str | None = None,
    patient: str = "p1",
    source: str = "F83004",
    updated: str = "2026-10-01T09:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"obs{next(_serial)}",
        "meta": _meta(source, updated),
        "status": "final",
        "code": _concept(LOINC, test),
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
    }
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit}
    bounds = {k: {"value": v, "unit": unit} for k, v in (("low", low), ("high", high)) if v}
    if bounds:
        resource["referenceRange"] = [bounds]
    if flag:
        resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": flag}]}]
    resource.update(extra)
    return resource


def imaging_report(
    conclusion: str, when: str, patient: str = "p1", source: str = "RAL01"
) -> dict[str, Any]:
    """A report with a conclusion; without one (and with `result` references) a lab report."""
    return {
        "resourceType": "DiagnosticReport",
        "id": f"dr{next(_serial)}",
        "meta": _meta(source, "2026-10-01T09:00:00+00:00"),
        "status": "final",
        "code": _concept(SNOMED, CHEST_XRAY),
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "conclusion": conclusion,
    }


def attachment(
    text: str | bytes | None, content_type: str = "text/plain; charset=utf-8", **extra: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {"contentType": content_type, **extra}
    if text is not None:
        raw = text.encode("utf-8") if isinstance(text, str) else text
        found["data"] = base64.b64encode(raw).decode("ascii")
    return found


def document(
    title: str,
    when: str,
    kind: tuple[str, str] = LETTER,
    content: dict[str, Any] | None = None,
    author: str = "Dr A. Okafor",
    custodian: str | None = None,
    patient: str = "p1",
    source: str = "F83004",
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": f"doc{next(_serial)}",
        "meta": _meta(source, "2026-10-01T09:00:00+00:00"),
        "status": "current",
        "type": _concept(LOINC, kind),
        "subject": {"reference": f"Patient/{patient}"},
        "date": when,
        "author": [{"display": author}],
        "description": title,
        "content": [{"attachment": content or attachment(f"{title}\nAll well.")}],
    }
    if custodian:
        resource["custodian"] = {"display": custodian}
    return resource


def composition(
    title: str, when: str, div: str, patient: str = "p1", source: str = "RAL01"
) -> dict[str, Any]:
    return {
        "resourceType": "Composition",
        "id": f"comp{next(_serial)}",
        "meta": _meta(source, "2026-10-01T09:00:00+00:00"),
        "status": "final",
        "type": _concept(LOINC, DISCHARGE),
        "subject": {"reference": f"Patient/{patient}"},
        "date": when,
        "author": [{"display": "Ward 8 North"}],
        "title": title,
        "section": [{"title": "Diagnosis", "text": {"status": "generated", "div": div}}],
    }


def item_of(resource: dict[str, Any], source: str = "F83004") -> Item:
    """The Item the store would give back for this resource (code and date as ingest finds)."""
    coding = (resource.get("code") or resource.get("type") or {}).get("coding", [{}])[0]
    raw = resource.get("effectiveDateTime") or resource.get("date")
    clinical = datetime.fromisoformat(raw).replace(tzinfo=UTC) if raw else None
    name, org_type = SOURCES[source]
    section = (
        "documents"
        if resource["resourceType"] in ("DocumentReference", "Composition")
        else "results"
    )
    return Item(
        id=next(_serial),
        resource_type=resource["resourceType"],
        section=section,
        clinical_date=clinical,
        status=resource.get("status"),
        code_system=coding.get("system"),
        code=coding.get("code"),
        parsed=resource,
        provenance=Provenance(
            source, name, org_type, clinical, clinical, clinical or datetime.now(UTC)
        ),
    )
