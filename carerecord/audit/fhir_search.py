"""The search parameters of GET /fhir/AuditEvent, read into a filter over the log. Pure: the
NHS number a search names is turned into the person's id by the caller.

Handling is strict (FHIR's `handling=strict`): a parameter carerecord does not support is an
error, never silently dropped, because a privacy officer who filters by something ignored would
read every entry as a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from carerecord.audit.fhir_event import (
    ACTION,
    DCM,
    DEFAULT_KIND,
    EVENT_TYPE,
    KINDS,
    OPERATOR,
    OUTCOMES,
    RESTFUL,
    USERNAME,
)
from carerecord.audit.query import UK
from carerecord.errors import Refused
from carerecord.nhs_number import SYSTEM as NHS_NUMBER
from carerecord.nhs_number import is_valid

DEFAULT_COUNT = 50
MAX_COUNT = 200
PARAMETERS = (
    "date",
    "patient",
    "patient:identifier",
    "agent",
    "agent:identifier",
    "type",
    "subtype",
    "outcome",
    "_count",
    "_before",
)
_MAX_ID = 2**63 - 1
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?P<s>:\d{2}(?P<f>\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_PREFIXES = ("eq", "ge", "gt", "le", "lt")
_OUTCOME_OF = {code: outcome for outcome, code in OUTCOMES.items()}


class SearchRefused(Refused):
    """A search parameter that cannot be used as sent; the message names it."""


class Actions(NamedTuple):
    """Which actions match: those named, and (with `others`) every action KINDS does not
    list, which all share its default type."""

    names: frozenset[str]
    others: bool

    def __and__(self, other: object) -> Actions:
        assert isinstance(other, Actions)
        unlisted = (self.names | other.names) - KINDS.keys()
        names = (self.names & other.names) | {
            name
            for name in unlisted
            if (name in self.names or self.others) and (name in other.names or other.others)
        }
        return Actions(frozenset(names), self.others and other.others)

    def __or__(self, other: object) -> Actions:
        assert isinstance(other, Actions)
        return Actions(self.names | other.names, self.others or other.others)


@dataclass(frozen=True)
class EventSearch:
    """What a search asks for. `start` is inclusive, `end` exclusive; `actions` None is any."""

    start: datetime | None = None
    end: datetime | None = None
    nhs_number: str | None = None
    patient_id: str | None = None
    agent: str | None = None
    actions: Actions | None = None
    outcomes: tuple[str, ...] = ()
    count: int = DEFAULT_COUNT
    before: int | None = None
    parameters: tuple[tuple[str, str], ...] = field(default=())  # as sent, less _before


def parse_search(pairs: Iterable[tuple[str, str]]) -> EventSearch:
    """The search asked for by these query parameters, or SearchRefused naming the first
    parameter that cannot be used."""
    given: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in PARAMETERS:
            raise SearchRefused(f"{name}: not a search parameter of AuditEvent here")
        if not value.strip():
            raise SearchRefused(f"{name}: has no value")
        given.setdefault(name, []).append(value.strip())
    for name, values in given.items():
        if name != "date" and len(values) > 1:
            raise SearchRefused(f"{name}: give it once (only date may be repeated)")
    one = {name: values[0] for name, values in given.items()}
    start, end = _dates(given.get("date", []))
    nhs_number, patient_id = _patient(one)
    kept = tuple((n, v) for n, values in given.items() if n != "_before" for v in values)
    return EventSearch(
        start=start,
        end=end,
        nhs_number=nhs_number,
        patient_id=patient_id,
        agent=_agent(one),
        actions=_actions(one),
        outcomes=_outcomes(one.get("outcome")),
        count=_number("_count", one.get("_count"), MAX_COUNT, None) or DEFAULT_COUNT,
        before=_number("_before", one.get("_before"), _MAX_ID, None),
        parameters=kept,
    )


def _dates(values: Sequence[str]) -> tuple[datetime | None, datetime | None]:
    """Every date given must hold: the latest start and the earliest end of them all."""
    start: datetime | None = None
    end: datetime | None = None
    for value in values:
        low, high = _date_bounds(value)
        if low is not None and (start is None or low > start):
            start = low
        if high is not None and (end is None or high < end):
            end = high
    return start, end


def _date_bounds(value: str) -> tuple[datetime | None, datetime | None]:
    prefix, text = ("eq", value)
    if value[:2].isalpha():
        prefix, text = value[:2], value[2:]
    if prefix not in _PREFIXES:
        raise SearchRefused(f"date: the prefix {prefix!r} is not supported: use ge, gt, le or lt")
    lo, hi = _range(text)
    return {
        "eq": (lo, hi),
        "ge": (lo, None),
        "gt": (hi, None),
        "le": (None, hi),
        "lt": (None, lo),
    }[prefix]


def _range(text: str) -> tuple[datetime, datetime]:
    """The moments a FHIR date or dateTime spans: a year, month or day in UK time; a time to
    the minute, second or fraction given, in the zone it names."""
    day = _DATE.fullmatch(text)
    if day:
        year, month, dom = (int(part) if part else None for part in day.groups())
        try:
            first = date(year or 0, month or 1, dom or 1)
            if dom is not None:
                last = first + timedelta(days=1)
            elif month is not None:
                last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            else:
                last = date(first.year + 1, 1, 1)
        except (ValueError, OverflowError):
            raise SearchRefused(f"date: {text!r} is not a date") from None
        return _uk_midnight(first), _uk_midnight(last)
    timed = _DATE_TIME.fullmatch(text)
    if not timed:
        raise SearchRefused(
            f"date: {text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) "
            "or a dateTime with its zone (2026-09-20T10:00:00Z)"
        )
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchRefused(f"date: {text!r} is not a real time") from None
    # The range is the precision given: 10:00 spans a minute, 10:00:05.5 a tenth of a second.
    if timed["f"]:
        step = timedelta(microseconds=10 ** (7 - len(timed["f"])))
    else:
        step = timedelta(seconds=1) if timed["s"] else timedelta(minutes=1)
    try:
        return moment, moment + step
    except OverflowError:
        raise SearchRefused(f"date: {text!r} is out of range") from None


def _uk_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UK)


def _patient(one: dict[str, str]) -> tuple[str | None, str | None]:
    """(NHS number, opaque id): `patient:identifier=SYSTEM|N`, or `patient=` with
    `Patient?identifier=SYSTEM|N`, `SYSTEM|N` or `Patient/ID`."""
    if "patient" in one and "patient:identifier" in one:
        raise SearchRefused("patient: give patient or patient:identifier, not both")
    if "patient:identifier" in one:
        return _nhs_number("patient:identifier", one["patient:identifier"]), None
    value = one.get("patient")
    if value is None:
        return None, None
    if value.startswith("Patient/"):
        opaque = value.removeprefix("Patient/")
        if not _ID.fullmatch(opaque):
            raise SearchRefused("patient: Patient/ must be followed by a resource id")
        return None, opaque
    return _nhs_number("patient", value.removeprefix("Patient?identifier=")), None


def _nhs_number(name: str, token: str) -> str:
    system, bar, number = token.rpartition("|")
    if not bar or system != NHS_NUMBER:
        raise SearchRefused(f"{name}: give {NHS_NUMBER}|NHS NUMBER (or Patient/ID)")
    digits = number.replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == 10 and is_valid(digits)):
        raise SearchRefused(f"{name}: not a valid NHS number (10 digits, with its check digit)")
    return digits


def _agent(one: dict[str, str]) -> str | None:
    """The actor as the log holds it: a username, operator:<login>, client:<id>, source:<ODS>."""
    if "agent" in one and "agent:identifier" in one:
        raise SearchRefused("agent: give agent or agent:identifier, not both")
    if "agent" in one:
        value = one["agent"]
        if len(value) > 100 or "," in value:
            raise SearchRefused("agent: one user id, of up to 100 characters")
        return value
    token = one.get("agent:identifier")
    if token is None:
        return None
    system, bar, value = token.rpartition("|")
    if not bar or system not in (USERNAME, OPERATOR) or not value or len(value) > 90:
        raise SearchRefused(f"agent:identifier: give {USERNAME}|USER or {OPERATOR}|LOGIN")
    return value if system == USERNAME else f"operator:{value}"


def _actions(one: dict[str, str]) -> Actions | None:
    found: Actions | None = None
    for name, match in (("type", _type), ("subtype", _subtype)):
        if name not in one:
            continue
        either = Actions(frozenset(), False)
        for token in one[name].split(","):
            either = either | match(token.strip())
        found = either if found is None else found & either
    return found


def _type(token: str) -> Actions:
    _, code = _token("type", token, (EVENT_TYPE, DCM))  # the two systems' codes do not overlap
    names = frozenset(action for action, kind in KINDS.items() if kind[0][1] == code)
    return Actions(names, DEFAULT_KIND[0][1] == code)


def _subtype(token: str) -> Actions:
    system, code = _token("subtype", token, (ACTION, RESTFUL, DCM))
    standard = frozenset(
        action for action, kind in KINDS.items() if kind[1] is not None and kind[1][1] == code
    )
    if system == ACTION:
        return Actions(frozenset({code}), False)
    if system:
        return Actions(standard, False)
    return Actions(standard | {code}, False)


def _token(name: str, token: str, systems: tuple[str, ...]) -> tuple[str, str]:
    system, bar, code = token.rpartition("|")
    if not code or (bar and system not in systems) or len(code) > 60:
        raise SearchRefused(f"{name}: give a code, or one of {', '.join(systems)}|CODE")
    return system, code


def _outcomes(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    codes = [code.strip() for code in value.split(",")]
    unknown = [code for code in codes if code not in _OUTCOME_OF]
    if unknown:
        raise SearchRefused(f"outcome: {unknown[0]!r} is not one of 0, 4, 8, 12")
    return tuple(dict.fromkeys(_OUTCOME_OF[code] for code in codes))


def _number(name: str, value: str | None, most: int, default: None) -> int | None:
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 19 or not 1 <= int(value) <= most:
        raise SearchRefused(f"{name}: a whole number from 1 to {most:,}")
    return int(value)
