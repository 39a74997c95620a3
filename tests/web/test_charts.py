"""The chart geometry: bars in proportion and labelled, lines scaled to a round top, months
labelled with their year where it changes, and a description that says the numbers."""

from __future__ import annotations

import pytest

from carerecord.web import charts


def test_bars_are_in_proportion_to_their_values() -> None:
    chart = charts.bar_chart("views", [("Overview", 1200), ("Medications", 600), ("Results", 0)])
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert widths[2] == 0
    assert [bar.value for bar in chart.bars] == ["1,200", "600", "0"]
    assert chart.height == 3 * charts.BAR_ROW
    assert chart.description == (
        "Bar chart of views: Overview: 1,200 views; Medications: 600 views; Results: 0 views."
    )


def test_an_empty_bar_chart_says_so() -> None:
    chart = charts.bar_chart("views", [])
    assert chart.bars == () and chart.description == "No views."


def test_a_long_bar_chart_description_stops_after_ten() -> None:
    chart = charts.bar_chart("views", [(f"VM{n:03d}", 20 - n) for n in range(14)])
    assert chart.description.endswith("VM009: 11 views; and 4 more.")


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 2), (1, 2), (3, 5), (5, 5), (6, 10), (11, 20), (21, 50), (999, 1000)]
)
def test_the_value_axis_ends_at_a_round_number(value: int, ceiling: int) -> None:
    assert charts.nice_ceiling(value) == ceiling


def test_lines_are_scaled_between_the_axes() -> None:
    chart = charts.line_chart(
        "active users",
        ["Nov-2025", "Dec-2025", "Jan-2026"],
        [("Care home", [0, 5, 10]), ("GP practice", [10, 0, 0])],
    )
    care, gp = chart.series
    assert [p.y for p in care.points] == [
        chart.plot_bottom,
        pytest.approx((chart.plot_bottom + charts.TOP) / 2),
        charts.TOP,
    ]
    assert care.points[0].x == charts.LEFT and care.points[-1].x == chart.plot_right
    assert (care.style, care.marker) != (gp.style, gp.marker)
    assert care.points[1].description == "Care home, Dec-2025: 5 active users"
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]
    assert [(t.label, t.below) for t in chart.x_ticks] == [
        ("Nov", "2025"), ("Dec", ""), ("Jan", "2026"),
    ]  # fmt: skip
    assert chart.description == (
        "Line chart of active users from Nov-2025 to Jan-2026, 2 lines. "
        "Care home: 10 in Jan-2026, highest 10 in Jan-2026; "
        "GP practice: 0 in Jan-2026, highest 10 in Nov-2025."
    )


def test_no_more_than_a_dozen_months_are_labelled() -> None:
    labels = [f"M{n}-20{26 + n // 12}" for n in range(36)]
    chart = charts.line_chart("views", labels, [("All", [1] * 36)])
    assert len(chart.x_ticks) == 12
    assert len(chart.series[0].points) == 36


def test_one_month_sits_in_the_middle() -> None:
    chart = charts.line_chart("views", ["Apr-2026"], [("All", [3])])
    [point] = chart.series[0].points
    assert point.x == pytest.approx((charts.LEFT + chart.plot_right) / 2)
