"""Clinical letters and summaries, as DocumentReferences with the text inline (base64).

Each letter is short plain text a clinician could read: who, when, what happened, what
happens next. Times in the text are UK local time, as a UK letter writes them and as the
page showing the letter gives its date. Document types are LOINC document codes.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from carerecord.synth.codes import Code
from carerecord.synth.source import Source, instant
from carerecord.synth.story import Stay, Story
from carerecord.uk_time import local


def document(
    source: Source,
    when: datetime,
    kind: Code,
    title: str,
    text: str,
    encounter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {
        "status": "current",
        "docStatus": "final",
        "type": kind.concept(),
        "subject": source.patient(),
        "date": instant(when),
        "author": [source.me()],
        "custodian": source.me(),
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "en-GB",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                    "title": title,
                    "creation": when.isoformat(),
                }
            }
        ],
    }
    if encounter is not None:
        content["context"] = {"encounter": [source.ref(encounter)]}
    return source.add("DocumentReference", when, **content)


def _header(story: Story, source: Source, title: str, when: datetime) -> list[str]:
    person = story.person
    known = story.nhs_number_missing_at != source.ods
    return [
        source.org.name,
        title,
        f"Patient: {person.given} {person.family.upper()}   Born: "
        f"{person.birth_date:%d %b %Y}   NHS number: {person.nhs_number if known else 'not known'}",
        f"Date: {local(when):%d %b %Y %H:%M}",  # UK time, as the page beside it shows
        "",
    ]


def medicine_lines(story: Story) -> list[str]:
    current = [c for c in story.courses if c.stopped is None and c.repeat]
    if not current:
        return ["Regular medicines: none."]
    return [
        "Regular medicines:",
        *(f"  - {c.medicine.name}: {c.medicine.dose.lower()}" for c in current),
    ]


def problem_lines(story: Story) -> list[str]:
    if not story.problems:
        return ["Past medical history: nil of note."]
    return ["Past medical history:", *(f"  - {p.spec.code.display}" for p in story.problems)]


def discharge_summary(story: Story, source: Source, stay: Stay) -> str:
    wards = ", ".join(ward for ward, _ in stay.wards)
    lines = [
        *_header(story, source, "Discharge summary", stay.end),
        f"Admitted: {local(stay.start):%d %b %Y} via the emergency department with "
        f"{stay.complaint}.",
        f"Wards: {wards}.",
        f"Diagnosis: {stay.problem.display}.",
        "Treated and improved; mobilising independently at discharge.",
        "",
        *problem_lines(story),
        *medicine_lines(story),
        "",
        "Actions for GP: please review in one to two weeks and repeat renal function.",
        "Signed: Dr A. Okafor, Specialty Registrar, on behalf of the consultant physician",
    ]
    return "\n".join(lines)


def ed_summary(story: Story, source: Source, stay: Stay) -> str:
    lines = [
        *_header(story, source, "Emergency department attendance summary", stay.end),
        f"Arrived {local(stay.start):%H:%M} with {stay.complaint}.",
        f"Working diagnosis: {stay.problem.display}.",
        "Observations stable after treatment; safe for discharge home.",
        "Advice given on when to return. No follow-up needed unless symptoms recur.",
        "Signed: Dr R. Patel, Emergency Medicine",
    ]
    return "\n".join(lines)


def ambulance_summary(story: Story, source: Source, when: datetime, conveyed: bool) -> str:
    outcome = (
        "Conveyed to the emergency department."
        if conveyed
        else "Assessed at home; not conveyed, advice given and GP informed."
    )
    lines = [
        *_header(story, source, "Ambulance patient care record summary", when),
        "999 call: fall at home." if story.age >= 70 else "999 call: shortness of breath.",
        "On scene: alert, observations within normal limits apart from a raised heart rate.",
        outcome,
        "Crew: paramedic and emergency ambulance crew.",
    ]
    return "\n".join(lines)


def call_summary(story: Story, source: Source, when: datetime, outcome: str) -> str:
    lines = [
        *_header(story, source, "NHS 111 call summary", when),
        "Caller: the patient. Reason: feeling unwell with a high temperature.",
        "Assessment completed by a health adviser with clinical support.",
        f"Outcome: {outcome}.",
    ]
    return "\n".join(lines)


def clinic_letter(story: Story, source: Source, when: datetime, service: str, summary: str) -> str:
    person = story.person
    lines = [
        *_header(story, source, f"Letter from {service}", when),
        "Dear Doctor,",
        f"I saw {person.prefix or ''} {person.family} today in {service}.".replace("  ", " "),
        summary,
        "",
        *medicine_lines(story),
        "",
        "We will continue to see them and will write after the next review.",
        "Yours sincerely,",
        f"{service} team",
    ]
    return "\n".join(lines)


def referral_letter(story: Story, source: Source, when: datetime, to: str, reason: str) -> str:
    lines = [
        *_header(story, source, f"Referral to {to}", when),
        "Dear Colleague,",
        f"Thank you for seeing this patient. Reason for referral: {reason}.",
        "",
        *problem_lines(story),
        *medicine_lines(story),
        "",
        "Yours faithfully,",
        f"{source.org.name}",
    ]
    return "\n".join(lines)
