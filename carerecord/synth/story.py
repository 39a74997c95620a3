"""One person's health and care story, decided once and then told by each source.

The story holds the facts (conditions, allergies, medicines, hospital stays, wishes) and which
organisations know them; the per-source modules turn those facts into what each source
records. The awkward cases a shared record meets are planned by patient index, so each
appears at a stable rate: one patient in every twenty is restricted, one objects to
sharing, one has died, one has a hospital record made before their NHS number was known.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from carerecord.synth.codes import ALERTS, ALLERGIES, REACTIONS, Code
from carerecord.synth.conditions import ACUTE_PROBLEMS, CONDITIONS, ConditionSpec, chance_at
from carerecord.synth.medicines import MEDICINES, Medicine
from carerecord.synth.organisations import SynthOrganisation
from carerecord.synth.people import Person

_CYCLE = 20
RESTRICTED, OBJECTED, DECEASED, NO_NHS_NUMBER = 2, 5, 7, 11


@dataclass(frozen=True)
class Problem:
    spec: ConditionSpec
    onset: date


@dataclass(frozen=True)
class Allergy:
    code: Code
    category: str
    reaction: Code
    recorded: date


@dataclass(frozen=True)
class Course:
    """A medicine as the GP prescribes it; ``stopped`` is when the GP ended it."""

    medicine: Medicine
    start: date
    stopped: date | None
    reason: Code | None
    repeat: bool


@dataclass(frozen=True)
class Stay:
    """A hospital attendance; wards are (ward, arrival) and empty for an ED-only visit."""

    visit_number: str
    kind: str  # "admission" or "ed"
    start: datetime
    end: datetime
    wards: tuple[tuple[str, datetime], ...]
    problem: Code
    complaint: str


@dataclass
class Story:
    person: Person
    gp: SynthOrganisation
    end: date  # today, or the day the person died
    problems: list[Problem] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    alerts: list[tuple[Code, str]] = field(default_factory=list)
    sources: list[SynthOrganisation] = field(default_factory=list)
    restricted: bool = False
    objected: bool = False
    died: datetime | None = None
    nhs_number_missing_at: str | None = None
    end_of_life: bool = False

    def has_service(self, service: str) -> bool:
        return any(p.spec.service == service for p in self.problems)

    def source_of_type(self, kind: str) -> SynthOrganisation | None:
        return next((o for o in self.sources if o.type == kind), None)

    @property
    def age(self) -> int:
        return self.person.age_on(self.end)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def make_story(
    rng: random.Random,
    person: Person,
    gp: SynthOrganisation,
    regional: dict[str, SynthOrganisation],
    as_of: date,
) -> Story:
    case = person.index % _CYCLE
    story = Story(person, gp, as_of)
    if case == DECEASED:
        story.end = as_of - timedelta(days=rng.randrange(20, 400))
        story.died = at(story.end, rng.randrange(1, 23), rng.randrange(60))
    story.restricted = case == RESTRICTED
    story.objected = case == OBJECTED
    forced_hospital = person.index % 4 == 1 or case in (NO_NHS_NUMBER, DECEASED)
    _add_problems(rng, story, forced_hospital)
    _add_allergies(rng, story, forced=person.index % 4 == 1)
    _add_courses(rng, story)
    _add_alerts(rng, story)
    story.end_of_life = (story.age >= 80 and rng.random() < 0.5) or story.died is not None
    story.sources = _choose_sources(rng, story, regional, forced_hospital)
    if case == NO_NHS_NUMBER:
        story.nhs_number_missing_at = regional["acute"].ods_code
    return story


def _add_problems(rng: random.Random, story: Story, forced: bool) -> None:
    age = story.age
    for spec in CONDITIONS:
        if rng.random() < chance_at(spec, age):
            story.problems.append(Problem(spec, _past_day(rng, story, max(1, age - spec.min_age))))
    if forced and age >= 18 and not any(p.spec.medicines for p in story.problems):
        # Someone admitted to hospital in this plan takes at least one regular medicine.
        spec = CONDITIONS[0] if age >= 35 else CONDITIONS[3]
        story.problems.append(Problem(spec, _past_day(rng, story, 5)))


def _add_allergies(rng: random.Random, story: Story, forced: bool) -> None:
    if forced or rng.random() < 0.3:
        count = 1 if forced or rng.random() < 0.8 else 2
        chosen = [ALLERGIES[0]] if forced else []
        chosen += rng.sample(ALLERGIES[1:], count - len(chosen))
        for code, category in chosen:
            reaction = rng.choice(REACTIONS)
            story.allergies.append(Allergy(code, category, reaction, _past_day(rng, story, 20)))


def _add_courses(rng: random.Random, story: Story) -> None:
    for problem in story.problems:
        for key in problem.spec.medicines:
            start = max(problem.onset, story.end - timedelta(days=3650))
            stopped = None
            if rng.random() < 0.1:
                stopped = start + timedelta(days=rng.randrange(60, 900))
                stopped = stopped if stopped < story.end else None
            story.courses.append(Course(MEDICINES[key], start, stopped, problem.spec.code, True))
    if story.age >= 2 and rng.random() < 0.4:
        day = story.end - timedelta(days=rng.randrange(30, 700))
        if not any(a.code.code == ALLERGIES[0][0].code for a in story.allergies):
            story.courses.append(
                Course(MEDICINES["amoxicillin"], day, day + timedelta(days=5), None, False)
            )
    if (story.age >= 16 and rng.random() < 0.25) or not story.courses:
        day = max(story.end - timedelta(days=rng.randrange(10, 400)), story.person.birth_date)
        story.courses.append(Course(MEDICINES["paracetamol"], day, None, None, False))


def _add_alerts(rng: random.Random, story: Story) -> None:
    for code, category in ALERTS:
        if story.age >= 70 and rng.random() < 0.3:
            story.alerts.append((code, category))


def _choose_sources(
    rng: random.Random,
    story: Story,
    regional: dict[str, SynthOrganisation],
    hospital: bool,
) -> list[SynthOrganisation]:
    """The GP, one service that records episodes of care, and up to four more."""
    age = story.age
    if story.has_service("mental-health") or (age >= 16 and rng.random() < 0.15):
        episodic = "mental-health"
    elif age >= 70 and rng.random() < 0.4:
        episodic = "social-care"
    else:
        episodic = "community"
    chosen = [story.gp, regional[episodic]]
    extras = {
        "acute": hospital or rng.random() < 0.45,
        "ambulance": rng.random() < (0.35 if age >= 70 else 0.12),
        "111": rng.random() < 0.25,
        "care-home": age >= 80 and rng.random() < 0.35,
        "social-care": episodic != "social-care" and age >= 75 and rng.random() < 0.3,
    }
    chosen += [regional[kind] for kind, wanted in extras.items() if wanted]
    return chosen[:6]


def make_stays(rng: random.Random, story: Story, prefix: str, wards: tuple[str, ...]) -> list[Stay]:
    """One or two hospital attendances in the last three years."""
    stays = []
    for number in range(1 if rng.random() < 0.6 else 2):
        start = at(
            story.end - timedelta(days=rng.randrange(3, 1000)),
            rng.randrange(0, 24),
            rng.randrange(60),
        )
        problem, complaint = rng.choice(ACUTE_PROBLEMS)
        visit = f"{prefix}{story.person.index:07d}{number}"
        if number == 0 and rng.random() < 0.6:
            stays.append(_admission(rng, visit, start, wards, problem, complaint))
        else:
            end = start + timedelta(hours=rng.randrange(2, 7), minutes=rng.randrange(60))
            stays.append(Stay(visit, "ed", start, end, (), problem, complaint))
    return sorted(stays, key=lambda s: s.start)


def _admission(
    rng: random.Random,
    visit: str,
    start: datetime,
    wards: tuple[str, ...],
    problem: Code,
    complaint: str,
) -> Stay:
    first = start + timedelta(hours=rng.randrange(3, 9))
    moves = [(wards[0], first)]
    if rng.random() < 0.7:
        moves.append((rng.choice(wards[1:]), first + timedelta(hours=rng.randrange(12, 48))))
    end = moves[-1][1] + timedelta(days=rng.randrange(1, 9), hours=rng.randrange(8))
    return Stay(visit, "admission", start, end, tuple(moves), problem, complaint)


def _past_day(rng: random.Random, story: Story, max_years: int) -> date:
    earliest = max(
        story.person.birth_date + timedelta(days=1), story.end - timedelta(days=365 * max_years)
    )
    span = (story.end - earliest).days
    return earliest + timedelta(days=rng.randrange(max(span, 1)))
