"""Urgent care that meets a person briefly: ambulance call-outs and NHS 111 calls."""

from __future__ import annotations

import random
from datetime import timedelta

from carerecord.synth import demographics, documents
from carerecord.synth.codes import CLASS_FIELD, CLASS_VIRTUAL, DOC_EPISODE
from carerecord.synth.source import Source
from carerecord.synth.story import Story, at

_111_OUTCOMES = (
    "advised to contact own GP within 24 hours",
    "booked into an urgent treatment centre",
    "self-care advice given",
    "ambulance dispatched",
)


def ambulance(rng: random.Random, source: Source, story: Story) -> None:
    demographics.patient(source, story)
    when = at(
        story.end - timedelta(days=rng.randrange(5, 900)), rng.randrange(0, 24), rng.randrange(60)
    )
    conveyed = rng.random() < 0.6
    end = when + timedelta(minutes=rng.randrange(40, 120))
    call = source.add(
        "Encounter",
        end,
        identifier=[
            {
                "system": f"https://fhir.{source.ods.lower()}.nhs.uk/Id/incident-number",
                "value": f"INC{story.person.index:08d}",
            }
        ],
        status="finished",
        **{"class": CLASS_FIELD},
        type=[{"text": "Emergency ambulance call-out"}],
        subject=source.patient(),
        period={"start": when.isoformat(), "end": end.isoformat()},
        reasonCode=[{"text": "Fall at home" if story.age >= 70 else "Shortness of breath"}],
        serviceProvider=source.me(),
    )
    text = documents.ambulance_summary(story, source, end, conveyed)
    documents.document(source, end, DOC_EPISODE, "Ambulance patient care record", text, call)


def nhs_111(rng: random.Random, source: Source, story: Story) -> None:
    demographics.patient(source, story)
    when = at(
        story.end - timedelta(days=rng.randrange(5, 700)), rng.randrange(0, 24), rng.randrange(60)
    )
    end = when + timedelta(minutes=rng.randrange(8, 35))
    outcome = rng.choice(_111_OUTCOMES)
    call = source.add(
        "Encounter",
        end,
        status="finished",
        **{"class": CLASS_VIRTUAL},
        type=[{"text": "NHS 111 telephone assessment"}],
        subject=source.patient(),
        period={"start": when.isoformat(), "end": end.isoformat()},
        reasonCode=[{"text": "Feeling unwell with a high temperature"}],
        serviceProvider=source.me(),
    )
    text = documents.call_summary(story, source, end, outcome)
    documents.document(source, end, DOC_EPISODE, "NHS 111 call summary", text, call)
