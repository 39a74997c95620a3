"""The banner's words from demographics, without a server: states UI.md names."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from carerecord.record.overview import Demographics, Telecom
from carerecord.web.banner import banner

TODAY = date(2026, 3, 20)
JANE = Demographics(
    patient_id="opaque",
    nhs_number="9434765919",
    family="Smith",
    given=("Jane",),
    prefix="Mrs",
    preferred_name=None,
    birth_date=date(1957, 3, 14),
    gender="female",
    deceased=False,
    deceased_at=None,
    address=("12 Agar Grove", "London", "NW1 9SL"),
    telecom=(Telecom("phone", "020 7946 0000", "home"), Telecom("email", "j@example.org")),
    gp_practice="Camden Road Surgery",
    gp_practice_ods="F83004",
    restricted=False,
    source_ods="F83004",
    source_updated_at=None,
)


def test_a_living_person() -> None:
    shown = banner(JANE, TODAY)
    assert (shown.name, shown.born, shown.age) == ("SMITH, Jane (Mrs)", "14-Mar-1957", "69y")
    assert (shown.gender, shown.nhs_number) == ("Female", "943 476 5919")
    assert shown.died is None and shown.age_at_death is None
    assert shown.contact is not None
    assert shown.contact.telephones == ("020 7946 0000 (home)",)
    assert shown.contact.emails == ("j@example.org",)
    assert shown.contact.gp_practice == "Camden Road Surgery (F83004)"


def test_a_restricted_person_has_no_contact_details_at_all() -> None:
    shown = banner(replace(JANE, restricted=True), TODAY)
    assert shown.restricted and shown.contact is None


def test_a_deceased_person_shows_death_and_age_at_death_instead_of_age() -> None:
    person = replace(
        JANE, birth_date=date(1940, 1, 10), deceased=True, deceased_at=date(2024, 2, 3)
    )
    shown = banner(person, TODAY)
    assert (shown.died, shown.age_at_death, shown.age) == ("03-Feb-2024", "84y", None)


def test_a_death_without_a_date_says_not_known() -> None:
    shown = banner(replace(JANE, deceased=True), TODAY)
    assert (shown.died, shown.age_at_death) == ("Not Known", "Not Known")


def test_unknown_values_say_not_known() -> None:
    person = replace(
        JANE,
        nhs_number="",
        birth_date=None,
        gender=None,
        address=(),
        telecom=(),
        gp_practice=None,
        gp_practice_ods=None,
    )
    shown = banner(person, TODAY)
    assert (shown.nhs_number, shown.born, shown.age, shown.gender) == ("Not Known",) * 4
    assert shown.contact is not None
    assert shown.contact.address == ("Not Known",)
    assert shown.contact.telephones == ("Not Known",) and shown.contact.emails == ("Not Known",)
    assert shown.contact.gp_practice == "Not Known"
