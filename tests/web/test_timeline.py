"""The timeline page (on SQLite and PostgreSQL), and real-browser checks of the timeline and
the other sections' pages: axe-core finds nothing, and the filter form works by keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from carerecord.store import Store
from tests.web.browser import chromium, offline_context, serving, violations
from tests.web.conftest import seed_once, seeded
from tests.web.factories_other import (
    DATE,
    NOW,
    lacks_provenance,
    load_synth,
    rows_of,
    seed_synth,
    synth_client,
)

SECTIONS = ("alerts", "problems", "encounters", "referrals", "care-plans", "care-team", "community")


@pytest.fixture
def synth(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, list[str]]]:
    with synth_client(store, tmp_path, NOW, seeded(request)) as site:
        yield site


seed_once(__name__, "synth", "synth", seed_synth)


def _dates(html: str) -> list[datetime]:
    return [datetime.strptime(DATE.findall(row)[0], "%d-%b-%Y") for row in rows_of(html)]


def _all_pages(client: TestClient, record: str) -> list[str]:
    """Every row of the timeline, following its Next links."""
    rows, address = [], f"{record}/timeline"
    while True:
        html = client.get(address).text
        rows += rows_of(html)
        found = re.search(r'href="(\?[^"]*page=\d+)"[^>]*rel="next"', html)
        if not found:
            return rows
        address = f"{record}/timeline{found.group(1).replace('&amp;', '&')}"


def test_the_timeline_holds_every_item_newest_first_back_through_the_history(
    synth: tuple[TestClient, list[str]], store: Store
) -> None:
    client, records = synth
    names = [org.name for org in store.organisations()]
    record = max(records, key=lambda r: len(_all_pages(client, r)))
    html = client.get(f"{record}/timeline").text
    dates = _dates(html)
    assert dates == sorted(dates, reverse=True)
    assert "Showing 1 to 25 of" in html
    everything = _all_pages(client, record)
    assert len(everything) > 25
    assert not [row for row in everything if lacks_provenance(row, names)]
    total = int(re.search(r"of ([\d,]+)", html).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert len(everything) == total
    oldest = client.get(f"{record}/timeline", params={"sort": "oldest"}).text
    assert _dates(oldest)[0] < datetime(2020, 1, 1)  # the whole history, not recent items only


def test_each_row_names_and_links_its_section(synth: tuple[TestClient, list[str]]) -> None:
    client, records = synth
    html = "".join(client.get(f"{r}/timeline", params={"sort": "oldest"}).text for r in records)
    linked = set(re.findall(r'href="/patients/[^/"]+/([a-z-]+)">', html))
    assert {"problems", "encounters", "medications"} <= linked
    assert "Problem or diagnosis" in html


def test_the_timeline_can_be_narrowed_to_one_source(synth: tuple[TestClient, list[str]]) -> None:
    client, records = synth
    html = client.get(f"{records[0]}/timeline").text
    options = re.findall(r'<option value="([A-Z0-9]+)">([^<]+)</option>', html)
    ods, name = options[0]
    narrowed = client.get(f"{records[0]}/timeline", params={"source": ods}).text
    assert rows_of(narrowed)
    assert all(name in row for row in rows_of(narrowed))


# -- In a real browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """uvicorn over five synthetic people; the site's address and one person's NHS number."""
    with serving(sqlite_template, tmp_path_factory.mktemp("other-sections"), NOW, load_synth) as (
        url,
        numbers,
    ):
        yield url, numbers[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, site: tuple[str, str]) -> Iterator[Page]:
    with offline_context(browser, site[0]) as context:
        yield context.new_page()


@pytest.fixture(name="record")
def record_fixture(page: Page, site: tuple[str, str]) -> str:
    return record(page, site)


def record(page: Page, site: tuple[str, str]) -> str:
    """A synthetic person's record address, found by NHS number."""
    page.goto("/")
    page.get_by_label("NHS number").fill(site[1])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page.url


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390], ids=["desktop", "phone"])
def test_axe_finds_nothing_on_each_page_and_none_is_wider_than_the_screen(
    browser: Browser, site: tuple[str, str], width: int
) -> None:
    """A synthetic person holds something in every section: each page, and the timeline
    with a broken filter, at desktop and phone width (one signed-in context per width)."""
    with offline_context(browser, site[0], viewport=(width, 768 if width > 390 else 844)) as ctx:
        page = ctx.new_page()
        found, wide = {}, {}
        address = record(page, site)
        for section in [*SECTIONS, "timeline", "timeline?source=NOPE&page=x"]:
            page.goto(f"{address}/{section}")
            expect(page.locator("h1").last).to_be_visible()
            if problems := violations(page):
                found[section] = problems
            if (scrolled := page.evaluate("document.documentElement.scrollWidth")) > width:
                wide[section] = scrolled
    assert found == {}
    assert wide == {}


@pytest.mark.browser
def test_the_filter_form_works_by_keyboard(page: Page, record: str) -> None:
    page.goto(f"{record}/timeline")
    page.get_by_label("Sort").focus()
    page.keyboard.press("ArrowDown")  # Oldest first
    page.keyboard.press("Tab")  # to Apply
    expect(page.get_by_role("button", name="Apply")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "sort=oldest" in page.url
    expect(page.get_by_label("Sort")).to_have_value("oldest")
    page.get_by_role("link", name=re.compile("Next")).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "page=2" in page.url and "sort=oldest" in page.url
