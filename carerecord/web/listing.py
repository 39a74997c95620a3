"""Filtering, sorting and paging a list of rows from GET query parameters.

`?source=ODS&from=DATE&to=DATE&sort=newest|oldest&page=N`, a DATE as `formatting.typed_day`
reads it (`05-Jan-2026`, `05/01/2026` or `2026-01-05`; links carry the last). Values are validated
once, into a frozen `Filters`; anything wrong becomes a message for the page, and the list is
then shown unfiltered, so a bad link never hides part of the record without saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Generic, TypeVar
from urllib.parse import urlencode

from carerecord.record.items import Item
from carerecord.record.sections import SectionView
from carerecord.web import formatting

PAGE_SIZE = 25
SORTS = {"newest": "Newest first", "oldest": "Oldest first"}
_MAX_PAGE = 100_000

T = TypeVar("T")


@dataclass(frozen=True)
class Filters:
    source: str | None = None  # ODS code
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "newest"
    page: int = 1

    @property
    def narrowed(self) -> bool:
        return bool(self.source or self.date_from or self.date_to)


@dataclass(frozen=True)
class Problem:
    field: str  # the id of the form field at fault
    message: str


@dataclass(frozen=True)
class Parsed:
    filters: Filters
    problems: tuple[Problem, ...]
    typed: Mapping[str, str]  # what was asked for, to show back in the form


def parse(params: Mapping[str, str], sources: Iterable[str]) -> Parsed:
    """Validated filters; with any problem, no filters at all (and the problems to show)."""
    typed = {key: params.get(key, "").strip() for key in ("source", "from", "to", "sort", "page")}
    problems: list[Problem] = []
    source = _source(typed["source"], set(sources), problems)
    date_from = _date(typed["from"], "from", "Date from", problems)
    date_to = _date(typed["to"], "to", "Date to", problems)
    if date_from and date_to and date_from > date_to:
        problems.append(Problem("to", "Date to must be the same as or after date from"))
    sort = _sort(typed["sort"], problems)
    page = _page(typed["page"], problems)
    if problems:
        return Parsed(Filters(), tuple(problems), typed)
    return Parsed(Filters(source, date_from, date_to, sort, page), (), typed)


def _source(value: str, known: set[str], problems: list[Problem]) -> str | None:
    if value and value not in known:
        problems.append(Problem("source", "Select a source from the list"))
        return None
    return value or None


def _date(value: str, field: str, label: str, problems: list[Problem]) -> date | None:
    if not value:
        return None
    found = formatting.typed_day(value)
    if found is None:
        problems.append(Problem(field, date_problem(label)))
    return found


def date_problem(label: str) -> str:
    """The message for a date box that could not be read (every filter form says the same)."""
    return f"{label} must be a real date, for example 05-Jan-2026"


def _sort(value: str, problems: list[Problem]) -> str:
    if value and value not in SORTS:
        problems.append(Problem("sort", "Sort by newest first or oldest first"))
    return value if value in SORTS else "newest"


def _page(value: str, problems: list[Problem]) -> int:
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= _MAX_PAGE:
        problems.append(Problem("page", "Page must be a whole number, 1 or more"))
        return 1
    return int(value)


@dataclass(frozen=True)
class Option:
    value: str
    text: str
    selected: bool


@dataclass(frozen=True)
class PageLink:
    href: str
    label: str  # "Page 2 of 5"


@dataclass(frozen=True)
class Form:
    """What `sections/_listing.jinja` needs: the filter form, its messages and the pager."""

    sources: tuple[Option, ...]
    sorts: tuple[Option, ...]
    date_from: str
    date_to: str
    problems: tuple[Problem, ...]
    shown: str  # "Showing 26 to 50 of 60"
    previous: PageLink | None
    next: PageLink | None

    @property
    def errors(self) -> dict[str, str]:
        """Each field's problem, for the message beside it (the first, if it has several)."""
        found: dict[str, str] = {}
        for problem in self.problems:
            found.setdefault(problem.field, problem.message)
        return found


@dataclass(frozen=True)
class Listed(Generic[T]):
    rows: tuple[T, ...]
    form: Form


def apply(
    rows: Sequence[T],
    parsed: Parsed,
    sources: Sequence[tuple[str, str]],  # (ODS code, name) of the sources the rows come from
    when: Callable[[T], datetime | date | None],
    source_of: Callable[[T], Iterable[str]],
) -> Listed[T]:
    """The rows this page shows: filtered, sorted (undated rows last), one page of them."""
    filters = parsed.filters
    kept = [row for row in rows if _keep(row, filters, when, source_of)]
    kept = _sorted(kept, filters.sort, when)
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    problems = parsed.problems
    if filters.page > pages:
        problems += (Problem("page", f"There is no page {filters.page}: showing page 1"),)
        filters = replace(filters, page=1)
    start = (filters.page - 1) * PAGE_SIZE
    shown = tuple(kept[start : start + PAGE_SIZE])
    form = _form(parsed, filters, sources, problems, len(kept), start, len(shown), pages)
    return Listed(shown, form)


def _keep(
    row: T,
    filters: Filters,
    when: Callable[[T], datetime | date | None],
    source_of: Callable[[T], Iterable[str]],
) -> bool:
    if filters.source and filters.source not in set(source_of(row)):
        return False
    if not (filters.date_from or filters.date_to):
        return True
    day = _day_of(when(row))
    if day is None:
        return False
    return (filters.date_from or date.min) <= day <= (filters.date_to or date.max)


def _day_of(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return formatting.local(value).date()
    return value


def _sorted(rows: list[T], sort: str, when: Callable[[T], datetime | date | None]) -> list[T]:
    dated = [row for row in rows if when(row) is not None]
    undated = [row for row in rows if when(row) is None]
    dated.sort(key=lambda row: _sort_key(when(row)), reverse=sort == "newest")
    return dated + undated


def _sort_key(value: datetime | date | None) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    assert value is not None
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _form(
    parsed: Parsed,
    filters: Filters,
    sources: Sequence[tuple[str, str]],
    problems: tuple[Problem, ...],
    total: int,
    start: int,
    count: int,
    pages: int,
) -> Form:
    typed = parsed.typed
    chosen = filters.source or ""
    everything = Option("", "All sources", not chosen)
    options = (everything, *(Option(ods, name, ods == chosen) for ods, name in sources))
    sorts = tuple(Option(key, text, key == filters.sort) for key, text in SORTS.items())
    return Form(
        sources=options,
        sorts=sorts,
        date_from=_shown_day(filters.date_from, typed.get("from", "")),
        date_to=_shown_day(filters.date_to, typed.get("to", "")),
        problems=problems,
        shown=_shown(total, start, count),
        previous=_link(filters, filters.page - 1, pages) if filters.page > 1 else None,
        next=_link(filters, filters.page + 1, pages) if filters.page < pages else None,
    )


def _shown_day(understood: date | None, typed: str) -> str:
    """A date box's value: a date as dates are shown (`05-Jan-2026`), else what was typed."""
    return formatting.day(understood) if understood else typed[:20]


def _shown(total: int, start: int, count: int) -> str:
    if total == 0:
        return "Nothing to show"
    if total <= count:
        return f"Showing all {formatting.number(total)}"
    return f"Showing {start + 1} to {start + count} of {formatting.number(total)}"


def _link(filters: Filters, page: int, pages: int) -> PageLink:
    return PageLink(f"?{query_string(filters, page)}", f"Page {page} of {pages}")


def query_string(filters: Filters, page: int | None = None) -> str:
    """The filters as a query string (empty values left out), for links that keep them."""
    values = {
        "source": filters.source or "",
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "sort": filters.sort if filters.sort != "newest" else "",
        "page": str(page) if page and page > 1 else "",
    }
    return urlencode({key: value for key, value in values.items() if value})


def sources_of(view: SectionView) -> tuple[tuple[str, str], ...]:
    """The sources a section's rows can be filtered by: those that contributed to it."""
    return tuple((c.ods_code, c.name) for c in view.contributors)


def of_items(view: SectionView, params: Mapping[str, str]) -> Listed[Item]:
    """A section's items as this request asks for them."""
    sources = sources_of(view)
    parsed = parse(params, [ods for ods, _ in sources])
    return apply(
        view.items,
        parsed,
        sources,
        lambda item: item.clinical_date,
        lambda item: (item.provenance.ods_code,),
    )
