"""The Documents page: one list across every source, sortable and filterable from a GET form.

Filters arrive as query parameters. A value that makes no sense is set aside with a message in
words (shown on the page); it never becomes an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from carerecord.record.documents import NEWEST, OLDEST, Document, Filters, choices, documents
from carerecord.record.sections import SectionView
from carerecord.web import formatting
from carerecord.web.listing import date_problem
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

_DATE_LABELS = {"from": "From date", "to": "To date"}  # as the form's labels say
_MAX_PARAMETER = 200  # longer values are not a document type or organisation anyone has


@dataclass(frozen=True)
class Problem:
    field: str  # the form field's id, for the error summary's link
    message: str


@dataclass(frozen=True)
class DocumentRow:
    item_id: int
    kind: str
    title: str
    author: str
    organisation: str
    date: str
    provenance: ProvenanceText


def parse_filters(
    params: Mapping[str, str], kinds: tuple[str, ...], organisations: tuple[str, ...]
) -> tuple[Filters, tuple[Problem, ...]]:
    """The filters asked for; anything unusable is left out, with a problem saying why."""
    problems: list[Problem] = []
    kind = _choice(params, "type", kinds, "a document type", problems)
    organisation = _choice(params, "organisation", organisations, "an organisation", problems)
    date_from = _date(params, "from", problems)
    date_to = _date(params, "to", problems)
    if date_from and date_to and date_from > date_to:
        problems.append(Problem("to", "The 'to' date must be the same as or after the 'from' date"))
        date_to = None
    sort = params.get("sort") or NEWEST
    if sort not in (NEWEST, OLDEST):
        problems.append(Problem("sort", "Sort by newest first or oldest first"))
        sort = NEWEST
    return Filters(kind, organisation, date_from, date_to, sort), tuple(problems)


def shape_documents(
    view: SectionView,
    now: datetime,
    params: Mapping[str, str],
) -> Mapping[str, Any]:
    kinds, organisations = choices(view.items)
    filters, problems = parse_filters(params, kinds, organisations)
    rows = tuple(map(row_of, documents(view.items, filters)))
    return {
        "rows": rows,
        "coverage": coverage(view, now),
        "kinds": kinds,
        "organisations": organisations,
        "filters": filters,
        "form": _form_values(params, filters),
        "problems": problems,
        "errors": {p.field: p.message for p in reversed(problems)},  # the first of each field
        "filtered": filters != Filters(sort=filters.sort),
    }


def row_of(document: Document) -> DocumentRow:
    return DocumentRow(
        item_id=document.item.id,
        kind=document.kind or formatting.NOT_KNOWN,
        title=document.title or formatting.NOT_KNOWN,
        author=document.author or formatting.NOT_KNOWN,
        organisation=document.organisation,
        date=formatting.day_time(document.when),
        provenance=provenance(document.item),
    )


def _choice(
    params: Mapping[str, str],
    name: str,
    allowed: tuple[str, ...],
    what: str,
    problems: list[Problem],
) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed or len(value) > _MAX_PARAMETER:
        problems.append(Problem(name, f"Choose {what} from the list"))
        return None
    return value


def _date(params: Mapping[str, str], name: str, problems: list[Problem]) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    found = formatting.typed_day(value)
    if found is None:
        problems.append(Problem(name, date_problem(_DATE_LABELS[name])))
    return found


def _form_values(params: Mapping[str, str], filters: Filters) -> dict[str, str]:
    """What the form shows again: usable values as understood, unusable ones as typed."""
    return {
        "type": filters.kind or "",
        "organisation": filters.organisation or "",
        "from": formatting.day(filters.date_from)
        if filters.date_from
        else params.get("from", "")[:_MAX_PARAMETER],
        "to": formatting.day(filters.date_to)
        if filters.date_to
        else params.get("to", "")[:_MAX_PARAMETER],
        "sort": filters.sort,
    }


DOCUMENTS = SectionPage("sections/documents.jinja", shape_documents)
