"""A privacy officer opens, in a real Chromium at 1366x768, the summary a clinician saw: the
warning above it says whose view it was, and axe-core finds no WCAG 2.2 AA violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from carerecord.store import Store
from tests.support.audit_log import entries
from tests.support.staff import add_staff, session_for
from tests.web.browser import chromium, offline_context, serving, violations
from tests.web.conftest import NOW
from tests.web.seed import JANE, seed

pytestmark = pytest.mark.browser


def with_an_officer(store: Store, folder: Path) -> tuple[Store, str]:
    seed(store, folder)
    add_staff(store, "ig-officer-ola", "F83004", "ig-officer", NOW, NOW)
    return store, session_for(store, "ig-officer-ola", NOW)[0]


def test_the_rebuilt_summary_is_announced_and_passes_axe(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with (
        serving(sqlite_template, tmp_path, NOW, with_an_officer) as (url, (store, officer)),
        chromium() as browser,
        offline_context(browser, url) as context,
    ):
        page = context.new_page()
        page.goto("/")
        page.get_by_label("NHS number").fill(JANE)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_test_id("patient-banner")).to_be_visible()
        viewed = entries(store, "view-record")[-1]["id"]

        context.clear_cookies()
        context.add_cookies([{"name": "carerecord_session", "value": officer, "url": url}])
        page.goto(f"/audit/events/{viewed}/as-seen")

        notice = page.locator('[data-role="as-seen"]')
        expect(notice).to_contain_text("As seen by")
        expect(notice).to_contain_text(f"audit entry {viewed}")
        expect(page.get_by_test_id("patient-banner")).to_be_visible()
        assert violations(page) == []
