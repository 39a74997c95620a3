"""Bar and line charts as geometry for server-rendered SVG (usage/_charts.jinja draws them): no
JavaScript, no inline style (classes from carerecord.css). Series are told apart by marker shape
and line pattern as well as colour, every value is in a <title>, and a page always follows a
chart with a table of the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from carerecord.web.formatting import number

WIDTH = 720
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 16, 52  # line chart margins
LINE_HEIGHT = 280
LEGEND_ROW = 22
BAR_LABEL = 200  # bar chart: room for the labels on the left
BAR_ROW, BAR_THICKNESS = 28, 18
MARKERS = ("circle", "square", "triangle", "diamond")
STYLES = 6  # cr-chart__series--0 .. 5 in carerecord.css
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    value: str
    description: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    row: int
    thickness: int
    bars: tuple[Bar, ...]
    description: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    description: str


@dataclass(frozen=True)
class Series:
    name: str
    style: int  # which of the series classes
    marker: str  # circle, square, triangle, diamond
    polyline: str
    points: tuple[Point, ...]
    legend_y: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    below: str = ""  # a second line under the label (a month's year)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    plot_bottom: float
    plot_right: float
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    legend_top: float
    description: str


def bar_chart(what: str, items: Sequence[tuple[str, int]]) -> BarChart:
    """Horizontal bars, one per (label, value), in the order given, each labelled with its value."""
    top = max((value for _, value in items), default=0)
    room = WIDTH - BAR_LABEL - 64  # the value is written after the bar
    bars = tuple(
        Bar(
            y=index * BAR_ROW + (BAR_ROW - BAR_THICKNESS) / 2,
            width=(value / top * room) if top else 0.0,
            label=label,
            value=number(value),
            description=f"{label}: {number(value)} {what}",
        )
        for index, (label, value) in enumerate(items)
    )
    listed = "; ".join(bar.description for bar in bars[:10])
    more = f"; and {len(bars) - 10} more" if len(bars) > 10 else ""
    return BarChart(
        width=WIDTH,
        height=max(len(bars), 1) * BAR_ROW,
        label_width=BAR_LABEL,
        row=BAR_ROW,
        thickness=BAR_THICKNESS,
        bars=bars,
        description=f"Bar chart of {what}: {listed}{more}." if bars else f"No {what}.",
    )


def line_chart(
    what: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> LineChart:
    """One line per (name, values), each value over the x label at its position."""
    peak = max((v for _, values in series for v in values), default=0)
    high = nice_ceiling(peak)
    plot_right, plot_bottom = WIDTH - RIGHT, LINE_HEIGHT - BOTTOM
    step = (plot_right - LEFT) / max(len(x_labels) - 1, 1)

    def x(index: int) -> float:
        return LEFT + (index * step if len(x_labels) > 1 else (plot_right - LEFT) / 2)

    def y(value: int) -> float:
        return plot_bottom - value / high * (plot_bottom - TOP)

    drawn = tuple(
        _series(index, name, values, x_labels, x, y, what)
        for index, (name, values) in enumerate(series)
    )
    every = -(-len(x_labels) // MAX_X_LABELS)  # label at most a dozen months
    return LineChart(
        width=WIDTH,
        height=LINE_HEIGHT + LEGEND_ROW * len(series),
        plot_bottom=plot_bottom,
        plot_right=plot_right,
        series=drawn,
        y_ticks=tuple(Tick(y(v), number(v)) for v in (0, high // 2, high) if v or high),
        x_ticks=_x_ticks(x_labels, x, every),
        legend_top=LINE_HEIGHT,
        description=_line_summary(what, x_labels, series),
    )


def _series(
    index: int,
    name: str,
    values: Sequence[int],
    x_labels: Sequence[str],
    x: Callable[[int], float],
    y: Callable[[int], float],
    what: str,
) -> Series:
    points = tuple(
        Point(x(i), y(v), f"{name}, {x_labels[i]}: {number(v)} {what}")
        for i, v in enumerate(values)
    )
    return Series(
        name=name,
        style=index % STYLES,
        marker=MARKERS[index % len(MARKERS)],
        polyline=" ".join(f"{p.x:.1f},{p.y:.1f}" for p in points),
        points=points,
        legend_y=LINE_HEIGHT + LEGEND_ROW * index + LEGEND_ROW / 2,
    )


def _x_ticks(labels: Sequence[str], x: Callable[[int], float], every: int) -> tuple[Tick, ...]:
    ticks, year = [], ""
    for index, label in enumerate(labels):
        if index % every:
            continue
        head, _, tail = label.partition("-")
        ticks.append(Tick(x(index), head, tail if tail != year else ""))
        year = tail
    return tuple(ticks)


def nice_ceiling(value: int) -> int:
    """The smallest of 2, 5 or 10 times a power of ten at or above `value` (at least 2, so
    the half-way tick is whole for all but 5)."""
    if value <= 2:
        return 2
    magnitude = 1
    while True:
        for step in (2, 5, 10):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _line_summary(
    what: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> str:
    if not x_labels or not series:
        return f"No {what}."
    parts = []
    for name, values in series:
        best = max(range(len(values)), key=lambda i: values[i])
        parts.append(
            f"{name}: {number(values[-1])} in {x_labels[-1]}, "
            f"highest {number(values[best])} in {x_labels[best]}"
        )
    return (
        f"Line chart of {what} from {x_labels[0]} to {x_labels[-1]}, "
        f"{len(series)} {'line' if len(series) == 1 else 'lines'}. " + "; ".join(parts) + "."
    )
