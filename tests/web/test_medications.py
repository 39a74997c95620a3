"""The Medications page on both databases, and in a real browser with axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from carerecord.store import Store
from tests.web.browser import ARTIFACTS, violations
from tests.web.conftest import patient_url
from tests.web.factories_medicines import JO, PROVENANCE, browsing, rows, seed_medicines
from tests.web.seed import PREFERRED
from tests.web.test_browser import find
from tests.web.test_pages import text_of


@pytest.fixture
def page(client: TestClient, store: Store, tmp_path: Path) -> str:
    seed_medicines(store, tmp_path)
    response = client.get(f"{patient_url(client, JO)}/medications")
    assert response.status_code == 200
    return response.text


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<h2", start)
    return html[start : end if end != -1 else None]


def test_the_same_product_and_dose_from_two_sources_is_exactly_one_line(page: str) -> None:
    current = section(page, "current-medicines")
    lines = [r for r in rows(current) if r.startswith("amlodipine")]
    assert len(lines) == 1
    assert "Camden Road Surgery" in lines[0] and "Royal Free London" in lines[0]
    assert current.count("cr-chip") >= 2


def test_each_source_version_is_behind_details_with_its_provenance(page: str) -> None:
    amlodipine = next(
        r for r in re.split(r'(?=<li class="cr-medicine")', page) if "amlodipine" in r
    )
    assert "<details" in amlodipine
    assert amlodipine.count('data-testid="source-version"') == 2


def test_the_line_follows_the_cui_order_with_spaced_em_dashes(page: str) -> None:
    line = "amlodipine — 5 mg — tablets — DOSE One tablet — once a day"
    assert any(r.startswith(line) for r in rows(page))
    assert "<strong>amlodipine</strong>" in page
    assert '<span class="cr-medline__label">DOSE</span> <strong>One tablet</strong>' in page


def test_stopped_at_the_hospital_active_at_the_gp_is_flagged_in_words(page: str) -> None:
    current = text_of(section(page, "current-medicines"))
    assert (
        "Stopped at Royal Free London on 05-Jan-2026 (reason: Stopped on admission: acute kidney"
        " injury); still active at Camden Road Surgery." in current
    )


def test_a_medicine_stopped_at_one_source_is_also_among_the_stopped_ones(page: str) -> None:
    past = text_of(section(page, "past-medicines"))
    assert "metformin — 500 mg — tablets" in past
    assert "Stopped at Royal Free London on 05-Jan-2026" in past


def test_current_and_stopped_medicines_are_separate_lists(page: str) -> None:
    past = text_of(section(page, "past-medicines"))
    current = text_of(section(page, "current-medicines"))
    assert "ramipril — 2.5 mg — capsules" in past
    assert "ramipril" not in current


def test_the_summary_names_every_other_source_of_a_medicine(client: TestClient, page: str) -> None:
    summary = client.get(patient_url(client, JO)).text
    (line,) = [r for r in rows(summary) if r.startswith("amlodipine")]
    assert "Also from Camden Road Surgery" in line
    assert "more source" not in summary


def test_prescriptions_show_their_state_newest_first(page: str) -> None:
    found = rows(section(page, "prescriptions"))
    assert [r.split(" — ")[0] for r in found] == ["amlodipine", "amlodipine", "metformin"]
    assert "30-Sep-2026 Issued, not yet sent to a pharmacy" in found[0]
    assert "28-Sep-2026 Sent to the pharmacy (with dispenser)" in found[1]
    assert "01-Sep-2026 Dispensed by Boots Pharmacy on 02-Sep-2026" in found[2]


def test_every_row_carries_visible_provenance(page: str) -> None:
    """Outside the closed <details>: provenance must be visible without expanding anything."""
    found = rows(re.sub(r"<details.*?</details>", "", page, flags=re.S))
    assert len(found) == 7  # amlodipine, metformin (current and stopped), ramipril, 3 issues
    for row in found:
        assert PROVENANCE.search(row), row


def test_no_question_marks_dashes_or_blanks_for_missing_values(page: str) -> None:
    words = text_of(section(page, "current-medicines"))
    assert " ? " not in words and " - " not in words and "None" not in words


def test_a_person_with_no_medicines_is_told_so(client: TestClient) -> None:
    response = client.get(f"{patient_url(client, PREFERRED)}/medications")
    words = text_of(response.text)
    assert "No current medicines recorded by the sources below." in words
    assert "No prescriptions issued since" in words


def test_an_unknown_patient_is_not_found(client: TestClient) -> None:
    assert client.get("/patients/not-an-id/medications").status_code == 404


@pytest.mark.browser
def test_medications_in_a_browser_pass_axe_and_open_by_keyboard(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with browsing(sqlite_template, tmp_path) as tab:
        find(tab, JO)
        tab.goto(f"{tab.url}/medications")
        expect(tab.get_by_role("heading", name="Current medicines")).to_be_visible()
        assert violations(tab) == []
        first = tab.locator(".cr-medicine details").first
        first.locator("summary").focus()
        tab.keyboard.press("Enter")
        expect(first.get_by_test_id("source-version").first).to_be_visible()
        assert violations(tab) == []  # opened, too
        tab.screenshot(path=str(ARTIFACTS / "medications.png"), full_page=True)
