"""Services that hold episodes of care: mental health, community, social care, care homes.

Each opens an EpisodeOfCare and links its contacts to it (``Encounter.episodeOfCare``),
names a care coordinator, and keeps a plan.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from carerecord.synth import care, demographics, documents, gp, hospital
from carerecord.synth.codes import (
    CLASS_AMBULATORY,
    CLASS_HOME,
    DOC_CONSULT,
    DOC_EPISODE,
    sct,
)
from carerecord.synth.hospital import HospitalEvents
from carerecord.synth.medicines import MEDICINES
from carerecord.synth.source import Source
from carerecord.synth.story import Stay, Story, at

_LOW_MOOD = sct("35489007", "Depressive disorder")


def _start(rng: random.Random, story: Story, most_days: int) -> datetime:
    return at(story.end - timedelta(days=rng.randrange(60, most_days)), rng.randrange(9, 16))


def _contacts(
    rng: random.Random,
    source: Source,
    story: Story,
    episode: dict[str, Any],
    opened: datetime,
    kind: str,
    klass: dict[str, str],
) -> list[datetime]:
    """Three to six contacts since the episode opened, oldest first."""
    span = max((story.end - opened.date()).days, 2)
    days = sorted(rng.sample(range(1, span), min(span - 1, rng.randrange(3, 7))))
    times = [opened + timedelta(days=d) for d in days]
    for when in times:
        care.contact(source, when, episode, kind, klass, rng.choice((30, 45, 60)))
    return times


def mental_health(rng: random.Random, source: Source, story: Story) -> HospitalEvents:
    demographics.patient(source, story)
    opened = _start(rng, story, 1500)
    serious = story.has_service("mental-health")
    young = story.age < 18
    service = (
        "Child and adolescent mental health service (CAMHS)"
        if young
        else ("Community mental health team")
    )
    episode = care.episode(source, opened, service, None, rng.choice(care.STAFF))
    problem = next(
        (p.spec.code for p in story.problems if p.spec.service == "mental-health"), _LOW_MOOD
    )
    _mh_condition(source, opened, problem)
    seen = _contacts(rng, source, story, episode, opened, service, CLASS_AMBULATORY)
    for course in story.courses:
        if course.medicine.key in ("sertraline", "olanzapine") and course.stopped is None:
            _statement(source, opened, course.medicine.key)
    care.care_team(rng, source, opened, service, "Care coordinator", None)
    crisis = care.goal(source, opened, "Know who to call and what helps when things get worse")
    care.care_plan(
        source,
        opened,
        "Crisis and contingency plan",
        "Early warning signs agreed; crisis line number given; family involved.",
        [crisis],
    )
    letter = documents.clinic_letter(
        story,
        source,
        seen[-1],
        service,
        f"Mood and sleep are improving. Diagnosis: {problem.display.lower()}.",
    )
    documents.document(source, seen[-1], DOC_CONSULT, f"Letter from {service}", letter)
    events = HospitalEvents()
    if serious and not young and rng.random() < 0.5:
        events.stays.append(_psychiatric_stay(rng, source, story, problem))
        hospital.encounter(source, events.stays[0])
    return events


def _psychiatric_stay(rng: random.Random, source: Source, story: Story, problem: Any) -> Stay:
    start = at(story.end - timedelta(days=rng.randrange(30, 900)), rng.randrange(0, 24))
    ward = start + timedelta(hours=rng.randrange(2, 8))
    moves = [
        ("Psychiatric Intensive Care Unit", ward),
        ("Acute Psychiatric Ward", ward + timedelta(days=rng.randrange(2, 6))),
    ]
    end = moves[-1][1] + timedelta(days=rng.randrange(7, 28))
    number = f"V{source.ods}{story.person.index:07d}P"
    return Stay(number, "admission", start, end, tuple(moves), problem, "relapse of psychosis")


def _mh_condition(source: Source, when: datetime, code: Any) -> None:
    source.add(
        "Condition",
        when,
        clinicalStatus=gp.condition_status("active"),
        code=code.concept(),
        subject=source.patient(),
        onsetDateTime=when.date().isoformat(),
        recordedDate=when.date().isoformat(),
    )


def _statement(source: Source, when: datetime, key: str) -> None:
    medicine = MEDICINES[key]
    source.add(
        "MedicationStatement",
        when,
        status="active",
        medicationCodeableConcept=medicine.concept(),
        subject=source.patient(),
        effectivePeriod={"start": when.date().isoformat()},
        dateAsserted=when.isoformat(),
        dosage=[{"text": medicine.dose}],
    )


def community(rng: random.Random, source: Source, story: Story) -> None:
    demographics.patient(source, story)
    opened = _start(rng, story, 900)
    if story.has_service("addiction"):
        service, klass = "Drug and alcohol recovery service", CLASS_AMBULATORY
    elif story.age < 18:
        service, klass = "Children's community nursing", CLASS_HOME
    elif story.age >= 65:
        service, klass = "District nursing", CLASS_HOME
    else:
        service, klass = "Community physiotherapy", CLASS_AMBULATORY
    closed = None if rng.random() < 0.7 else opened + timedelta(days=rng.randrange(30, 59))
    episode = care.episode(source, opened, service, closed, rng.choice(care.STAFF))
    seen = _contacts(rng, source, story, episode, opened, service, klass)
    care.care_team(rng, source, opened, service, "Care coordinator", None)
    target = care.goal(source, opened, "Manage at home without needing hospital")
    care.care_plan(
        source,
        opened,
        f"{service} plan",
        "Visits agreed with the patient; review after six weeks.",
        [target],
    )
    care.referral(
        source,
        seen[0],
        "Falls prevention service" if story.age >= 65 else "Community dietitian",
        "Assessed need at first contact",
        "active",
    )
    letter = documents.clinic_letter(
        story, source, seen[-1], service, "Progress is steady and goals are being met."
    )
    documents.document(source, seen[-1], DOC_CONSULT, f"Letter from {service}", letter)


def social_care(rng: random.Random, source: Source, story: Story) -> None:
    demographics.patient(source, story)
    opened = _start(rng, story, 1200)
    service = "Children's social care" if story.age < 18 else "Adult social care"
    episode = care.episode(source, opened, service, None, rng.choice(care.STAFF))
    seen = _contacts(
        rng, source, story, episode, opened, "Social care assessment visit", CLASS_HOME
    )
    if story.age >= 70:
        care.flag(source, opened, sct("105529008", "Lives alone"), "admin")
    care.care_team(rng, source, opened, service, "Allocated social worker", None)
    target = care.goal(source, opened, "Remain living safely in own home")
    care.care_plan(
        source,
        opened,
        "Care and support plan",
        "Home care twice a day for personal care; review in twelve months.",
        [target],
    )
    summary = documents.clinic_letter(
        story, source, seen[-1], service, "Needs assessment completed; care package agreed."
    )
    documents.document(source, seen[-1], DOC_EPISODE, "Care Act assessment summary", summary)


def care_home(rng: random.Random, source: Source, story: Story) -> None:
    demographics.patient(source, story)
    opened = _start(rng, story, 1500)
    episode = care.episode(source, opened, "Residential care", None, rng.choice(care.STAFF))
    _contacts(rng, source, story, episode, opened, "Care home review", CLASS_HOME)
    care.flag(source, opened, sct("129839007", "At risk for falls"), "safety")
    for course in story.courses:
        if course.repeat and course.stopped is None:
            _statement(source, max(opened, at(course.start, 9)), course.medicine.key)
    care.care_team(rng, source, opened, f"{source.org.name} care team", "Named key worker", None)
    wishes = care.goal(source, opened, "Stay at the home, comfortable, with family visiting")
    care.care_plan(
        source,
        opened,
        "Person-centred care plan",
        "Support with washing, dressing and medicines; likes to sit in the garden.",
        [wishes],
        advance=story.end_of_life,
    )
