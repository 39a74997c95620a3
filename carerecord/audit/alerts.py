"""Alerts for the privacy officer, raised from the audit log by the rules in alert_rules.toml.

Pure logic over stored entries: what the record says about the people opened comes through
`RecordFacts` (the store's implementation reads it from stored Patient resources). An alert is
identified by its rule and the entry it is anchored on, so computing alerts twice over the
same entries gives the same alerts, and a review names exactly one.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson

from carerecord.audit.alert_rules import (
    DECLARED,
    OUT_OF_HOURS,
    OVERRIDE,
    SAME_SURNAME,
    SENSITIVE,
    VOLUME,
    AlertRules,
)
from carerecord.audit.entry import RECORD_VIEWS, StoredEntry
from carerecord.fhir.extract import strings
from carerecord.identity.patients import normalise_name, normalise_postcode
from carerecord.record.overview import extract_security

UK = ZoneInfo("Europe/London")
VIEWS = RECORD_VIEWS
ACTIONS = VIEWS | {"override", "declare-relationship"}  # every action a rule looks at
HOUR = timedelta(hours=1)
LOOKBACK = 2 * HOUR  # entries before a window that unusual-volume needs to decide inside it
REVIEW_OUTCOMES = ("justified", "not-justified", "escalated")
_TITLES = frozenset({"DR", "MR", "MRS", "MS", "MISS", "MX", "PROF", "PROFESSOR", "SIR", "DAME"})


@dataclass(frozen=True)
class Person:
    """What the alert rules need to know of one person in the record, from every source."""

    patient_id: str
    family: str | None  # as the official name spells it, for people to read
    given: tuple[str, ...]
    families: frozenset[str]  # normalised (identity.patients.normalise_name)
    first_names: frozenset[str]  # each source's first given name, normalised likewise
    postcodes: frozenset[str]  # current addresses' postcodes, normalised
    labels: frozenset[str]  # security label codes (meta.security)


class RecordFacts(Protocol):
    def person(self, patient_id: str) -> Person | None:
        """The person with this id, or None if the record holds no Patient for them."""

    def residents(self, family: str, postcodes: frozenset[str]) -> Sequence[Person]:
        """Everyone recorded with this (normalised) family name at one of these postcodes."""


@dataclass(frozen=True)
class Alert:
    rule: str
    entry: StoredEntry  # the entry the alert is anchored on
    why: str  # what in this entry raised it

    @property
    def key(self) -> tuple[str, int]:
        return (self.rule, self.entry.id)


@dataclass(frozen=True)
class Review:
    rule: str
    event_id: int
    outcome: str  # one of REVIEW_OUTCOMES
    note: str
    reviewed_by: str
    reviewed_at: datetime


def find_alerts(
    entries: Iterable[StoredEntry],
    rules: AlertRules,
    facts: RecordFacts,
    start: datetime,
    end: datetime,
) -> list[Alert]:
    """Every alert anchored on an entry with start <= occurred_at < end, oldest first.
    `entries` are those of ACTIONS from LOOKBACK before `start` until `end`, in log order."""
    held = list(entries)
    inside = [e for e in held if start <= e.occurred_at < end]
    found: list[Alert] = []
    for entry in inside:
        found.extend(_entry_alerts(entry, rules, facts))
    if rules.on(VOLUME):
        found.extend(a for a in unusual_volume(held, rules.people) if start <= a.entry.occurred_at)
    return sorted(found, key=lambda a: (a.entry.occurred_at, a.entry.id, a.rule))


def _entry_alerts(entry: StoredEntry, rules: AlertRules, facts: RecordFacts) -> Iterable[Alert]:
    detail = event_detail(entry)
    if entry.outcome != "success":
        return
    if entry.action == "override" and rules.on(OVERRIDE):
        kind = detail.get("override") or context(entry).get("override") or "an override"
        yield Alert(OVERRIDE, entry, f"Override: {kind}. Reason given: {_reason(detail)}")
    if entry.action == "declare-relationship" and rules.on(DECLARED):
        yield Alert(DECLARED, entry, f"Declared a relationship. Reason given: {_reason(detail)}")
    if entry.action not in VIEWS or not entry.patient_id:
        return
    if rules.on(OUT_OF_HOURS):
        why = out_of_hours(entry, rules)
        if why:
            yield Alert(OUT_OF_HOURS, entry, why)
    if not (rules.on(SENSITIVE) or rules.on(SAME_SURNAME)):
        return
    person = facts.person(entry.patient_id)
    if person is None:
        return
    marked = sorted(person.labels & rules.labels)
    if rules.on(SENSITIVE) and marked:
        yield Alert(SENSITIVE, entry, f"The record is marked {', '.join(marked)} (sensitive)")
    if rules.on(SAME_SURNAME):
        why = same_surname_and_address(entry, person, facts)
        if why:
            yield Alert(SAME_SURNAME, entry, why)


def out_of_hours(entry: StoredEntry, rules: AlertRules) -> str | None:
    """Why a view outside working hours with no legitimate relationship is raised, or None.
    Only format-2 entries say whether a relationship was held; older ones are not judged."""
    if entry.format < 2 or "relationship" in context(entry):
        return None
    if str(user_of(entry).get("org_type") or "") in rules.exempt_org_types:
        return None
    local = entry.occurred_at.astimezone(UK)
    if rules.working.covers(local.weekday(), local.time().replace(tzinfo=None)):
        return None
    return (
        f"Opened at {local:%H:%M} on {local:%a %d-%b-%Y} (UK time), outside working hours, "
        "with no legitimate relationship recorded"
    )


def same_surname_and_address(entry: StoredEntry, person: Person, facts: RecordFacts) -> str | None:
    """The user's surname is the person's family name, and someone with the user's full name
    is recorded at one of the person's postcodes: the user may be opening a relative's record
    (or their own). Decision record 0011 says why this is how a user's address is known."""
    parts = name_parts(str(user_of(entry).get("name") or ""))
    if parts is None or parts[1] not in person.families or not person.postcodes:
        return None
    first, surname = parts
    for resident in facts.residents(surname, person.postcodes):
        if first in resident.first_names:
            shared = sorted(resident.postcodes & person.postcodes)
            own = (
                " (perhaps the user's own record)"
                if resident.patient_id == entry.patient_id
                else ""
            )
            return (
                f"The user's surname is the person's family name, and someone with the user's "
                f"full name is recorded at the same postcode, {_postcode(shared[0])}{own}"
            )
    return None


def unusual_volume(entries: Iterable[StoredEntry], people: int) -> list[Alert]:
    """Each time a user's views reach more than `people` different people within an hour
    (the hour up to and including an entry): an alert on the entry that crossed the line,
    unless the user was already over it at some moment in the hour before (one per hour)."""
    found: list[Alert] = []
    by_user: dict[str, list[StoredEntry]] = {}
    for entry in entries:
        if entry.action in VIEWS and entry.outcome == "success" and entry.patient_id:
            by_user.setdefault(_user_key(entry), []).append(entry)
    for views in by_user.values():
        window: deque[StoredEntry] = deque()
        counts: Counter[str] = Counter()
        last_over: datetime | None = None
        for entry in sorted(views, key=lambda e: (e.occurred_at, e.id)):
            window.append(entry)
            counts[entry.patient_id or ""] += 1
            while window[0].occurred_at <= entry.occurred_at - HOUR:
                gone = window.popleft()
                counts[gone.patient_id or ""] -= 1
                if not counts[gone.patient_id or ""]:
                    del counts[gone.patient_id or ""]
            if len(counts) <= people:
                continue
            if last_over is None or last_over <= entry.occurred_at - HOUR:
                why = f"{len(counts)} different people's records opened within one hour"
                found.append(Alert(VOLUME, entry, why))
            last_over = entry.occurred_at
    return found


def person_from(patient_id: str, bodies: Iterable[str]) -> Person:
    """What the rules need of a person, from their Patient resources as stored."""
    patients = [p for p in (orjson.loads(body) for body in bodies) if isinstance(p, dict)]
    families: set[str] = set()
    firsts: set[str] = set()
    postcodes: set[str] = set()
    labels: set[str] = set()
    shown: tuple[str | None, tuple[str, ...]] = (None, ())
    for patient in patients:
        for name in _dicts(patient.get("name")):
            family, given = name.get("family"), strings(name.get("given"))
            families.update(filter(None, [normalise_name(family)]))
            firsts.update(filter(None, [normalise_name(given[0]) if given else None]))
            if shown[0] is None and isinstance(family, str):
                shown = (family, given)
        for address in _dicts(patient.get("address")):
            if address.get("use") != "old":
                postcodes.update(filter(None, [normalise_postcode(address.get("postalCode"))]))
        labels.update(
            str(label["code"])
            for label in extract_security(patient)
            if isinstance(label, dict) and label.get("code")
        )
    return Person(
        patient_id, shown[0], shown[1], frozenset(families), frozenset(firsts),
        frozenset(postcodes), frozenset(labels),
    )  # fmt: skip


def name_parts(display_name: str) -> tuple[str, str] | None:
    """A user's first name and surname, normalised as family names are, from the display name
    ("Jane Smith", "Dr Jane Smith" or "SMITH, Jane"); None when it has not both."""
    if "," in display_name:
        family, _, given = display_name.partition(",")
        words = [*given.split(), family]
    else:
        words = display_name.split()
    words = [w for w in words if (normalise_name(w) or "") not in _TITLES]
    if len(words) < 2:
        return None
    first, surname = normalise_name(words[0]), normalise_name(words[-1])
    return (first, surname) if first and surname else None


def context(entry: StoredEntry) -> Mapping[str, Any]:
    """The stored context of a format-2 entry (its `detail` column); {} for older ones."""
    return entry.detail if entry.format >= 2 else {}


def event_detail(entry: StoredEntry) -> Mapping[str, Any]:
    """The event's own detail, whichever format the entry is in."""
    if entry.format < 2:
        return entry.detail
    inner = entry.detail.get("detail")
    return inner if isinstance(inner, dict) else {}


def user_of(entry: StoredEntry) -> Mapping[str, Any]:
    user = context(entry).get("user")
    return user if isinstance(user, dict) else {}


def _user_key(entry: StoredEntry) -> str:
    return f"id:{entry.user_id}" if entry.user_id is not None else f"actor:{entry.actor}"


def _reason(detail: Mapping[str, Any]) -> str:
    reason = detail.get("reason") or detail.get("reason_code")
    return str(reason) if reason else "none recorded"


def _postcode(normalised: str) -> str:
    return f"{normalised[:-3]} {normalised[-3:]}" if len(normalised) > 4 else normalised


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
