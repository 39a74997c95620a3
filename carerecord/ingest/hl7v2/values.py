"""Small pure helpers from HL7 v2 data types to FHIR values."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from carerecord.fhir.systems import SNOMED
from carerecord.ingest.hl7v2.segments import Rep, component

LONDON = ZoneInfo("Europe/London")
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

_TS = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?\s*(?:([+-])(\d{2})(\d{2}))?"
)
_SNOMED_NAMES = {"SCT", "SNM", "SNM3", "SNOMED", "SNOMEDCT", "SCTID", "SNOMED-CT"}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9\-.]")
_UCUM_LIKE = re.compile(r"[A-Za-z0-9%/.*\[\]{}^'-]+")


def parse_ts(text: str) -> tuple[datetime, int] | None:
    """An HL7 TS/DTM as (aware datetime, digits given); no offset means UK local time."""
    match = _TS.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            tz: timezone | ZoneInfo = timezone(-offset if sign == "-" else offset)
        else:
            tz = LONDON
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tz,
        )
        moment.astimezone(UTC)  # years 1 and 9999 can fall off the calendar in UTC
    except (ValueError, OverflowError):
        return None
    digits = len("".join(part for part in (year, month, day, hour, minute, second) if part))
    return moment, digits


def to_utc(text: str) -> datetime | None:
    parsed = parse_ts(text)
    return parsed[0].astimezone(UTC) if parsed else None


def fhir_datetime(text: str) -> str | None:
    """FHIR dateTime keeping the sender's precision: a date stays a date, a time is UTC."""
    parsed = parse_ts(text)
    if not parsed:
        return None
    moment, digits = parsed
    if digits <= 8:
        return moment.date().isoformat()[: {4: 4, 6: 7}.get(digits, 10)]
    return instant(moment)


def fhir_date(text: str) -> str | None:
    """FHIR date as written by the sender (a birth date is not moved across midnight)."""
    parsed = parse_ts(text)
    if not parsed:
        return None
    moment, digits = parsed
    return moment.date().isoformat()[: {4: 4, 6: 7}.get(digits, 10)]


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def fhir_id(*parts: str) -> str:
    """A valid, stable FHIR id: unsafe characters become '-', long ids become a hash."""
    raw = "-".join(part for part in parts if part)
    safe = _ID_UNSAFE.sub("-", raw)
    if 0 < len(safe) <= 64:
        return safe
    return "h" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def coding_system(name: str) -> str | None:
    name = name.strip()
    if not name:
        return None
    if name.upper() in {"LN", "LOINC"}:
        return LOINC
    if name.upper().replace(" ", "") in _SNOMED_NAMES:
        return SNOMED
    return "urn:hl7v2:codesystem:" + _ID_UNSAFE.sub("-", name)


def _coding(code: str, display: str, system: str) -> dict[str, Any] | None:
    if not code:
        return None
    return prune({"system": coding_system(system), "code": code, "display": display})


def codeable(rep: Rep) -> dict[str, Any] | None:
    """CE/CWE/CNE as a CodeableConcept; the original text is always kept."""
    codings = [
        coding
        for coding in (
            _coding(component(rep, 1), component(rep, 2), component(rep, 3)),
            _coding(component(rep, 4), component(rep, 5), component(rep, 6)),
        )
        if coding
    ]
    text = component(rep, 9) or component(rep, 2) or component(rep, 5) or component(rep, 1)
    return prune({"coding": codings, "text": text}) or None


def text_of(rep: Rep) -> str:
    """The words of a coded value, for places that take only text."""
    return component(rep, 2) or component(rep, 1)


def person_name(rep: Rep, offset: int = 0) -> str:
    """An XCN/XPN as one display string: 'Dr Samuel Darwin'. offset 1 skips XCN-1 (the id)."""
    family = component(rep, 1 + offset)
    given = component(rep, 2 + offset)
    middle = component(rep, 3 + offset)
    prefix = component(rep, 5 + offset)
    return " ".join(part for part in (prefix, given, middle, family) if part)


def practitioner_ref(rep: Rep) -> dict[str, Any] | None:
    """An XCN as a display reference carrying its identifier (GMC, local code ...)."""
    display = person_name(rep, offset=1)
    code = component(rep, 1)
    if not display and not code:
        return None
    authority = component(rep, 9) or component(rep, 13)
    system = "urn:hl7v2:assigning-authority:" + fhir_id(authority) if authority else None
    identifier = {"system": system, "value": code}
    return prune({"display": display or code, "identifier": identifier if code else None})


def ucum_unit(unit: str) -> str | None:
    return unit if unit and _UCUM_LIKE.fullmatch(unit) else None


def prune(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop None, "" and empty containers, which FHIR forbids, at every depth."""
    return _pruned_dict(resource)


# One pass, children first: every mapped resource goes through here, many times over.
def _pruned_dict(value: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for key, item in value.items():
        item = _pruned(item)
        if item is not None and item != "" and item != [] and item != {}:
            kept[key] = item
    return kept


def _pruned_list(value: list[Any]) -> list[Any]:
    kept = []
    for item in value:
        item = _pruned(item)
        if item is not None and item != "" and item != [] and item != {}:
            kept.append(item)
    return kept


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return _pruned_dict(value)
    if isinstance(value, list):
        return _pruned_list(value)
    return value
