"""What an acute hospital trust records: attendances, admissions, results, letters.

The same stays and results are also sent as HL7 v2 (see ``hl7v2``); the Encounter's
identifier is the HL7 visit number (PV1-19) and each DiagnosticReport's identifier the
filler order number (OBR-3), so the two feeds describe one set of events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from carerecord.synth import care, demographics, documents, gp, results
from carerecord.synth.codes import (
    CLASS_EMERGENCY,
    CLASS_INPATIENT,
    DOC_DISCHARGE,
    DOC_ED,
    ENCOUNTER_ADMISSION,
    ENCOUNTER_ED,
    NOT_FOR_RESUSCITATION,
)
from carerecord.synth.results import LabReport
from carerecord.synth.source import Source
from carerecord.synth.story import Stay, Story, make_stays

ACUTE_WARDS = (
    "Acute Medical Unit",
    "Elderly Care Ward",
    "Respiratory Ward",
    "Cardiology Ward",
    "General Medicine Ward",
)
_XRAY = {
    "233604007": "Right lower lobe consolidation in keeping with pneumonia.",
    "267036007": "No focal consolidation. Mild cardiomegaly. No effusion.",
}


@dataclass
class HospitalEvents:
    """What the trust's HL7 feed will say about this patient."""

    stays: list[Stay] = field(default_factory=list)
    reports: list[LabReport] = field(default_factory=list)
    imaging: list[tuple[str, datetime, str]] = field(default_factory=list)  # number, taken, text


def visit_system(source: Source) -> str:
    return f"https://fhir.{source.ods.lower()}.nhs.uk/Id/visit-number"


def record(rng: random.Random, source: Source, story: Story) -> HospitalEvents:
    events = HospitalEvents(stays=make_stays(rng, story, f"V{source.ods}", ACUTE_WARDS))
    demographics.patient(source, story)
    for code, category in story.alerts[:1]:
        care.flag(source, events.stays[0].start, code, category)
    if story.end_of_life and events.stays:
        # The ward records the resuscitation decision too: the record view must show one
        # alert with two sources, not two alerts.
        care.flag(source, events.stays[-1].start, NOT_FOR_RESUSCITATION, "clinical")
    for allergy in story.allergies:
        gp.allergy_intolerance(source, allergy)
    for number, stay in enumerate(events.stays):
        encounter_ref = encounter(source, stay)
        _diagnosis(source, stay, encounter_ref)
        _investigations(rng, source, story, stay, events, number)
        _letter(source, story, stay, encounter_ref)
    _medicines_on_admission(source, story, events.stays[-1])
    last = events.stays[-1]
    care.referral(
        source,
        last.end,
        f"{source.org.name} outpatient clinic",
        f"Follow-up after {last.problem.display.lower()}",
        "active",
    )
    return events


def encounter(source: Source, stay: Stay) -> dict[str, Any]:
    content: dict[str, Any] = {
        "identifier": [{"system": visit_system(source), "value": stay.visit_number}],
        "status": "finished",
        "class": CLASS_INPATIENT if stay.kind == "admission" else CLASS_EMERGENCY,
        "type": [(ENCOUNTER_ADMISSION if stay.kind == "admission" else ENCOUNTER_ED).concept()],
        "subject": source.patient(),
        "period": {"start": stay.start.isoformat(), "end": stay.end.isoformat()},
        "reasonCode": [{"text": stay.complaint}],
        "serviceProvider": source.me(),
    }
    if stay.wards:
        content["location"] = _locations(stay)
        content["hospitalization"] = {
            "admitSource": {"text": "Emergency department"},
            "dischargeDisposition": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
                        "code": "home",
                        "display": "Home",
                    }
                ]
            },
        }
    return source.add("Encounter", stay.end, **content)


def _locations(stay: Stay) -> list[dict[str, Any]]:
    moves = []
    for number, (ward, arrived) in enumerate(stay.wards):
        left = stay.wards[number + 1][1] if number + 1 < len(stay.wards) else stay.end
        moves.append(
            {
                "location": {"display": ward},
                "status": "completed",
                "period": {"start": arrived.isoformat(), "end": left.isoformat()},
            }
        )
    return moves


def _diagnosis(source: Source, stay: Stay, encounter_ref: dict[str, Any]) -> None:
    source.add(
        "Condition",
        stay.end,
        clinicalStatus=gp.condition_status("resolved"),
        category=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "encounter-diagnosis",
                    }
                ]
            }
        ],
        code=stay.problem.concept(),
        subject=source.patient(),
        encounter=source.ref(encounter_ref),
        onsetDateTime=stay.start.isoformat(),
        abatementDateTime=stay.end.isoformat(),
        recordedDate=stay.start.isoformat(),
    )


def _investigations(
    rng: random.Random,
    source: Source,
    story: Story,
    stay: Stay,
    events: HospitalEvents,
    number: int,
) -> None:
    taken = stay.start + timedelta(minutes=rng.randrange(20, 90))
    for panel in ("renal", "fbc", "crp"):
        filler = f"L{source.ods}{story.person.index:07d}{number}{panel[0].upper()}"
        report = results.admission_report(rng, story, panel, taken, filler)
        results.lab_resources(
            source, report, f"{source.org.name} Pathology", story.person.gender == "female"
        )
        events.reports.append(report)
    finding = _XRAY.get(stay.problem.code)
    if finding is not None:
        filler = f"X{source.ods}{story.person.index:07d}{number}"
        results.imaging_report(source, taken, filler, finding)
        events.imaging.append((filler, taken, finding))


def _letter(source: Source, story: Story, stay: Stay, encounter_ref: dict[str, Any]) -> None:
    if stay.kind == "admission":
        text = documents.discharge_summary(story, source, stay)
        documents.document(
            source, stay.end, DOC_DISCHARGE, "Discharge summary", text, encounter_ref
        )
    else:
        text = documents.ed_summary(story, source, stay)
        documents.document(
            source, stay.end, DOC_ED, "Emergency department summary", text, encounter_ref
        )


def _medicines_on_admission(source: Source, story: Story, stay: Stay) -> None:
    """The hospital's reconciliation of the GP's regular medicines.

    One patient in three has the first of them stopped on the ward (the GP record still
    shows it active until the discharge letter is acted on).
    """
    current = [
        c for c in story.courses if c.repeat and c.stopped is None and c.start < stay.start.date()
    ]
    for number, course in enumerate(current):
        stopped = number == 0 and story.person.index % 3 == 1
        content: dict[str, Any] = {
            "status": "stopped" if stopped else "active",
            "medicationCodeableConcept": course.medicine.concept(),
            "subject": source.patient(),
            "context": {"display": f"Admission {stay.visit_number}"},
            "effectivePeriod": {"start": course.start.isoformat()},
            "dateAsserted": stay.start.isoformat(),
            "informationSource": source.me(),
            "dosage": [{"text": course.medicine.dose}],
        }
        if stopped:
            content["statusReason"] = [
                {"text": "Stopped on admission: low blood pressure and acute kidney injury"}
            ]
            content["effectivePeriod"]["end"] = stay.start.date().isoformat()
        source.add("MedicationStatement", stay.start, **content)
