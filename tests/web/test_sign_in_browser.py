"""Signing in with a real Chromium against a real server: the password and the code from an
authenticator, lockout, a form posted from another site, idle and absolute timeouts as the
server's clock moves on, and the fresh code an override asks for. axe-core checks each page."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from carerecord.store import Store
from tests.support.sign_in import Clock, add_quick_staff, code_at
from tests.support.staff import PASSWORD
from tests.web.browser import chromium, offline_context, serving, standard_and, violations
from tests.web.seed import JANE

pytestmark = pytest.mark.browser

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
GP = "surgery-gp"  # Jane's registered practice
WARD = "ward-doctor"  # the hospital's: no relationship with Jane that the record shows
LOCUM = "locum-gp"  # the one who forgets their password
ANOTHER_SITE_FORM = "did not come from this service"


def staff(store: Store, folder: Path) -> None:
    trained = START - timedelta(days=30)
    for username, org in [(GP, "F83004"), (WARD, "RAL01"), (LOCUM, "F83004")]:
        add_quick_staff(store, username, org, "clinician", trained, START)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(START)


@pytest.fixture(scope="module")
def site(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, clock: Clock
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("sign-in")
    with serving(sqlite_template, folder, START, standard_and(staff), clock) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, site: str, clock: Clock) -> Iterator[Page]:
    """A browser nobody has signed in on yet; a minute on, so each test's codes are new."""
    clock.advance(minutes=1)
    with offline_context(browser, site, signed_in=False) as context:
        yield context.new_page()


def send_password(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")


def send_code(page: Page, code: str) -> None:
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def sign_in(page: Page, username: str, clock: Clock) -> None:
    send_password(page, username)
    expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
    send_code(page, code_at(clock.now))
    expect(page.get_by_role("heading", name="Find a person's record")).to_be_visible()


def find(page: Page, nhs_number: str) -> None:
    page.get_by_label("NHS number").fill(nhs_number)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def asks_to_sign_in(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_password_then_code_lands_on_search_and_opens_a_record(page: Page, clock: Clock) -> None:
    send_password(page, GP)
    assert violations(page) == []
    send_code(page, code_at(clock.now))

    expect(page.get_by_role("heading", name="Find a person's record")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Surgery Gp")
    find(page, JANE)
    expect(page.get_by_test_id("patient-banner").get_by_role("heading", level=1)).to_have_text(
        "SMITH, Jane (Mrs)"
    )
    expect(page.get_by_test_id("access-notice")).to_have_count(0)  # her own GP: no notice


def test_a_wrong_code_is_a_form_error_on_the_code_page(page: Page, clock: Clock) -> None:
    send_password(page, GP)
    send_code(page, code_at(clock.now, steps=5))

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("The code is not right")
    assert violations(page) == []
    send_code(page, code_at(clock.now))
    expect(page.get_by_role("heading", name="Find a person's record")).to_be_visible()


def test_five_wrong_passwords_show_the_locked_message(page: Page) -> None:
    for attempt in range(5):
        send_password(page, LOCUM, f"guess {attempt}")
        summary = page.locator(".nhsuk-error-summary")
        if attempt < 4:
            expect(summary).to_contain_text("The username or password is not right")
    expect(summary).to_contain_text("Your account is locked after too many attempts")
    assert violations(page) == []

    send_password(page, LOCUM)  # the right password changes nothing now
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Your account is locked")


def test_sign_out_ends_the_session_and_its_page_passes_axe(page: Page, clock: Clock) -> None:
    sign_in(page, GP, clock)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    assert violations(page) == []
    page.goto("/")
    asks_to_sign_in(page)
    assert violations(page) == []


# A form posted from another site


@contextmanager
def another_site(target: str) -> Iterator[str]:
    """A second local web server whose pages post a form to `target` as soon as they load,
    without the form token (which another site cannot read)."""
    pages = {
        "/find.html": f'<form method="post" action="{target}/find">'
        f'<input name="nhs_no" value="{JANE}"></form>',
        "/sign-out.html": f'<form method="post" action="{target}/sign-out"></form>',
    }

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            form = pages.get(self.path)
            body = f"<!doctype html><title>Win a prize</title>{form}"
            body += "<script>document.forms[0].submit()</script>"
            self.send_response(200 if form else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_form_posted_from_another_site_is_refused(
    browser: Browser, site: str, clock: Clock
) -> None:
    clock.advance(minutes=1)
    with (
        another_site(site) as elsewhere,
        offline_context(browser, site, signed_in=False, also=(elsewhere,)) as context,
    ):
        page = context.new_page()
        sign_in(page, GP, clock)
        for path in ("/find", "/sign-out"):
            with page.expect_response(f"{site}{path}") as answer:
                page.goto(f"{elsewhere}{path}.html")
            assert answer.value.status == 403, path
            expect(page.locator("[data-role=problem]")).to_contain_text(ANOTHER_SITE_FORM)
        assert violations(page) == []

        page.goto("/")  # the forged sign-out did not sign them out
        expect(page.get_by_role("heading", name="Find a person's record")).to_be_visible()


# Timeouts, as the server's clock moves on


def test_sixteen_idle_minutes_and_the_next_page_asks_for_sign_in(page: Page, clock: Clock) -> None:
    sign_in(page, GP, clock)
    clock.advance(minutes=14)
    page.reload()
    expect(page.get_by_role("heading", name="Find a person's record")).to_be_visible()

    clock.advance(minutes=16)
    page.reload()

    asks_to_sign_in(page)


def test_twelve_hours_on_even_a_busy_session_asks_for_sign_in(page: Page, clock: Clock) -> None:
    sign_in(page, GP, clock)
    signed_in_at = clock.now
    while clock.advance(minutes=14) < signed_in_at + timedelta(hours=12):
        busy = page.request.get("/", max_redirects=0)  # the same browser's cookie
        assert busy.status == 200, clock.now

    page.reload()

    asks_to_sign_in(page)


# An override, with a fresh code


def open_withheld_record(page: Page, clock: Clock) -> None:
    sign_in(page, WARD, clock)
    clock.advance(minutes=6)  # the code given at sign-in is no longer fresh
    find(page, JANE)
    expect(page.locator("[data-role=withheld]")).to_have_text(
        "You have no recorded relationship with this person"
    )


def override(page: Page, code: str) -> None:
    page.get_by_role("radio", name=re.compile("^Emergency")).check()
    page.get_by_label("What is happening?").fill("Collapsed in the waiting room, not responding")
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Override and open the record").click()
    page.wait_for_load_state("load")


def test_an_emergency_override_with_a_fresh_code_opens_the_record_noted(
    page: Page, clock: Clock
) -> None:
    open_withheld_record(page, clock)
    assert violations(page) == []

    override(page, code_at(clock.now))

    expect(page.get_by_test_id("patient-banner")).to_contain_text("SMITH, Jane (Mrs)")
    expect(page.get_by_test_id("access-notice")).to_contain_text(
        "You are viewing this record under an emergency override. "
        "This access is logged and will be reviewed."
    )
    assert violations(page) == []
    page.get_by_role("link", name="Allergies").first.click()
    expect(page.get_by_test_id("access-notice")).to_contain_text("emergency override")


def test_a_wrong_code_for_an_override_is_a_form_error(page: Page, clock: Clock) -> None:
    open_withheld_record(page, clock)

    override(page, code_at(clock.now, steps=5))

    expect(page.locator(".nhsuk-error-summary")).to_contain_text("The code is not right")
    expect(page.locator("#code-error")).to_be_visible()
    expect(
        page.get_by_role("radio", name=re.compile("^Emergency"))
    ).to_be_checked()  # the rest kept
    assert violations(page) == []


# Every sign-in page, for axe


def wrong_shape(page: Page) -> None:
    send_password(page, GP)
    send_code(page, "1")


PAGES: dict[str, Callable[[Page, Clock], object]] = {
    "sign in": lambda page, clock: page.goto("/sign-in"),
    "sign in, nothing entered": lambda page, clock: send_password(page, "", ""),
    "code": lambda page, clock: send_password(page, GP),
    "code of the wrong shape": lambda page, clock: wrong_shape(page),
    "signed out": lambda page, clock: page.goto("/signed-out"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_nothing_on_the_sign_in_pages(page: Page, clock: Clock, name: str) -> None:
    PAGES[name](page, clock)
    page.wait_for_load_state("load")
    assert violations(page) == []
