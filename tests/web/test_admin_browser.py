"""The administration pages in a real Chromium at 1366x768: adding a user from the keyboard
and mouse, form errors linked to their fields, and axe-core finding no WCAG 2.2 AA violations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carerecord.audit.entry import AuditRecord
from carerecord.store import Store
from tests.support.staff import add_staff, session_for
from tests.web.browser import chromium, offline_context, serving, violations
from tests.web.conftest import NOW
from tests.web.seed import seed

pytestmark = pytest.mark.browser


def with_an_administrator(store: Store, folder: Path) -> str:
    """The standard people and organisations, an administrator, and their session's token."""
    seed(store, folder)
    add_staff(store, "sys-admin", "RAL01", "system-admin", None, NOW)
    declared = AuditRecord("sys-admin", "copi-declare", "success", {})
    store.consent.declare_copi(NOW, NOW + timedelta(days=90), "Notice", "sys-admin", NOW, declared)
    return session_for(store, "sys-admin", NOW)[0]


@pytest.fixture(scope="module")
def page(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    folder = tmp_path_factory.mktemp("admin-browser")
    with (
        serving(sqlite_template, folder, NOW, with_an_administrator) as (url, token),
        chromium() as browser,
        offline_context(browser, url) as context,
    ):
        context.add_cookies([{"name": "carerecord_session", "value": token, "url": url}])
        yield context.new_page()


def test_adding_a_user_shows_errors_then_the_credentials_once(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Users").click()
    page.get_by_role("button", name="Add a user").click()
    page.get_by_role("button", name="Add user").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter a username")
    assert violations(page) == []
    summary.get_by_role("link", name="Enter a username").click()
    expect(page.get_by_label("Username")).to_be_focused()

    page.keyboard.type("a.okafor")
    page.get_by_label("Display name").fill("Dr Amara Okafor")
    page.get_by_label("Organisation").select_option("F83004")
    page.get_by_label("Role").select_option("clinician")
    page.get_by_role("button", name="Add user").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("User added")
    expect(page.locator("[data-role=totp-secret]")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    assert violations(page) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/users",
        "/admin/organisations",
        "/admin/organisations/F83004",
        "/admin/emergency-periods",
    ],
)
def test_axe_finds_no_wcag_22_aa_violations(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_role("navigation", name="Administration")).to_be_visible()
    assert violations(page) == []


def test_a_users_page_passes_axe(page: Page) -> None:
    page.goto("/admin/users")
    page.get_by_role("link", name="gp-clinician").click()
    expect(page.get_by_role("button", name="End all sessions")).to_be_visible()
    assert violations(page) == []
