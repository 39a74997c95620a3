"""The usage figures counted by the database, on SQLite and PostgreSQL: UK months, only
successful views and searches, by organisation type, region, part of the record and care home."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.audit.usage import Count, Month, MonthRange
from carerecord.store import Store, usage
from tests.support.usage_log import plant

SPAN = MonthRange(Month(2026, 1), Month(2026, 10))
APR, MAY, OCT = Month(2026, 4), Month(2026, 5), Month(2026, 10)
NCL, NEL = "North Central London", "North East London"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def planted(store: Store) -> Store:
    # 23:30 UTC on 31 March is 00:30 on 1 April in British Summer Time: April's
    plant(store, at("2026-03-31T23:30"), user=1)
    plant(store, at("2026-04-10T09:00"), "search-nhs-number", user=1, page=None)
    plant(store, at("2026-04-15T09:00"), user=2, page="medications")
    plant(store, at("2026-04-20T09:00"), "view-document", user=3, org="RAL01",
          org_type="acute", region=NEL, page="document")  # fmt: skip
    plant(store, at("2026-04-21T09:00"), user=4, org="VM101", org_type="care-home",
          page="care_plans")  # fmt: skip
    # an entry without shown.page is counted under its action's page
    plant(store, at("2026-05-02T09:00"), "view-timeline", user=5, org="VM102",
          org_type="care-home", page=None)  # fmt: skip
    plant(store, at("2026-05-03T09:00"), user=4, org="VM101", org_type="care-home",
          page="medications")  # fmt: skip
    # refused and failed views, signing in and a withheld record do not count
    plant(store, at("2026-04-22T09:00"), user=6, outcome="refused")
    plant(store, at("2026-04-22T10:00"), "search-details", user=6, outcome="failure", page=None)
    plant(store, at("2026-04-22T11:00"), "sign-in", user=7, page=None)
    plant(store, at("2026-04-22T12:00"), "view-withheld", user=7, page=None)
    # outside the range: 31 December 23:30 GMT, and 1 November 00:30 GMT
    plant(store, at("2025-12-31T23:30"), user=8)
    plant(store, at("2026-11-01T00:30"), user=8)
    # 23:30 UTC on 31 October is still October once the clocks have gone back
    plant(store, at("2026-10-31T23:30"), user=9)
    return store


def test_monthly_active_users_by_organisation_type(planted: Store) -> None:
    assert usage.active_users(planted.engine, SPAN, "org_type") == [
        Count(APR, "acute", 1, 1),
        Count(APR, "care-home", 1, 1),
        Count(APR, "gp", 2, 2),
        Count(MAY, "care-home", 2, 2),
        Count(OCT, "gp", 1, 1),
    ]


def test_monthly_active_users_by_region(planted: Store) -> None:
    assert usage.active_users(planted.engine, SPAN, "region") == [
        Count(APR, NCL, 3, 3),
        Count(APR, NEL, 1, 1),
        Count(MAY, NCL, 2, 2),
        Count(OCT, NCL, 1, 1),
    ]


def test_record_views_by_part_of_the_record(planted: Store) -> None:
    assert usage.views_by_page(planted.engine, SPAN) == [
        Count(APR, "care_plans", 1, 1),
        Count(APR, "document", 1, 1),
        Count(APR, "medications", 1, 1),
        Count(APR, "overview", 1, 1),
        Count(MAY, "medications", 1, 1),
        Count(MAY, "timeline", 1, 1),
        Count(OCT, "overview", 1, 1),
    ]


def test_views_by_care_homes_per_month_and_per_home(planted: Store) -> None:
    assert usage.care_home_views(planted.engine, SPAN, per_organisation=False) == [
        Count(APR, "care homes", 1, 1),
        Count(MAY, "care homes", 2, 2),
    ]
    assert usage.care_home_views(planted.engine, SPAN, per_organisation=True) == [
        Count(APR, "VM101", 1, 1),
        Count(MAY, "VM101", 1, 1),
        Count(MAY, "VM102", 1, 1),
    ]


def test_views_count_entries_and_the_staff_behind_them(store: Store) -> None:
    for hour in range(3):
        plant(store, at(f"2026-06-01T0{hour}:00"), user=1, org="VM101", org_type="care-home")
    plant(store, at("2026-06-02T09:00"), user=2, org="VM101", org_type="care-home")
    june = MonthRange(Month(2026, 6), Month(2026, 6))
    assert usage.care_home_views(store.engine, june, per_organisation=True) == [
        Count(Month(2026, 6), "VM101", 4, 2)
    ]
    assert usage.active_users(store.engine, june, "org_type") == [
        Count(Month(2026, 6), "care-home", 2, 2)
    ]


def test_an_empty_range_counts_nothing(planted: Store) -> None:
    quiet = MonthRange(Month(2026, 7), Month(2026, 9))
    assert usage.views_by_page(planted.engine, quiet) == []
