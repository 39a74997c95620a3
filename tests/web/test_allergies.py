"""The Allergies page on both databases: its one heading, merged allergies, provenance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from carerecord.store import Store
from tests.support.staff import declared_for_everyone
from tests.web.browser import ARTIFACTS, violations
from tests.web.conftest import NOW, patient_url
from tests.web.factories_medicines import (
    CARE_HOME_ONLY,
    JO,
    NKA_PERSON,
    PROVENANCE,
    browsing,
    rows,
    seed_medicines,
)
from tests.web.seed import PREFERRED
from tests.web.test_browser import find
from tests.web.test_pages import text_of

HEADINGS = (
    "Known allergies",
    "No known allergies",
    "Allergies not recorded",
    "Allergies unavailable",
)


@pytest.fixture
def seeded(client: TestClient, store: Store, tmp_path: Path) -> TestClient:
    seed_medicines(store, tmp_path)
    declared_for_everyone(store, "gp-clinician", NOW)
    return client


def allergies_page(client: TestClient, nhs: str) -> str:
    response = client.get(f"{patient_url(client, nhs)}/allergies")
    assert response.status_code == 200
    return response.text


def heading(html: str) -> str:
    found = re.search(r'<h2[^>]*data-testid="allergy-status"[^>]*>(.*?)</h2>', html, re.S)
    assert found is not None
    return text_of(found.group(1))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (JO, "Known allergies"),
        (NKA_PERSON, "No known allergies"),
        (CARE_HOME_ONLY, "Allergies unavailable"),
    ],
)
def test_the_heading_is_exactly_one_of_four(seeded: TestClient, who: str, expected: str) -> None:
    html = allergies_page(seeded, who)
    assert heading(html) == expected
    assert sum(f">{h}</h2>" in html for h in HEADINGS) == 1


def test_a_source_that_does_not_share_allergies_is_named_once_and_not_as_unavailable(
    seeded: TestClient,
) -> None:
    words = text_of(allergies_page(seeded, CARE_HOME_ONLY))
    assert "Not shared by Kallar Lodge: any allergy they record is not here." in words
    assert "unavailable from" not in words  # nothing failed: no warning to learn to ignore


def test_sources_sharing_allergies_with_nothing_held_say_not_recorded(seeded: TestClient) -> None:
    """Preferred-name Jenny is known to the GP only, which holds no allergy for her."""
    assert heading(allergies_page(seeded, PREFERRED)) == "Allergies not recorded"


def test_the_same_allergy_from_two_sources_is_one_row_with_differing_reactions(
    seeded: TestClient,
) -> None:
    html = allergies_page(seeded, JO)
    penicillin = [r for r in rows(html) if r.startswith("Allergy to penicillin")]
    assert len(penicillin) == 1
    assert (
        "Sources differ on the reaction: Royal Free London: Anaphylaxis; "
        "Camden Road Surgery: Urticaria." in penicillin[0]
    ) or (
        "Sources differ on the reaction: Camden Road Surgery: Urticaria; "
        "Royal Free London: Anaphylaxis." in penicillin[0]
    )
    assert "Anaphylaxis (Severe) (Royal Free London)" in penicillin[0]  # severity when given
    assert "Urticaria (Camden Road Surgery)" in penicillin[0]


def test_current_and_past_allergies_are_kept_apart(seeded: TestClient) -> None:
    html = allergies_page(seeded, JO)
    current = html[html.index('id="current-allergies"') : html.index('id="past-allergies"')]
    past = html[html.index('id="past-allergies"') :]
    assert "Allergy to penicillin" in current and "Allergy to peanut" not in current
    assert "Allergy to peanut" in past


def test_each_allergy_shows_when_its_record_was_last_updated(seeded: TestClient) -> None:
    penicillin = next(r for r in rows(allergies_page(seeded, JO)) if "penicillin" in r)
    assert " 01-Oct-2026 " in f" {penicillin} "


@pytest.mark.parametrize("who", [JO, NKA_PERSON])
def test_every_row_carries_visible_provenance(seeded: TestClient, who: str) -> None:
    html = allergies_page(seeded, who)
    found = rows(re.sub(r"<details.*?</details>", "", html, flags=re.S))
    assert found
    for row in found:
        assert PROVENANCE.search(row), row


def test_the_positive_no_known_allergy_record_is_shown_with_its_source(seeded: TestClient) -> None:
    words = text_of(allergies_page(seeded, NKA_PERSON))
    assert "No known allergy Camden Road Surgery (GP practice)" in words


@pytest.mark.browser
def test_allergies_in_a_browser_pass_axe_in_each_state(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with browsing(sqlite_template, tmp_path) as tab:
        for who, expected in (
            (NKA_PERSON, "No known allergies"),
            (CARE_HOME_ONLY, "Allergies unavailable"),
            (JO, "Known allergies"),
        ):
            find(tab, who)
            tab.goto(f"{tab.url}/allergies")
            expect(tab.get_by_test_id("allergy-status")).to_have_text(expected)
            assert violations(tab) == [], who
        tab.locator(".cr-versions summary").first.focus()
        tab.keyboard.press("Enter")
        expect(tab.get_by_test_id("source-version").first).to_be_visible()
        assert violations(tab) == []
        tab.screenshot(path=str(ARTIFACTS / "allergies.png"), full_page=True)
