"""Real-browser checks at 1366x768: finding a record, the banner's layout and keyboard use,
errors, and axe-core finding no WCAG 2.2 AA violations on each kind of page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.browser import ARTIFACTS, chromium, offline_context, serving, violations
from tests.web.conftest import NOW
from tests.web.seed import JANE, RESTRICTED

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(sqlite_template, tmp_path_factory.mktemp("browser"), NOW) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    with offline_context(browser, site) as opened:
        yield opened


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    yield opened
    opened.close()


def find(page: Page, typed: str) -> None:
    page.goto("/")
    page.get_by_label("NHS number").click()
    page.keyboard.type(typed)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_typing_an_nhs_number_with_spaces_opens_the_record(page: Page) -> None:
    find(page, "943 476 5919")
    expect(page).to_have_url(re.compile(r"/patients/[0-9a-zA-Z_-]+$"))
    assert "943" not in page.url
    banner = page.get_by_test_id("patient-banner")
    expect(banner.get_by_role("heading", level=1)).to_have_text("SMITH, Jane (Mrs)")
    expect(banner).to_contain_text("Born 14-Mar-1957 (69y)")
    expect(banner).to_contain_text("Gender Female")
    expect(banner).to_contain_text("NHS No. 943 476 5919")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "record-page.png"), full_page=True)


def test_the_number_is_shown_three_three_four_while_typing(page: Page) -> None:
    page.goto("/")
    field = page.get_by_label("NHS number")
    field.click()
    page.keyboard.type("9434765919")
    expect(field).to_have_value("943 476 5919")


def test_banner_zone_one_is_on_one_line_at_1366(page: Page) -> None:
    find(page, JANE)
    items = page.get_by_test_id("banner-zone1").locator(".cr-banner__name, .cr-banner__fact")
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    assert len(boxes) == 4 and all(boxes)
    tops = [box["y"] for box in boxes if box]
    bottoms = [box["y"] + box["height"] for box in boxes if box]
    assert max(tops) < min(bottoms), f"zone 1 wraps: tops {tops}, bottoms {bottoms}"


def test_zone_two_opens_from_the_keyboard_in_banner_order(page: Page) -> None:
    find(page, JANE)
    zone2 = page.get_by_test_id("banner-zone2")
    expect(page.get_by_text("12 Agar Grove")).to_be_hidden()
    for _ in range(6):  # skip link, service name, then the banner's first control
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    expect(zone2).to_have_attribute("open", "")
    expect(page.get_by_text("12 Agar Grove")).to_be_visible()
    expect(zone2).to_contain_text("Camden Road Surgery (F83004)")


def test_the_sources_table_has_a_row_per_organisation(page: Page) -> None:
    find(page, JANE)
    rows = page.locator("table.cr-sources tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Camden Road Surgery")
    expect(rows.nth(1)).to_contain_text("Royal Free London")


def test_an_invalid_number_shows_the_error_summary(page: Page) -> None:
    find(page, "943 476 5918")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("This is not a valid NHS number")
    expect(page.locator("#nhs-no-error")).to_be_visible()


def test_the_restricted_state_is_shown_in_words(page: Page) -> None:
    find(page, RESTRICTED)
    expect(page.get_by_test_id("restricted")).to_contain_text("Restricted record")
    expect(page.get_by_test_id("banner-zone2")).to_have_count(0)


def find_by_details(page: Page, family: str, day: str, month: str, year: str) -> None:
    page.goto("/")
    page.get_by_label("Surname").fill(family)
    page.get_by_label("Day").fill(day)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Find by details").click()
    page.wait_for_load_state("load")


def test_surname_and_date_of_birth_open_the_only_match(page: Page) -> None:
    find_by_details(page, "smith", "14", "3", "1957")
    expect(page).to_have_url(re.compile(r"/patients/[0-9a-f]{32}$"))
    expect(page.get_by_test_id("banner-zone1")).to_contain_text("SMITH, Jane (Mrs)")


def test_details_errors_link_to_their_fields(page: Page) -> None:
    find_by_details(page, "", "", "", "")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the person's surname")
    summary.get_by_role("link", name="Enter the person's date of birth").click()
    expect(page.locator("#dob-day")).to_be_focused()


PAGES: dict[str, Callable[[Page], object]] = {
    "details error": lambda page: find_by_details(page, "", "", "", ""),
    "details no match": lambda page: find_by_details(page, "Nobody", "1", "1", "1990"),
    "search": lambda page: page.goto("/"),
    "error": lambda page: find(page, "12345"),
    "record": lambda page: find(page, JANE),
    "restricted record": lambda page: find(page, RESTRICTED),
    "not found": lambda page: page.goto("/patients/nobody"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_wcag_22_aa_violations(page: Page, name: str) -> None:
    PAGES[name](page)
    page.wait_for_load_state("load")
    assert violations(page) == []
