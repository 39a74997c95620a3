"""The other sections' pages over the synthetic London records, on SQLite and PostgreSQL:
alerts, problems, encounters, referrals, care plans, the care team and community events.
Every clinical row must carry visible provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.access.gate import WITHHELD_PRACTICE
from carerecord.store import Store
from tests.web.conftest import seed_once, seeded
from tests.web.factories_other import (
    DATE,
    NOW,
    lacks_provenance,
    rows_of,
    seed_synth,
    synth_client,
)

SECTIONS = (
    "alerts",
    "problems",
    "encounters",
    "referrals",
    "care-plans",
    "care-team",
    "community",
)
EMPTY_CELL = re.compile(r"<td[^>]*>\s*[-?]?\s*</td>")


@pytest.fixture
def synth(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, list[str]]]:
    with synth_client(store, tmp_path, NOW, seeded(request)) as site:
        yield site


seed_once(__name__, "synth", "synth", seed_synth)


def source_names(store: Store) -> list[str]:
    """Every source's name, and the one a restricted person's GP practice is shown under."""
    return [*(org.name for org in store.organisations()), WITHHELD_PRACTICE.name]


def test_every_row_of_every_page_shows_its_provenance(
    synth: tuple[TestClient, list[str]], store: Store
) -> None:
    client, records = synth
    names = source_names(store)
    assert len(records) >= 4
    seen = 0
    for record in records:
        for section in (*SECTIONS, "timeline"):
            response = client.get(f"{record}/{section}")
            assert response.status_code == 200, (section, response.text[:300])
            for row in rows_of(response.text):
                assert not lacks_provenance(row, names), (section, row)
                seen += 1
            assert not EMPTY_CELL.search(response.text), section  # "Not Known", never blank
    assert seen > 100


def test_the_provenance_check_fails_on_a_row_without_it() -> None:
    html = "<table><tbody><tr><td>Asthma</td><td>05-Jan-2009</td></tr></tbody></table>"
    assert lacks_provenance(rows_of(html)[0], ["Camden Road Surgery"])
    good = html.replace("</tr>", "<td>Camden Road Surgery Updated 05-Jan-2009 09:00</td></tr>")
    assert not lacks_provenance(rows_of(good)[0], ["Camden Road Surgery"])


def _pages(client: TestClient, records: list[str], section: str) -> str:
    return "\n".join(client.get(f"{record}/{section}").text for record in records)


def test_each_section_shows_what_it_holds(synth: tuple[TestClient, list[str]]) -> None:
    client, records = synth
    expected = {
        "alerts": ["Active alerts", "Category", "From "],
        "problems": ["Active problems", "Onset", "is shown once, with each source listed"],
        "encounters": ["Admissions, transfers and discharges", "Wards:", "Discharged to: Home"],
        "referrals": ["Referred to", "Priority: Routine", "Active"],
        "care-plans": ["Care plans", "Goals"],
        "care-team": ["Care teams", "Care coordinator", "Support network", "Relationship"],
        "community": ["Care manager", "Contacts:"],
    }
    for section, texts in expected.items():
        html = _pages(client, records, section)
        for text in texts:
            assert text in html, (section, text)
    encounters = _pages(client, records, "encounters")
    assert re.search(r"\d+hr \d+min|\b\d+min\b", encounters)  # durations, UI.md style
    assert re.search(r"Ward \d{2}-[A-Z][a-z]{2}-\d{4} to \d{2}-", encounters)


def test_problems_from_several_sources_are_one_row() -> None:
    from dataclasses import replace

    from carerecord.web.sections import problems
    from tests.record.factories_items import item

    snomed = ("http://snomed.info/sct", "195967001")
    gp = item({"resourceType": "Condition"}, code=snomed, source="GP")
    hospital = replace(item({"resourceType": "Condition"}, code=snomed, source="HOSPITAL"))
    other = item({"resourceType": "Condition"}, code=("http://snomed.info/sct", "1"))
    uncoded = item({"resourceType": "Condition"})
    grouped = problems.group([gp, hospital, other, uncoded, item({"resourceType": "Condition"})])
    assert [len(g.items) for g in grouped] == [2, 1, 1, 1]
    assert [p.source for p in problems.row(grouped[0]).sources] == [
        "Camden Road Surgery",
        "Royal Free London",
    ]


def test_a_filter_narrows_the_page_and_a_bad_one_says_so(
    synth: tuple[TestClient, list[str]],
) -> None:
    client, records = synth
    record = records[0]
    everything = rows_of(client.get(f"{record}/timeline").text)
    bad = client.get(f"{record}/timeline", params={"source": "NOPE", "page": "x"})
    assert bad.status_code == 200
    assert "These filters could not be used: the whole list is shown" in bad.text
    assert "Select a source from the list" in bad.text
    assert rows_of(bad.text) == everything
    late = client.get(f"{record}/timeline", params={"from": "2026-10-01", "sort": "oldest"})
    dates = [datetime.strptime(DATE.findall(r)[0], "%d-%b-%Y") for r in rows_of(late.text)]
    assert dates == sorted(dates) and all(d >= datetime(2026, 10, 1) for d in dates)


@pytest.mark.parametrize("section", [*SECTIONS, "timeline"])
def test_an_unknown_record_is_not_found(synth: tuple[TestClient, list[str]], section: str) -> None:
    client, _ = synth
    assert client.get(f"/patients/nobody/{section}?page=2").status_code == 404


@pytest.mark.parametrize(
    ("category", "title", "wishes"),
    [
        ({"coding": [{"system": "http://snomed.info/sct", "code": "713603004"}]}, "Plan", True),
        ({"text": "Care plan"}, "Advance care plan: wishes for the end of life", True),
        ({"text": "Care plan"}, "Community physiotherapy plan", False),
    ],
)
def test_wishes_are_told_apart_from_other_plans(
    category: dict[str, object], title: str, wishes: bool
) -> None:
    from carerecord.web.sections import care_plans
    from tests.record.factories_items import item

    plan = item({"resourceType": "CarePlan", "category": [category], "title": title})
    assert care_plans.is_wishes(plan) is wishes


def test_the_care_coordinator_comes_first_among_a_teams_members() -> None:
    from carerecord.web.sections import care_team
    from tests.record.factories_items import item

    role = item(
        {"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"display": "Ann"}}
    )
    team = item(
        {
            "resourceType": "CareTeam",
            "participant": [
                {"role": [{"text": "Lead clinician"}], "member": {"display": "Dr Shah"}},
                {
                    "role": [{"text": "Care coordinator"}],
                    "member": {"reference": "PractitionerRole/r1"},
                },
            ],
        }
    )
    members = care_team.members(team, care_team.references([role, team]))
    assert [(m.role, m.name, m.coordinator) for m in members] == [
        ("Care coordinator", "Ann", True),
        ("Lead clinician", "Dr Shah", False),
    ]


@pytest.mark.parametrize(
    ("start", "group"),
    [("2026-11-02T09:00:00+00:00", "upcoming"), ("2026-10-30T09:00:00+00:00", "appointments")],
)
def test_appointments_are_upcoming_or_past(start: str, group: str) -> None:
    from carerecord.web.sections import encounters
    from tests.record.factories_items import item

    appointment = item({"resourceType": "Appointment", "start": start})
    assert encounters.group_of(appointment, NOW) == group
