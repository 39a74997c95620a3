"""The record view is safe by default for a reader in a hurry: dates later than now are
flagged and never read as fresh, every page gives a source's freshness in the same words, the
latest summary of an episode of care is found whether a ward, A&E, an ambulance crew or NHS 111
wrote it, and a care coordinator is named however the source refers to them. Over HTTP on both
databases (docs/ui.md, "Safe by default")."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.store import Store
from tests.web.conftest import patient_url, seed_once, seed_pages, seeded
from tests.web.factories_medicines import rows
from tests.web.safe_person import (
    COORDINATOR,
    COORDINATOR_PHONE,
    DISPENSED_TOMORROW,
    KIT,
    KIT_ALERTS,
    SAM,
    STOP_REASON,
    STOPPED_ON,
    seed_busy_person,
    seed_safe_person,
)
from tests.web.seed import JANE
from tests.web.test_objection_pages import opt_out
from tests.web.test_pages import text_of

FUTURE = "future date — check with the source"


def seed_both(store: Store, folder: Path) -> None:
    seed_pages(store, folder)
    seed_safe_person(store, folder)
    seed_busy_person(store, folder)


@pytest.fixture
def sam(client: TestClient, store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if not seeded(request):
        seed_safe_person(store, tmp_path)
    return patient_url(client, SAM)


@pytest.fixture
def kit(client: TestClient, store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if not seeded(request):
        seed_busy_person(store, tmp_path)
    return patient_url(client, KIT)


seed_once(__name__, "sam", "safe-by-default", seed_both)
seed_once(__name__, "kit", "safe-by-default", seed_both)


def words(html: str) -> str:
    """text_of, without the space a closing tag leaves before a comma."""
    return text_of(html).replace(" ,", ",")


def sources_row(html: str, name: str) -> str:
    found = [text_of(r) for r in html.split("<tr") if f"{name}</span>" in r]
    assert found, f"no sources row for {name}"
    return found[0]


def test_a_dispensing_dated_tomorrow_is_flagged_not_stated(client: TestClient, sam: str) -> None:
    page = client.get(f"{sam}/medications").text
    (row,) = [r for r in rows(page) if DISPENSED_TOMORROW in r]
    assert f"{DISPENSED_TOMORROW} ({FUTURE})" in row


def test_an_item_dated_later_than_now_carries_the_flag_beside_its_source(
    client: TestClient, sam: str
) -> None:
    page = client.get(f"{sam}/documents").text
    (letter,) = [r for r in page.split("<tr")[1:] if "Clinic letter" in r]
    assert 'data-testid="future-date"' in letter
    assert FUTURE in text_of(letter)
    assert page.count('data-testid="future-date"') == 1  # the other documents are dated past


def test_a_source_updated_later_than_now_is_flagged_never_just_now(
    client: TestClient, sam: str
) -> None:
    hospital = sources_row(client.get(sam).text, "Royal Free London")
    assert FUTURE in hospital
    assert "updated just now" not in hospital
    assert "received" in hospital  # when carerecord received it, kept apart


def test_the_summary_and_each_section_give_a_source_the_same_freshness(
    client: TestClient, sam: str
) -> None:
    """The source's own last update, then when carerecord received it: on the summary's
    sources table and in every section's list of sources."""
    summary = sources_row(client.get(sam).text, "Camden Road Surgery")
    section = text_of(client.get(f"{sam}/medications").text)
    (line,) = [part for part in section.split("Camden Road Surgery (GP practice):")[1:] if part][:1]
    updated_at = line.split("updated at source ")[1][:17]  # 30-Sep-2026 23:00
    assert updated_at in summary
    newest = line.split("newest entry ")[1][:11]  # the date of the source's newest entry
    assert f"newest entry {newest}" in summary
    assert "received" in line
    assert "as at" not in section


def test_the_latest_episode_summary_may_be_an_ambulance_crews(client: TestClient, sam: str) -> None:
    block = client.get(sam).text.split('data-testid="summary-discharge"')[1].split("</section>")[0]
    words = text_of(block)
    assert "Latest discharge or episode summary" in words
    assert "Ambulance patient care record" in words
    assert "Clinic letter" not in words  # newer, but not the end of an episode of care


def test_the_episode_summary_comes_straight_after_the_medicines(
    client: TestClient, sam: str
) -> None:
    page = client.get(sam).text
    medicines = page.index('aria-labelledby="summary-medicines"')
    discharge = page.index('data-testid="summary-discharge"')
    later_blocks = [page.index(f'aria-labelledby="summary-{name}"') for name in ("results",)]
    assert medicines < discharge < min(later_blocks)


def test_the_care_coordinator_is_named_through_their_role_and_practitioner(
    client: TestClient, sam: str
) -> None:
    """The team cites a PractitionerRole, the role a Practitioner: entries about no patient,
    read apart from the person's own items and never counted as theirs."""
    summary = words(client.get(sam).text)
    assert f"Care coordinator: {COORDINATOR}, {COORDINATOR_PHONE}, Frailty team" in summary
    page = client.get(f"{sam}/care-team").text
    assert f"Care coordinator {COORDINATOR}, {COORDINATOR_PHONE}" in words(page)
    assert "Not Known" not in text_of(page.split("Frailty team")[1].split("</li>")[0])
    assert "Camden Road Surgery (GP practice): 1 item" in text_of(page)  # the team alone


def test_a_medicine_stopped_in_hospital_says_where_when_and_why_on_the_summary_line(
    client: TestClient, sam: str
) -> None:
    """The GP still issues it, the hospital stopped it (dose in its own words): the summary's
    line for it says so in full, and the medicines page lists it among the stopped ones."""
    summary = client.get(sam).text
    (line,) = [r for r in rows(summary) if r.startswith("amlodipine")]
    assert (
        f"Stopped at Royal Free London on {STOPPED_ON} (reason: {STOP_REASON});"
        " still active at Camden Road Surgery." in line
    )
    page = client.get(f"{sam}/medications").text
    stopped = text_of(page.split('id="past-medicines"')[1].split("<h2")[0])
    assert "amlodipine — 5 mg — tablets — DOSE 5mg OD" in stopped


HEAVIEST_FIRST = [words for _, words, _ in reversed(KIT_ALERTS)]


def test_alerts_are_merged_across_sources_and_read_heaviest_first(
    client: TestClient, kit: str
) -> None:
    """Eight Flags, six alerts: "Not for resuscitation" from three sources is one, and it
    and the safeguarding concern come first though they are the oldest."""
    page = client.get(kit).text
    block = page.split('aria-labelledby="summary-alerts"')[1].split("</section>")[0]
    found = rows(block)
    assert [r.split(" (")[0] for r in found] == HEAVIEST_FIRST
    assert "Also from Royal Free London, London Ambulance Service" in found[0]
    assert block.count("cr-alert--heavy") == 2  # resuscitation and safeguarding marked out
    banner = page.split('data-testid="patient-banner"')[1].split("</section>")[0]
    assert "Active alerts: 6" in text_of(banner)


def test_the_alerts_page_shows_one_row_per_alert_with_a_chip_per_source(
    client: TestClient, kit: str
) -> None:
    page = client.get(f"{kit}/alerts").text
    found = rows(page)
    assert [r.split(" ")[0] for r in found] == [w.split(" ")[0] for w in HEAVIEST_FIRST]
    (resuscitation,) = [r for r in page.split("<tr")[1:] if "Not for resuscitation" in r]
    assert resuscitation.count("cr-chip") == 3
    assert resuscitation.count('data-testid="also-from"') == 2
    assert "Showing all 8 entries, as 6 alerts" in text_of(page)


def test_an_opt_out_a_source_sent_is_acted_on_and_said_not_shown_in_full(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    """A hospital sends the person's opt-out as a FHIR Consent: the record is not shown in
    full with no mention of it; the user is told the person objected, and sees who they are."""
    url = patient_url(client, JANE)
    opt_out(store, tmp_path, "RAL01", "h1")
    page = client.get(url).text
    assert 'data-reason="objection"' in page
    assert "This person has objected to sharing their record" in text_of(page)
    assert "SMITH, Jane" in text_of(page)  # who they are, so the user knows it is the right person
    assert "summary-medicines" not in page and "Known allergies" not in page
