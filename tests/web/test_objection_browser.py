"""Recording an objection through the real form in Chromium, with axe-core checking each page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.browser import ARTIFACTS, chromium, offline_context, serving, violations
from tests.web.conftest import NOW
from tests.web.seed import JANE

pytestmark = pytest.mark.browser


def test_an_attorneys_objection_is_recorded_through_the_form(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with (
        serving(sqlite_template, tmp_path, NOW) as (url, _),
        chromium() as browser,
        offline_context(browser, url) as context,
    ):
        page = context.new_page()
        page.goto("/")
        page.get_by_label("NHS number").fill(JANE)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_role("link", name="Objection to sharing this record").click()
        expect(page.locator("[data-role=objection-state]")).to_have_attribute("data-state", "none")

        page.get_by_role("button", name="Record the objection").click()  # nothing chosen yet
        expect(page.get_by_role("alert")).to_contain_text("Choose who is asking")
        assert violations(page) == []

        page.get_by_label("Their attorney, with a lasting power of attorney").check()
        page.get_by_label("Registration number of the lasting power of attorney").fill(
            "7000-1234-5678"
        )
        page.get_by_label("Name of the person who checked it").fill("Sam Okafor")
        page.get_by_label("Note").fill("Her daughter asked in clinic")
        page.get_by_role("button", name="Record the objection").click()

        state = page.locator("[data-role=objection-state]")
        expect(state).to_have_attribute("data-state", "in-force")
        expect(page.locator("[data-role=objection]")).to_contain_text("Sam Okafor")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "objection-page.png"), full_page=True)
        assert violations(page) == []

        page.get_by_role("link", name="Back to the record").click()
        expect(page.locator("[data-role=withheld]")).to_have_attribute("data-reason", "objection")
        assert violations(page) == []
