"""The generic section page: every item with what it is, its date, status and provenance."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.organisations import ORG_TYPES
from carerecord.record.items import Item
from carerecord.record.sections import CONTRIBUTED, NOT_SHARED, SectionView
from carerecord.web import formatting, listing

# Shapes a section for its template, given the time and the request's query parameters
# (filters, sort and page: see carerecord.web.listing).
Shaper = Callable[[SectionView, datetime, Mapping[str, str]], Mapping[str, Any]]


@dataclass(frozen=True)
class SectionPage:
    template: str
    shape: Shaper


@dataclass(frozen=True)
class ProvenanceText:
    """The visible provenance every clinical row carries."""

    source: str  # organisation name
    source_type: str  # in words
    recorded: str  # the item's own date
    updated: str  # when the source last updated it
    new_since: str = ""  # when the user last viewed the record, if this arrived since
    future: str = ""  # formatting.FUTURE when the item's dates are later than the page's now


@dataclass(frozen=True)
class CoverageRow:
    name: str
    source_type: str
    state: str  # words: what this source contributes to the section
    freshness: str  # formatting.freshness: the source's last update, then when it was received


def provenance(item: Item) -> ProvenanceText:
    p = item.provenance
    return ProvenanceText(
        source=p.name,
        source_type=ORG_TYPES.get(p.org_type, formatting.NOT_KNOWN),
        recorded=formatting.day(p.recorded_at),
        updated=formatting.day_time(p.last_updated_at_source or p.received_at),
        new_since=formatting.day_time(p.new_since) if p.new_since else "",
        future=formatting.FUTURE if p.future_dated else "",
    )


def coverage(view: SectionView, now: datetime) -> tuple[CoverageRow, ...]:
    """Which sources contributed, which have nothing, which do not share this section."""
    rows = []
    for c in view.coverage:
        if c.state == CONTRIBUTED:
            state = f"{c.count} item{'s' if c.count != 1 else ''}"
        elif c.state == NOT_SHARED:
            state = "Does not share this section"
        else:
            state = "Nothing recorded"
        fresh = formatting.freshness(c.updated_at_source, c.received_at, now, c.newest_entry)
        rows.append(CoverageRow(c.name, ORG_TYPES.get(c.org_type, c.org_type), state, fresh))
    return tuple(rows)


@dataclass(frozen=True)
class GenericRow:
    what: str
    date: str
    status: str
    kind: str
    provenance: ProvenanceText


def shape_generic(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    listed = listing.of_items(view, params)
    rows = [
        GenericRow(
            what=item.text or formatting.NOT_KNOWN,
            date=formatting.day(item.clinical_date),
            status=(item.status or "").replace("-", " ").capitalize() or formatting.NOT_KNOWN,
            kind=item.resource_type,
            provenance=provenance(item),
        )
        for item in listed.rows
    ]
    return {"rows": rows, "listing": listed.form, "coverage": coverage(view, now)}


GENERIC = SectionPage("sections/generic.jinja", shape_generic)
