"""Results as a clinician reads them: grouped by test, newest first, each value with its range
and flags; and one test's numeric values over time, for its trend.

Pure functions over Items: no I/O, tested as tables in tests/record/test_results.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carerecord.fhir.extract import listed
from carerecord.record.items import Item, concept_text

RESULT_TYPES = ("Observation", "DiagnosticReport")

# A LOINC code (`2951-2`) or a SNOMED CT concept id: what a trend address may name.
CODE_PATTERN = re.compile(r"^[0-9]{1,18}(-[0-9])?$")

# HL7 v3 ObservationInterpretation codes, in words.
INTERPRETATION_WORDS = {
    "H": "High",
    "HH": "Critically high",
    "HU": "Significantly high",
    "L": "Low",
    "LL": "Critically low",
    "LU": "Significantly low",
    "A": "Abnormal",
    "AA": "Critically abnormal",
    "N": "Normal",
    "POS": "Positive",
    "NEG": "Negative",
}
NORMAL = "N"


@dataclass(frozen=True)
class Flag:
    code: str  # `H`, `L`, ... or empty when the source gave words only
    words: str
    from_range: bool = False  # worked out here from the reference range, not sent by the source

    @property
    def abnormal(self) -> bool:
        return self.code not in (NORMAL, "NEG")


@dataclass(frozen=True)
class Result:
    item: Item
    value: Decimal | None  # the number, when the result is a quantity
    unit: str | None
    value_text: str | None  # a coded or text value, when the result is not a number
    low: Decimal | None
    high: Decimal | None
    range_text: str | None  # the source's own words for the range
    flags: tuple[Flag, ...]
    conclusion: str | None  # an imaging (or other) report's conclusion
    result_count: int  # how many results a report groups (each is shown under its own test)

    @property
    def when(self) -> datetime | None:
        return self.item.clinical_date


@dataclass(frozen=True)
class TestGroup:
    key: str  # the test's code, or its name when it has no code
    code: str | None
    name: str
    results: tuple[Result, ...]  # newest first

    @property
    def numeric(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.value is not None)

    @property
    def has_trend(self) -> bool:
        return self.code is not None and len(self.numeric) >= 2


def result_of(item: Item) -> Result:
    resource = item.resource
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict):
        quantity = {}
    value = _number_of(resource)
    low, high, range_text = _range(resource.get("referenceRange"))
    return Result(
        item=item,
        value=value,
        unit=_unit(quantity) if value is not None else None,
        value_text=_value_text(resource),
        low=low,
        high=high,
        range_text=range_text,
        flags=flags(resource.get("interpretation"), value, low, high),
        conclusion=_text(resource.get("conclusion")),
        result_count=len(listed(resource.get("result"))),
    )


def group_by_test(items: Iterable[Item]) -> tuple[TestGroup, ...]:
    """Observations and reports grouped by test code; groups ordered by their newest result."""
    grouped: dict[str, list[Result]] = {}
    for item in items:
        if item.resource_type in RESULT_TYPES:
            grouped.setdefault(_key(item), []).append(result_of(item))
    groups = [_group(key, results) for key, results in grouped.items()]
    return tuple(sorted(groups, key=lambda g: _newest_first(g.results[0].when)))


@dataclass(frozen=True)
class TestLatest:
    """One test as the Results page lists it: its newest result, and how many there are."""

    key: str
    code: str | None
    name: str
    latest: Result
    count: int  # every result of the test, the latest among them
    has_trend: bool  # a code and two or more numbers: the trend page shows them all

    @property
    def earlier(self) -> int:
        return self.count - 1


def latest_of_each_test(items: Iterable[Item]) -> tuple[TestLatest, ...]:
    """Every test's newest result, tests with the newest results first (as `group_by_test`
    orders them): only the newest result of each is read in full, so the cost and the size of
    the list grow with the number of tests, not with their history."""
    grouped: dict[str, list[Item]] = {}
    for item in items:
        if item.resource_type in RESULT_TYPES:
            grouped.setdefault(_key(item), []).append(item)
    found = []
    for key, members in grouped.items():
        members.sort(key=lambda i: _newest_first(i.clinical_date))
        newest = members[0]
        numbers = sum(1 for i in members if _number_of(i.resource) is not None)
        has_trend = newest.code is not None and numbers >= 2
        name = display_name(newest) or key
        found.append(TestLatest(key, newest.code, name, result_of(newest), len(members), has_trend))
    return tuple(sorted(found, key=lambda t: _newest_first(t.latest.when)))


def history_of(items: Iterable[Item], key: str) -> TestGroup | None:
    """Every result of the test with this key (see TestLatest.key), newest first."""
    groups = group_by_test(i for i in items if i.resource_type in RESULT_TYPES and _key(i) == key)
    return groups[0] if groups else None


def latest_by_test(items: Iterable[Item], limit: int) -> tuple[TestGroup, ...]:
    """The newest result of each test, tests with the newest results first, for summaries:
    only those results are read in full (a record may hold thousands). Each group carries
    its newest result and, when there is one, the one before, so `has_trend` still works."""
    seen: dict[str, list[Item]] = {}
    for item in sorted(
        (i for i in items if i.resource_type in RESULT_TYPES),
        key=lambda i: _newest_first(i.clinical_date),
    ):
        kept = seen.setdefault(_key(item), [])
        if len(kept) < 2:
            kept.append(item)
    groups = [_group(key, [result_of(i) for i in kept]) for key, kept in seen.items()]
    return tuple(groups[:limit])


def trend(items: Iterable[Item], code: str) -> tuple[Result, ...]:
    """Every numeric value of the test with this code, oldest first (the order of a chart)."""
    if not CODE_PATTERN.match(code):
        return ()
    numeric = [
        result_of(item)
        for item in items
        if item.resource_type in RESULT_TYPES and item.code == code
    ]
    points = [r for r in numeric if r.value is not None and r.when is not None]
    return tuple(sorted(points, key=lambda r: r.when or datetime.min))


def flags(
    interpretation: Any, value: Decimal | None, low: Decimal | None, high: Decimal | None
) -> tuple[Flag, ...]:
    """The source's interpretation in code and words; if it sent none, H or L from the range."""
    given = tuple(f for f in map(_flag, listed(interpretation)) if f is not None)
    if given or value is None:
        return given
    if high is not None and value > high:
        return (Flag("H", "Above range", from_range=True),)
    if low is not None and value < low:
        return (Flag("L", "Below range", from_range=True),)
    return ()


def _flag(concept: Any) -> Flag | None:
    if not isinstance(concept, dict):
        return None
    for coding in listed(concept.get("coding")):
        code = coding.get("code") if isinstance(coding, dict) else None
        if isinstance(code, str) and code:
            words = _text(concept.get("text")) or _text(coding.get("display"))
            return Flag(code, words or INTERPRETATION_WORDS.get(code, code))
    words = _text(concept.get("text"))
    return Flag("", words) if words else None


def _group(key: str, results: Sequence[Result]) -> TestGroup:
    ordered = tuple(sorted(results, key=lambda r: _newest_first(r.when)))
    first = ordered[0].item
    return TestGroup(key, first.code, display_name(first) or key, ordered)


LOINC = "http://loinc.org"
# A LOINC long name: `Hemoglobin [Mass/volume] in Blood by Automated count`.
_LOINC_LONG = re.compile(r"(?P<name>.+?)\s*\[[^\]]*\](?:\s+in\s+(?P<system>.+?))?(?:\s+by\s+.+)?")
# The specimens a reader takes for granted; any other (urine, CSF) stays in the name.
_LONGEST_LOINC = 255
_BLOOD = frozenset({"blood", "serum", "plasma", "bld", "ser/plas", "or"})


def display_name(item: Item) -> str | None:
    """What to call a test: the source's own words (`code.text`), else a coding's display,
    a local or SNOMED CT one before LOINC's; a LOINC long name is shortened only when it is
    all there is (`Hemoglobin [Mass/volume] in Blood` -> `Hemoglobin`)."""
    code = item.resource.get("code")
    if not isinstance(code, dict):
        return item.text
    codings = [c for c in listed(code.get("coding")) if isinstance(c, dict)]
    if text := _text(code.get("text")):
        # A source that copied LOINC's long name into its own words said nothing more.
        loinc = {c.get("display") for c in codings if c.get("system") == LOINC}
        return short_loinc_name(text) if text in loinc else text
    for coding in sorted(codings, key=lambda c: c.get("system") == LOINC):
        if display := _text(coding.get("display")):
            return short_loinc_name(display) if coding.get("system") == LOINC else display
    return item.text


def short_loinc_name(display: str) -> str:
    """A LOINC long name without its [property], and without its system and method when the
    system is blood, serum or plasma: `Albumin [Mass/volume] in Urine` -> `Albumin in Urine`.
    Names without a [property] are LOINC's short forms already and kept as they are."""
    # LOINC's long names stay well under this; a longer text is not one, and the pattern
    # costs time growing with the square of what a hostile source could send.
    found = _LOINC_LONG.fullmatch(display.strip()) if len(display) <= _LONGEST_LOINC else None
    if found is None:
        return display
    name, system = found["name"], found["system"]
    if system is None or set(re.split(r"[\s,]+", system.lower())) <= _BLOOD:
        return name
    return f"{name} in {system}"


def _key(item: Item) -> str:
    return item.code or f"name:{(item.text or '').strip().lower()}"


def _newest_first(when: datetime | None) -> tuple[int, float]:
    return (1, 0.0) if when is None else (0, -when.timestamp())


def _number_of(resource: dict[str, Any]) -> Decimal | None:
    quantity = resource.get("valueQuantity")
    return _decimal(quantity.get("value")) if isinstance(quantity, dict) else None


def _range(ranges: Any) -> tuple[Decimal | None, Decimal | None, str | None]:
    for entry in listed(ranges):
        if isinstance(entry, dict):
            low, high = entry.get("low"), entry.get("high")
            return (
                _decimal(low.get("value")) if isinstance(low, dict) else None,
                _decimal(high.get("value")) if isinstance(high, dict) else None,
                _text(entry.get("text")),
            )
    return None, None, None


def _value_text(resource: dict[str, Any]) -> str | None:
    for field_name in ("valueString", "valueCodeableConcept", "valueBoolean", "valueInteger"):
        value = resource.get(field_name)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, str | int):
            return _text(str(value))
        if isinstance(value, dict):
            return concept_text({"code": value})
    return None


def _unit(quantity: dict[str, Any]) -> str | None:
    return _text(quantity.get("unit")) or _text(quantity.get("code"))


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
