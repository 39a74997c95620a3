"""The usage figures' rules as tables: months as UK users write them, UK month boundaries,
the range a form may ask for, and which exported values are left out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.audit.usage import (
    FIGURES,
    Count,
    InvalidMonth,
    InvalidRange,
    Month,
    MonthRange,
    choose_range,
    default_range,
    export_rows,
    figure,
    month_of,
    page_name,
    parse_month,
)

NOW = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)  # 00:00 on 2 October in British Summer Time


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("04/2026", Month(2026, 4)),
        ("4/2026", Month(2026, 4)),
        (" 04-2026 ", Month(2026, 4)),
        ("04.2026", Month(2026, 4)),
        ("2026-04", Month(2026, 4)),
        ("Apr 2026", Month(2026, 4)),
        ("apr-2026", Month(2026, 4)),
        ("April 2026", Month(2026, 4)),
        ("Sept 2026", Month(2026, 9)),
        ("12/2026", Month(2026, 12)),
    ],
)
def test_months_are_read_as_uk_users_write_them(text: str, month: Month) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Enter a month"),
        ("13/2026", "Enter a real month and year"),
        ("00/2026", "Enter a real month and year"),
        ("2026/04", "Enter a real month and year"),  # not a UK way of writing it
        ("04/26", "Enter a real month and year"),
        ("Aprl 2026", "Enter a real month and year"),
        ("01/1999", "Enter a year from 2000"),
        ("x" * 5000, "Enter a real month and year"),
    ],
)
def test_unreadable_months_say_what_to_enter(text: str, problem: str) -> None:
    with pytest.raises(InvalidMonth, match=problem):
        parse_month(text)


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        ("2026-03-31T23:30:00+00:00", Month(2026, 4)),  # 00:30 BST on 1 April
        ("2026-03-31T22:59:59+00:00", Month(2026, 3)),  # 23:59:59 BST on 31 March
        ("2026-10-31T23:30:00+00:00", Month(2026, 10)),  # GMT again: still October
        ("2026-01-31T23:59:59+00:00", Month(2026, 1)),
        ("2026-05-31T23:00:00+00:00", Month(2026, 6)),
    ],
)
def test_entries_fall_in_uk_calendar_months(moment: str, month: Month) -> None:
    assert month_of(datetime.fromisoformat(moment)) == month


def test_a_month_starts_at_uk_midnight() -> None:
    assert Month(2026, 4).starts() == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    assert Month(2026, 1).starts() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert MonthRange(Month(2026, 1), Month(2026, 3)).ends() == Month(2026, 4).starts()


def test_the_default_is_the_last_twelve_months_this_one_included() -> None:
    span = default_range(NOW)
    assert (span.first, span.last) == (Month(2025, 11), Month(2026, 10))
    assert len(span.months) == 12
    assert span.months[1] == Month(2025, 12) and span.months[2] == Month(2026, 1)


def test_a_range_is_chosen_from_the_form() -> None:
    assert choose_range("01/2026", "03/2026", NOW) == MonthRange(Month(2026, 1), Month(2026, 3))
    assert choose_range("", "", NOW) == default_range(NOW)
    assert choose_range("06/2026", "", NOW) == MonthRange(Month(2026, 6), Month(2026, 10))


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("13/2026", "", "from"),
        ("", "nonsense", "to"),
        ("", "11/2026", "to"),  # after this month
        ("05/2026", "04/2026", "from"),
        ("09/2023", "10/2026", "from"),  # 38 months
    ],
)
def test_a_bad_range_names_the_field(first: str, last: str, field: str) -> None:
    with pytest.raises(InvalidRange) as refused:
        choose_range(first, last, NOW)
    assert list(refused.value.problems) == [field]


def test_both_fields_are_reported_at_once() -> None:
    with pytest.raises(InvalidRange) as refused:
        choose_range("foo", "bar", NOW)
    assert set(refused.value.problems) == {"from", "to"}


def test_thirty_six_months_is_allowed() -> None:
    assert len(choose_range("11/2023", "10/2026", NOW).months) == 36


def test_a_figure_keeps_its_range_and_names_unknown_dimensions() -> None:
    span = MonthRange(Month(2026, 4), Month(2026, 5))
    shown = figure(
        FIGURES["views-by-page"],
        span,
        [
            Count(Month(2026, 5), "overview", 3, 2),
            Count(Month(2026, 4), "", 1, 1),
            Count(Month(2026, 6), "overview", 9, 9),  # outside: left out
            Count(Month(2026, 4), "overview", 4, 1),
        ],
    )
    assert shown.counts == (
        Count(Month(2026, 4), "Not Known", 1, 1),
        Count(Month(2026, 4), "overview", 4, 1),
        Count(Month(2026, 5), "overview", 3, 2),
    )
    assert shown.totals() == {"Not Known": 1, "overview": 7}
    assert shown.dimensions == ("overview", "Not Known")
    assert shown.value(Month(2026, 5), "overview") == 3
    assert shown.value(Month(2026, 5), "Not Known") == 0


@pytest.mark.parametrize(
    ("action", "page", "name"),
    [
        ("view-record", "medications", "medications"),
        ("view-document", None, "document"),
        ("view-timeline", None, "timeline"),
        ("view-record", None, "Not Known"),
    ],
)
def test_the_page_a_view_showed(action: str, page: str | None, name: str) -> None:
    assert page_name(action, page) == name


@pytest.mark.parametrize(
    ("staff", "threshold", "value", "suppressed"),
    [
        (4, 5, "", "fewer than 5 staff"),
        (5, 5, "12", ""),
        (1, 5, "", "fewer than 5 staff"),
        (1, 1, "12", ""),
        (1, 0, "12", ""),
        (2, 3, "", "fewer than 3 staff"),
    ],
)
def test_exported_values_from_too_few_staff_are_left_out(
    staff: int, threshold: int, value: str, suppressed: str
) -> None:
    span = MonthRange(Month(2026, 4), Month(2026, 4))
    shown = figure(
        FIGURES["care-home-views"], span, [Count(Month(2026, 4), "care homes", 12, staff)]
    )
    [row] = export_rows(shown, threshold)
    assert (row.figure, row.month, row.dimension) == ("care-home-views", "2026-04", "care homes")
    assert (row.value, row.suppressed) == (value, suppressed)
