"""Encounters: appointments (upcoming first), admissions with their ward moves and discharge,
emergency department attendances, ambulance call-outs and other contacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.fhir.extract import listed, parse_fhir_datetime
from carerecord.record import timeline
from carerecord.record.items import Item, concept_text
from carerecord.record.sections import SectionView
from carerecord.web import formatting, listing
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

# The groups of the page, in the order they are shown.
GROUPS = (
    ("upcoming", "Upcoming appointments"),
    ("appointments", "Past appointments"),
    (timeline.ADMISSION, "Admissions, transfers and discharges"),
    (timeline.EMERGENCY, "Emergency department attendances"),
    (timeline.AMBULANCE, "Ambulance call-outs"),
    ("other", "Other contacts"),
)


@dataclass(frozen=True)
class EncounterRow:
    what: str
    reason: str
    when: str
    duration: str
    status: str
    moves: tuple[str, ...]  # "Respiratory Ward 01-Jan-2026 to 03-Jan-2026"
    discharge: str | None
    provenance: ProvenanceText


def group_of(item: Item, now: datetime) -> str:
    if item.resource_type == "Appointment":
        start = parse_fhir_datetime(item.resource.get("start"))
        return "upcoming" if start is not None and start > now else "appointments"
    kind = timeline.encounter_kind(item)
    return kind if kind in (timeline.ADMISSION, timeline.EMERGENCY, timeline.AMBULANCE) else "other"


def _span(resource: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    period = resource.get("period") or {}
    start = resource.get("start") or period.get("start")
    end = resource.get("end") or period.get("end")
    return parse_fhir_datetime(start), parse_fhir_datetime(end)


def _when(start: datetime | None, end: datetime | None) -> str:
    if start and end:
        return f"{formatting.day_time(start)} to {formatting.day_time(end)}"
    return formatting.day_time(start) if start else formatting.NOT_KNOWN


def _moves(resource: Mapping[str, Any]) -> tuple[str, ...]:
    moves = []
    for stay in listed(resource.get("location")):
        place = concept_text({"name": (stay.get("location") or {}).get("display")})
        moves.append(
            f"{place or formatting.NOT_KNOWN} {formatting.fhir_period(stay.get('period'))}"
        )
    return tuple(moves)


def _discharge(resource: Mapping[str, Any]) -> str | None:
    disposition = (resource.get("hospitalization") or {}).get("dischargeDisposition")
    return concept_text({"code": disposition}) if disposition else None


def row(item: Item) -> EncounterRow:
    resource = item.resource
    start, end = _span(resource)
    return EncounterRow(
        what=item.text or timeline.kind_of(item),
        reason=concept_text({"code": resource.get("reasonCode")}) or formatting.NOT_KNOWN,
        when=_when(start, end),
        duration=formatting.duration(end - start) if start and end else formatting.NOT_KNOWN,
        status=(item.status or "").replace("-", " ").capitalize() or formatting.NOT_KNOWN,
        moves=_moves(resource),
        discharge=_discharge(resource),
        provenance=provenance(item),
    )


def grouped(items: Sequence[Item], now: datetime) -> list[dict[str, Any]]:
    """The page's groups, each with its rows; upcoming appointments soonest first."""
    by_group: dict[str, list[Item]] = {key: [] for key, _ in GROUPS}
    for item in items:
        by_group[group_of(item, now)].append(item)
    by_group["upcoming"].sort(key=lambda item: _span(item.resource)[0] or now)
    return [
        {"key": key, "title": title, "rows": [row(item) for item in by_group[key]]}
        for key, title in GROUPS
        if by_group[key]
    ]


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    listed = listing.of_items(view, params)
    return {
        "groups": grouped(listed.rows, now),
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/encounters.jinja", shape)
