"""The one place that turns values into the text clinicians read (UI.md, after the NHS CUI).

Pure functions, no I/O: every example on UI.md has a unit test in tests/web/test_formatting.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from carerecord import nhs_number
from carerecord.fhir.extract import parse_fhir_datetime
from carerecord.record.items import later_than
from carerecord.uk_time import UK as UK  # re-exported: pages use formatting.UK and .local
from carerecord.uk_time import local as local

NOT_KNOWN = "Not Known"

_GENDERS = {"male": "Male", "female": "Female", "other": "Other", "unknown": NOT_KNOWN}


def day(value: date | datetime | None, weekday: bool = False) -> str:
    """`05-Jan-2009` (or `Tue 05-Jan-2009`); a datetime is first put into UK local time."""
    if value is None:
        return NOT_KNOWN
    if isinstance(value, datetime):
        value = local(value).date()
    text = value.strftime("%d-%b-%Y")
    return f"{value.strftime('%a')} {text}" if weekday else text


# Typed dates: what a date box accepts. Month names are spelt out here, not taken from the
# locale, so a server's locale cannot change what is understood.
_MONTH_NAMES = [
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
]
_MONTHS = {name[:3]: n for n, name in enumerate(_MONTH_NAMES, 1)} | {
    name: n for n, name in enumerate(_MONTH_NAMES, 1)
}
_TYPED_DAYS = (
    re.compile(r"(?P<d>\d{1,2})[- ](?P<m>[A-Za-z]{3,9})[- ](?P<y>\d{4})"),  # 05-Jan-2026
    re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"),  # 05/01/2026: UK, day first
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),  # 2026-01-05, as links carry it
)
DATE_HINT = "For example, 05-Jan-2026"


def typed_day(text: str) -> date | None:
    """A date as typed in a date box: `05-Jan-2026` (as dates are shown), `05/01/2026` (UK
    order, never American) or `2026-01-05`; None when it is none of these or no real date."""
    value = text.strip()
    for pattern in _TYPED_DAYS:
        found = pattern.fullmatch(value) if len(value) <= 20 else None
        if found is None:
            continue
        month = found["m"]
        month_number = int(month) if month.isdigit() else _MONTHS.get(month.lower(), 0)
        try:
            return date(int(found["y"]), month_number, int(found["d"]))
        except ValueError:
            return None
    return None


def long_day(value: date | None) -> str:
    """`5 January 2009`: only for prose addressed to the public."""
    if value is None:
        return NOT_KNOWN
    return f"{value.day} {value.strftime('%B %Y')}"


def clock_time(value: datetime | None) -> str:
    """24-hour `09:05`, UK local time."""
    return local(value).strftime("%H:%M") if value else NOT_KNOWN


def day_time(value: datetime | None) -> str:
    """`05-Jan-2009 09:43`, UK local time."""
    return f"{day(value)} {clock_time(value)}" if value else NOT_KNOWN


def nhs_no(digits: str | None) -> str:
    """`943 476 5919`, whole; anything that is not ten digits is shown as it was given."""
    if not digits:
        return NOT_KNOWN
    return nhs_number.formatted(digits) if len(digits) == 10 and digits.isdigit() else digits


def gender(code: str | None) -> str:
    """FHIR administrative gender in words, never a code."""
    return _GENDERS.get((code or "").lower(), NOT_KNOWN)


def person_name(family: str | None, given: Sequence[str], prefix: str | None) -> str:
    """`SMITH, Jane (Mrs)`: family name in capitals, given names, title in brackets."""
    parts = [p for p in ((family or "").strip().upper(), " ".join(given).strip()) if p]
    if not parts:
        return NOT_KNOWN
    name = ", ".join(parts)
    return f"{name} ({prefix.strip()})" if prefix and prefix.strip() else name


def text_or_not_known(value: str | None) -> str:
    return value.strip() if value and value.strip() else NOT_KNOWN


def age(born: date | datetime, at: date | datetime) -> str:
    """Age by the CUI bands, at most two units: 90min, 26hrs, 27d, 4w 1d, 13m 8d, 4y 1m, 67y.

    The minute and hour bands need a time of birth; with a date alone, days are the finest unit.
    """
    if isinstance(born, datetime) and isinstance(at, datetime):
        elapsed = at - born
        if elapsed < timedelta(hours=2):
            return f"{max(int(elapsed.total_seconds() // 60), 0)}min"
        if elapsed < timedelta(days=2):
            return f"{int(elapsed.total_seconds() // 3600)}hrs"
    start, end = _as_date(born), _as_date(at)
    months = _whole_months(start, end)
    if months < 12:
        return _age_in_days(start, end)
    if months < 24:
        return _two_units(months, "m", (end - _add_months(start, months)).days, "d")
    years = months // 12
    return _two_units(years, "y", months % 12, "m") if years < 18 else f"{years}y"


def _age_in_days(start: date, end: date) -> str:
    days = max((end - start).days, 0)
    if days < 28:
        return f"{days}d"
    return _two_units(days // 7, "w", days % 7, "d")


def _whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _two_units(first: int, first_unit: str, second: int, second_unit: str) -> str:
    """`4w 1d`; a second unit of zero is left out (`4w`)."""
    text = f"{first}{first_unit}"
    return f"{text} {second}{second_unit}" if second else text


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    target_year, target_month = start.year + year, month + 1
    for day_of_month in (start.day, 30, 29, 28):
        try:
            return date(target_year, target_month, day_of_month)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


def _as_date(value: date | datetime) -> date:
    return local(value).date() if isinstance(value, datetime) else value


def duration(elapsed: timedelta) -> str:
    """How long something lasted: `32min`, `4hr 32min`, `1hr` (a zero part left out); from two
    days on, in days and hours (`9 days 22hr`, `10 days`), as lengths of stay are counted.
    An end before its start is a source's error, so the length is not known."""
    if elapsed < timedelta(0):
        return NOT_KNOWN
    minutes = int(elapsed.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _parts((hours, "hr"), (minutes, "min")) or "0min"
    days, hours = divmod(hours, 24)
    return _parts((days, " days"), (hours, "hr"))


def _parts(*parts: tuple[int, str]) -> str:
    """`4hr 32min`, with any part of zero left out (`1hr`, `10 days`)."""
    return " ".join(f"{number(amount)}{unit}" for amount, unit in parts if amount)


def number(value: int | float | Decimal) -> str:
    """`5,000`, `0.5`, `2` (not `2.0`): thousands comma, leading zero, no trailing zero."""
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if exact == exact.to_integral_value():
        return f"{int(exact):,}"
    text = f"{exact.normalize():,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity(value: int | float | Decimal, unit: str) -> str:
    """A number with a space before its unit: `400 mg`, `5,000 units`, `6.8 ×10⁹/L`."""
    return f"{number(value)} {unit_text(unit)}"


# UCUM codes as readers write them. Whole units first, then the parts of any other.
_UNITS = {"Cel": "°C", "[degF]": "°F", "%": "%"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_UNIT_PARTS = (
    # `{1.73_m2}`, `{cells}`: a UCUM annotation is a word for the reader, kept without braces
    (re.compile(r"\{([^{}]*)\}"), lambda m: m[1].replace("_", "")),
    # `10*9/L`, `10^12/L`, `x10^9/L`: a power of ten, written `×10⁹/L`
    (re.compile(r"(?:[xX×]\s?)?10[*^](-?\d+)"), lambda m: "×10" + m[1].translate(_SUPERSCRIPTS)),
    # `[IU]`, `mm[Hg]`: square brackets only mark special units in UCUM
    (re.compile(r"\[([A-Za-z0-9]+)\]"), lambda m: m[1]),
    # micrograms are written in full: `µg` is misread as `mg` (NHS medicines safety)
    (re.compile(r"(?<![A-Za-z])ug(?![A-Za-z])"), lambda m: "microgram"),
    # `umol/L`, `uL`: the micro prefix
    (re.compile(r"(?<![A-Za-z])u(?=(?:mol|L|IU|U|kat|eq|Eq)(?![a-z]))"), lambda m: "µ"),
    # `m2`, `1.73m2`, `cm3`: areas and volumes
    (re.compile(r"(?<=m)([23])(?![0-9])"), lambda m: m[1].translate(_SUPERSCRIPTS)),
)


def unit_text(unit: str | None) -> str:
    """A unit as a reader writes it, from UCUM or a source's own label: `10*9/L` → `×10⁹/L`,
    `umol/L` → `µmol/L`, `mL/min/{1.73_m2}` → `mL/min/1.73m²`, `Cel` → `°C`. Units already
    readable (`mmol/L`, `mg`, `units`) are unchanged."""
    text = (unit or "").strip()
    if text in _UNITS:
        return _UNITS[text]
    for pattern, written in _UNIT_PARTS:
        text = pattern.sub(written, text)
    return text


# A time later than now is a source's error: flagged wherever shown, never read as fresh
# (record.items.later_than, the one rule).
FUTURE = "future date — check with the source"


def updated_ago(moment: datetime | None, now: datetime) -> str:
    """How old data is, in words: `updated 14 hr ago`."""
    if moment is None:
        return f"last update {NOT_KNOWN}"
    if later_than(moment, now):
        return FUTURE
    return f"updated {ago(moment, now)}"


def received_ago(moment: datetime | None, now: datetime) -> str:
    """When carerecord last received a source's data, kept apart from the source's own time."""
    if moment is None:
        return f"received {NOT_KNOWN}"
    return f"received {ago(moment, now)}"  # carerecord's own clock: never a source's error


def freshness(
    updated_at_source: datetime | None,
    received_at: datetime | None,
    now: datetime,
    newest_entry: datetime | None = None,
) -> str:
    """One source's freshness, the same words on every page: its own last update and its
    newest entry, then when carerecord received it. `updated at source 01-Oct-2026 09:00
    (14 hr ago), newest entry 28-Sep-2026; received 11 min ago`."""
    if updated_at_source is None:
        updated = f"last update at source {NOT_KNOWN}"
    elif later_than(updated_at_source, now):
        updated = f"updated at source {day_time(updated_at_source)} ({FUTURE})"
    else:
        updated = f"updated at source {day_time(updated_at_source)} ({ago(updated_at_source, now)})"
    if newest_entry is not None:
        updated += f", {newest_entry_text(newest_entry, now)}"
    return f"{updated}; {received_ago(received_at, now)}"


def newest_entry_text(moment: datetime | None, now: datetime) -> str:
    """`newest entry 28-Sep-2026`: the clinical date of a source's newest entry."""
    if moment is None:
        return f"newest entry {NOT_KNOWN}"
    flag = f" ({FUTURE})" if later_than(moment, now) else ""
    return f"newest entry {day(moment)}{flag}"


def ago(moment: datetime, now: datetime) -> str:
    """`14 hr ago`, `3 days ago`: coarse on purpose, exact time is shown beside it. A source's
    time later than now is flagged by its callers (updated_ago, freshness), not here."""
    elapsed = now - moment
    minutes = int(elapsed.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} hr ago"
    days = elapsed.days
    if days < 60:
        return f"{days} days ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{number(days // 365)} years ago"


def strength(
    amounts: Sequence[Decimal], unit: str, per_amount: Decimal | None, per_unit: str | None
) -> str:
    """A medicine's strength: `400 mg in 5 mL`, `5,000 units per mL`, `8 and 500 mg`."""
    text = f"{' and '.join(number(a) for a in amounts)} {unit}"
    if per_unit is None:
        return text
    if per_amount is None:
        return f"{text} per {per_unit}"
    return f"{text} in {quantity(per_amount, per_unit)}"


def period(start: date | datetime | None, end: date | datetime | None) -> str:
    """A span of days: `01-Jan-2026 to 03-Jan-2026`, `From 01-Jan-2026`, `Until 03-Jan-2026`."""
    if start and end:
        return f"{day(start)} to {day(end)}"
    if start:
        return f"From {day(start)}"
    if end:
        return f"Until {day(end)}"
    return NOT_KNOWN


def fhir_period(value: Any) -> str:
    """A FHIR Period (`{"start": ..., "end": ...}`) as `period` writes it."""
    if not isinstance(value, dict):
        return NOT_KNOWN
    return period(parse_fhir_datetime(value.get("start")), parse_fhir_datetime(value.get("end")))
