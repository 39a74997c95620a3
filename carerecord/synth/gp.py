"""What the registered GP practice records: the longest and widest part of the record."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from carerecord.synth import care, demographics, documents, results
from carerecord.synth.codes import (
    DOC_REFERRAL,
    NO_KNOWN_ALLERGY,
    NOT_FOR_RESUSCITATION,
    Code,
    sct,
)
from carerecord.synth.medicines import eps_extension
from carerecord.synth.source import Source
from carerecord.synth.story import Allergy, Course, Story, at

_SERVICE_NAMES = {
    "mental-health": "community mental health team",
    "community": "community health services",
    "social-care": "adult social care",
    "care-home": "care home placement",
    "acute": "hospital outpatient clinic",
}
_RESOLVED_INFECTION = sct("68566005", "Urinary tract infectious disease")
_MINOR_ILLNESSES = (
    sct("54150009", "Upper respiratory infection"),
    sct("44465007", "Sprain of ankle"),
)
_ADMIN_ALERTS = (
    "Prefers contact by text message",
    "Prefers letters in large print",
    "Needs an interpreter at appointments",
)


def record(rng: random.Random, source: Source, story: Story, lab: str) -> dict[str, Any]:
    """Write the GP's resources for this patient; returns the next-of-kin RelatedPerson."""
    demographics.patient(source, story)
    if story.objected:
        demographics.objection(rng, source, story)
    for code, category in story.alerts:
        care.flag(
            source, at(story.end - timedelta(days=rng.randrange(30, 900)), 10), code, category
        )
    if not story.alerts:
        care.text_flag(
            source,
            at(story.end - timedelta(days=rng.randrange(30, 900)), 10),
            rng.choice(_ADMIN_ALERTS),
        )
    _allergies(rng, source, story)
    for problem in story.problems:
        _condition(source, problem.spec.code, problem.onset, None)
    if not story.problems:
        onset = story.end - timedelta(days=rng.randrange(30, 700))
        onset = max(onset, story.person.birth_date)
        _condition(source, rng.choice(_MINOR_ILLNESSES), onset, onset + timedelta(days=10))
    for course in story.courses:
        _prescriptions(rng, source, story, course)
    for report in results.gp_reports(rng, story, f"G{source.ods[-3:]}"):
        results.lab_resources(source, report, lab, story.person.gender == "female")
    _appointments(rng, source, story)
    _referrals(rng, source, story)
    kin = demographics.related_person(rng, source, story)
    _plans(rng, source, story, kin)
    return kin


def _allergies(rng: random.Random, source: Source, story: Story) -> None:
    if not story.allergies:
        recorded = at(story.end - timedelta(days=rng.randrange(100, 3000)), 9)
        source.add(
            "AllergyIntolerance",
            recorded,
            clinicalStatus=_status("allergyintolerance-clinical", "active"),
            verificationStatus=_status("allergyintolerance-verification", "confirmed"),
            code=NO_KNOWN_ALLERGY.concept(),
            patient=source.patient(),
            recordedDate=recorded.isoformat(),
        )
        return
    for allergy in story.allergies:
        allergy_intolerance(source, allergy)


def allergy_intolerance(source: Source, allergy: Allergy) -> dict[str, Any]:
    recorded = at(allergy.recorded, 11)
    return source.add(
        "AllergyIntolerance",
        recorded,
        clinicalStatus=_status("allergyintolerance-clinical", "active"),
        verificationStatus=_status("allergyintolerance-verification", "confirmed"),
        type="allergy",
        category=[allergy.category],
        criticality="high" if allergy.reaction.code == "39579001" else "low",
        code=allergy.code.concept(),
        patient=source.patient(),
        recordedDate=recorded.isoformat(),
        reaction=[{"manifestation": [allergy.reaction.concept()]}],
    )


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"http://terminology.hl7.org/CodeSystem/{system}", "code": code}]}


def condition_status(code: str) -> dict[str, Any]:
    return _status("condition-clinical", code)


def _condition(source: Source, code: Code, onset: date, resolved: date | None) -> None:
    content: dict[str, Any] = {
        "clinicalStatus": condition_status("resolved" if resolved else "active"),
        "verificationStatus": _status("condition-ver-status", "confirmed"),
        "category": [_status("condition-category", "problem-list-item")],
        "code": code.concept(),
        "subject": source.patient(),
        "onsetDateTime": onset.isoformat(),
        "recordedDate": onset.isoformat(),
    }
    if resolved is not None:
        content["abatementDateTime"] = resolved.isoformat()
    source.add("Condition", at(resolved or onset, 12), **content)


def _prescriptions(rng: random.Random, source: Source, story: Story, course: Course) -> None:
    """The authorisation (intent plan) and its recent issues (intent order)."""
    end = course.stopped or story.end
    status = (
        "stopped"
        if course.stopped and course.repeat
        else ("active" if course.repeat else "completed")
    )
    plan = _request(source, course, at(course.start, 10), "plan", status, None)
    if not course.repeat:
        if course.medicine.key == "amoxicillin":
            _condition(source, _RESOLVED_INFECTION, course.start, course.start + timedelta(days=7))
        _request(source, course, at(course.start, 10), "order", "completed", plan, "0006")
        _dispense(rng, source, course, at(course.start, 15), plan)
        return
    issues = [end - timedelta(days=28 * n) for n in range(3)]
    for day in sorted(d for d in issues if d >= course.start):
        latest = day == issues[0] and course.stopped is None
        eps = _eps_status(rng, story, day) if latest else "0006"
        order = _request(
            source,
            course,
            at(day, 9),
            "order",
            "active" if eps != "0006" else "completed",
            plan,
            eps,
        )
        if eps == "0006":
            _dispense(rng, source, course, at(day + timedelta(days=1), 14), order)


def _eps_status(rng: random.Random, story: Story, day: date) -> str:
    if (story.end - day).days > 7 or story.died is not None:
        return "0006"
    return rng.choice(("0001", "0002", "0006"))


def _request(
    source: Source,
    course: Course,
    when: datetime,
    intent: str,
    status: str,
    based_on: dict[str, Any] | None,
    eps: str | None = None,
) -> dict[str, Any]:
    medicine = course.medicine
    content: dict[str, Any] = {
        "status": status,
        "intent": intent,
        "medicationCodeableConcept": medicine.concept(),
        "subject": source.patient(),
        "authoredOn": when.isoformat(),
        "requester": {"display": "Dr S. Rahman"},
        "courseOfTherapyType": _status(
            "medicationrequest-course-of-therapy", "continuous" if course.repeat else "acute"
        ),
        "dosageInstruction": [{"text": medicine.dose}],
        "dispenseRequest": {"quantity": {"value": medicine.quantity, "unit": medicine.unit}},
    }
    if course.reason is not None:
        content["reasonCode"] = [course.reason.concept()]
    if based_on is not None:
        content["basedOn"] = [source.ref(based_on)]
    if eps is not None:
        content["extension"] = [eps_extension(eps)]
    return source.add("MedicationRequest", when, **content)


def _dispense(
    rng: random.Random, source: Source, course: Course, when: datetime, order: dict[str, Any]
) -> None:
    medicine = course.medicine
    source.add(
        "MedicationDispense",
        when,
        status="completed",
        medicationCodeableConcept=medicine.concept(),
        subject=source.patient(),
        performer=[
            {
                "actor": {
                    "display": rng.choice(
                        ("Boots Pharmacy", "Well Pharmacy", "High Street Pharmacy")
                    )
                }
            }
        ],
        authorizingPrescription=[source.ref(order)],
        quantity={"value": medicine.quantity, "unit": medicine.unit},
        whenHandedOver=when.isoformat(),
        dosageInstruction=[{"text": medicine.dose}],
    )


def _appointments(rng: random.Random, source: Source, story: Story) -> None:
    for days_ago in sorted(rng.sample(range(20, 700), 2), reverse=True):
        _appointment(
            rng, source, at(story.end - timedelta(days=days_ago), rng.randrange(8, 18)), "fulfilled"
        )
    if story.died is None and rng.random() < 0.5:
        _appointment(
            rng,
            source,
            at(story.end + timedelta(days=rng.randrange(3, 40)), rng.randrange(8, 18)),
            "booked",
        )


def _appointment(rng: random.Random, source: Source, start: datetime, status: str) -> None:
    kind = rng.choice(("GP consultation", "Practice nurse review", "Telephone consultation"))
    source.add(
        "Appointment",
        min(start, at(source.last_day, 8)),
        status=status,
        serviceType=[{"text": kind}],
        description=kind,
        start=start.isoformat(),
        end=(start + timedelta(minutes=10)).isoformat(),
        participant=[
            {"actor": source.patient(), "status": "accepted"},
            {"actor": {"display": rng.choice(care.CLINICIANS)}, "status": "accepted"},
        ],
    )


def _referrals(rng: random.Random, source: Source, story: Story) -> None:
    for number, org in enumerate(story.sources):
        service = _SERVICE_NAMES.get(org.type)
        if service is None or (number > 1 and rng.random() < 0.3):
            continue
        when = at(story.end - timedelta(days=rng.randrange(40, 900)), 14)
        reason = story.problems[0].spec.code.display if story.problems else "assessment"
        care.referral(source, when, f"{org.name} ({service})", reason, "completed")
        text = documents.referral_letter(story, source, when, org.name, reason.lower())
        documents.document(source, when, DOC_REFERRAL, f"Referral to {service}", text)


def _plans(rng: random.Random, source: Source, story: Story, kin: dict[str, Any]) -> None:
    when = at(story.end - timedelta(days=rng.randrange(30, 500)), 15)
    care.care_team(
        rng, source, when, f"{source.org.name} primary care team", "Practice care coordinator", kin
    )
    if story.problems:
        goals = [care.goal(source, when, _goal_text(story))]
        care.care_plan(
            source,
            when,
            "Long-term conditions care plan",
            "Annual review of long-term conditions with the practice nurse; "
            "medicines reviewed every twelve months.",
            goals,
        )
    if story.end_of_life:
        wishes = care.goal(source, when, "To be cared for at home, with family present")
        care.care_plan(
            source,
            when,
            "Advance care plan",
            "Preferred place of care: home. Not for attempted cardiopulmonary "
            "resuscitation; discussed with the patient and family.",
            [wishes],
            advance=True,
        )
        care.flag(source, when, NOT_FOR_RESUSCITATION, "clinical")


def _goal_text(story: Story) -> str:
    codes = {p.spec.code.code for p in story.problems}
    if "44054006" in codes:
        return "Keep HbA1c below 58 mmol/mol"
    if "38341003" in codes:
        return "Keep clinic blood pressure below 140/90 mmHg"
    return "Stay well and independent at home"
