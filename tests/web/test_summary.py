"""The summary page: the first things a clinician needs, with provenance, on one screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import (
    make_allergy,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)
from tests.web.browser import ARTIFACTS, browsing, violations
from tests.web.conftest import NOW, patient_url, seed_once, seed_pages, seeded

BUSY = valid_nhs_number(60)  # 8 allergies, 15 current medicines, 2 alerts
GP = "F83004"


def _flag(n: int) -> dict[str, Any]:
    return {
        "resourceType": "Flag",
        "id": f"flag{n}",
        "meta": {"lastUpdated": "2026-09-01T09:00:00+00:00", "source": f"urn:ods:{GP}"},
        "status": "active",
        "category": [{"text": "Safety"}],
        "code": {"text": ["Lives alone", "Uses a hearing aid"][n]},
        "subject": {"reference": "Patient/busy"},
        "period": {"start": "2025-01-01"},
    }


def _medicine(n: int) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": f"med{n}",
        "meta": {"lastUpdated": "2026-09-01T09:00:00+00:00", "source": f"urn:ods:{GP}"},
        "status": "active",
        "medicationCodeableConcept": {"text": f"Medicine number {n:02d} 10mg tablets"},
        "subject": {"reference": "Patient/busy"},
        "effectivePeriod": {"start": "2024-01-01"},
        "dosage": [{"text": "One tablet once a day"}],
    }


def seed_busy(store: Store, folder: Path) -> None:
    register(store, make_org(GP, "gp"))
    allergies = [
        make_allergy(
            "busy", resource_id=f"al{n}", code=str(300000 + n), display=f"Allergy number {n}"
        )
        for n in range(8)
    ]
    path = write_ndjson(
        folder / "busy.ndjson",
        make_patient("busy", BUSY, family="BUSY", given=("Bea",)),
        *allergies,
        *[_flag(n) for n in range(2)],
        *[_medicine(n) for n in range(15)],
    )
    ingest_paths(store, [path])


def seed_busy_pages(store: Store, folder: Path) -> None:
    seed_pages(store, folder)
    seed_busy(store, folder)


@pytest.fixture
def busy(client: TestClient, store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if not seeded(request):
        seed_busy(store, tmp_path)
    return patient_url(client, BUSY)


seed_once(__name__, "busy", "busy", seed_busy_pages)


def clinical_rows(html: str) -> list[str]:
    return re.findall(
        r'<(?:li|tr|p)[^>]*data-testid="clinical-row"[^>]*>(.*?)</(?:li|tr|p)>', html, re.S
    )


def test_the_summary_shows_allergies_alerts_and_current_medicines(
    client: TestClient, busy: str
) -> None:
    page = client.get(busy).text

    assert "Known allergies" in page
    assert page.count("Allergy number") == 8
    assert "Lives alone" in page and "Uses a hearing aid" in page
    assert "Current medicines (15)" in page
    assert 'href="' + busy + '/medications"' in page


def test_every_clinical_row_on_the_summary_shows_its_source(client: TestClient, busy: str) -> None:
    rows = clinical_rows(client.get(busy).text)

    assert len(rows) >= 8 + 2 + 15
    missing = [row for row in rows if 'data-testid="provenance"' not in row]
    assert missing == []


def test_a_record_without_allergy_data_says_so(client: TestClient) -> None:
    from tests.web.seed import DECEASED

    page = client.get(patient_url(client, DECEASED)).text

    assert "Allergies not recorded" in page or "Allergies unavailable" in page


# -- In a real browser at 1366 x 768 -----------------------------------------------------------


@pytest.fixture(scope="module")
def summary_page(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with browsing(sqlite_template, tmp_path_factory.mktemp("summary"), NOW, seed_busy) as page:
        page.goto("/")
        page.get_by_label("NHS number").fill(BUSY)
        page.get_by_role("button", name="Find record").click()
        page.wait_for_url(re.compile(r"/patients/[0-9a-f]{32}$"))
        yield page


@pytest.mark.browser
def test_allergies_alerts_and_five_medicines_are_visible_without_scrolling(
    summary_page: Page,
) -> None:
    fold = 768
    for heading in ("Known allergies", "Active alerts"):
        box = summary_page.get_by_role("heading", name=heading).bounding_box()
        assert box is not None and box["y"] + box["height"] <= fold, heading
    medicines = summary_page.locator("section[aria-labelledby=summary-medicines] tbody tr")
    fifth = medicines.nth(4).bounding_box()
    ARTIFACTS.mkdir(exist_ok=True)
    summary_page.screenshot(path=str(ARTIFACTS / "summary.png"))
    assert fifth is not None and fifth["y"] + fifth["height"] <= fold
    ARTIFACTS.mkdir(exist_ok=True)
    summary_page.screenshot(path=str(ARTIFACTS / "summary.png"))


@pytest.mark.browser
def test_the_summary_has_no_accessibility_violations(summary_page: Page) -> None:
    assert violations(summary_page) == []


@pytest.mark.browser
def test_the_print_view_drops_navigation_and_keeps_the_record(summary_page: Page) -> None:
    summary_page.emulate_media(media="print")
    try:
        expect(summary_page.locator(".cr-record-nav")).to_be_hidden()
        expect(summary_page.get_by_role("heading", name="Known allergies")).to_be_visible()
        expect(summary_page.get_by_test_id("banner-zone1")).to_be_visible()
        summary_page.pdf(path=str(ARTIFACTS / "summary-print.pdf"))
    finally:
        summary_page.emulate_media(media="screen")


def test_every_record_page_carries_the_allergy_and_alert_markers(
    client: TestClient, busy: str
) -> None:
    for path in (busy, f"{busy}/medications", f"{busy}/timeline", f"{busy}/results"):
        page = client.get(path).text
        markers = re.search(r'data-testid="banner-markers">(.*?)</p>', page, re.S)
        assert markers is not None, path
        assert "Allergies: 8" in markers.group(1) and "Active alerts: 2" in markers.group(1)


def test_markers_say_so_when_nothing_is_known(client: TestClient) -> None:
    from tests.web.seed import DECEASED

    page = client.get(patient_url(client, DECEASED)).text
    markers = re.search(r'data-testid="banner-markers">(.*?)</p>', page, re.S)

    assert markers is not None
    assert "No active alerts" in markers.group(1)
    assert "Allergies: " not in markers.group(1)
