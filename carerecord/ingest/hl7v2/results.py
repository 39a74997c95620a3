"""ORU^R01: each OBR with its OBX results as a DiagnosticReport and its Observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carerecord.ingest.hl7v2 import observations
from carerecord.ingest.hl7v2.attachments import encapsulated, is_encapsulated
from carerecord.ingest.hl7v2.context import Context, Resource
from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.observations import Result
from carerecord.ingest.hl7v2.segments import Segment, as_text
from carerecord.ingest.hl7v2.values import codeable, fhir_datetime, fhir_id, instant, prune, to_utc

SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_IMAGING = {"RAD", "CT", "MR", "MRI", "US", "XR", "NMR", "NMS", "RX", "CUS", "OUS", "VUS", "DX"}
_REPORT_STATUS = {"F": "final", "C": "corrected", "P": "preliminary", "R": "partial"}
_REPORT_STATUS |= {"I": "registered", "O": "registered", "S": "registered", "X": "cancelled"}
_REPORT_STATUS |= {"A": "partial", "Y": "unknown", "Z": "unknown"}


@dataclass
class Order:
    obr: Segment
    notes: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)


def _orders(ctx: Context) -> list[Order]:
    """OBR groups in message order; NTE belongs to the OBR or OBX just before it."""
    orders: list[Order] = []
    for segment in ctx.message:
        if segment.name == "OBR":
            orders.append(Order(segment))
        elif not orders:
            continue
        elif segment.name == "OBX":
            _add_result(orders[-1], segment, ctx.warnings)
        elif segment.name == "NTE":
            note = "\n".join(as_text(rep) for rep in segment.reps(3))
            target = orders[-1].results[-1].notes if orders[-1].results else orders[-1].notes
            target.append(note)
    return orders


def _add_result(order: Order, obx: Segment, warnings: list[str]) -> None:
    if is_encapsulated(obx.get(2).upper(), obx.rep(5)):
        title = obx.get(3, 2) or obx.get(3, 1)
        attachment, problem = encapsulated(obx.rep(5), title)
        if attachment:
            order.forms.append(attachment)
        else:
            warnings.append(f"OBX {obx.get(1)}: the attached document {problem}; it was left out.")
        return
    lines = [as_text(rep) for rep in obx.reps(5)] or [""]
    if order.results and order.results[-1].continues(obx):
        order.results[-1].lines.extend(lines)
        return
    order.results.append(Result(obx, lines))


def _report_id(ctx: Context, obr: Segment, index: int) -> str:
    return fhir_id(obr.get(3) or obr.get(2) or f"{ctx.header.control_id}-{obr.get(1) or index}")


def _observation(
    ctx: Context, order: Order, result: Result, report_id: str, index: int
) -> Resource:
    obx = result.obx
    code = codeable(obx.rep(3)) or codeable(order.obr.rep(4))
    if code is None:
        code = {"text": "Result"}
        ctx.warnings.append(f"OBX {obx.get(1)}: OBX-3 has no code or name.")
    effective = fhir_datetime(obx.get(14)) or fhir_datetime(order.obr.get(7))
    category = "imaging" if _is_imaging(order.obr) else "laboratory"
    return prune(
        {
            "resourceType": "Observation",
            "id": fhir_id(report_id, obx.get(1) or str(index)),
            "meta": ctx.meta,
            "status": observations.status(obx),
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
            "code": code,
            "subject": ctx.patient_ref,
            "effectiveDateTime": effective,
            **observations.value(result, ctx.warnings),
            "interpretation": observations.interpretation(obx),
            "referenceRange": observations.reference_range(obx),
            "note": [{"text": note} for note in result.notes if note],
        }
    )


def _is_imaging(obr: Segment) -> bool:
    return obr.get(24).upper() in _IMAGING


def _report(ctx: Context, order: Order, report_id: str, results: list[Resource]) -> Resource:
    obr = order.obr
    code = codeable(obr.rep(4))
    if code is None:
        code = {"text": "Report"}
        ctx.warnings.append(f"OBR {obr.get(1)}: OBR-4 has no code or name.")
    section = "RAD" if _is_imaging(obr) else "LAB"
    issued = to_utc(obr.get(22))
    filler = obr.get(3) or obr.get(2)
    return prune(
        {
            "resourceType": "DiagnosticReport",
            "id": report_id,
            "meta": ctx.meta,
            "identifier": [{"system": f"urn:ods:{fhir_id(ctx.ods)}:order-number", "value": filler}]
            if filler
            else [],
            "status": _REPORT_STATUS.get(obr.get(25).upper(), "unknown"),
            "category": [{"coding": [{"system": SECTION, "code": section}]}],
            "code": code,
            "subject": ctx.patient_ref,
            "effectiveDateTime": fhir_datetime(obr.get(7)),
            "issued": instant(issued) if issued and len(obr.get(22)) >= 12 else None,
            "performer": [ctx.organisation],
            "result": [{"reference": f"Observation/{r['id']}"} for r in results],
            "conclusion": "\n".join(note for note in order.notes if note),
            "presentedForm": order.forms,
        }
    )


def map_results(ctx: Context) -> list[Resource]:
    orders = _orders(ctx)
    if not orders:
        raise HL7Error(
            "The ORU message has no OBR segment, so there is no report to record.",
            code="101",
            location="OBR",
            reject=False,
        )
    resources: list[Resource] = []
    for index, order in enumerate(orders, start=1):
        report_id = _report_id(ctx, order.obr, index)
        obs = [
            _observation(ctx, order, result, report_id, number)
            for number, result in enumerate(order.results, start=1)
        ]
        resources.append(_report(ctx, order, report_id, obs))
        resources.extend(obs)
    return resources
