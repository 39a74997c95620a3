"""A privacy officer, in a real Chromium at 1366x768, opens the alerts from the header, opens
one, is shown what is missing from a review, records one and sees it on the alert and in the
list; axe-core finds no WCAG 2.2 AA violations on any of these pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from carerecord.store import Store
from tests.support.audit_log import entries
from tests.support.staff import add_staff, session_for
from tests.web.alert_cases import planted
from tests.web.browser import chromium, offline_context, serving, violations
from tests.web.conftest import NOW
from tests.web.seed import seed

pytestmark = pytest.mark.browser


def with_alerts(store: Store, folder: Path) -> tuple[Store, str, dict[str, int]]:
    seed(store, folder)
    add_staff(store, "ig-officer-ola", "RAL01", "ig-officer", NOW, NOW)
    return store, session_for(store, "ig-officer-ola", NOW)[0], planted(store)


def test_an_officer_reviews_an_alert_and_sees_the_review(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with (
        serving(sqlite_template, tmp_path, NOW, with_alerts) as (url, (store, officer, ids)),
        chromium() as browser,
        offline_context(browser, url, signed_in=False) as context,
    ):
        context.add_cookies([{"name": "carerecord_session", "value": officer, "url": url}])
        page = context.new_page()
        page.goto("/audit")
        page.get_by_role("link", name="Alerts", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Alerts")
        for key in ("override", "declared", "sensitive", "night"):
            expect(page.locator(f'tr[data-alert$="/{ids[key]}"]')).to_be_visible()
        assert violations(page) == []

        page.get_by_role("link", name=f"Override alert on entry {ids['override']}").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Override")
        expect(page.locator('[data-role="why"]')).to_contain_text("unconscious in A&E")
        expect(page.locator('[data-role="whose"]')).to_contain_text("SMITH, Jane")
        assert violations(page) == []

        page.get_by_label("Note").fill("Asked the ward manager: the patient came in by ambulance.")
        page.get_by_role("button", name="Record review").click()
        summary = page.locator(".nhsuk-error-summary")
        expect(summary).to_contain_text("Choose whether the access was justified")
        expect(page.get_by_label("Note")).to_have_value(
            "Asked the ward manager: the patient came in by ambulance."
        )
        assert violations(page) == []
        summary.get_by_role("link", name="Choose whether the access was justified").click()
        expect(page.get_by_label("Justified", exact=True)).to_be_focused()

        page.get_by_label("Not justified").check()
        page.get_by_role("button", name="Record review").click()
        expect(page.locator('[data-role="done"]')).to_contain_text("The review is recorded.")
        history = page.locator('[data-role="history"]')
        expect(history).to_contain_text("Not justified")
        expect(history).to_contain_text("Asked the ward manager")
        expect(history).to_contain_text("ig-officer-ola")
        assert violations(page) == []

        page.get_by_role("link", name="Alerts", exact=True).first.click()
        row = page.locator(f'tr[data-alert="override/{ids["override"]}"]')
        expect(row).to_contain_text("Not justified")
        assert [e["detail"]["outcome"] for e in entries(store, "alert-review")] == ["not-justified"]
