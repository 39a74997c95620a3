"""Usage and evaluation figures from the audit log: what they count, over which months, and how
an export keeps individual staff from being picked out. Pure: the database's part (counting) is
carerecord.store.usage; what is shown and exported is decided here.

Every figure is counted per calendar month in UK time: a view at 23:30 UTC on 31 March, 00:30 on
1 April in British Summer Time, belongs to April. No figure holds anything about a patient: the
dimensions are organisation types, regions, organisation codes and parts of the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from carerecord.errors import UsageError

UK = ZoneInfo("Europe/London")

# What counts as using the record: a successful view of part of a record, or a search.
VIEW_ACTIONS = ("view-record", "view-document", "view-timeline")
SEARCH_ACTIONS = ("search-nhs-number", "search-details")
CARE_HOME = "care-home"
ALL_CARE_HOMES = "care homes"  # the one dimension of the care-home views figure
# A view-document or view-timeline entry names its page; older entries may not.
PAGE_OF_ACTION = {"view-document": "document", "view-timeline": "timeline"}
NOT_KNOWN = "Not Known"

DEFAULT_MONTHS = 12
MAX_MONTHS = 36  # a range is at most three years: one query bucket per month
SUPPRESSED = "fewer than {threshold} staff"

_MONTH_NAMES = (
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
)  # fmt: skip
_FULL_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_NAMED = {
    **{name: i + 1 for i, name in enumerate(_MONTH_NAMES)},
    **{name: i + 1 for i, name in enumerate(_FULL_NAMES)},
    "sept": 9,
}
_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.\- ]\s*(\d{4})$")  # 04/2026, 4-2026, 04.2026
_ISO = re.compile(r"^(\d{4})-(\d{1,2})$")  # 2026-04, as an <input type=month> sends it
_WORDS = re.compile(r"^([a-z]+)\.?\s*[\- ]?\s*(\d{4})$")  # Apr 2026, April 2026, Apr-2026


class InvalidMonth(UsageError):
    """A month that cannot be read, with the words a form shows."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        """`2026-04`: how exports and addresses spell it."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """`Apr-2026`: how pages show it, as dates are shown (`05-Apr-2026`)."""
        return f"{_MONTH_NAMES[self.month - 1].title()}-{self.year:04d}"

    @property
    def form_text(self) -> str:
        """`04/2026`: how the form shows it back."""
        return f"{self.month:02d}/{self.year:04d}"

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def minus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 - months
        return Month(index // 12, index % 12 + 1)

    def starts(self) -> datetime:
        """Midnight UK time on the first of the month, as a UTC instant."""
        return datetime(self.year, self.month, 1, tzinfo=UK).astimezone(UTC)


def month_of(moment: datetime) -> Month:
    local = moment.astimezone(UK)
    return Month(local.year, local.month)


def parse_month(text: str) -> Month:
    """A month as UK users write it (`04/2026`, `Apr 2026`, `April 2026`) or as a month input
    sends it (`2026-04`)."""
    value = text.strip().lower()[:40]
    if not value:
        raise InvalidMonth("Enter a month, for example 04/2026")
    month = year = 0
    if numeric := _NUMERIC.match(value):
        month, year = int(numeric.group(1)), int(numeric.group(2))
    elif iso := _ISO.match(value):
        year, month = int(iso.group(1)), int(iso.group(2))
    elif (words := _WORDS.match(value)) and words.group(1) in _NAMED:
        month, year = _NAMED[words.group(1)], int(words.group(2))
    if not 1 <= month <= 12:
        raise InvalidMonth("Enter a real month and year, for example 04/2026")
    if not 2000 <= year <= 2999:
        raise InvalidMonth("Enter a year from 2000, for example 04/2026")
    return Month(year, month)


@dataclass(frozen=True)
class MonthRange:
    """From the first month to the last, both included."""

    first: Month
    last: Month

    @property
    def months(self) -> tuple[Month, ...]:
        found, month = [], self.first
        while month <= self.last:
            found.append(month)
            month = month.next()
        return tuple(found)

    def starts(self) -> datetime:
        return self.first.starts()

    def ends(self) -> datetime:
        """The instant after the last month: counted entries are before it."""
        return self.last.next().starts()

    @property
    def label(self) -> str:
        return f"{self.first.label} to {self.last.label}"


def default_range(now: datetime, months: int = DEFAULT_MONTHS) -> MonthRange:
    """The last `months` months, this one included."""
    current = month_of(now)
    return MonthRange(current.minus(months - 1), current)


def choose_range(first: str, last: str, now: datetime) -> MonthRange:
    """The range a form asks for (an empty field takes the default's end); InvalidRange names
    each field's problem."""
    default = default_range(now)
    problems: dict[str, str] = {}
    chosen: dict[str, Month] = {}
    for field, text, fallback in (("from", first, default.first), ("to", last, default.last)):
        if not text.strip():
            chosen[field] = fallback
            continue
        try:
            chosen[field] = parse_month(text)
        except InvalidMonth as problem:
            problems[field] = f"{'From' if field == 'from' else 'To'}: {problem}"
    if not problems:
        problems = _range_problems(chosen["from"], chosen["to"], month_of(now))
    if problems:
        raise InvalidRange(problems)
    return MonthRange(chosen["from"], chosen["to"])


def _range_problems(first: Month, last: Month, current: Month) -> dict[str, str]:
    if last > current:
        return {"to": f"To: the last month can be {current.form_text} at the latest"}
    if first > last:
        return {"from": "From: the first month must be before or the same as the last"}
    if len(MonthRange(first, last).months) > MAX_MONTHS:
        return {"from": f"From: choose at most {MAX_MONTHS} months"}
    return {}


class InvalidRange(UsageError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Count:
    """One cell of a figure as the database counted it: the month, what it is about (an
    organisation type, a region, a part of the record, an organisation code), the figure's
    value and how many different staff contributed to it."""

    month: Month
    dimension: str
    value: int
    staff: int


@dataclass(frozen=True)
class FigureSpec:
    name: str  # as exports and addresses name it
    title: str
    dimension: str  # what the dimension column holds
    value: str  # what the value counts
    by_month: bool  # a trend over months (a line chart) or totals (a bar chart)


FIGURES: Mapping[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        FigureSpec(
            "active-users-by-org-type",
            "Monthly active users by organisation type",
            "organisation type",
            "active users",
            True,
        ),
        FigureSpec(
            "active-users-by-region",
            "Monthly active users by region",
            "region",
            "active users",
            True,
        ),
        FigureSpec(
            "views-by-page",
            "Record views by part of the record",
            "part of the record",
            "views",
            False,
        ),
        FigureSpec("care-home-views", "Record views by care homes", "care homes", "views", True),
        FigureSpec(
            "care-home-views-by-organisation",
            "Record views by each care home",
            "organisation code",
            "views",
            False,
        ),
    )
}


@dataclass(frozen=True)
class Figure:
    spec: FigureSpec
    span: MonthRange
    counts: tuple[Count, ...]

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Largest total first, then by name."""
        totals = self.totals()
        return tuple(sorted(totals, key=lambda d: (-totals[d], d)))

    def totals(self) -> dict[str, int]:
        """The value summed over the months, per dimension (views add up; for active users,
        whose sum would count a person once per month, see `value`)."""
        totals: dict[str, int] = {}
        for count in self.counts:
            totals[count.dimension] = totals.get(count.dimension, 0) + count.value
        return totals

    def value(self, month: Month, dimension: str) -> int:
        return sum(c.value for c in self.counts if c.month == month and c.dimension == dimension)


def figure(spec: FigureSpec, span: MonthRange, counts: Iterable[Count]) -> Figure:
    """The figure over every month of the range: dimensions spelled out, months outside the
    range left out (a month with no use simply has no cells)."""
    months = set(span.months)
    kept = tuple(
        Count(c.month, c.dimension or NOT_KNOWN, c.value, c.staff)
        for c in sorted(counts, key=lambda c: (c.month, c.dimension or ""))
        if c.month in months
    )
    return Figure(spec, span, kept)


def page_name(action: str, page: str | None) -> str:
    """The part of the record a view showed (the entry's `shown.page`, else from its action)."""
    return page or PAGE_OF_ACTION.get(action) or NOT_KNOWN


@dataclass(frozen=True)
class ExportRow:
    figure: str
    month: str
    dimension: str
    value: str  # empty when suppressed
    suppressed: str  # why the value is left out, or empty


EXPORT_COLUMNS = ("figure", "month", "dimension", "value", "suppressed")


def export_rows(shown: Figure, threshold: int) -> list[ExportRow]:
    """The figure in long format, one row per month and dimension. A value fewer than
    `threshold` different staff contributed to is left out (its row stays, saying so), so an
    export cannot show one person's use of the record; 0 or 1 suppresses nothing."""
    rows = []
    for count in shown.counts:
        hidden = 0 < count.staff < threshold
        rows.append(
            ExportRow(
                figure=shown.spec.name,
                month=count.month.key,
                dimension=count.dimension,
                value="" if hidden else str(count.value),
                suppressed=SUPPRESSED.format(threshold=threshold) if hidden else "",
            )
        )
    return rows
