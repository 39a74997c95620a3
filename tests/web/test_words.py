"""Words, numbers and units on the record pages (docs/ui.md "Words, numbers and units"), over
HTTP on both databases: dates typed into filters, durations, units and test names, missing
values, flags, allergy criticality, and the timeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.store import Store
from tests.web.conftest import patient_url, seed_once, seed_pages, seeded
from tests.web.test_pages import text_of
from tests.web.words_person import (
    HIGH_CRITICALITY,
    LOW_CRITICALITY,
    ROUTE,
    WBC,
    WREN,
    seed_words_person,
)


def seed_both(store: Store, folder: Path) -> None:
    seed_pages(store, folder)
    seed_words_person(store, folder)


@pytest.fixture
def wren(client: TestClient, store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if not seeded(request):
        seed_words_person(store, tmp_path)
    return patient_url(client, WREN)


seed_once(__name__, "wren", "words", seed_both)


def rows_of(html: str) -> list[str]:
    bodies = re.findall(r"<tbody.*?</tbody>", html, flags=re.S)
    return [text_of(r) for b in bodies for r in re.findall(r"<tr.*?</tr>", b, flags=re.S)]


# -- 1. Dates typed into the filters ---------------------------------------------------------


def test_no_filter_form_uses_the_browsers_date_box(client: TestClient, wren: str) -> None:
    for page in ("encounters", "timeline", "documents", "problems"):
        html = client.get(f"{wren}/{page}").text
        assert 'type="date"' not in html, page
        assert "For example, 05-Jan-2026" in html, page


@pytest.mark.parametrize("typed", ["01-Aug-2026", "01/08/2026", "2026-08-01"])
def test_a_date_is_read_as_shown_with_uk_slashes_or_as_iso(
    client: TestClient, wren: str, typed: str
) -> None:
    page = client.get(f"{wren}/encounters", params={"from": typed})
    assert page.status_code == 200
    assert [r.split(" ")[0] for r in rows_of(page.text)] == ["Stay"]  # the clinic was in July
    assert 'value="01-Aug-2026"' in page.text  # shown back as dates are written


def test_an_unreadable_date_is_an_inline_error_never_a_failure(
    client: TestClient, wren: str
) -> None:
    page = client.get(f"{wren}/encounters", params={"to": "08/31/2026"})  # American order
    assert page.status_code == 200
    assert "nhsuk-error-summary" in page.text
    assert 'id="listing-to-error"' in page.text
    assert "Date to must be a real date, for example 05-Jan-2026" in text_of(page.text)
    assert 'aria-describedby="listing-to-hint listing-to-error"' in page.text
    assert [r.split(" ")[0] for r in rows_of(page.text)] == ["Stay", "Clinic"]  # the whole list


# -- 2. Durations ----------------------------------------------------------------------------


def test_durations_drop_a_zero_part_and_long_ones_are_in_days(
    client: TestClient, wren: str
) -> None:
    rows = rows_of(client.get(f"{wren}/encounters").text)
    (stay,) = [r for r in rows if r.startswith("Stay")]
    (clinic,) = [r for r in rows if r.startswith("Clinic")]
    assert "9 days 22hr" in stay and "238hr" not in stay
    assert "1hr" in clinic and "1hr 0min" not in clinic


# -- 3. Units and test names -----------------------------------------------------------------


def test_results_show_units_for_readers_and_short_test_names(client: TestClient, wren: str) -> None:
    words = text_of(client.get(f"{wren}/results").text)
    assert "12.4 ×10⁹/L 4 to 11 ×10⁹/L" in words and "10*9" not in words
    assert "72 mL/min/1.73m² 60 or more mL/min/1.73m²" in words and "{1.73_m2}" not in words
    assert "80 µmol/L 59 to 104 µmol/L" in words and "umol" not in words
    assert "Serum creatinine" in words  # the source's own words, not LOINC's
    assert "Leukocytes" in words and "[#/volume]" not in words
    assert "Microalbumin in Urine" in words  # the specimen stays when it is not blood


def test_the_summary_and_the_trend_write_units_and_names_the_same_way(
    client: TestClient, wren: str
) -> None:
    summary = text_of(client.get(wren).text)
    assert "12.4 ×10⁹/L" in summary and "10*9" not in summary
    assert "[Mass/volume]" not in summary and "[#/volume]" not in summary
    trend = client.get(f"{wren}/results/trend/{WBC[0]}").text
    assert "<h1>Leukocytes</h1>" in trend
    assert ">×10⁹/L</text>" in trend  # the chart's axis
    assert all("×10⁹/L" in row for row in rows_of(trend))
    assert "10*9" not in text_of(trend)


# -- 4. and 5. Missing values and flags ------------------------------------------------------


def test_a_missing_range_or_flag_is_not_known(client: TestClient, wren: str) -> None:
    words = text_of(client.get(f"{wren}/results").text)
    assert "Trace Not Known Not Known Final" in words
    assert "None given" not in words and "Not applicable" not in words


def test_a_flag_is_written_once_and_an_abnormal_one_stays_marked(
    client: TestClient, wren: str
) -> None:
    history = client.get(f"{wren}/results", params={"test": WBC[0]}).text
    rows = rows_of(history)
    assert "12.4 ×10⁹/L 4 to 11 ×10⁹/L High Final" in rows[0]
    assert "6.8 ×10⁹/L 4 to 11 ×10⁹/L Normal Final" in rows[1]
    assert "H High" not in text_of(history) and "N Normal" not in text_of(history)
    assert '<strong class="cr-flag">High</strong>' in history
    assert '<strong class="cr-flag">Normal</strong>' not in history
    trend = client.get(f"{wren}/results/trend/{WBC[0]}").text
    assert '<strong class="cr-flag">High</strong>' in trend
    assert re.findall(r'data-role="flag"[^>]*>([^<]+)</text>', trend) == ["H"]  # letters


# -- 6. Allergy criticality ------------------------------------------------------------------


def test_the_allergies_page_shows_criticality_high_marked(client: TestClient, wren: str) -> None:
    html = client.get(f"{wren}/allergies").text
    rows = rows_of(html)
    (high,) = [r for r in rows if HIGH_CRITICALITY in r]
    (low,) = [r for r in rows if LOW_CRITICALITY in r]
    assert "High criticality" in high
    assert "Low criticality" in low
    assert re.search(r'<strong class="nhsuk-tag nhsuk-tag--red[^"]*"[^>]*>High criticality', html)
    assert "Low criticality</strong>" not in html  # only a high criticality is marked


def test_criticality_stays_off_the_summary(client: TestClient, wren: str) -> None:
    assert "criticality" not in text_of(client.get(wren).text)


# -- 7. The timeline -------------------------------------------------------------------------


def test_every_record_page_links_to_the_timeline(client: TestClient, wren: str) -> None:
    link = f'href="{wren}/timeline"'
    for page in ("", "/allergies", "/results", f"/results/trend/{WBC[0]}"):
        assert link in client.get(f"{wren}{page}").text, page
    timeline = client.get(f"{wren}/timeline").text
    assert f'<a href="{wren}/timeline" aria-current="page">Timeline</a>' in timeline


def test_the_timeline_writes_a_medicine_as_the_cui_line_with_its_route(
    client: TestClient, wren: str
) -> None:
    html = client.get(f"{wren}/timeline").text
    (row,) = [r for r in rows_of(html) if "amlodipine" in r]
    assert f"amlodipine — 5 mg — tablets — DOSE One tablet — {ROUTE} — once a day" in row
    assert 'class="cr-medline"' in html
    assert "Leukocytes" in text_of(html) and "[#/volume]" not in text_of(html)
