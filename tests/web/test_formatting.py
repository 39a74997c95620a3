"""Every example on UI.md, as the formatting module produces it (UI.md goal 9)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from carerecord.web import formatting as fmt

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


# -- Dates and times -------------------------------------------------------------------------


def test_dates_are_day_month_abbreviation_year() -> None:
    assert fmt.day(date(2009, 1, 5)) == "05-Jan-2009"


def test_dates_may_carry_the_weekday() -> None:
    assert fmt.day(date(2009, 1, 5), weekday=True) == "Mon 05-Jan-2009"


def test_the_long_form_is_for_prose_addressed_to_the_public() -> None:
    assert fmt.long_day(date(2009, 1, 5)) == "5 January 2009"


def test_times_are_24_hour() -> None:
    assert fmt.clock_time(datetime(2009, 1, 5, 9, 5, tzinfo=UTC)) == "09:05"


def test_date_and_time_together() -> None:
    assert fmt.day_time(datetime(2009, 1, 5, 9, 43, tzinfo=UTC)) == "05-Jan-2009 09:43"


def test_times_are_shown_in_uk_local_time_in_summer() -> None:
    # 08:43 UTC in July is 09:43 British Summer Time
    assert fmt.day_time(datetime(2009, 7, 5, 8, 43, tzinfo=UTC)) == "05-Jul-2009 09:43"


def test_the_date_is_the_uk_date_late_in_a_summer_evening() -> None:
    assert fmt.day(datetime(2024, 6, 30, 23, 30, tzinfo=UTC)) == "01-Jul-2024"


def test_naive_datetimes_are_taken_as_utc() -> None:
    assert fmt.day_time(datetime(2009, 7, 5, 8, 43)) == "05-Jul-2009 09:43"


def test_unknown_dates_say_so_in_words() -> None:
    assert fmt.day(None) == "Not Known"
    assert fmt.day_time(None) == "Not Known"
    assert fmt.long_day(None) == "Not Known"


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(hours=4, minutes=32), "4hr 32min"),
        (timedelta(minutes=32), "32min"),
        (timedelta(seconds=20), "0min"),
        (timedelta(hours=1), "1hr"),  # not `1hr 0min`
        (timedelta(hours=47, minutes=59), "47hr 59min"),
        (timedelta(hours=48), "2 days"),
        (timedelta(hours=238), "9 days 22hr"),  # not `238hr 0min`
        (timedelta(hours=240, minutes=40), "10 days"),  # minutes no longer matter
        (timedelta(days=1200, hours=1), "1,200 days 1hr"),
    ],
)
def test_durations_in_hours_and_minutes_then_days(elapsed: timedelta, text: str) -> None:
    assert fmt.duration(elapsed) == text


def test_an_end_before_its_start_has_no_length() -> None:
    assert fmt.duration(timedelta(minutes=-5)) == "Not Known"


# -- Dates as typed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "05-Jan-2026",
        "5-jan-2026",
        "05 Jan 2026",
        "05-January-2026",
        "05/01/2026",
        "5/1/2026",
        "2026-01-05",
        " 2026-01-05 ",
    ],
)
def test_a_date_box_takes_the_shown_form_uk_slashes_and_iso(typed: str) -> None:
    assert fmt.typed_day(typed) == date(2026, 1, 5)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "01/13/2026",
        "31/02/2026",
        "2026-02-30",
        "05-Jax-2026",
        "Jan 5 2026",
        "05-01-26",
        "tomorrow",
        "05/01/2026" * 10,
    ],
)
def test_a_date_that_cannot_be_read_is_none(typed: str) -> None:
    assert fmt.typed_day(typed) is None  # American month-first is refused, never guessed


# -- Ages, by the CUI bands ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "at", "expected"),
    [
        (datetime(2026, 3, 20, 10, 30, tzinfo=UTC), NOW, "90min"),
        (datetime(2026, 3, 19, 10, 0, tzinfo=UTC), NOW, "26hrs"),
        (date(2026, 2, 21), NOW.date(), "27d"),
        (date(2026, 2, 19), NOW.date(), "4w 1d"),
        (date(2024, 12, 12), NOW.date(), "15m 8d"),
        (date(2025, 1, 12), date(2026, 2, 20), "13m 8d"),
        (date(2022, 2, 14), NOW.date(), "4y 1m"),
        (date(1958, 3, 14), NOW.date(), "68y"),
        (date(1959, 1, 1), date(2026, 3, 20), "67y"),
    ],
)
def test_age_bands_from_ui_md(born: date, at: date, expected: str) -> None:
    assert fmt.age(born, at) == expected


def test_a_banner_age_from_ui_md() -> None:
    assert f"Born {fmt.day(date(1957, 3, 14))} ({fmt.age(date(1957, 3, 14), NOW.date())})" == (
        "Born 14-Mar-1957 (69y)"
    )


def test_age_at_death_from_ui_md() -> None:
    assert fmt.age(date(1940, 1, 10), date(2024, 2, 3)) == "84y"


def test_age_band_edges() -> None:
    assert fmt.age(date(2026, 3, 20), NOW.date()) == "0d"
    assert fmt.age(date(2026, 2, 20), NOW.date()) == "4w"  # a zero second unit is left out
    assert fmt.age(date(2025, 3, 21), NOW.date()) == "52w"  # under one year: weeks
    assert fmt.age(date(2025, 3, 20), NOW.date()) == "12m"
    assert fmt.age(date(2024, 3, 20), NOW.date()) == "2y"
    assert fmt.age(date(2008, 3, 21), NOW.date()) == "17y 11m"
    assert fmt.age(date(2008, 3, 20), NOW.date()) == "18y"


def test_a_29_february_baby_turns_one_in_march_in_other_years() -> None:
    assert fmt.age(date(2024, 2, 29), date(2025, 2, 27)) == "52w"
    assert fmt.age(date(2024, 2, 29), date(2025, 3, 1)) == "12m 1d"


def test_hours_and_minutes_need_a_time_of_birth() -> None:
    assert fmt.age(date(2026, 3, 19), NOW.date()) == "1d"


# -- People ----------------------------------------------------------------------------------


def test_names_are_family_in_capitals_given_then_title() -> None:
    assert fmt.person_name("Smith", ["Jane"], "Mrs") == "SMITH, Jane (Mrs)"


def test_names_keep_every_given_name_and_are_never_truncated() -> None:
    long_family = "Featherstonehaugh-Cholmondeley"
    assert fmt.person_name(long_family, ["Mary", "Anne"], None) == (
        "FEATHERSTONEHAUGH-CHOLMONDELEY, Mary Anne"
    )


def test_a_missing_name_is_not_known() -> None:
    assert fmt.person_name(None, [], None) == "Not Known"
    assert fmt.person_name("Smith", [], "Mrs") == "SMITH (Mrs)"


def test_nhs_numbers_are_three_three_four() -> None:
    assert fmt.nhs_no("9434765919") == "943 476 5919"


def test_a_missing_nhs_number_is_not_known() -> None:
    assert fmt.nhs_no("") == "Not Known"
    assert fmt.nhs_no(None) == "Not Known"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("female", "Female"),
        ("male", "Male"),
        ("other", "Other"),
        ("unknown", "Not Known"),
        (None, "Not Known"),
        ("F", "Not Known"),
    ],
)
def test_gender_is_written_in_words_never_codes(code: str | None, words: str) -> None:
    assert fmt.gender(code) == words


def test_missing_text_is_not_known_never_blank() -> None:
    assert fmt.text_or_not_known("  ") == "Not Known"
    assert fmt.text_or_not_known(None) == "Not Known"
    assert fmt.text_or_not_known("Camden") == "Camden"


# -- Numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.5, "0.5"), (5000, "5,000"), (2.0, "2"), (Decimal("2.50"), "2.5"), (1234.25, "1,234.25")],
)
def test_numbers_have_a_leading_zero_no_trailing_zero_and_thousands_commas(
    value: float | int | Decimal, text: str
) -> None:
    assert fmt.number(value) == text


def test_a_unit_follows_a_space() -> None:
    assert fmt.quantity(400, "mg") == "400 mg"
    assert fmt.quantity(5000, "units") == "5,000 units"


@pytest.mark.parametrize(
    ("ucum", "text"),
    [
        ("10*9/L", "×10⁹/L"),
        ("10*12/L", "×10¹²/L"),
        ("10^9/L", "×10⁹/L"),
        ("x10^9/L", "×10⁹/L"),
        ("mL/min/1.73m2", "mL/min/1.73m²"),
        ("mL/min/{1.73_m2}", "mL/min/1.73m²"),
        ("umol/L", "µmol/L"),
        ("{cells}/uL", "cells/µL"),
        ("m[IU]/L", "mIU/L"),
        ("mm[Hg]", "mmHg"),
        ("kg/m2", "kg/m²"),
        ("Cel", "°C"),
        ("ug/L", "microgram/L"),  # never µg: misread as mg
        ("mmol/mol", "mmol/mol"),
        ("mmol/L", "mmol/L"),
        ("units", "units"),
        ("U/L", "U/L"),
        ("µmol/L", "µmol/L"),  # already readable: unchanged
        ("×10⁹/L", "×10⁹/L"),
    ],
)
def test_units_are_written_for_readers_not_as_ucum_codes(ucum: str, text: str) -> None:
    assert fmt.unit_text(ucum) == text


def test_a_quantity_writes_its_unit_for_readers() -> None:
    assert fmt.quantity(Decimal("6.8"), "10*9/L") == "6.8 ×10⁹/L"
    assert fmt.quantity(80, "umol/L") == "80 µmol/L"


# -- How old data is -------------------------------------------------------------------------


def test_a_stale_feed_says_how_old_it_is() -> None:
    assert fmt.updated_ago(NOW - timedelta(hours=14, minutes=10), NOW) == "updated 14 hr ago"


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(seconds=20), "updated just now"),
        (timedelta(minutes=5), "updated 5 min ago"),
        (timedelta(hours=47), "updated 47 hr ago"),
        (timedelta(days=3), "updated 3 days ago"),
        (timedelta(days=95), "updated 3 months ago"),
        (timedelta(days=800), "updated 2 years ago"),
    ],
)
def test_updated_ago_bands(elapsed: timedelta, text: str) -> None:
    assert fmt.updated_ago(NOW - elapsed, NOW) == text


def test_an_unknown_update_time_says_so() -> None:
    assert fmt.updated_ago(None, NOW) == "last update Not Known"


# -- Periods (the other sections) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (date(2026, 1, 1), date(2026, 1, 3), "01-Jan-2026 to 03-Jan-2026"),
        (date(2026, 1, 1), None, "From 01-Jan-2026"),
        (None, date(2026, 1, 3), "Until 03-Jan-2026"),
        (None, None, "Not Known"),
    ],
)
def test_a_period_is_written_in_days(start: date | None, end: date | None, text: str) -> None:
    assert fmt.period(start, end) == text


def test_a_fhir_period_is_written_in_uk_days() -> None:
    value = {"start": "2026-01-01T23:30:00+00:00", "end": "2026-06-03"}
    assert fmt.fhir_period(value) == "01-Jan-2026 to 03-Jun-2026"
    assert fmt.fhir_period({"start": "2026-07-01T23:30:00+00:00"}) == "From 02-Jul-2026"
    assert fmt.fhir_period(None) == "Not Known"


# -- Medicine strength (UI.md "Medicines") ---------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "unit", "per_amount", "per_unit", "text"),
    [
        ((Decimal(400),), "mg", Decimal(5), "mL", "400 mg in 5 mL"),
        ((Decimal(5000),), "units", None, "mL", "5,000 units per mL"),
        ((Decimal(8), Decimal(500)), "mg", None, None, "8 and 500 mg"),
        ((Decimal("2.5"),), "mg", None, None, "2.5 mg"),
        ((Decimal("0.5"),), "mg", None, None, "0.5 mg"),
    ],
)
def test_strength_follows_the_cui(
    amounts: tuple[Decimal, ...],
    unit: str,
    per_amount: Decimal | None,
    per_unit: str | None,
    text: str,
) -> None:
    assert fmt.strength(amounts, unit, per_amount, per_unit) == text


def test_a_source_time_later_than_now_is_flagged_never_fresh() -> None:
    assert fmt.updated_ago(NOW + timedelta(hours=4), NOW) == fmt.FUTURE
    assert fmt.updated_ago(NOW + timedelta(minutes=4), NOW) == "updated just now"  # clock drift
    assert "future date — check with the source" in fmt.freshness(NOW + timedelta(days=1), NOW, NOW)


def test_freshness_gives_the_sources_update_then_the_receipt() -> None:
    updated, received = NOW - timedelta(hours=14), NOW - timedelta(minutes=11)
    assert fmt.freshness(updated, received, NOW) == (
        f"updated at source {fmt.day_time(updated)} (14 hr ago); received 11 min ago"
    )
    assert fmt.freshness(None, None, NOW) == "last update at source Not Known; received Not Known"


def test_freshness_names_the_date_of_the_sources_newest_entry() -> None:
    updated, received = NOW - timedelta(hours=14), NOW - timedelta(minutes=11)
    newest = NOW - timedelta(days=3)
    assert fmt.freshness(updated, received, NOW, newest) == (
        f"updated at source {fmt.day_time(updated)} (14 hr ago), newest entry {fmt.day(newest)};"
        " received 11 min ago"
    )
    ahead = fmt.newest_entry_text(NOW + timedelta(days=2), NOW)
    assert ahead.endswith("(future date — check with the source)")
    assert fmt.newest_entry_text(None, NOW) == "newest entry Not Known"
