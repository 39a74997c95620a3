"""The Results page's list: each test's latest value and how many it has; one test's history."""

from __future__ import annotations

from decimal import Decimal

from carerecord.record.results import group_by_test, history_of, latest_of_each_test
from tests.record.factories_results import (
    POTASSIUM,
    SODIUM,
    imaging_report,
    item_of,
    observation,
)


def test_each_test_shows_its_latest_value_and_counts_the_rest_in_grouping_order() -> None:
    items = [
        item_of(observation(4.1, "2024-01-05T09:00:00")),
        item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM, low=133, high=146)),
        item_of(observation(5.9, "2026-02-01T09:00:00", source="RAL01")),
        item_of(imaging_report("No consolidation.", "2025-06-02T10:00:00"), "RAL01"),
    ]

    latest = latest_of_each_test(items)

    assert [t.key for t in latest] == [g.key for g in group_by_test(items)]
    assert [(t.code, t.latest.value, t.count, t.earlier) for t in (latest[0], latest[2])] == [
        (POTASSIUM[0], Decimal("5.9"), 2, 1),
        (SODIUM[0], Decimal("140"), 1, 0),
    ]
    assert latest[0].name == "Potassium"
    assert latest[1].latest.conclusion == "No consolidation."


def test_a_trend_needs_a_code_and_two_numbers_among_all_values_not_only_the_latest() -> None:
    items = [
        item_of(observation(4.1, "2024-01-05T09:00:00")),
        item_of(observation(None, "2025-01-05T09:00:00", valueString="Haemolysed")),
        item_of(observation(4.4, "2026-01-05T09:00:00")),
        item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM)),
        item_of(observation(None, "2025-04-01T09:00:00", test=SODIUM, valueString="Clotted")),
    ]
    trends = {t.code: t.has_trend for t in latest_of_each_test(items)}
    assert trends == {POTASSIUM[0]: True, SODIUM[0]: False}


def test_the_list_stays_one_row_per_test_however_long_the_history() -> None:
    history = [
        item_of(observation(n, f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-01T09:00:00"))
        for n in range(120)
    ]
    (test,) = latest_of_each_test(history)
    assert test.count == 120 and test.latest.value == Decimal("119")


def test_history_of_a_test_is_all_of_its_values_newest_first_and_nothing_else() -> None:
    items = [
        item_of(observation(4.1, "2024-01-05T09:00:00")),
        item_of(observation(140, "2025-03-01T09:00:00", test=SODIUM)),
        item_of(observation(5.9, "2026-02-01T09:00:00")),
    ]
    group = history_of(items, POTASSIUM[0])
    assert group is not None
    assert [r.value for r in group.results] == [Decimal("5.9"), Decimal("4.1")]
    assert history_of(items, "9999-9") is None
    assert history_of(items, "") is None
