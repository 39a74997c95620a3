"""The record view's safety in a real browser: the name and NHS number stay on screen however
far the page scrolls, at 1366x768 and at phone width; screenshots of the summary at both widths
and in print go to test-artifacts/, and axe-core finds nothing at either width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from carerecord.fhir.sections import SECTIONS
from carerecord.store import Store
from tests.web.browser import ARTIFACTS, offline_context, serving, standard_and, violations
from tests.web.conftest import NOW
from tests.web.safe_person import KIT, SAM, seed_busy_person, seed_safe_person
from tests.web.seed import JANE
from tests.web.test_browser import browser, find  # noqa: F401 (fixture)
from tests.web.words_person import WREN, seed_words_person

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("safe-browser")

    def people(store: Store, folder: Path) -> None:
        seed_safe_person(store, folder)
        seed_busy_person(store, folder)
        seed_words_person(store, folder)

    with serving(sqlite_template, folder, NOW, standard_and(people)) as (url, _):
        yield url


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, browser: Browser, site: str) -> Iterator[Page]:  # noqa: F811
    with offline_context(browser, site, viewport=WIDTHS[request.param]) as context:
        opened = context.new_page()
        opened.width_name = request.param  # type: ignore[attr-defined]
        yield opened


def pinned_on_screen(page: Page) -> bool:
    """Zone 1's copy is pinned along the top of the window, in full."""
    pinned = page.get_by_test_id("banner-pinned")
    box = pinned.bounding_box() if pinned.is_visible() else None  # relative to the viewport
    return box is not None and abs(box["y"]) <= 1 and box["height"] < 200


def scroll_to_the_bottom(page: Page) -> None:
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 0")


@pytest.mark.parametrize("section", ["", "/documents", "/medications"])
def test_the_name_and_nhs_number_stay_on_screen_at_the_bottom_of_a_long_page(
    page: Page, section: str
) -> None:
    find(page, JANE)
    page.goto(page.url + section)
    expect(page.get_by_test_id("banner-pinned")).to_be_hidden()  # the banner itself is in view
    scroll_to_the_bottom(page)
    expect(page.get_by_test_id("banner-pinned")).to_be_visible()
    assert pinned_on_screen(page)
    words = page.get_by_test_id("banner-pinned").inner_text()
    assert "SMITH, Jane (Mrs)" in words and "943 476 5919" in words
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.get_by_test_id("banner-pinned")).to_be_hidden()


def test_opening_zone_two_keeps_zone_one_on_screen_when_scrolled(page: Page) -> None:
    find(page, JANE)
    page.get_by_test_id("patient-banner").locator("summary").first.click()
    scroll_to_the_bottom(page)
    expect(page.get_by_test_id("banner-pinned")).to_be_visible()
    assert pinned_on_screen(page)


def test_the_summary_passes_axe_and_is_captured_on_screen_and_in_print(page: Page) -> None:
    find(page, SAM)
    assert violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    width = page.width_name  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"summary-{width}.png"), full_page=True)
    if width == "desktop":
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "summary-print.png"), full_page=True)
        scroll_to_the_bottom(page)  # in print the pinned copy never shows: the banner prints once
        expect(page.get_by_test_id("banner-pinned")).to_be_hidden()


def above_the_fold(page: Page, test_id: str) -> list[str]:
    """The words of each element with this test id that is wholly inside the first screen."""
    height = page.viewport_size["height"] if page.viewport_size else 0
    return [
        row.inner_text()
        for row in page.get_by_test_id(test_id).all()
        if (box := row.bounding_box()) is not None and box["y"] + box["height"] <= height
    ]


def test_a_busy_record_shows_allergies_alerts_and_five_medicines_on_the_first_screen(
    page: Page,
) -> None:
    """UI.md's screen goal at 1366x768 with 8 allergies, 6 alerts (sent as 8) and 15
    medicines: the allergy status, every alert and the first five medicines without
    scrolling. At phone width the heaviest alert still comes before the first medicine."""
    find(page, KIT)
    width = page.width_name  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"summary-busy-{width}.png"))
    summary = page.locator(".cr-summary").first
    alerts = page.locator('[aria-labelledby="summary-alerts"] [data-testid="clinical-row"]')
    medicines = page.locator('[aria-labelledby="summary-medicines"] [data-testid="clinical-row"]')
    assert alerts.count() == 6 and medicines.count() == 15
    if width == "phone":
        first_alert, first_medicine = alerts.first.bounding_box(), medicines.first.bounding_box()
        assert first_alert and first_medicine and first_alert["y"] < first_medicine["y"]
        return
    height = 768
    heading = page.locator("#summary-allergies").bounding_box()
    assert heading is not None and heading["y"] + heading["height"] <= height
    boxes = [alerts.nth(n).bounding_box() for n in range(6)]
    boxes += [medicines.nth(n).bounding_box() for n in range(5)]
    low = [b for b in boxes if b is None or b["y"] + b["height"] > height]
    assert not low, f"{len(low)} of the alerts and first five medicines are below the fold"
    assert summary.bounding_box() is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing too wide


PRINTED = re.compile(r"Printed at \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d \(UK time\)")


@pytest.mark.parametrize("section", ["", "/results", "/medications"])
def test_a_printout_opens_zone_two_drops_link_addresses_and_ends_with_sources_and_times(
    page: Page, section: str
) -> None:
    find(page, JANE)
    page.goto(page.url + section)
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    try:
        expect(
            page.get_by_test_id("banner-zone2").get_by_text("Registered GP practice")
        ).to_be_visible()
        after = page.evaluate(
            "[...document.querySelectorAll('main a[href]')]"
            ".map(a => getComputedStyle(a, '::after').content)"
            ".filter(c => c && c !== 'none' && c !== 'normal')"
        )
        assert after == [], "link addresses printed"
        note = page.get_by_test_id("printed-note")
        expect(note).to_be_visible()
        words = note.inner_text()
        assert "Shown at 02-Oct-2026 00:00 (UK time) to Gp Clinician." in words
        assert PRINTED.search(words), words
        if section:  # a section page: its sources, then the partial-record note, then times
            expect(page.get_by_test_id("coverage").locator("li").first).to_be_visible()
            assert "This is a partial record" in words
        else:  # the summary ends with its sources table and its own partial-record note
            expect(page.locator("#sources")).to_be_visible()
            expect(page.get_by_test_id("partial-record-note")).to_be_visible()
            assert "partial record" not in words
        if page.width_name == "desktop":  # type: ignore[attr-defined]
            name = section.strip("/") or "summary"
            page.pdf(path=str(ARTIFACTS / f"print-{name}.pdf"))
            page.screenshot(path=str(ARTIFACTS / f"print-{name}.png"), full_page=True)
    finally:
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        page.emulate_media(media="screen")
    expect(page.get_by_test_id("banner-zone2").get_by_text("Registered GP practice")).to_be_hidden()


SHOT = ("", "/alerts", "/results", "/medications")
PAGES = ["", "/timeline", *(f"/{s}" for s in SECTIONS if s != "demographics")]


@pytest.mark.parametrize("who", ["kit", "wren"])  # a synthetic person: tests/web/test_timeline.py
def test_every_record_page_fits_a_phone_and_passes_axe_at_both_widths(page: Page, who: str) -> None:
    """At 390 px nothing is laid out wider than the screen: a table is read row by row, each
    cell under its column's name, and medicine lines wrap between their parts. axe-core finds
    nothing on any page type at either width."""
    width_name = page.width_name  # type: ignore[attr-defined]
    find(page, {"kit": KIT, "wren": WREN}[who])
    record = page.url
    wide, failing = {}, {}
    for path in PAGES:
        page.goto(record + path)
        if width_name == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide[path or "/"] = width
            if path in SHOT:
                name = path.strip("/") or "summary"
                page.screenshot(path=str(ARTIFACTS / f"phone-{who}-{name}.png"), full_page=True)
        if found := violations(page):
            failing[path or "/"] = found
    assert wide == {}
    assert failing == {}
