"""The 'find by surname and date of birth' form: what was typed, and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from carerecord.identity.patients import normalise_name, normalise_postcode


@dataclass(frozen=True)
class DetailsForm:
    family: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    postcode: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field id -> message
    birth_date: date | None = None


def validate(
    family: str, day: str, month: str, year: str, postcode: str, today: date
) -> DetailsForm:
    """Each problem gets a message naming the field, in the NHS style ('Enter ...')."""
    errors: dict[str, str] = {}
    if normalise_name(family) is None:
        errors["family"] = "Enter the person's surname"
    born = _date(day, month, year)
    if not (day or month or year):
        errors["dob"] = "Enter the person's date of birth"
    elif born is None:
        errors["dob"] = "Date of birth must be a real date, for example 14 3 1957"
    elif born > today:
        errors["dob"] = "Date of birth must be today or in the past"
    elif born.year < 1880:
        errors["dob"] = "Date of birth must be after 1880"
    code = normalise_postcode(postcode)
    if postcode.strip() and (code is None or not 2 <= len(code) <= 7):
        errors["postcode"] = "Enter the start of a postcode, for example SE1, or leave it blank"
    return DetailsForm(family, day, month, year, postcode, errors, None if errors else born)


def _date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
