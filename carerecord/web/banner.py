"""The patient banner's words, worked out once from the demographics (UI.md, CUI rules).

Templates only place these strings; every rule about what is shown lives here, and a
restricted patient's banner is built without their address, contact details or GP at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from carerecord.record.authority import DeathReport
from carerecord.record.overview import Demographics, Telecom
from carerecord.web import formatting as fmt


@dataclass(frozen=True)
class Contact:
    """Zone 2: shown collapsed, and never built for a restricted patient."""

    address: tuple[str, ...]
    telephones: tuple[str, ...]
    emails: tuple[str, ...]
    gp_practice: str


@dataclass(frozen=True)
class Banner:
    name: str
    preferred_name: str | None
    born: str
    age: str | None  # in brackets after Born; None when deceased (age at death instead)
    died: str | None  # confirmed by the national record or the registered GP practice
    age_at_death: str | None
    death_report: str | None  # a death only other sources report (decision record 0009)
    gender: str
    nhs_number: str
    deceased: bool
    restricted: bool
    contact: Contact | None


def banner(person: Demographics, today: date, contact: bool = True) -> Banner:
    """`contact=False` for zone 1 alone: who the person is (a withheld record's page)."""
    died = person.deceased_at
    return Banner(
        name=fmt.person_name(person.family, person.given, person.prefix),
        preferred_name=person.preferred_name,
        born=fmt.day(person.birth_date),
        age=None if person.deceased else _age(person.birth_date, today),
        died=fmt.day(died) if person.deceased else None,
        age_at_death=_age(person.birth_date, died) if person.deceased else None,
        death_report=None if person.deceased else death_report(_reporters(person)),
        gender=fmt.gender(person.gender),
        nhs_number=fmt.nhs_no(person.nhs_number),
        deceased=person.deceased,
        restricted=person.restricted,
        contact=_contact(person) if contact and not person.restricted else None,
    )


def death_report(reports: tuple[DeathReport, ...]) -> str | None:
    """`Reported died on 03-Feb-2024 by Royal Free London — not confirmed by the GP or national
    record`: a report is shown, never hidden, and never as a plain `Died`."""
    if not reports:
        return None
    by_date: dict[date | None, list[str]] = {}
    for report in reports:
        by_date.setdefault(report.died_on, []).append(report.source_name)
    said = "; ".join(_reported(day, names) for day, names in by_date.items())
    return f"Reported died {said} — not confirmed by the GP or national record"


def _reporters(person: Demographics) -> tuple[DeathReport, ...]:
    """A restricted person's reports name no organisation: a care home is where they live."""
    if not person.restricted:
        return person.death_reports
    return tuple(replace(r, source_ods="", source_name="") for r in person.death_reports)


def _reported(day: date | None, names: list[str]) -> str:
    when = f"on {fmt.day(day)}" if day else f"(date {fmt.NOT_KNOWN})"
    named = [name for name in names if name]  # a withheld record names no organisation
    if not named:
        return when
    who = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"{when} by {who}"


def _age(born: date | None, at: date | None) -> str:
    if born is None or at is None:
        return fmt.NOT_KNOWN
    return fmt.age(born, at)


def _contact(person: Demographics) -> Contact:
    return Contact(
        address=person.address or (fmt.NOT_KNOWN,),
        telephones=_values(person.telecom, "phone"),
        emails=_values(person.telecom, "email"),
        gp_practice=_practice(person.gp_practice, person.gp_practice_ods),
    )


def _values(telecom: tuple[Telecom, ...], system: str) -> tuple[str, ...]:
    found = tuple(_with_use(t) for t in telecom if t.system == system)
    return found or (fmt.NOT_KNOWN,)


def _with_use(telecom: Telecom) -> str:
    return f"{telecom.value} ({telecom.use})" if telecom.use else telecom.value


def _practice(name: str | None, ods: str | None) -> str:
    if name and ods:
        return f"{name} ({ods})"
    return fmt.text_or_not_known(name or ods)
