"""Which source is believed on a death, as a table (decision record 0009)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from carerecord.record.authority import (
    Death,
    DeathClaim,
    DeathReport,
    Standing,
    believed_death,
    preference,
    registered_practices,
    standing,
)

NATIONAL, GP, OTHER = Standing.NATIONAL, Standing.REGISTERED_GP, Standing.OTHER
FEB3, FEB4 = date(2024, 2, 3), date(2024, 2, 4)
OLDER, NEWER = datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("named_nationally", "gp_sources", "registered"),
    [
        ({"F83004"}, {"F83004", "F99999"}, {"F83004"}),  # the national record says which
        ({"F12345"}, {"F83004"}, {"F12345"}),  # ... even a practice not connected
        (set(), {"F83004", "F99999"}, {"F83004", "F99999"}),  # no national record: any practice
        (set(), set(), set()),
    ],
)
def test_the_registered_practice_is_the_one_the_national_record_names(
    named_nationally: set[str], gp_sources: set[str], registered: set[str]
) -> None:
    assert registered_practices(named_nationally, gp_sources) == registered


@pytest.mark.parametrize(
    ("source", "org_type", "expected"),
    [
        ("X26", "national", NATIONAL),
        ("F83004", "gp", GP),
        ("F99999", "gp", OTHER),  # a practice the person has left
        ("RAL", "acute", OTHER),
        ("VM123", "care-home", OTHER),
        ("F83004", None, OTHER),  # not in the registry
    ],
)
def test_each_sources_standing(source: str, org_type: str | None, expected: Standing) -> None:
    assert standing(source, org_type, {"F83004"}) == expected


def says(
    source: str,
    held: Standing,
    died_on: date | None = None,
    died: bool = True,
    updated: datetime = NEWER,
) -> DeathClaim:
    return DeathClaim(source, f"{source} name", held, died, died_on, updated)


def alive(source: str, held: Standing) -> DeathClaim:
    return says(source, held, died=False)


@pytest.mark.parametrize(
    ("case", "claims", "expected"),
    [
        ("nobody says so", [alive("GP", GP), alive("RAL", OTHER)], Death(False, None)),
        ("the GP says so", [says("GP", GP, FEB3)], Death(True, FEB3)),
        ("the national record says so", [says("PDS", NATIONAL, FEB3)], Death(True, FEB3)),
        (
            "the national record's date first",
            [says("GP", GP, FEB4), says("PDS", NATIONAL, FEB3)],
            Death(True, FEB3),
        ),
        (
            "a believed source without a date, another with one",
            [says("PDS", NATIONAL), says("GP", GP, FEB4)],
            Death(True, FEB4),
        ),
        ("without a date at all", [says("GP", GP)], Death(True, None)),
        (
            "the GP says so, the national record not yet",
            [alive("PDS", NATIONAL), says("GP", GP, FEB3)],
            Death(True, FEB3),
        ),
        (
            "a hospital alone",
            [says("RAL", OTHER, FEB3)],
            Death(False, None, (DeathReport("RAL", "RAL name", FEB3),)),
        ),
        (
            "a care home alone",
            [says("VM1", OTHER, FEB3)],
            Death(False, None, (DeathReport("VM1", "VM1 name", FEB3),)),
        ),
        (
            "the GP says alive, a hospital died: reported, not confirmed, not hidden",
            [alive("GP", GP), says("RAL", OTHER, FEB3)],
            Death(False, None, (DeathReport("RAL", "RAL name", FEB3),)),
        ),
        (
            "a hospital's report when the GP also says so: confirmed, the GP's date",
            [says("GP", GP, FEB4), says("RAL", OTHER, FEB3)],
            Death(True, FEB4),
        ),
        (
            "two sources' reports, earliest first",
            [says("VM1", OTHER, FEB4), says("RAL", OTHER, FEB3)],
            Death(
                False,
                None,
                (DeathReport("RAL", "RAL name", FEB3), DeathReport("VM1", "VM1 name", FEB4)),
            ),
        ),
        (
            "one source, two records: one report, the dated one",
            [says("RAL", OTHER), says("RAL", OTHER, FEB3, updated=OLDER)],
            Death(False, None, (DeathReport("RAL", "RAL name", FEB3),)),
        ),
        (
            "a former practice alone",
            [says("F99", OTHER, FEB3)],
            Death(False, None, (DeathReport("F99", "F99 name", FEB3),)),
        ),
    ],
)
def test_a_death_is_believed_from_the_national_record_or_the_registered_practice(
    case: str, claims: list[DeathClaim], expected: Death
) -> None:
    assert believed_death(claims) == expected, case


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((NATIONAL, OLDER), (GP, NEWER)),  # the national record, however old
        ((GP, OLDER), (OTHER, NEWER)),  # the registered practice over a newer hospital record
        ((OTHER, NEWER), (OTHER, OLDER)),  # among the rest, the most recently updated
        ((GP, NEWER), (GP, OLDER)),
    ],
)
def test_whose_details_the_banner_shows_first(
    first: tuple[Standing, datetime], second: tuple[Standing, datetime]
) -> None:
    assert preference(*first) < preference(*second)
