"""The audit log's search form: what was typed, what is wrong with it, and the query it asks.
Dates are typed as three fields (day, month, year), UK days; both ends are included."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from carerecord.audit.fhir_event import KINDS
from carerecord.audit.query import ACCESS_ACTIONS, AuditQuery, uk_days
from carerecord.nhs_number import problem

# The event types the form offers, each an action the log records.
EVENT_TYPES = tuple(sorted({*KINDS, *ACCESS_ACTIONS}))
_USERNAME = re.compile(r"[A-Za-z0-9._@:-]{1,100}")
_ODS = re.compile(r"[A-Z0-9]{3,12}")


@dataclass(frozen=True)
class DayFields:
    day: str = ""
    month: str = ""
    year: str = ""

    @classmethod
    def of(cls, value: date | None) -> DayFields:
        return cls() if value is None else cls(str(value.day), str(value.month), str(value.year))

    @property
    def blank(self) -> bool:
        return not (self.day.strip() or self.month.strip() or self.year.strip())

    def value(self) -> date | None:
        try:
            return date(int(self.year), int(self.month), int(self.day))
        except ValueError:
            return None


@dataclass(frozen=True)
class SearchForm:
    user: str = ""
    organisation: str = ""
    nhs_number: str = ""
    first: DayFields = field(default_factory=DayFields)
    last: DayFields = field(default_factory=DayFields)
    action: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field id -> message

    def query(self, patient_id: str | None) -> AuditQuery:
        """The query the (valid) form asks for."""
        first, last = self.first.value(), self.last.value()
        start = end = None
        if first is not None:
            start = uk_days(first, first)[0]
        if last is not None:
            end = uk_days(last, last)[1]
        return AuditQuery(
            user=self.user or None,
            organisation=self.organisation or None,
            patient_id=patient_id,
            start=start,
            end=end,
            actions=(self.action,) if self.action else (),
        )

    def as_params(self, patient_id: str | None) -> dict[str, str]:
        """The form as a query string (never the NHS number: the opaque id stands in)."""
        first, last = self.first.value(), self.last.value()
        params = {
            "user": self.user,
            "org": self.organisation,
            "from": first.isoformat() if first else "",
            "to": last.isoformat() if last else "",
            "type": self.action,
            "patient": patient_id or "",
        }
        return {name: value for name, value in params.items() if value}


def validate(
    user: str, organisation: str, nhs_number: str, first: DayFields, last: DayFields, action: str
) -> SearchForm:
    """Each problem with a message naming the field, in the NHS style."""
    errors: dict[str, str] = {}
    user, organisation = user.strip()[:200], organisation.strip().upper()[:200]
    if user and not _USERNAME.fullmatch(user):
        errors["user"] = "Enter a username of letters, digits and . _ @ : - only"
    if organisation and not _ODS.fullmatch(organisation):
        errors["org"] = "Enter an ODS code of 3 to 12 letters and digits, for example F83004"
    if nhs_number.strip() and (why := problem(nhs_number)) is not None:
        errors["nhs-no"] = why
    for key, label, fields in (("from", "From", first), ("to", "To", last)):
        if not fields.blank and fields.value() is None:
            errors[key] = f"{label} date must be a real date, for example 1 10 2026"
    start, end = first.value(), last.value()
    if "from" not in errors and "to" not in errors and start and end and start > end:
        errors["to"] = "To date must be the same as or after the from date"
    if action and action not in EVENT_TYPES:
        errors["type"] = "Choose an event type from the list"
    return SearchForm(user, organisation, nhs_number, first, last, action[:60], errors)


def from_params(params: dict[str, str]) -> SearchForm:
    """The form a query string (as as_params wrote it) stands for, checked again."""
    first, last = _iso(params.get("from", "")), _iso(params.get("to", ""))
    return validate(
        params.get("user", ""), params.get("org", ""), "", first, last, params.get("type", "")
    )


def _iso(text: str) -> DayFields:
    if not text.strip():
        return DayFields()
    try:
        return DayFields.of(date.fromisoformat(text.strip()))
    except ValueError:
        return DayFields("?", "?", text[:20])  # shown back as typed, refused as not a date
