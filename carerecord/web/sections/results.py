"""The Results page: one table per test, newest first, each row with its flags and provenance;
the latest value of each test, its older values one link away."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from carerecord.record.results import (
    Result,
    TestGroup,
    TestLatest,
    history_of,
    latest_of_each_test,
)
from carerecord.record.sections import SectionView
from carerecord.web import formatting
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance


@dataclass(frozen=True)
class ResultRow:
    date: str
    value: str
    range: str
    flag: str  # in words, once: `High`, `Below range`; `Not Known` when none was given
    abnormal: bool
    status: str
    provenance: ProvenanceText


@dataclass(frozen=True)
class TestTable:
    name: str
    code: str | None
    has_trend: bool
    rows: tuple[ResultRow, ...]
    earlier: int = 0  # older values not shown in rows, one link away
    history: str = ""  # the query string of the page with all of them, when there are any


def shape_results(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    """Each test's latest value, newest tests first; older values on demand (`?test=KEY`
    shows one test's whole history; a numeric test's trend page shows them as well), so the
    page does not grow with the record's history."""
    shaped: dict[str, Any] = {"coverage": coverage(view, now), "one_test": None, "missing": False}
    key = params.get("test", "")[:200]
    history = history_of(view.items, key) if key else None
    if history is not None:
        return {**shaped, "tests": (_table(history),), "one_test": history.name}
    tests = tuple(_latest_table(test) for test in latest_of_each_test(view.items))
    return {**shaped, "tests": tests, "missing": bool(key)}


def _table(group: TestGroup) -> TestTable:
    return TestTable(group.name, group.code, group.has_trend, tuple(map(row_of, group.results)))


def _latest_table(test: TestLatest) -> TestTable:
    history = "?" + urlencode({"test": test.key}) if test.earlier else ""
    return TestTable(
        test.name, test.code, test.has_trend, (row_of(test.latest),), test.earlier, history
    )


def row_of(result: Result) -> ResultRow:
    return ResultRow(
        date=formatting.day_time(result.when),
        value=value_text(result),
        range=_row_range(result),
        flag=flag_text(result),
        abnormal=any(f.abnormal for f in result.flags),
        status=status_text(result.item.status),
        provenance=provenance(result.item),
    )


def value_text(result: Result) -> str:
    if result.value is not None:
        return amount(result.value, result.unit)
    if result.value_text or result.conclusion:
        return result.value_text or result.conclusion or ""
    if result.result_count:
        plural = "s" if result.result_count != 1 else ""
        return f"Report of {result.result_count} result{plural}, each shown under its test"
    return formatting.NOT_KNOWN


def amount(value: Decimal, unit: str | None) -> str:
    return formatting.quantity(value, unit) if unit else formatting.number(value)


def range_text(
    low: Decimal | None, high: Decimal | None, unit: str | None, words: str | None
) -> str:
    """`133 to 146 mmol/L`, `Up to 5 mg/L`, `60 or more mL/min`; the source's words otherwise."""
    suffix = f" {formatting.unit_text(unit)}" if unit else ""
    if low is not None and high is not None:
        return f"{formatting.number(low)} to {formatting.number(high)}{suffix}"
    if high is not None:
        return f"Up to {formatting.number(high)}{suffix}"
    if low is not None:
        return f"{formatting.number(low)} or more{suffix}"
    return words or formatting.NOT_KNOWN


def _row_range(result: Result) -> str:
    if result.value is None and result.low is None and result.high is None:
        return result.range_text or formatting.NOT_KNOWN
    return range_text(result.low, result.high, result.unit, result.range_text)


def flag_text(result: Result) -> str:
    """The flag once, in words (`High`, `Below range` when worked out from the range), never
    colour alone and never a blank; the chart's labels are the letters (trend.py)."""
    return ", ".join(dict.fromkeys(f.words or f.code for f in result.flags)) or formatting.NOT_KNOWN


def status_text(status: str | None) -> str:
    return (status or "").replace("-", " ").capitalize() or formatting.NOT_KNOWN


RESULTS = SectionPage("sections/results.jinja", shape_results)
