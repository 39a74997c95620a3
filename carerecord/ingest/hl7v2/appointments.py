"""SIU: SCH with its AIS/AIP/AIL resources as a FHIR Appointment."""

from __future__ import annotations

from datetime import datetime, timedelta

from carerecord.ingest.hl7v2.context import Context, Resource
from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.segments import Segment
from carerecord.ingest.hl7v2.values import (
    codeable,
    fhir_id,
    instant,
    parse_ts,
    person_name,
    prune,
    text_of,
)

SCHEDULE_EVENTS = {"S12": "booked", "S13": "booked", "S14": "booked", "S15": "cancelled"}
SCHEDULE_EVENTS |= {"S17": "entered-in-error", "S26": "noshow"}
_UNITS = {"S": 1, "SEC": 1, "M": 60, "MIN": 60, "MINUTES": 60, "H": 3600, "HR": 3600}
_UNITS |= {"HOURS": 3600, "D": 86400, "DAY": 86400, "DAYS": 86400}


def _moment(text: str) -> datetime | None:
    parsed = parse_ts(text)
    return parsed[0] if parsed and parsed[1] >= 12 else None  # FHIR instants need a time


def _times(sch: Segment, ais: Segment | None) -> tuple[datetime | None, datetime | None]:
    start, end = _moment(sch.get(11, 4)), _moment(sch.get(11, 5))
    if start is None and ais is not None:
        start = _moment(ais.get(4))
        minutes = ais.get(5)
        unit = _UNITS.get(ais.get(6).upper(), 60)
        if start is not None and minutes.isdigit():
            end = start + timedelta(seconds=int(minutes) * unit)
    return start, end


def _participants(ctx: Context) -> list[Resource]:
    found: list[Resource] = [{"actor": ctx.patient_ref, "status": "accepted"}]
    for aip in ctx.message.all("AIP"):
        display = person_name(aip.rep(3), offset=1) or aip.get(3)
        if display:
            found.append({"actor": {"display": display}, "status": "accepted"})
    for ail in ctx.message.all("AIL"):
        display = " ".join(p for p in (ail.get(3, 1), ail.get(3, 2), ail.get(3, 4)) if p)
        if display:
            found.append({"actor": {"display": display}, "status": "accepted"})
    return found


def map_appointment(ctx: Context) -> list[Resource]:
    sch = ctx.message.first("SCH")
    if sch is None:
        raise HL7Error("The SIU message has no SCH segment.", "101", "SCH", reject=False)
    number = sch.get(1) or sch.get(2)
    if not number:
        raise HL7Error(
            "SCH-1 and SCH-2 (appointment ids) are both empty.",
            code="101",
            location="SCH^1^1",
            reject=False,
        )
    ais = ctx.message.first("AIS")
    start, end = _times(sch, ais)
    service = text_of(ais.rep(3)) if ais else ""
    appointment = {
        "resourceType": "Appointment",
        "id": fhir_id(number),
        "meta": ctx.meta,
        "identifier": [{"system": f"urn:ods:{fhir_id(ctx.ods)}:appointment-id", "value": number}],
        "status": SCHEDULE_EVENTS[ctx.header.trigger],
        "serviceType": [{"text": service}],
        "reasonCode": [codeable(sch.rep(7))],
        "description": text_of(sch.rep(8)) or service,
        "start": instant(start) if start else None,
        "end": instant(end) if end and start and end > start else None,
        "participant": _participants(ctx),
    }
    return [prune(appointment)]
