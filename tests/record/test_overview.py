"""Who the person is, from the Patient records the sources hold: which source is believed for
each banner field, and for a death (decision record 0009). No database: rows made by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from carerecord.record.overview import build_overview
from carerecord.store.records import StoredResource
from carerecord.web.banner import banner
from tests.factories import make_org, make_patient

_ids = itertools.count(1)
GP = make_org("F83004", "gp")
FORMER_GP = make_org("F99999", "gp", name="Agar Grove Surgery")
PDS = make_org("X26", "national", name="Personal Demographics Service", region="National")
HOSPITAL = make_org("RAL01", "acute")
CARE_HOME = make_org("VM123", "care-home")
REGISTRY = [GP, FORMER_GP, PDS, HOSPITAL, CARE_HOME]
TODAY = date(2026, 10, 1)
NOT_CONFIRMED = " — not confirmed by the GP or national record"


def held(source: str, updated: str = "2026-10-01T09:00:00+00:00", **patient: Any) -> StoredResource:
    body = make_patient(f"{source}-1", source=source, last_updated=updated, **patient)
    return StoredResource(
        id=next(_ids),
        source_ods=source,
        resource_type="Patient",
        source_id=f"{source}-1",
        section="demographics",
        version=1,
        last_updated_at_source=datetime.fromisoformat(updated),
        received_at=datetime(2026, 10, 1, tzinfo=UTC),
        clinical_date=None,
        code_system=None,
        code=None,
        status=None,
        body=orjson.dumps(body).decode(),
    )


def shown(*people: StoredResource) -> tuple[str | None, str | None]:
    """The banner's Died and its reported-death line."""
    person = build_overview("opaque", people, [], REGISTRY).demographics
    words = banner(person, TODAY)
    return words.died, words.death_report


@pytest.mark.parametrize(
    ("case", "people", "died", "report"),
    [
        ("alive", [held("F83004"), held("RAL01")], None, None),
        ("the GP says died", [held("F83004", deceased="2024-02-03")], "03-Feb-2024", None),
        (
            "the national record says died",
            [held("X26", deceased="2024-02-03"), held("F83004")],
            "03-Feb-2024",
            None,
        ),
        (
            "a hospital alone",
            [held("RAL01", gp_ods=None, deceased="2024-02-03T14:20:00+00:00")],
            None,
            "Reported died on 03-Feb-2024 by Royal Free London" + NOT_CONFIRMED,
        ),
        (
            "a care home alone (it shares demographics and alerts only)",
            [held("F83004"), held("VM123", deceasedBoolean=True)],
            None,
            "Reported died (date Not Known) by Kallar Lodge" + NOT_CONFIRMED,
        ),
        (
            "the GP says alive, more recently, and a hospital died",
            [
                held("F83004", updated="2026-10-02T09:00:00+00:00", deceasedBoolean=False),
                held("RAL01", deceased="2024-02-03"),
            ],
            None,
            "Reported died on 03-Feb-2024 by Royal Free London" + NOT_CONFIRMED,
        ),
        (
            "a hospital and a care home",
            [held("VM123", deceased="2024-02-04"), held("RAL01", deceased="2024-02-03")],
            None,
            "Reported died on 03-Feb-2024 by Royal Free London; on 04-Feb-2024 by Kallar Lodge"
            + NOT_CONFIRMED,
        ),
        (
            "a practice the national record says the person has left",
            [held("X26"), held("F99999", gp_ods="F99999", deceased="2024-02-03")],
            None,
            "Reported died on 03-Feb-2024 by Agar Grove Surgery" + NOT_CONFIRMED,
        ),
        (
            "the GP confirms what a hospital reported",
            [held("F83004", deceased="2024-02-04"), held("RAL01", deceased="2024-02-03")],
            "04-Feb-2024",
            None,
        ),
    ],
)
def test_a_death_shows_as_died_only_from_the_gp_or_the_national_record(
    case: str, people: list[StoredResource], died: str | None, report: str | None
) -> None:
    assert shown(*people) == (died, report), case


def test_a_restricted_persons_reported_death_names_no_organisation() -> None:
    people = [held("F83004", restricted=True), held("VM123", deceased="2024-02-03")]
    assert shown(*people) == (None, "Reported died on 03-Feb-2024" + NOT_CONFIRMED)


def details(
    source: str, family: str, updated: str = "2026-10-01T09:00:00+00:00", **patient: Any
) -> StoredResource:
    return held(
        source,
        updated,
        family=family,
        address=[{"use": "home", "line": [f"{family} House"], "postalCode": "NW1 9SL"}],
        **patient,
    )


@pytest.mark.parametrize(
    ("case", "people", "from_source"),
    [
        (
            "the national record over the GP",
            [details("F83004", "GP"), details("X26", "NATIONAL", "2020-01-01T09:00:00+00:00")],
            "NATIONAL",
        ),
        (
            "the GP over a more recently updated hospital",
            [details("RAL01", "HOSPITAL", "2026-10-05T09:00:00+00:00"), details("F83004", "GP")],
            "GP",
        ),
        (
            "without either, the most recently updated",
            [
                details("RAL01", "HOSPITAL"),
                details("VM123", "CAREHOME", "2026-10-05T09:00:00+00:00"),
            ],
            "CAREHOME",
        ),
        (
            "the registered practice over one the person has left",
            [
                details("X26", "NATIONAL", gp_ods="F83004"),
                details("F99999", "FORMER", "2026-10-05T09:00:00+00:00"),
            ],
            "NATIONAL",
        ),
    ],
)
def test_name_address_and_gp_come_from_the_source_believed_first(
    case: str, people: list[StoredResource], from_source: str
) -> None:
    person = build_overview("opaque", people, [], REGISTRY).demographics
    assert (person.family, person.address[0]) == (from_source, f"{from_source} House"), case


def test_restricted_is_taken_from_any_source() -> None:
    people = [held("X26"), held("F83004"), held("VM123", restricted=True)]
    assert build_overview("opaque", people, [], REGISTRY).demographics.restricted
