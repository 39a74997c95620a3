"""The timeline: everything in the person's record in date order, with the listing's filters.

This router is included before carerecord.web.routes, whose /patients/{id}/{section} would
otherwise answer /patients/{id}/timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from carerecord.fhir.sections import SECTION_TITLES, SECTIONS
from carerecord.organisations import ORG_TYPES
from carerecord.record import timeline
from carerecord.record.items import Item
from carerecord.record.results import RESULT_TYPES, display_name
from carerecord.record.sections import RecordView, SectionView, SourceCoverage
from carerecord.web import formatting, listing
from carerecord.web.record_page import record_page
from carerecord.web.sections.generic import (
    CoverageRow,
    ProvenanceText,
    provenance,
)
from carerecord.web.sections.medications import LinePart, line
from carerecord.web.session import csrf_protected, request_reader, request_time
from carerecord.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

RECORD_SECTIONS = tuple(section for section in SECTIONS if section != "demographics")


def _page_context(
    record: RecordView, patient_id: str, current: str, now: datetime
) -> dict[str, Any]:
    return {
        **record_page(record, patient_id, current, now),
        "title": SECTION_TITLES.get(current, "Timeline"),
    }


@router.get("/patients/{patient_id}/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, patient_id: str) -> Response:
    params = dict(request.query_params)
    record = request_reader(request).view(
        patient_id, RECORD_SECTIONS, page="timeline", params=params
    )
    template, context = timeline_page_of(record, patient_id, request_time(request), params)
    return render(request, template, context)


def timeline_page_of(
    record: RecordView, patient_id: str, now: datetime, params: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """The timeline's template and what it shows, with its filters, drawn as of `now`."""
    context = {
        **_page_context(record, patient_id, "timeline", now),
        **shape_timeline(list(record.sections.values()), params),
        "coverage": timeline_coverage(list(record.sections.values()), now),
    }
    return "timeline.jinja", context


@dataclass(frozen=True)
class TimelineRow:
    section: str
    section_title: str
    kind: str
    what: str
    date: str
    provenance: ProvenanceText
    medicine: tuple[LinePart, ...] = ()  # a medicine's CUI line, drawn in place of `what`


def shape_timeline(views: Sequence[SectionView], params: Mapping[str, str]) -> dict[str, Any]:
    sources = _sources(views)
    listed = listing.apply(
        timeline.timeline(views),
        listing.parse(params, [ods for ods, _ in sources]),
        sources,
        lambda entry: entry.when,
        lambda entry: (entry.item.provenance.ods_code,),
    )
    rows = [
        TimelineRow(
            section=entry.section,
            section_title=SECTION_TITLES.get(entry.section, entry.section),
            kind=entry.kind,
            what=_what(entry.item) or entry.kind,
            date=formatting.day(entry.when),
            provenance=provenance(entry.item),
            medicine=line(entry.item) if entry.item.resource_type in MEDICINES else (),
        )
        for entry in listed.rows
    ]
    return {"rows": rows, "listing": listed.form}


# Written as the Medications page writes them: the one CUI line, route and all.
MEDICINES = frozenset({"MedicationStatement", "MedicationRequest", "MedicationDispense"})


def _what(item: Item) -> str | None:
    """The item's name, a test's as the Results page gives it."""
    return display_name(item) if item.resource_type in RESULT_TYPES else item.text


def _sources(views: Sequence[SectionView]) -> tuple[tuple[str, str], ...]:
    """Every source that contributed to any section, in the record's source order."""
    found: dict[str, str] = {}
    for view in views:
        for ods, name in listing.sources_of(view):
            found.setdefault(ods, name)
    return tuple(found.items())


def timeline_coverage(views: Sequence[SectionView], now: datetime) -> tuple[CoverageRow, ...]:
    """Each source holding data about the person: how many items it gave, and as at when."""
    totals: dict[str, int] = {}
    first: dict[str, SourceCoverage] = {}
    for view in views:
        for c in view.coverage:
            totals[c.ods_code] = totals.get(c.ods_code, 0) + c.count
            first.setdefault(c.ods_code, c)
    return tuple(
        CoverageRow(
            c.name,
            ORG_TYPES.get(c.org_type, formatting.NOT_KNOWN),
            f"{totals[ods]} item{'s' if totals[ods] != 1 else ''} across the record",
            formatting.freshness(c.updated_at_source, c.received_at, now, c.newest_entry),
        )
        for ods, c in first.items()
    )
