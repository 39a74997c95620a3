"""Resources every kind of service writes: teams, plans, goals, episodes, flags, referrals."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from carerecord.synth.codes import ADVANCE_CARE_PLANNING, CARE_PLAN, REFERRAL, Code, sct
from carerecord.synth.source import Source

CLINICIANS: tuple[str, ...] = (
    "Dr S. Rahman",
    "Dr E. Clarke",
    "Dr O. Adeyemi",
    "Dr P. Shah",
    "Dr M. Kowalska",
    "Dr J. Murphy",
    "Dr L. Chen",
    "Dr T. Hughes",
)
STAFF: tuple[str, ...] = (
    "Joanne Baker",
    "Tunde Bello",
    "Priya Nair",
    "Siobhan Kelly",
    "Marek Nowak",
    "Hannah Green",
    "Ayesha Khan",
    "Daniel Silva",
)


def flag(source: Source, when: datetime, code: Code, category: str) -> dict[str, Any]:
    return source.add(
        "Flag",
        when,
        status="active",
        category=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                        "code": category,
                    }
                ]
            }
        ],
        code=code.concept(),
        subject=source.patient(),
        period={"start": when.date().isoformat()},
        author=source.me(),
    )


def text_flag(source: Source, when: datetime, text: str) -> dict[str, Any]:
    """An administrative alert no code describes exactly: carried as text."""
    return source.add(
        "Flag",
        when,
        status="active",
        category=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                        "code": "admin",
                    }
                ]
            }
        ],
        code={"text": text},
        subject=source.patient(),
        period={"start": when.date().isoformat()},
        author=source.me(),
    )


def care_team(
    rng: random.Random,
    source: Source,
    when: datetime,
    name: str,
    coordinator_role: str,
    next_of_kin: dict[str, Any] | None,
) -> dict[str, Any]:
    """A team with a named care coordinator (as a PractitionerRole) and the support network."""
    coordinator = rng.choice(STAFF)
    role = source.add(
        "PractitionerRole",
        when,
        active=True,
        practitioner={"display": coordinator},
        organization=source.me(),
        code=[{"text": coordinator_role}],
        telecom=[
            {
                "system": "phone",
                "value": f"020 7{rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
                "use": "work",
            }
        ],
    )
    participants = [
        {"role": [{"text": "Care coordinator"}], "member": source.ref(role)},
        {"role": [{"text": "Lead clinician"}], "member": {"display": rng.choice(CLINICIANS)}},
    ]
    if next_of_kin is not None:
        participants.append({"role": [{"text": "Next of kin"}], "member": source.ref(next_of_kin)})
    return source.add(
        "CareTeam",
        when,
        status="active",
        name=name,
        subject=source.patient(),
        period={"start": when.date().isoformat()},
        participant=participants,
        managingOrganization=[source.me()],
    )


def goal(source: Source, when: datetime, text: str) -> dict[str, Any]:
    return source.add(
        "Goal",
        when,
        lifecycleStatus="active",
        description={"text": text},
        subject=source.patient(),
        startDate=when.date().isoformat(),
    )


def care_plan(
    source: Source,
    when: datetime,
    title: str,
    description: str,
    goals: list[dict[str, Any]],
    advance: bool = False,
) -> dict[str, Any]:
    categories = [CARE_PLAN.concept()]
    if advance:
        categories.append(ADVANCE_CARE_PLANNING.concept())
    content: dict[str, Any] = {
        "status": "active",
        "intent": "plan",
        "category": categories,
        "title": title,
        "description": description,
        "subject": source.patient(),
        "period": {"start": when.date().isoformat()},
        "created": when.isoformat(),
        "author": source.me(),
    }
    if goals:
        content["goal"] = [source.ref(g) for g in goals]
    return source.add("CarePlan", when, **content)


def episode(
    source: Source, when: datetime, service: str, end: datetime | None, manager: str
) -> dict[str, Any]:
    period = {"start": when.date().isoformat()}
    if end is not None:
        period["end"] = end.date().isoformat()
    return source.add(
        "EpisodeOfCare",
        when,
        status="finished" if end is not None else "active",
        type=[{"text": service}],
        patient=source.patient(),
        managingOrganization=source.me(),
        period=period,
        careManager={"display": manager},
    )


def contact(
    source: Source,
    when: datetime,
    episode_of_care: dict[str, Any],
    kind: str,
    klass: dict[str, str],
    minutes: int,
) -> dict[str, Any]:
    """A contact within an episode of care (a community, CAMHS, addiction or social care event)."""
    return source.add(
        "Encounter",
        when + timedelta(minutes=minutes),
        status="finished",
        **{"class": klass},
        type=[{"text": kind}],
        subject=source.patient(),
        episodeOfCare=[source.ref(episode_of_care)],
        period={"start": when.isoformat(), "end": (when + timedelta(minutes=minutes)).isoformat()},
        serviceProvider=source.me(),
    )


def referral(
    source: Source, when: datetime, to: str, reason: str, status: str, urgent: bool = False
) -> dict[str, Any]:
    return source.add(
        "ServiceRequest",
        when,
        status=status,
        intent="order",
        priority="urgent" if urgent else "routine",
        category=[sct("306206005", "Referral to service").concept()],
        code=REFERRAL.concept(f"Referral to {to}"),
        subject=source.patient(),
        authoredOn=when.isoformat(),
        requester={"display": source.org.name},
        performer=[{"display": to}],
        reasonCode=[{"text": reason}],
    )
