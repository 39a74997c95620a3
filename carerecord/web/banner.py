"""The patient banner's words, worked out once from the demographics (UI.md, CUI rules).

Templates only place these strings; every rule about what is shown lives here, and a
restricted patient's banner is built without their address, contact details or GP at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    died: str | None
    age_at_death: str | None
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
        gender=fmt.gender(person.gender),
        nhs_number=fmt.nhs_no(person.nhs_number),
        deceased=person.deceased,
        restricted=person.restricted,
        contact=_contact(person) if contact and not person.restricted else None,
    )


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
