"""The usage page in a real Chromium at 1366x768: choosing months from the keyboard, the form's
error linked to its field, the charts and tables drawn, and axe-core finding no WCAG 2.2 AA
violations with the charts and tables on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.staff import add_staff, session_for
from tests.support.usage_log import plant
from tests.web.browser import chromium, offline_context, serving, violations
from tests.web.conftest import NOW
from tests.web.seed import seed
from tests.web.test_usage_pages import plant_usage

pytestmark = pytest.mark.browser


def with_usage(store: Store, folder: Path) -> str:
    """The standard people, care homes, a year of use and an administrator's session token."""
    seed(store, folder)
    register(store, make_org("VM101", "care-home"), make_org("VM102", "care-home"))
    add_staff(store, "sys-admin", "RAL01", "system-admin", None, NOW)
    plant_usage(store)
    for user, org_type in enumerate(("acute", "community", "mental-health", "111", "ambulance")):
        plant(store, NOW.replace(day=1, hour=9), user=20 + user, org_type=org_type)
    return session_for(store, "sys-admin", NOW)[0]


@pytest.fixture(scope="module")
def page(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    folder = tmp_path_factory.mktemp("usage-browser")
    with (
        serving(sqlite_template, folder, NOW, with_usage) as (url, token),
        chromium() as browser,
        offline_context(browser, url) as context,
    ):
        context.add_cookies([{"name": "carerecord_session", "value": token, "url": url}])
        yield context.new_page()


def test_the_usage_page_passes_axe_with_its_charts_and_tables(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Usage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Usage of the record")
    charts = page.get_by_role("img", name="Monthly active users by organisation type", exact=True)
    expect(charts).to_be_visible()
    expect(charts).to_have_accessible_description(
        re.compile("^Line chart of active users from Nov-2025")
    )
    expect(page.locator("svg.cr-chart__svg")).to_have_count(5)
    expect(page.locator("table[data-table]")).to_have_count(5)
    box = page.locator("svg.cr-chart__svg").first.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 200
    assert violations(page) == []


def test_a_bad_month_is_shown_on_the_form_and_linked(page: Page) -> None:
    page.goto("/usage")
    page.get_by_role("textbox", name="From").fill("13/2026")
    page.get_by_role("button", name="Show figures").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter a real month and year")
    assert violations(page) == []
    summary.get_by_role("link").click()
    expect(page.get_by_role("textbox", name="From")).to_be_focused()

    page.keyboard.press("Control+A")
    page.keyboard.type("04/2026")
    page.get_by_role("textbox", name="To").fill("July 2026")
    page.get_by_role("button", name="Show figures").click()
    expect(page.locator("[data-role=span]")).to_contain_text("Apr-2026 to Jul-2026")
    assert violations(page) == []
