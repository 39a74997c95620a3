"""The Documents list and viewer, through HTTP on both databases, and in a real browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from carerecord.store import Store
from tests.record.factories_results import DISCHARGE, LETTER
from tests.web.browser import offline_context, violations
from tests.web.conftest import NOW, patient_url, seed_once, seed_pages, seeded
from tests.web.factories_results import (
    PDF,
    TITLES,
    seed_results_and_documents,
    serving_with_results,
)
from tests.web.seed import JANE, PREFERRED
from tests.web.test_browser import browser, find  # noqa: F401 (fixture)
from tests.web.test_results import body_rows, text_of

NEWEST_FIRST = [
    "Discharge letter",
    TITLES.composition,
    TITLES.broken,
    TITLES.link_only,
    TITLES.pdf,
    TITLES.html,
    TITLES.text,
]


def seed_documents(store: Store, folder: Path) -> None:
    seed_pages(store, folder)
    seed_results_and_documents(store, folder)


@pytest.fixture
def jane(client: TestClient, store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if not seeded(request):
        seed_results_and_documents(store, tmp_path)
    return patient_url(client, JANE)


seed_once(__name__, "jane", "documents", seed_documents)


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/patients/[^/]+/documents/\d+">([^<]+)</a>', html)


def link_to(client: TestClient, jane: str, title: str) -> str:
    found = re.search(
        rf'href="({jane}/documents/\d+)">{re.escape(title)}<', client.get(f"{jane}/documents").text
    )
    assert found is not None, title
    return found.group(1)


# -- The list ------------------------------------------------------------------------------------


def test_one_list_across_sources_newest_first(client: TestClient, jane: str) -> None:
    page = client.get(f"{jane}/documents")
    assert page.status_code == 200
    assert titles(page.text) == NEWEST_FIRST


def test_oldest_first_on_request(client: TestClient, jane: str) -> None:
    assert titles(client.get(f"{jane}/documents?sort=oldest").text) == NEWEST_FIRST[::-1]


def test_every_document_row_shows_type_author_organisation_date_and_provenance(
    client: TestClient, jane: str
) -> None:
    rows = [text_of(row) for row in body_rows(client.get(f"{jane}/documents").text)]
    assert len(rows) == len(NEWEST_FIRST)
    for row in rows:
        assert re.match(r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d ", row)
        assert re.search(r"(Camden Road Surgery GP practice|Royal Free London Hospital)", row)
        assert "Updated " in row
    assert rows[-1].startswith(f"01-May-2025 11:00 {TITLES.text} {LETTER[1]} Dr A. Okafor")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"type={DISCHARGE[1].replace(' ', '+')}", ["Discharge letter", TITLES.composition]),
        ("organisation=Royal+Free+London", ["Discharge letter", TITLES.composition]),
        ("from=01-Aug-2025&to=2025-09-30", [TITLES.broken, TITLES.link_only]),
        ("from=2026-03-05", ["Discharge letter", TITLES.composition]),
        ("from=05/03/2026", ["Discharge letter", TITLES.composition]),  # UK order: 5 March
    ],
)
def test_filters(client: TestClient, jane: str, query: str, expected: list[str]) -> None:
    page = client.get(f"{jane}/documents?{query}")
    assert page.status_code == 200
    assert titles(page.text) == expected
    assert "Clear filters" in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=31-Feb-2025", "From date must be a real date, for example 05-Jan-2026"),
        ("to=yesterday", "To date must be a real date, for example 05-Jan-2026"),
        ("to=12/31/2025", "To date must be a real date"),  # American order is never guessed
        ("type=%3Cscript%3E", "Choose a document type from the list"),
        ("organisation=" + "x" * 5000, "Choose an organisation from the list"),
        ("from=2026-01-01&to=2025-01-01", "must be the same as or after the"),
        ("sort=sideways", "Sort by newest first or oldest first"),
    ],
)
def test_an_unusable_filter_is_a_message_and_the_list_still_shows(
    client: TestClient, jane: str, query: str, message: str
) -> None:
    page = client.get(f"{jane}/documents?{query}")
    assert page.status_code == 200
    assert "Some filters could not be used" in page.text
    assert message in page.text
    assert "<script>" not in page.text.split('id="filter-type"')[1]
    assert len(titles(page.text)) >= 1


def test_no_documents_says_so(client: TestClient, jane: str) -> None:
    page = client.get(f"{patient_url(client, PREFERRED)}/documents")
    assert "No documents recorded by the sources below." in page.text


# -- The viewer ----------------------------------------------------------------------------------


def test_plain_text_is_preformatted(client: TestClient, jane: str) -> None:
    page = client.get(link_to(client, jane, TITLES.text))
    assert page.status_code == 200
    assert re.search(r"<pre [^>]*>Dear Doctor,\nAll well.</pre>", page.text)
    assert "Camden Road Surgery" in page.text and "Updated 01-Oct-2026" in page.text


def test_html_is_sanitised(client: TestClient, jane: str) -> None:
    page = client.get(link_to(client, jane, TITLES.html)).text
    shown = page.split('class="cr-document-html"')[1].split("</div>")[0]
    assert "Rest and fluids." in shown and '<a href="#plan" rel="noopener noreferrer">' in shown
    for bad in ("<script", "onclick", "onerror", "tracker.example", "javascript:", "<img"):
        assert bad not in shown


def test_a_pdf_is_framed_in_a_sandbox_with_a_download_link(client: TestClient, jane: str) -> None:
    url = link_to(client, jane, TITLES.pdf)
    page = client.get(url).text
    assert re.search(rf'<iframe [^>]*sandbox src="{url}/content"', page)
    assert f'<a href="{url}/content" download>' in page
    content = client.get(f"{url}/content")
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"] == "inline"
    assert content.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert content.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("title", "message"),
    [
        (TITLES.link_only, "Not available in this record"),
        (TITLES.broken, "damaged or not in the form it says"),
    ],
)
def test_content_that_cannot_be_shown_says_why(
    client: TestClient, jane: str, title: str, message: str
) -> None:
    url = link_to(client, jane, title)
    page = client.get(url)
    assert page.status_code == 200
    assert message in page.text
    assert client.get(f"{url}/content").status_code == 404  # not a PDF: nothing to serve


def test_a_composition_shows_its_sections(client: TestClient, jane: str) -> None:
    page = client.get(link_to(client, jane, TITLES.composition)).text
    assert "<h3>Diagnosis</h3>" in page and "Pneumonia, treated." in page


def test_an_item_that_is_not_a_document_is_not_found(
    client: TestClient, jane: str, store: Store
) -> None:
    patient_id = jane.rsplit("/", 1)[1]
    result = store.patient_resources(patient_id, ["results"])[0]
    assert client.get(f"{jane}/documents/{result.id}").status_code == 404


@pytest.mark.parametrize("item_id", ["abc", "-1", "99999999", "1" * 40, "١٢"])
def test_a_bad_or_unknown_document_id_is_not_found(
    client: TestClient, jane: str, item_id: str
) -> None:
    assert client.get(f"{jane}/documents/{item_id}").status_code == 404
    assert client.get(f"{jane}/documents/{item_id}/content").status_code == 404


def test_another_persons_document_is_not_found(client: TestClient, jane: str) -> None:
    url = link_to(client, jane, TITLES.text)
    other = patient_url(client, PREFERRED)
    assert client.get(f"{other}/documents/{url.rsplit('/', 1)[1]}").status_code == 404


# -- In a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents_site(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serving_with_results(sqlite_template, tmp_path_factory.mktemp("docs"), NOW) as (url, _):
        yield url


@pytest.fixture
def documents_page(browser: Browser, documents_site: str) -> Iterator[Page]:  # noqa: F811
    with offline_context(browser, documents_site) as context:
        yield context.new_page()


@pytest.mark.browser
@pytest.mark.parametrize("title", [TITLES.text, TITLES.html, TITLES.pdf])
def test_documents_list_and_viewer_have_no_axe_violations(documents_page: Page, title: str) -> None:
    page = documents_page
    find(page, JANE)
    page.get_by_role("link", name="Documents", exact=True).click()
    page.wait_for_load_state("load")
    assert violations(page) == []
    page.get_by_label("Sort by date").select_option("oldest")
    with page.expect_navigation():
        page.get_by_role("button", name="Show documents").press("Enter")
    assert "sort=oldest" in page.url
    page.get_by_role("link", name=title).click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name=title, level=1).is_visible()
    assert violations(page) == []
