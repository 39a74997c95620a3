"""Each trap of a record read in a hurry, as its reader meets it in a real browser at
1366x768 (docs/ui.md "Safe by default", hazard log H1-H14): what is on the screen, not only
what is in the HTML. The phone, print, pinned banner and busy-record checks are in
test_safe_by_default_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browser import ARTIFACTS, offline_context
from tests.web.safe_person import (
    COORDINATOR,
    COORDINATOR_PHONE,
    DISPENSED_TOMORROW,
    KIT,
    SAM,
    STOP_REASON,
    STOPPED_ON,
)
from tests.web.seed import RESTRICTED
from tests.web.test_browser import browser, find  # noqa: F401 (fixture)
from tests.web.test_safe_by_default_browser import site  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser
FUTURE = "future date — check with the source"


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:  # noqa: F811
    with offline_context(browser, site) as context:
        yield context.new_page()


def on_first_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] + box["height"] <= 768


def test_1_a_dispensing_dated_tomorrow_reads_as_a_source_error(page: Page) -> None:
    find(page, SAM)
    page.get_by_role("link", name="Medications", exact=True).click()
    row = page.locator("tr", has_text=DISPENSED_TOMORROW)
    expect(row).to_contain_text(f"{DISPENSED_TOMORROW} ({FUTURE})")


def test_2_a_medicine_stopped_in_hospital_says_so_on_the_summary_line(page: Page) -> None:
    find(page, SAM)
    stop = page.get_by_test_id("medicine-stopped")
    expect(stop).to_be_visible()
    expect(stop).to_contain_text(
        f"Stopped at Royal Free London on {STOPPED_ON} (reason: {STOP_REASON})"
    )
    assert on_first_screen(page, '[data-testid="medicine-stopped"]')


def test_3_the_care_coordinator_is_named_with_a_number_to_call(page: Page) -> None:
    find(page, SAM)
    expect(page.get_by_text(f"{COORDINATOR}, {COORDINATOR_PHONE}")).to_be_visible()


def test_4_the_latest_episode_summary_is_on_the_first_screen(page: Page) -> None:
    find(page, SAM)
    block = page.get_by_test_id("summary-discharge")
    expect(block).to_contain_text("Ambulance patient care record")
    assert on_first_screen(page, '[data-testid="summary-discharge"]')


def test_5_a_restricted_record_names_no_gp_practice_on_screen(page: Page) -> None:
    find(page, RESTRICTED)
    for path in ("", "/medications", "/documents"):
        page.goto(re.sub(r"(/patients/[^/]+).*", r"\1", page.url) + path)
        shown = page.locator("main").inner_text()
        assert "Camden Road Surgery" not in shown and "F83004" not in shown, path
        assert "Registered GP practice (withheld)" in shown or path, path
    expect(page.get_by_test_id("patient-banner")).to_contain_text("Restricted record")


def test_7_a_source_that_shares_no_allergies_is_named_once_quietly(page: Page) -> None:
    find(page, KIT)
    note = page.get_by_test_id("allergies-not-shared")
    expect(note).to_have_text("Not shared by Kallar Lodge")
    assert "unavailable" not in page.locator('[aria-labelledby="summary-allergies"]').inner_text()


def test_8_the_summary_and_a_section_give_a_source_the_same_freshness(page: Page) -> None:
    find(page, SAM)
    row = page.locator(".cr-sources tr", has_text="Camden Road Surgery").inner_text()
    page.get_by_role("link", name="Medications", exact=True).click()
    page.get_by_text("Sources for this section").click()
    line = page.get_by_test_id("coverage").locator("li", has_text="Camden Road Surgery")
    updated = re.search(r"updated at source (\d\d-\w{3}-\d{4} \d\d:\d\d)", line.inner_text())
    assert updated and updated[1] in row


def test_11_a_date_filter_takes_a_uk_date_and_shows_it_back_the_uk_way(page: Page) -> None:
    find(page, KIT)
    page.get_by_role("link", name="Alerts", exact=True).click()
    box = page.get_by_label("Date from")
    assert box.get_attribute("type") == "text"  # no browser mm/dd/yyyy box
    box.fill("05/01/2026")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_label("Date from")).to_have_value("05-Jan-2026")
    page.get_by_label("Date from").fill("31/02/2026")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alerts-date-error.png"))
