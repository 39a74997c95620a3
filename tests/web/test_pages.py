"""The pages, through HTTP, on both databases: search, record overview, banner states, errors."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import patient_url
from tests.web.seed import (
    DECEASED,
    JANE,
    NOBODY,
    PREFERRED,
    RESTRICTED,
    RESTRICTED_ADDRESS,
    RESTRICTED_PHONE,
)


def text_of(html: str) -> str:
    """The page's words with tags dropped and whitespace collapsed, as a reader meets them."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- Finding a record ------------------------------------------------------------------------


def test_the_search_page_asks_for_one_nhs_number(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "<h1>Find a person's record</h1>" in page.text
    field = re.search(r"<input[^>]*name=\"nhs_no\"[^>]*>", page.text)
    assert field is not None
    assert 'inputmode="numeric"' in field.group(0)
    assert 'autocomplete="off"' in field.group(0)
    assert 'action="/find"' in page.text and 'method="post"' in page.text


def test_every_page_stops_phones_making_numbers_into_call_links(client: TestClient) -> None:
    url = patient_url(client, JANE)
    for page in (client.get("/"), client.get(url), client.get("/no-such-page")):
        assert '<meta name="format-detection" content="telephone=no">' in page.text


@pytest.mark.parametrize("typed", ["9434765919", "943 476 5919", "943-476-5919", " 943.476.5919 "])
def test_a_valid_number_as_typed_or_pasted_opens_the_record(client: TestClient, typed: str) -> None:
    response = client.post("/find", data={"nhs_no": typed}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/patients/[A-Za-z0-9_-]+", location)
    assert "9434765919" not in location and "SMITH" not in location.upper()


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "Enter an NHS number"),
        ("943 476 591", "NHS number must be 10 digits"),
        ("943 476 591A", "NHS number must contain only numbers"),
        ("943 476 5918", "This is not a valid NHS number: check the digits you typed"),
    ],
)
def test_an_invalid_number_is_refused_with_a_summary_and_inline_error(
    client: TestClient, typed: str, problem: str
) -> None:
    page = client.post("/find", data={"nhs_no": typed})
    assert page.status_code == 422
    assert 'class="nhsuk-error-summary"' in page.text
    assert re.search(r'<a href="#nhs-no">\s*' + re.escape(problem), page.text)
    assert 'id="nhs-no-error"' in page.text and problem in text_of(page.text)
    assert "<title>Error: " in page.text


def test_a_refused_number_stays_in_the_box_to_be_corrected(client: TestClient) -> None:
    page = client.post("/find", data={"nhs_no": "943 476 5918"})
    assert 'value="943 476 5918"' in page.text


def test_a_form_with_no_field_at_all_asks_for_a_number(client: TestClient) -> None:
    page = client.post("/find", data={})
    assert page.status_code == 422
    assert "Enter an NHS number" in page.text


def test_a_valid_number_nobody_holds_says_no_record_was_found(client: TestClient) -> None:
    page = client.post("/find", data={"nhs_no": NOBODY}, follow_redirects=False)
    assert page.status_code == 200
    assert "No record found" in page.text
    assert f"No record was found for NHS number {NOBODY[:3]} {NOBODY[3:6]} {NOBODY[6:]}" in (
        text_of(page.text)
    )
    assert "nhsuk-error-summary" not in page.text


def test_getting_find_goes_back_to_the_form(client: TestClient) -> None:
    response = client.get("/find", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


# -- The record overview ---------------------------------------------------------------------


def test_the_banner_zone_one_reads_in_cui_order(client: TestClient) -> None:
    page = client.get(patient_url(client, JANE))
    assert page.status_code == 200
    words = text_of(page.text)
    assert "SMITH, Jane (Mrs) Born 14-Mar-1957 (69y) Gender Female NHS No. 943 476 5919" in words
    assert "Born:" not in words and "NHS No.:" not in words


def test_zone_two_is_collapsed_and_holds_address_phone_and_gp(client: TestClient) -> None:
    page = client.get(patient_url(client, JANE))
    zone2 = re.search(
        r'<details[^>]*data-testid="banner-zone2"[^>]*>.*?</details>', page.text, re.S
    )
    assert zone2 is not None
    assert " open" not in zone2.group(0).split(">", 1)[0]
    words = text_of(zone2.group(0))
    for expected in ("12 Agar Grove", "NW1 9SL", "020 7946 0000", "Camden Road Surgery (F83004)"):
        assert expected in words
    assert "Email Not Known" in words


def test_a_restricted_record_never_shows_address_phone_or_gp(client: TestClient) -> None:
    page = client.get(patient_url(client, RESTRICTED))
    assert page.status_code == 200
    assert "Restricted record" in page.text
    for hidden in (RESTRICTED_ADDRESS, "N1 1AA", RESTRICTED_PHONE, "Camden Road Surgery (F83004)"):
        assert hidden not in page.text
    assert "<details" not in page.text
    assert "HIDDEN, Alex (Mrs)" in text_of(page.text)


def test_a_deceased_person_has_a_distinct_banner_with_death_and_age_at_death(
    client: TestClient,
) -> None:
    page = client.get(patient_url(client, DECEASED))
    assert 'class="cr-banner cr-banner--deceased' in page.text
    words = text_of(page.text)
    assert "Born 10-Jan-1940 Died 03-Feb-2024 Age at Death 84y Gender Female" in words
    assert "(84y)" not in words


def test_a_preferred_name_sits_beneath_the_name(client: TestClient) -> None:
    words = text_of(client.get(patient_url(client, PREFERRED)).text)
    assert "BROWN, Jennifer (Ms) Preferred name Jenny Born" in words


def test_the_record_says_once_that_it_is_partial(client: TestClient) -> None:
    """The strip at the top links to one note beside the sources table (and the print-only
    note leaves it out): no warning repeated on the same page."""
    page = client.get(patient_url(client, JANE)).text
    assert 'data-testid="partial-record"' in page and 'href="#sources"' in page
    assert page.count("This is a partial record") == 1
    note = page.split('data-testid="partial-record-note"')[1].split("</p>")[0]
    assert "only what the organisations below have shared" in note
    assert page.index('id="sources"') < page.index('data-testid="partial-record-note"')
    assert "nhsuk-card--warning" not in page


def test_each_source_has_a_row_with_type_region_sections_and_update_time(
    client: TestClient,
) -> None:
    page = client.get(patient_url(client, JANE))
    rows = re.findall(r'<tr class="nhsuk-table__row"[^>]*>(.*?)</tr>', page.text, re.S)
    body = [text_of(row) for row in rows[1:]]
    assert len(body) == 2
    gp, hospital = body
    assert "Camden Road Surgery ODS code F83004" in gp and "GP practice" in gp
    assert "North Central London" in gp
    assert "Demographics and GP (1)" in gp and "Allergies (1)" in gp
    assert "Problems and diagnoses (1)" in gp
    # 09:00 UTC on 1 October is 10:00 in London; the clock stands at 23:00 UTC
    assert "01-Oct-2026 10:00 updated 14 hr ago" in gp
    assert "Royal Free London" in hospital and "Hospital" in hospital
    assert "Problems and diagnoses" not in hospital


def test_record_pages_are_never_cached_and_their_title_names_nobody(client: TestClient) -> None:
    page = client.get(patient_url(client, JANE))
    assert page.headers["cache-control"] == "no-store"
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title is not None and "SMITH" not in title.group(1).upper()


# -- Errors ----------------------------------------------------------------------------------


def test_an_unknown_record_is_a_404_page_that_reveals_nothing(client: TestClient) -> None:
    page = client.get("/patients/does-not-exist")
    assert page.status_code == 404
    assert "<h1>Page not found</h1>" in page.text
    assert "does-not-exist" not in page.text
    assert "nhsuk-header" in page.text


def test_an_unknown_address_is_the_same_404_page(client: TestClient) -> None:
    page = client.get("/nothing/here")
    assert page.status_code == 404
    assert "<h1>Page not found</h1>" in page.text


def test_a_failure_is_an_nhs_styled_500_page(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database went away for 943 476 5919")

    client.app.state.open_record = broken  # type: ignore[attr-defined]
    page = client.post("/find", data={"nhs_no": JANE})
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "database went away" not in page.text
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert "RuntimeError" in logged
    assert "943 476 5919" not in logged and "went away" not in logged
