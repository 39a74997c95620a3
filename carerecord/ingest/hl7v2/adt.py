"""ADT events applied to the stored Encounter: admit, transfer, discharge and their cancels."""

from __future__ import annotations

import copy

from carerecord.ingest.hl7v2.context import Context, Resource
from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.patient import local_id_of
from carerecord.ingest.hl7v2.segments import Segment, component
from carerecord.ingest.hl7v2.values import fhir_datetime, fhir_id, practitioner_ref, prune

ENCOUNTER_EVENTS = {"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A12", "A13"}
PATIENT_EVENTS = {"A28", "A31", "A40"}
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLASS = {"I": "IMP", "O": "AMB", "E": "EMER", "P": "PRENC"}
_CLASS_NAME = {"IMP": "inpatient encounter", "AMB": "ambulatory", "EMER": "emergency"}
_CLASS_NAME["PRENC"] = "pre-admission"
_STATUS = {"A01": "in-progress", "A04": "in-progress", "A05": "planned", "A11": "entered-in-error"}
_ATTENDER = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
    "code": "ATND",
    "display": "attender",
}


def needs_visit(trigger: str, pv1: Segment | None) -> bool:
    """Whether the event is about a visit. An A08 with no visit number and patient class N
    or blank (how many PAS systems send a change of address) is about the person only."""
    if trigger not in ENCOUNTER_EVENTS:
        return False
    if trigger != "A08" or pv1 is None:
        return trigger != "A08"
    return bool(pv1.get(19) or pv1.get(50)) or pv1.get(2).upper() not in {"", "N"}


def visit_id(pv1: Segment | None) -> str:
    visit = (pv1.get(19) or pv1.get(50)) if pv1 else ""
    if not visit:
        raise HL7Error(
            "PV1-19 (visit number) and PV1-50 (alternate visit id) are both empty, "
            "so the encounter cannot be identified.",
            code="101",
            location="PV1^1^19",
            reject=False,
        )
    return visit


def _location_display(pv1: Segment) -> str:
    rep = pv1.rep(3)
    parts = [component(rep, i) for i in (1, 2, 3)]
    return " ".join(p for p in parts if p) or component(rep, 4)


def _details(ctx: Context, pv1: Segment, visit: str) -> Resource:
    patient_class = pv1.get(2).upper()
    default = "AMB"
    code = _CLASS.get(patient_class, default)
    attending = practitioner_ref(pv1.rep(7))
    return prune(
        {
            "identifier": [{"system": f"urn:ods:{fhir_id(ctx.ods)}:visit-number", "value": visit}],
            "class": {"system": ACT_CODE, "code": code, "display": _CLASS_NAME[code]},
            "subject": ctx.patient_ref,
            "serviceType": {"text": pv1.get(10)},
            "participant": [{"type": [{"coding": [_ATTENDER]}], "individual": attending}]
            if attending
            else [],
            "hospitalization": {
                "admitSource": {"text": pv1.get(14)},
                "dischargeDisposition": {"text": pv1.get(36)},
            },
            "serviceProvider": ctx.organisation,
        }
    )


def _active(encounter: Resource) -> Resource | None:
    locations = encounter.get("location", [])
    return locations[-1] if locations and locations[-1].get("status") == "active" else None


def _complete(encounter: Resource, at: str | None) -> None:
    current = _active(encounter)
    if current is not None:
        current["status"] = "completed"
        if at:
            current.setdefault("period", {})["end"] = at


def _reactivate_last(encounter: Resource) -> None:
    locations = encounter.get("location", [])
    if locations:
        locations[-1]["status"] = "active"
        locations[-1].get("period", {}).pop("end", None)
        if not locations[-1].get("period"):
            locations[-1].pop("period", None)


def _move_to(encounter: Resource, display: str, at: str | None) -> None:
    """Make `display` the active location, closing the previous one; repeats change nothing."""
    current = _active(encounter)
    if not display or (current and current["location"].get("display") == display):
        return
    _complete(encounter, at)
    entry: Resource = {"location": {"display": display}, "status": "active"}
    if at:
        entry["period"] = {"start": at}
    encounter.setdefault("location", []).append(entry)


def _apply_event(encounter: Resource, event: str, pv1: Segment, at: str | None) -> None:
    display = _location_display(pv1)
    if event in {"A01", "A04", "A05", "A02", "A08"}:
        if event != "A08" or not encounter.get("location"):
            _move_to(encounter, display, at)
    elif event == "A03":
        end = fhir_datetime(pv1.get(45)) or at
        if not encounter.get("location"):
            _move_to(encounter, display, encounter.get("period", {}).get("start") or at)
        _complete(encounter, end)
        if end:
            encounter.setdefault("period", {})["end"] = end
        encounter["status"] = "finished"
    elif event == "A12":
        locations = encounter.get("location", [])
        if locations:
            locations.pop()
        _reactivate_last(encounter)
    elif event == "A13":
        encounter.get("period", {}).pop("end", None)
        encounter["status"] = "in-progress"
        _reactivate_last(encounter)
    if event in _STATUS:
        encounter["status"] = _STATUS[event]
    encounter["status"] = encounter.get("status") or ("finished" if pv1.get(45) else "in-progress")


def build_encounter(ctx: Context) -> Resource:
    pv1 = ctx.message.first("PV1")
    visit = visit_id(pv1)
    assert pv1 is not None  # visit_id raised otherwise
    encounter_id = fhir_id(visit)
    stored = ctx.current("Encounter", encounter_id)
    encounter: Resource = copy.deepcopy(stored) if stored else {}
    encounter.update({"resourceType": "Encounter", "id": encounter_id, "meta": ctx.meta})
    encounter.update(_details(ctx, pv1, visit))
    if ctx.header.trigger == "A04" and pv1.get(2).upper() != "E":
        encounter["class"] = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}
    at = ctx.event_time()
    start = fhir_datetime(pv1.get(44)) or encounter.get("period", {}).get("start") or at
    if start:
        encounter.setdefault("period", {})["start"] = start
    _apply_event(encounter, ctx.header.trigger, pv1, at)
    return dict(prune(encounter))


def merge_prior_id(ctx: Context) -> str:
    mrg = ctx.message.first("MRG")
    prior = local_id_of(mrg.reps(1)) if mrg else ""
    if not prior:
        raise HL7Error(
            "MRG-1 (prior patient identifier) is empty, so there is nothing to merge.",
            code="101",
            location="MRG^1^1",
            reject=False,
        )
    return prior
