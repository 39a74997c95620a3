"""The listing: query parameters validated into Filters, then applied to rows (no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from carerecord.web import listing
from carerecord.web.listing import Filters, Listed, Parsed
from tests.record.factories_items import when

SOURCES = [("F83004", "Camden Road Surgery"), ("RAL01", "Royal Free London")]
ODS = [ods for ods, _ in SOURCES]


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({}, Filters()),
        ({"source": "RAL01"}, Filters(source="RAL01")),
        ({"from": "2020-01-05"}, Filters(date_from=date(2020, 1, 5))),
        ({"from": "05-Jan-2020"}, Filters(date_from=date(2020, 1, 5))),
        ({"from": "05/01/2020"}, Filters(date_from=date(2020, 1, 5))),  # UK order: 5 January
        ({"to": " 2021-02-28 "}, Filters(date_to=date(2021, 2, 28))),
        (
            {"from": "2020-01-01", "to": "2020-01-01"},
            Filters(None, date(2020, 1, 1), date(2020, 1, 1)),
        ),
        ({"sort": "oldest", "page": "3"}, Filters(sort="oldest", page=3)),
        ({"source": "", "from": "", "sort": "", "page": ""}, Filters()),
    ],
)
def test_good_parameters_become_filters(params: dict[str, str], filters: Filters) -> None:
    parsed = listing.parse(params, ODS)
    assert parsed.problems == ()
    assert parsed.filters == filters


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"source": "XXXXX"}, "source", "Select a source from the list"),
        ({"from": "2020-13-01"}, "from", "Date from must be a real date, for example 05-Jan-2026"),
        ({"from": "01/13/2009"}, "from", "Date from must be a real date, for example 05-Jan-2026"),
        ({"to": "5th Jan"}, "to", "Date to must be a real date, for example 05-Jan-2026"),
        (
            {"from": "2021-01-01", "to": "2020-01-01"},
            "to",
            "Date to must be the same as or after date from",
        ),
        ({"sort": "random"}, "sort", "Sort by newest first or oldest first"),
        ({"page": "0"}, "page", "Page must be a whole number, 1 or more"),
        ({"page": "-1"}, "page", "Page must be a whole number, 1 or more"),
        ({"page": "two"}, "page", "Page must be a whole number, 1 or more"),
        ({"page": "99999999999999999999"}, "page", "Page must be a whole number, 1 or more"),
    ],
)
def test_a_bad_value_is_a_message_and_no_filter_at_all(
    params: dict[str, str], field: str, message: str
) -> None:
    parsed = listing.parse({"source": "RAL01", **params}, ODS)
    assert [(p.field, p.message) for p in parsed.problems] == [(field, message)]
    assert parsed.filters == Filters()  # the whole list, unfiltered, with the message


# Rows for apply(): (name, source, date)
Row = tuple[str, str, datetime | None]
ROWS: list[Row] = [
    ("a", "F83004", when("2020-01-01T09:00")),
    ("b", "RAL01", when("2021-06-15T23:30")),  # 16-Jun-2021 in London
    ("c", "F83004", None),
    ("d", "RAL01", when("2019-03-03T09:00")),
]


def _apply(params: dict[str, str], rows: list[Row] = ROWS) -> Listed[Row]:
    return listing.apply(
        rows, listing.parse(params, ODS), SOURCES, lambda r: r[2], lambda r: (r[1],)
    )


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({}, ["b", "a", "d", "c"]),  # newest first, undated last
        ({"sort": "oldest"}, ["d", "a", "b", "c"]),  # undated last in either order
        ({"source": "RAL01"}, ["b", "d"]),
        ({"from": "2020-01-01"}, ["b", "a"]),  # undated rows cannot be in a date range
        ({"to": "2020-01-01"}, ["a", "d"]),  # the "to" day is included
        ({"from": "2021-06-16", "to": "2021-06-16"}, ["b"]),  # UK local day, not UTC
        ({"source": "F83004", "to": "2019-12-31"}, []),
        ({"source": "nope", "sort": "oldest"}, ["b", "a", "d", "c"]),  # bad: unfiltered
    ],
)
def test_apply_filters_and_sorts(params: dict[str, str], names: list[str]) -> None:
    assert [row[0] for row in _apply(params).rows] == names


def _many(count: int) -> list[Row]:
    return [
        (str(n), "F83004", when("2000-01-01T00:00").replace(year=2000 + n)) for n in range(count)
    ]


@pytest.mark.parametrize(
    ("count", "page", "shown", "first", "previous", "next_"),
    [
        (25, "1", "Showing all 25", "24", None, None),
        (26, "1", "Showing 1 to 25 of 26", "25", None, "?page=2"),
        (60, "2", "Showing 26 to 50 of 60", "34", "?", "?page=3"),
        (60, "3", "Showing 51 to 60 of 60", "9", "?page=2", None),
        (0, "1", "Nothing to show", None, None, None),
    ],
)
def test_long_lists_are_paged_25_at_a_time(
    count: int, page: str, shown: str, first: str | None, previous: str | None, next_: str | None
) -> None:
    listed = _apply({"page": page}, _many(count))
    assert listed.form.shown == shown
    assert (listed.rows[0][0] if listed.rows else None) == first
    assert (listed.form.previous.href if listed.form.previous else None) == previous
    assert (listed.form.next.href if listed.form.next else None) == next_


def test_page_links_keep_the_filters() -> None:
    listed = _apply({"page": "1", "sort": "oldest", "from": "2001-01-01"}, _many(60))
    assert listed.form.next is not None
    assert listed.form.next.href == "?from=2001-01-01&sort=oldest&page=2"
    assert listed.form.next.label == "Page 2 of 3"


def test_a_page_past_the_end_says_so_and_shows_the_first() -> None:
    listed = _apply({"page": "9"}, _many(30))
    assert [p.message for p in listed.form.problems] == ["There is no page 9: showing page 1"]
    assert listed.rows[0][0] == "29"


def test_the_form_offers_the_sources_and_shows_back_what_was_typed() -> None:
    listed = _apply({"source": "RAL01", "from": "2020-13-1"})  # a bad date: nothing applied
    assert [(o.value, o.selected) for o in listed.form.sources] == [
        ("", True),
        ("F83004", False),
        ("RAL01", False),
    ]
    assert listed.form.date_from == "2020-13-1"
    assert listed.form.errors == {"from": listed.form.problems[0].message}


def test_a_date_understood_is_shown_back_as_dates_are_written() -> None:
    listed = _apply({"from": "2020-01-05", "to": "31/12/2021"})
    assert (listed.form.date_from, listed.form.date_to) == ("05-Jan-2020", "31-Dec-2021")
    assert listed.form.errors == {}
    assert isinstance(listing.parse({}, ODS), Parsed)
