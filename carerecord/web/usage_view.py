"""The usage figures as the page shows them: for each, a chart's geometry and a table holding
exactly the chart's numbers, with every dimension in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from carerecord.audit.usage import ALL_CARE_HOMES, NOT_KNOWN, Figure
from carerecord.fhir.sections import SECTION_TITLES
from carerecord.organisations import ORG_TYPES
from carerecord.web import charts
from carerecord.web.formatting import number

PAGE_TITLES = {
    **SECTION_TITLES,
    "overview": "Overview",
    "document": "A document",
    "timeline": "Timeline",
}


@dataclass(frozen=True)
class Table:
    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric_from: int  # columns from this one on hold numbers (right-aligned)


@dataclass(frozen=True)
class ShownFigure:
    name: str
    title: str
    explanation: str
    kind: str  # line or bar
    chart: charts.LineChart | charts.BarChart
    table: Table
    empty: bool


EXPLANATIONS = {
    "active-users-by-org-type": (
        "Different staff who opened part of a record or searched for a person at least once "
        "in the month, by the type of organisation they work for."
    ),
    "active-users-by-region": (
        "Different staff who opened part of a record or searched for a person at least once "
        "in the month, by their organisation's region."
    ),
    "views-by-page": (
        "Every time staff opened a part of a record, a document or the timeline, added up "
        "over the months chosen: which parts are used most."
    ),
    "care-home-views": "Every time care-home staff opened part of a record, month by month.",
    "care-home-views-by-organisation": (
        "Every time staff of each care home opened part of a record, added up over the months "
        "chosen."
    ),
}


def dimension_name(figure: Figure, dimension: str, names: Mapping[str, str]) -> str:
    if dimension == NOT_KNOWN:
        return NOT_KNOWN
    kind = figure.spec.name
    if kind == "active-users-by-org-type":
        return ORG_TYPES.get(dimension, dimension)
    if kind == "views-by-page":
        known = PAGE_TITLES.get(dimension) or PAGE_TITLES.get(dimension.replace("_", "-"))
        return known or dimension.replace("_", " ").capitalize()
    if kind == "care-home-views-by-organisation":
        return f"{names[dimension]} ({dimension})" if dimension in names else dimension
    if dimension == ALL_CARE_HOMES:
        return "All care homes"
    return dimension


def shown(figure: Figure, names: Mapping[str, str]) -> ShownFigure:
    spec = figure.spec
    words = {d: dimension_name(figure, d, names) for d in figure.dimensions}
    chart: charts.LineChart | charts.BarChart
    chart, table = _trend(figure, words) if spec.by_month else _totals(figure, words)
    return ShownFigure(
        name=spec.name,
        title=spec.title,
        explanation=EXPLANATIONS[spec.name],
        kind="line" if spec.by_month else "bar",
        chart=chart,
        table=table,
        empty=not figure.counts,
    )


def _trend(figure: Figure, words: Mapping[str, str]) -> tuple[charts.LineChart, Table]:
    months = figure.span.months
    labels = [m.label for m in months]
    series = [(words[d], [figure.value(m, d) for m in months]) for d in figure.dimensions]
    chart = charts.line_chart(figure.spec.value, labels, series)
    rows = tuple(
        (m.label, *(number(figure.value(m, d)) for d in figure.dimensions)) for m in months
    )
    table = Table(
        caption=f"{figure.spec.title}, {figure.span.label}: {figure.spec.value} per month",
        head=("Month", *(words[d] for d in figure.dimensions)),
        rows=rows if figure.dimensions else (),
        numeric_from=1,
    )
    return chart, table


def _totals(figure: Figure, words: Mapping[str, str]) -> tuple[charts.BarChart, Table]:
    totals = figure.totals()
    items = [(words[d], totals[d]) for d in figure.dimensions]
    chart = charts.bar_chart(figure.spec.value, items)
    table = Table(
        caption=f"{figure.spec.title}, {figure.span.label}, most first",
        head=(figure.spec.dimension.capitalize(), figure.spec.value.capitalize()),
        rows=tuple((label, number(value)) for label, value in items),
        numeric_from=1,
    )
    return chart, table
