"""Who is the same person, as a table: each row what the record holds and the verdict."""

from __future__ import annotations

from datetime import date

import pytest

from carerecord.identity.same_person import (
    Conflict,
    HeldIdentity,
    MergeVerdict,
    birth_date_conflict,
    link_conflict,
    merge_verdict,
    same_person,
)

NHS = "9434765919"
OTHER = "9990000018"
BORN = date(1957, 3, 14)
ELSE = date(1975, 3, 14)


@pytest.mark.parametrize(
    ("nhs_number", "other", "same"),
    [
        (NHS, NHS, True),
        (NHS, OTHER, False),
        (NHS, None, False),  # a record without an NHS number is nobody in particular
        (None, None, False),
    ],
)
def test_the_same_person_is_the_same_nhs_number(
    nhs_number: str | None, other: str | None, same: bool
) -> None:
    assert same_person(nhs_number, other) is same


@pytest.mark.parametrize(
    ("linked_to", "claimed_for", "verdict"),
    [
        (None, "person-a", None),  # a new local id: linked now
        ("person-a", "person-a", None),  # sent again for the same person
        ("person-a", "person-b", Conflict.IDENTITY),  # the source gave it another NHS number
    ],
)
def test_a_local_id_stays_with_the_person_it_was_linked_to(
    linked_to: str | None, claimed_for: str, verdict: Conflict | None
) -> None:
    assert link_conflict(linked_to, claimed_for) == verdict


@pytest.mark.parametrize(
    ("born", "held", "verdict"),
    [
        (BORN, set(), None),  # nobody else gives a date
        (BORN, {BORN}, None),
        (BORN, {ELSE}, Conflict.BIRTH_DATE),
        (BORN, {ELSE, BORN}, None),  # agrees with one record of the person
        (None, {ELSE}, None),  # not knowing proves nothing
    ],
)
def test_a_different_date_of_birth_is_a_possible_wrong_patient(
    born: date | None, held: set[date], verdict: Conflict | None
) -> None:
    assert birth_date_conflict(born, held) == verdict


def held(local_id: str, person: str | None, nhs: str | None, born: date | None) -> HeldIdentity:
    return HeldIdentity(local_id, person, nhs, born)


@pytest.mark.parametrize(
    ("case", "prior", "surviving", "verdict"),
    [
        (
            "duplicate local ids of one person",
            held("old", "a", NHS, BORN),
            held("new", "a", NHS, BORN),
            MergeVerdict(),
        ),
        (
            "one person, the prior id without a date of birth",
            held("old", "a", NHS, None),
            held("new", "a", NHS, BORN),
            MergeVerdict(),
        ),
        (
            "the prior id was never stored: nothing moves",
            held("old", None, None, None),
            held("new", "a", NHS, BORN),
            MergeVerdict(),
        ),
        (
            "different NHS numbers",
            held("old", "b", OTHER, BORN),
            held("new", "a", NHS, BORN),
            MergeVerdict(Conflict.MERGE, ("NHS numbers",)),
        ),
        (
            "different dates of birth under one NHS number",
            held("old", "a", NHS, ELSE),
            held("new", "a", NHS, BORN),
            MergeVerdict(Conflict.MERGE, ("dates of birth",)),
        ),
        (
            "different NHS numbers and dates of birth",
            held("old", "b", OTHER, ELSE),
            held("new", "a", NHS, BORN),
            MergeVerdict(Conflict.MERGE, ("NHS numbers", "dates of birth")),
        ),
        (
            "a survivor the source never sent",
            held("old", "a", NHS, BORN),
            held("new", None, None, None),
            MergeVerdict(Conflict.UNKNOWN_SURVIVOR),
        ),
    ],
)
def test_a_merge_goes_ahead_only_within_one_person(
    case: str, prior: HeldIdentity, surviving: HeldIdentity, verdict: MergeVerdict
) -> None:
    found = merge_verdict(prior, surviving)
    assert found == verdict, case
    assert found.goes_ahead is (verdict.conflict is None)
