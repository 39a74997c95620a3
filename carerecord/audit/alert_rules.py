"""The privacy officer's alert rules (alert_rules.toml): which rules are on, with what
parameters. Read once at start-up; an unknown rule or parameter, a value of the wrong type or
a bad time range is a ConfigurationError naming it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from carerecord.errors import ConfigurationError

DEFAULT_ALERT_RULES = Path(__file__).with_name("alert_rules.toml")

OVERRIDE = "override"
DECLARED = "declared-relationship"
SAME_SURNAME = "same-surname-and-address"
SENSITIVE = "sensitive-record"
VOLUME = "unusual-volume"
OUT_OF_HOURS = "out-of-hours-no-relationship"
RULE_NAMES = (OVERRIDE, DECLARED, SAME_SURNAME, SENSITIVE, VOLUME, OUT_OF_HOURS)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # index = date.weekday()
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")

# Each rule's parameters and the type each must have (besides `enabled`).
_PARAMETERS: dict[str, dict[str, type]] = {
    OVERRIDE: {},
    DECLARED: {},
    SAME_SURNAME: {},
    SENSITIVE: {"labels": list},
    VOLUME: {"people": int},
    OUT_OF_HOURS: {"working_hours": str, "working_days": list, "exempt_org_types": list},
}


@dataclass(frozen=True)
class WorkingHours:
    start: time  # in hours from here...
    end: time  # ...until before here
    days: frozenset[int]  # date.weekday() numbers

    def covers(self, day: int, at: time) -> bool:
        return day in self.days and self.start <= at < self.end


@dataclass(frozen=True)
class AlertRules:
    enabled: frozenset[str]
    labels: frozenset[str]  # sensitive-record: security label codes that mark a record
    people: int  # unusual-volume: more than this many people in one hour
    working: WorkingHours  # out-of-hours-no-relationship
    exempt_org_types: frozenset[str]

    def on(self, rule: str) -> bool:
        return rule in self.enabled


def load_alert_rules(path: Path | None = None) -> AlertRules:
    """The shipped rules, each overridden by what the file at `path` (if any) says of it."""
    shipped = _read(DEFAULT_ALERT_RULES)
    if path is None:
        return parse_alert_rules(shipped, str(DEFAULT_ALERT_RULES))
    return parse_alert_rules(shipped, str(path), _read(path))


def parse_alert_rules(
    shipped: Mapping[str, Any], where: str, local: Mapping[str, Any] | None = None
) -> AlertRules:
    tables = _rules(shipped, str(DEFAULT_ALERT_RULES))
    for name, body in _rules(local or {"rules": {}}, where).items():
        tables[name] = {**tables.get(name, {}), **body}
    missing = [name for name in RULE_NAMES if name not in tables]
    if missing:
        raise ConfigurationError(f"{where}: no settings for rule {missing[0]!r}")
    enabled = frozenset(name for name in RULE_NAMES if _typed(tables, name, "enabled", bool, where))
    return AlertRules(
        enabled=enabled,
        labels=_words(tables, SENSITIVE, "labels", where),
        people=_people(tables, where),
        working=_working(tables, where),
        exempt_org_types=_words(tables, OUT_OF_HOURS, "exempt_org_types", where),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"alert rules {path}: {exc}") from None


def _rules(data: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
    unknown = sorted(set(data) - {"rules"})
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown table {unknown[0]!r} (rules go under [rules.NAME])"
        )
    tables = data.get("rules", {})
    if not isinstance(tables, dict):
        raise ConfigurationError(f"{where}: `rules` must be a table of rules")
    found: dict[str, dict[str, Any]] = {}
    for name, body in tables.items():
        if name not in _PARAMETERS:
            raise ConfigurationError(
                f"{where}: unknown rule {name!r} (known: {', '.join(RULE_NAMES)})"
            )
        if not isinstance(body, dict):
            raise ConfigurationError(f"{where}: rule {name!r} must be a table")
        known = {"enabled", *_PARAMETERS[name]}
        extra = sorted(set(body) - known)
        if extra:
            raise ConfigurationError(f"{where}: rule {name!r} has no parameter {extra[0]!r}")
        found[name] = dict(body)
    return found


def _typed(tables: Mapping[str, Any], rule: str, key: str, kind: type, where: str) -> Any:
    if key not in tables[rule]:
        raise ConfigurationError(f"{where}: rule {rule!r} needs {key!r}")
    value = tables[rule][key]
    # bool is an int to Python, never to a rules file
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigurationError(
            f"{where}: rule {rule!r}: {key} must be {_KIND_WORDS[kind]}, not {value!r}"
        )
    return value


_KIND_WORDS = {bool: "true or false", int: "a whole number", str: "a string", list: "a list"}


def _words(tables: Mapping[str, Any], rule: str, key: str, where: str) -> frozenset[str]:
    values = _typed(tables, rule, key, list, where)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigurationError(f"{where}: rule {rule!r}: {key} must be a list of strings")
    return frozenset(v.strip() for v in values)


def _people(tables: Mapping[str, Any], where: str) -> int:
    people: int = _typed(tables, VOLUME, "people", int, where)
    if people < 1:
        raise ConfigurationError(f"{where}: rule {VOLUME!r}: people must be at least 1")
    return people


def _working(tables: Mapping[str, Any], where: str) -> WorkingHours:
    text = _typed(tables, OUT_OF_HOURS, "working_hours", str, where)
    found = _HOURS.match(text.strip())
    problem = f"{where}: rule {OUT_OF_HOURS!r}: working_hours {text!r}"
    if found is None:
        raise ConfigurationError(f"{problem} is not of the form HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 > 0):
        raise ConfigurationError(f"{problem} is not a time of day")
    start, end = time(h1, m1), time(23, 59, 59, 999_999) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ConfigurationError(f"{problem} ends before it starts")
    days = _words(tables, OUT_OF_HOURS, "working_days", where)
    unknown = sorted(days - set(DAYS))
    if unknown:
        raise ConfigurationError(
            f"{where}: rule {OUT_OF_HOURS!r}: unknown day {unknown[0]!r} (days: {', '.join(DAYS)})"
        )
    return WorkingHours(start, end, frozenset(DAYS.index(d) for d in days))


TITLES = {
    OVERRIDE: "Override",
    DECLARED: "Declared relationship",
    SAME_SURNAME: "Same surname and address",
    SENSITIVE: "Sensitive record",
    VOLUME: "Unusual volume",
    OUT_OF_HOURS: "Out of hours, no relationship",
}


def explain(rule: str, rules: AlertRules) -> str:
    """What a rule raises, in the words the privacy officer reads, with its parameters."""
    if rule == OVERRIDE:
        return (
            "A user overrode the access rules to open a record without a legitimate relationship."
        )
    if rule == DECLARED:
        return "A user declared a relationship with the person themselves: nothing else showed one."
    if rule == SAME_SURNAME:
        return (
            "A user opened the record of someone with the user's own surname, living at a postcode "
            "where someone with the user's full name is recorded: perhaps a relative's record, or "
            "the user's own."
        )
    if rule == SENSITIVE:
        return (
            "A user opened a record that a source marks with the security label "
            f"{' or '.join(sorted(rules.labels))}."
        )
    if rule == VOLUME:
        return (
            f"A user opened the records of more than {rules.people} different people within "
            "one hour."
        )
    working = rules.working
    days = ", ".join(d for i, d in enumerate(DAYS) if i in working.days)
    end = "24:00" if working.end.hour == 23 and working.end.minute == 59 else f"{working.end:%H:%M}"
    exempt = sorted(rules.exempt_org_types)
    but = (
        f" Users of these organisation types are not raised: {', '.join(exempt)}." if exempt else ""
    )
    return (
        f"A user opened a record outside working hours ({working.start:%H:%M} to {end}, {days}, "
        f"UK time) with no legitimate relationship recorded.{but}"
    )
