"""One test's values over time as a server-rendered SVG line chart, plus the same data as a table.

The chart is geometry only: trend.jinja draws it. The reference range is a band; each point
carries its flag as text (H, L) so nothing depends on colour; the table says it all again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from carerecord.record.results import Result
from carerecord.web import formatting
from carerecord.web.sections.generic import ProvenanceText, provenance
from carerecord.web.sections.results import amount, flag_text, range_text

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 24, 48
INSET = 16  # points keep clear of the axes
MIN_TICK_GAP = 14.0  # px: closer value labels would overlap


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the flag code shown beside the point (`H`, `L`), empty when within range
    description: str  # for the point's <title>: date, value and flag in words


@dataclass(frozen=True)
class Band:
    y: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: tuple[Point, ...]
    polyline: str
    band: Band | None
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    description: str
    unit: str  # the latest result's unit, written above the value axis


@dataclass(frozen=True)
class TableRow:
    date: str
    value: str
    unit: str
    range: str
    flag: str  # in words, as the Results page writes it; the chart carries the letters
    abnormal: bool  # marked in bold, as on the Results page
    provenance: ProvenanceText  # the source, its type and when it last updated the value


def chart(name: str, results: tuple[Result, ...]) -> Chart:
    """Results oldest first, at least one; x by date, y scaled to the values and the range."""
    low, high = _extent(results)
    first, last = results[0].when, results[-1].when
    assert first is not None and last is not None  # record.results.trend keeps dated values only
    span = max((last - first).total_seconds(), 1.0)

    def x(result: Result) -> float:
        assert result.when is not None
        fraction = (result.when - first).total_seconds() / span
        return LEFT + INSET + fraction * (WIDTH - LEFT - RIGHT - 2 * INSET)

    def y(value: Decimal) -> float:
        return TOP + float((high - value) / (high - low)) * (HEIGHT - TOP - BOTTOM)

    points = tuple(Point(x(r), y(_value(r)), _label(r), _describe(r)) for r in results)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        polyline=" ".join(f"{p.x:.1f},{p.y:.1f}" for p in points),
        band=_band(results[-1], y),
        y_ticks=_y_ticks(results, y),
        x_ticks=(
            Tick(LEFT + INSET, formatting.day(first)),
            Tick(WIDTH - RIGHT - INSET, formatting.day(last)),
        ),
        description=_summary(name, results),
        unit=formatting.unit_text(results[-1].unit),
    )


def table(results: tuple[Result, ...]) -> tuple[TableRow, ...]:
    """The chart's data, newest first, each row with its source."""
    return tuple(
        TableRow(
            date=formatting.day_time(r.when),
            value=formatting.number(_value(r)),
            unit=formatting.unit_text(r.unit) if r.unit else formatting.NOT_KNOWN,
            range=range_text(r.low, r.high, r.unit, r.range_text),
            flag=flag_text(r),
            abnormal=any(f.abnormal for f in r.flags),
            provenance=provenance(r.item),
        )
        for r in reversed(results)
    )


def _extent(results: tuple[Result, ...]) -> tuple[Decimal, Decimal]:
    values = [_value(r) for r in results]
    latest = results[-1]
    values += [v for v in (latest.low, latest.high) if v is not None]
    low, high = min(values), max(values)
    pad = (high - low) / 10 if high > low else max(abs(high) / 10, Decimal(1))
    bottom = max(low - pad, Decimal(0)) if low >= 0 else low - pad
    return bottom, high + pad


def _y_ticks(results: tuple[Result, ...], scale: Callable[[Decimal], float]) -> tuple[Tick, ...]:
    """The range's limits and the lowest and highest values, leaving out labels that collide."""
    latest = results[-1]
    values = [_value(r) for r in results]
    wanted = [v for v in (latest.low, latest.high) if v is not None] + [min(values), max(values)]
    ticks: list[Tick] = []
    for value in wanted:
        position = scale(value)
        if all(abs(position - t.position) >= MIN_TICK_GAP for t in ticks):
            ticks.append(Tick(position, formatting.number(value)))
    return tuple(ticks)


def _band(latest: Result, scale: Callable[[Decimal], float]) -> Band | None:
    """The latest result's reference range, as a band across the chart."""
    if latest.low is None and latest.high is None:
        return None
    top = scale(latest.high) if latest.high is not None else TOP
    bottom = scale(latest.low) if latest.low is not None else HEIGHT - BOTTOM
    words = range_text(latest.low, latest.high, latest.unit, latest.range_text)
    return Band(top, max(bottom - top, 1.0), f"Reference range {words}")


def _label(result: Result) -> str:
    return ",".join(f.code for f in result.flags if f.abnormal and f.code)


def _describe(result: Result) -> str:
    flag = flag_text(result)
    return f"{formatting.day(result.when)}: {amount(_value(result), result.unit)}, flag {flag}"


def _summary(name: str, results: tuple[Result, ...]) -> str:
    latest = results[-1]
    flagged = sum(1 for r in results if _label(r))
    return (
        f"{name}: {len(results)} values from {formatting.day(results[0].when)} "
        f"to {formatting.day(latest.when)}. Latest {amount(_value(latest), latest.unit)}. "
        f"{flagged} outside the reference range, marked H or L."
    )


def _value(result: Result) -> Decimal:
    assert result.value is not None  # record.results.trend keeps numeric values only
    return result.value
