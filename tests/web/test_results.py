"""The Results page and a test's trend, through HTTP on both databases, and in a real browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from carerecord.store import Store
from carerecord.web.sections.results import amount, range_text
from tests.record.factories_results import POTASSIUM, SODIUM
from tests.web.browser import ARTIFACTS, offline_context, violations
from tests.web.conftest import NOW, patient_url
from tests.web.factories_results import seed_results_and_documents, serving_with_results
from tests.web.seed import JANE, PREFERRED
from tests.web.test_browser import browser, find  # noqa: F401 (fixture)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def body_rows(html: str) -> list[str]:
    """Each clinical row of the page's tables (header rows left out)."""
    bodies = re.findall(r"<tbody.*?</tbody>", html, flags=re.S)
    return [row for body in bodies for row in re.findall(r"<tr.*?</tr>", body, flags=re.S)]


@pytest.fixture
def jane(client: TestClient, store: Store, tmp_path: Path) -> str:
    seed_results_and_documents(store, tmp_path)
    return patient_url(client, JANE)


def test_results_are_grouped_by_test_with_values_ranges_flags_and_status(
    client: TestClient, jane: str
) -> None:
    page = client.get(f"{jane}/results")
    assert page.status_code == 200
    words = text_of(page.text)
    assert words.index("Plain chest X-ray") < words.index("Sodium") < words.index("Potassium")
    assert "5,000 mmol/L" in words and "133 to 146 mmol/L" in words
    assert "3.1 mmol/L 3.5 to 5.3 mmol/L Below range Final" in words  # potassium's latest
    history = text_of(client.get(f"{jane}/results?test={POTASSIUM[0]}").text)
    assert "5.9 mmol/L 3.5 to 5.3 mmol/L High Final" in history  # the flag once, not `H High`
    assert "4.1 mmol/L 3.5 to 5.3 mmol/L Normal Final" in history
    assert "No focal consolidation." in words
    assert "Renal panel Date Result Reference range Flag Status Source" in words
    assert "Report of 2 results, each shown under its test Not Known Not Known" in words


@pytest.mark.parametrize(
    ("low", "high", "unit", "words", "expected"),
    [
        ("133", "146", "mmol/L", None, "133 to 146 mmol/L"),
        ("0.270", "4.20", "mU/L", None, "0.27 to 4.2 mU/L"),
        (None, "5", "mg/L", None, "Up to 5 mg/L"),
        ("60", None, "mL/min", None, "60 or more mL/min"),
        ("1000", "5000", None, None, "1,000 to 5,000"),
        (None, None, "mg/L", "Negative", "Negative"),
        (None, None, None, None, "Not Known"),
        ("4.0", "11.0", "10*9/L", None, "4 to 11 ×10⁹/L"),  # UCUM written for readers
        ("60", None, "mL/min/{1.73_m2}", None, "60 or more mL/min/1.73m²"),
    ],
)
def test_range_text(
    low: str | None, high: str | None, unit: str | None, words: str | None, expected: str
) -> None:
    number = {None: None} | {v: Decimal(v) for v in (low, high) if v}
    assert range_text(number[low], number[high], unit, words) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("5000", "mmol/L", "5,000 mmol/L"),
        ("0.50", "mg/L", "0.5 mg/L"),
        ("2.0", None, "2"),
        ("80", "umol/L", "80 µmol/L"),
        ("4.5", "10*12/L", "4.5 ×10¹²/L"),
    ],
)
def test_amount(value: str, unit: str | None, expected: str) -> None:
    assert amount(Decimal(value), unit) == expected


def test_every_result_row_shows_its_source_type_and_dates(client: TestClient, jane: str) -> None:
    rows = body_rows(client.get(f"{jane}/results").text)
    assert len(rows) == 4  # the latest of each test
    rows += body_rows(client.get(f"{jane}/results?test={POTASSIUM[0]}").text)
    for row in rows:
        words = text_of(row)
        assert re.search(r"(Camden Road Surgery GP practice|Royal Free London Hospital)", words)
        assert re.search(r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d", words)  # the result's date
        assert re.search(r"Updated \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d", words)


def test_only_a_test_with_two_or_more_numbers_links_to_its_trend(
    client: TestClient, jane: str
) -> None:
    page = client.get(f"{jane}/results").text
    assert f'href="{jane}/results/trend/{POTASSIUM[0]}"' in page
    assert f"/results/trend/{SODIUM[0]}" not in page
    assert "/results/trend/399208008" not in page


def test_no_results_says_so(client: TestClient, jane: str) -> None:
    page = client.get(f"{patient_url(client, PREFERRED)}/results")
    assert page.status_code == 200
    assert "No results recorded by the sources below." in page.text


def test_the_trend_is_an_accessible_svg_with_a_range_band_and_text_flags(
    client: TestClient, jane: str
) -> None:
    page = client.get(f"{jane}/results/trend/{POTASSIUM[0]}")
    assert page.status_code == 200
    svg = re.search(r'<svg class="cr-trend__chart".*?</svg>', page.text, flags=re.S)
    assert svg is not None
    chart = svg.group(0)
    assert 'role="img"' in chart and "<title id=" in chart and "<desc id=" in chart
    assert "Reference range 3.5 to 5.3 mmol/L" in chart
    assert re.search(r'<rect class="cr-trend__band" data-role="range-band"', chart)
    flags = re.findall(r'data-role="flag"[^>]*>([^<]+)</text>', chart)
    assert flags == ["H", "L"]
    assert "<script" not in chart


def test_the_trend_has_a_data_table_newest_first_with_provenance(
    client: TestClient, jane: str
) -> None:
    page = client.get(f"{jane}/results/trend/{POTASSIUM[0]}").text
    rows = [text_of(row) for row in body_rows(page)]
    assert [row.split(" ")[0] for row in rows] == ["05-Jan-2026", "05-Jan-2025", "05-Jan-2024"]
    assert rows[1].startswith("05-Jan-2025 09:00 5.9 mmol/L 3.5 to 5.3 mmol/L High")
    assert '<strong class="cr-flag">High</strong>' in page  # abnormal: marked in the table too
    assert all("Camden Road Surgery GP practice Updated" in row for row in rows)


@pytest.mark.parametrize(
    "code", ["9999-9", "not-a-code", "2823-3%20or%201=1", "1" * 40, "399208008", "%2e%2e"]
)
def test_a_trend_for_an_unknown_or_malformed_code_is_not_found(
    client: TestClient, jane: str, code: str
) -> None:
    page = client.get(f"{jane}/results/trend/{code}")
    assert page.status_code == 404
    assert "Page not found" in page.text


def test_a_trend_for_an_unknown_person_is_not_found(client: TestClient, jane: str) -> None:
    assert client.get(f"/patients/nobody/results/trend/{POTASSIUM[0]}").status_code == 404


# -- In a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results_site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving_with_results(sqlite_template, tmp_path_factory.mktemp("results"), NOW) as (url, _):
        yield url


@pytest.fixture
def results_page(browser: Browser, results_site: str) -> Iterator[Page]:  # noqa: F811
    with offline_context(browser, results_site) as context:
        yield context.new_page()


@pytest.mark.browser
def test_results_then_trend_by_keyboard_with_no_axe_violations(results_page: Page) -> None:
    page = results_page
    find(page, JANE)
    page.get_by_role("link", name="Results", exact=True).click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Potassium").is_visible()
    assert violations(page) == []
    link = page.get_by_role("link", name=re.compile("See the trend for Potassium"))
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("img", name=re.compile("Trend of Potassium")).is_visible()
    assert violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trend.png"), full_page=True)
