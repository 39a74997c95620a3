"""The Results page lists each test's latest value; older values are one link away, so the page
does not grow with the record's history. Through HTTP on both databases, and in a browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import write_ndjson
from tests.record.factories_results import POTASSIUM, SODIUM, observation
from tests.web.browser import offline_context, violations
from tests.web.conftest import NOW, patient_url
from tests.web.factories_results import seed_results_and_documents, serving_with_results
from tests.web.seed import JANE
from tests.web.test_browser import browser, find  # noqa: F401 (fixture)
from tests.web.test_results import body_rows, text_of


@pytest.fixture
def jane(client: TestClient, store: Store, tmp_path: Path) -> str:
    seed_results_and_documents(store, tmp_path)
    return patient_url(client, JANE)


def add_potassium_history(store: Store, folder: Path, years: int) -> None:
    """A monthly potassium for `years` years before Jane's seeded values."""
    values = [
        observation(4.0 + (n % 10) / 10, f"{2000 + n // 12}-{n % 12 + 1:02d}-01T09:00:00+00:00")
        for n in range(12 * years)
    ]
    ingest_paths(store, [write_ndjson(folder / "history.ndjson", *values)], source="F83004")


def test_each_test_shows_only_its_latest_value_and_links_to_all_of_them(
    client: TestClient, jane: str
) -> None:
    page = client.get(f"{jane}/results").text
    rows = [text_of(row) for row in body_rows(page)]
    assert len(rows) == 4  # chest X-ray, renal panel, sodium, potassium: one row each
    assert any(row.startswith("05-Jan-2026 09:00 3.1 mmol/L") for row in rows)
    assert not any("5.9 mmol/L" in row for row in rows)  # an earlier potassium
    link = f'href="{jane}/results?test={POTASSIUM[0]}"'
    assert link in page
    assert "See all 3 values of Potassium" in text_of(page)
    assert f"?test={SODIUM[0]}" not in page  # one value: nothing more to see


def test_a_tests_whole_history_is_one_link_away_newest_first(client: TestClient, jane: str) -> None:
    page = client.get(f"{jane}/results?test={POTASSIUM[0]}")
    assert page.status_code == 200
    rows = [text_of(row) for row in body_rows(page.text)]
    assert [row.split(" ")[2] for row in rows] == ["3.1", "5.9", "4.1"]
    assert f'href="{jane}/results"' in page.text  # back to the latest of every test
    assert "Sodium" not in text_of(page.text)


def test_an_unknown_test_says_so_and_shows_the_latest_of_every_test(
    client: TestClient, jane: str
) -> None:
    page = client.get(f"{jane}/results?test=9999-9")
    assert page.status_code == 200
    assert "That test is not in this record" in text_of(page.text)
    assert len(body_rows(page.text)) == 4


def test_ten_years_more_history_adds_no_rows_to_the_results_page(
    client: TestClient, store: Store, jane: str, tmp_path: Path
) -> None:
    before = body_rows(client.get(f"{jane}/results").text)
    add_potassium_history(store, tmp_path, years=10)
    page = client.get(f"{jane}/results").text
    assert len(body_rows(page)) == len(before)
    assert "See all 123 values of Potassium" in text_of(page)
    history = client.get(f"{jane}/results?test={POTASSIUM[0]}").text
    assert len(body_rows(history)) == 123


# -- In a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results_site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_with_results(sqlite_template, tmp_path_factory.mktemp("latest"), NOW) as (url, _):
        yield url


@pytest.fixture
def results_page(browser: Browser, results_site: str) -> Iterator[Page]:  # noqa: F811
    with offline_context(browser, results_site) as context:
        yield context.new_page()


@pytest.mark.browser
def test_older_values_open_by_keyboard_with_no_axe_violations(results_page: Page) -> None:
    page = results_page
    find(page, JANE)
    page.get_by_role("link", name="Results", exact=True).click()
    page.wait_for_load_state("load")
    assert page.get_by_role("cell", name="3.1 mmol/L").is_visible()
    assert page.get_by_role("cell", name="5.9 mmol/L").count() == 0
    assert violations(page) == []
    page.get_by_role("link", name="See all 3 values of Potassium").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("cell", name="5.9 mmol/L").is_visible()
    assert violations(page) == []
    page.get_by_role("link", name="Back to the latest value of every test").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("cell", name="5.9 mmol/L").count() == 0
