"""The Content-Security-Policy in a real Chromium: the pages a clinician walks through after
signing in load nothing the policy refuses and log no errors, nhsuk-frontend's JavaScript still
starts, the browser does refuse inline script, and a source's markup and direction-changing
characters are neither run nor printed. See docs/web-security.md."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.web.security_headers import CONTENT_SECURITY_POLICY, NHS_FONTS
from tests.factories import make_allergy, make_patient, valid_nhs_number, write_ndjson
from tests.support.sign_in import Clock, add_quick_staff, code_at
from tests.support.staff import PASSWORD
from tests.web.browser import chromium, offline_context, serving, standard_and
from tests.web.factories_results import TITLES, seed_results_and_documents
from tests.web.seed import JANE

pytestmark = pytest.mark.browser

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
GP = "csp-gp"  # Jane's registered practice, signing in through the forms
HOSTILE = valid_nhs_number(40)
OVERRIDE = "\u202e"
# Markup a source might send in a name or an allergy. If it reached the page as HTML and ran,
# it would set the flag; escaping shows it as text, and the policy would refuse it anyway.
SCRIPT = "<script>window.crInjected = 1</script>"
GIVEN = f"Ann{SCRIPT}{OVERRIDE}eoJ"
ALLERGY = f"Allergy to {SCRIPT}{OVERRIDE}nillicinep"

# Recorded from before any of the page's own script runs: each refusal the policy makes.
LISTEN_FOR_VIOLATIONS = """
window.crViolations = [];
document.addEventListener('securitypolicyviolation', event => {
  window.crViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
});
"""
# The offline context refuses every address but the server's, so the NHS font never arrives
# (the policy allows it: see security_headers.py); that failure is the test's, not the page's.
FONT_CDN = f"{NHS_FONTS}/"


def seed_csp(store: Store, folder: Path) -> None:
    seed_results_and_documents(store, folder)
    add_quick_staff(store, GP, "F83004", "clinician", START - timedelta(days=30), START)
    hostile = write_ndjson(
        folder / "hostile.ndjson",
        make_patient("x1", HOSTILE, given=(GIVEN,)),
        make_allergy("x1", display=ALLERGY),
    )
    ingest_paths(store, [hostile], source="F83004")


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(START)


@pytest.fixture(scope="module")
def site(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, clock: Clock
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("csp")
    with serving(sqlite_template, folder, START, standard_and(seed_csp), clock) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@dataclass
class Watched:
    """A page, with what its console and uncaught exceptions said since it opened."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    policy_messages: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def heard(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.policy_messages.append(message.text)
        if message.type == "error" and not message.location.get("url", "").startswith(FONT_CDN):
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def thrown(self, error: Error) -> None:
        self.exceptions.append(str(error))

    def violations(self) -> list[str]:
        """The policy's refusals on the page now showing."""
        found: list[str] = self.page.evaluate("window.crViolations")
        return found

    def assert_clean(self) -> None:
        assert self.violations() == []
        assert self.policy_messages == []
        assert self.console_errors == []
        assert self.exceptions == []


@pytest.fixture
def watched(browser: Browser, site: str, clock: Clock) -> Iterator[Watched]:
    """A browser nobody has signed in on, a minute on so the codes are new, watched."""
    clock.advance(minutes=1)
    with offline_context(browser, site, signed_in=False) as context:
        context.add_init_script(LISTEN_FOR_VIOLATIONS)
        page = context.new_page()
        watching = Watched(page)
        page.on("console", watching.heard)
        page.on("pageerror", watching.thrown)
        yield watching


def sign_in(page: Page, clock: Clock) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username").fill(GP)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    page.get_by_label("Security code").fill(code_at(clock.now))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Find a person's record")).to_be_visible()


def open_record(page: Page, nhs_number: str) -> None:
    page.get_by_label("NHS number").fill(nhs_number)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("patient-banner")).to_be_visible()


def follow(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_load_state("load")


def test_signing_in_and_reading_a_record_breaks_no_rule_of_the_policy(
    watched: Watched, clock: Clock
) -> None:
    page = watched.page
    page.goto("/sign-in")
    watched.assert_clean()
    sign_in(page, clock)
    watched.assert_clean()
    open_record(page, JANE)
    watched.assert_clean()  # the summary
    follow(page, "Allergies")
    expect(page.get_by_role("heading", level=2, name="Allergies")).to_be_visible()
    watched.assert_clean()
    follow(page, "Documents")
    for title in (TITLES.text, TITLES.html, TITLES.pdf):
        follow(page, title)
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        watched.assert_clean()
        page.go_back()
        page.wait_for_load_state("load")


def test_the_pdf_is_framed_by_the_document_page(watched: Watched, clock: Clock) -> None:
    page = watched.page
    sign_in(page, clock)
    open_record(page, JANE)
    follow(page, "Documents")
    with page.expect_response(lambda response: response.url.endswith("/content")) as framed:
        follow(page, TITLES.pdf)
    assert framed.value.status == 200
    assert "frame-ancestors 'self'" in framed.value.headers["content-security-policy"]
    expect(page.locator("iframe.cr-document-pdf")).to_have_count(1)
    watched.assert_clean()


def test_nhsuk_frontend_javascript_runs_under_the_policy(watched: Watched, clock: Clock) -> None:
    page = watched.page
    sign_in(page, clock)
    open_record(page, JANE)
    body = page.locator("body")
    expect(body).to_contain_class("js-enabled nhsuk-frontend-supported")
    # initAll() marks each component it starts
    expect(page.locator("header[data-module='nhsuk-header']")).to_have_attribute(
        "data-nhsuk-header-init", ""
    )
    expect(page.locator("a[data-module='nhsuk-skip-link']")).to_have_attribute(
        "data-nhsuk-skip-link-init", ""
    )
    watched.assert_clean()


def test_the_browser_refuses_inline_script_style_and_handlers(
    watched: Watched, clock: Clock
) -> None:
    page = watched.page
    sign_in(page, clock)
    with page.expect_navigation() as navigated:
        page.get_by_label("NHS number").fill(JANE)
        page.keyboard.press("Enter")
    response = navigated.value
    assert response is not None
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # Each check reads its effect where it is known: an inline script runs as it is added, a
    # style applies at once, and a handler set as an attribute runs before a listener added
    # after it.
    ran = page.evaluate(
        """() => new Promise(resolve => {
      const script = document.createElement('script');
      script.textContent = 'window.crInline = true';
      document.body.append(script);
      const style = document.createElement('style');
      style.textContent = 'body { visibility: hidden }';
      document.head.append(style);
      const hidden = getComputedStyle(document.body).visibility === 'hidden';
      const image = document.createElement('img');
      image.setAttribute('onerror', 'window.crHandler = true');
      image.addEventListener('error', () => resolve({
        script: window.crInline === true, style: hidden, handler: window.crHandler === true,
      }));
      image.src = '/static/no-such-image.png';
      document.body.append(image);
    })"""
    )
    assert ran == {"script": False, "style": False, "handler": False}
    page.wait_for_function("() => window.crViolations.length >= 3")
    refused = watched.violations()
    assert "script-src-elem inline" in refused
    assert "style-src-elem inline" in refused
    assert "script-src-attr inline" in refused


def test_markup_and_direction_overrides_from_a_source_are_shown_as_text(
    watched: Watched, clock: Clock
) -> None:
    page = watched.page
    sign_in(page, clock)
    open_record(page, HOSTILE)
    banner = page.get_by_test_id("patient-banner")
    expect(banner.get_by_role("heading", level=1)).to_contain_text(f"Ann{SCRIPT}eoJ")
    expect(page.locator("main")).to_contain_text(f"Allergy to {SCRIPT}nillicinep")
    follow(page, "Allergies")
    expect(page.locator("main")).to_contain_text(f"Allergy to {SCRIPT}nillicinep")
    assert page.evaluate("window.crInjected") is None
    assert page.locator("main script").count() == 0
    assert OVERRIDE not in page.evaluate("document.documentElement.textContent")
    assert OVERRIDE not in page.title()
    watched.assert_clean()
