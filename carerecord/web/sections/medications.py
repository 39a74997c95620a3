"""The Medications page: current and past medicines merged across sources, and prescriptions.

Renders only: grouping, conflicts and prescription states come from `record.medicines`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from carerecord.record.items import Item, later_than
from carerecord.record.medicines import (
    DISPENSED,
    ISSUED,
    WITH_PHARMACY,
    Prescription,
    StatusConflict,
    Stop,
    medicine_list,
    parts,
    prescriptions,
    stop_reason,
)
from carerecord.record.merge import Group
from carerecord.record.sections import SectionView
from carerecord.web import formatting
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

RECENT = timedelta(days=183)  # "recent prescriptions": the last six months


@dataclass(frozen=True)
class LinePart:
    """One part of the CUI medicine line; `label` is shown in capitals before the value."""

    text: str
    bold: bool = False
    label: str | None = None


@dataclass(frozen=True)
class Version:
    """One source's own version of a medicine."""

    line: tuple[LinePart, ...]
    status: str
    note: str | None
    provenance: ProvenanceText


@dataclass(frozen=True)
class MedicineRow:
    line: tuple[LinePart, ...]
    sources: tuple[str, ...]  # one chip each
    provenance: tuple[ProvenanceText, ...]  # each source's latest version
    versions: tuple[Version, ...]
    conflict: str | None


@dataclass(frozen=True)
class PrescriptionRow:
    line: tuple[LinePart, ...]
    issued: str
    state: str
    provenance: ProvenanceText


def line(item: Item) -> tuple[LinePart, ...]:
    """generic — BRAND — strength — form — DOSE amount — rate — duration — route — frequency."""
    p = parts(item)
    found: list[LinePart | None] = [
        LinePart(p.generic or formatting.NOT_KNOWN, bold=True),
        LinePart(p.brand.upper()) if p.brand else None,
        LinePart(_strength(item)) if p.strength else None,
        LinePart(p.form) if p.form else None,
        LinePart(p.dose or formatting.NOT_KNOWN, bold=True, label="DOSE"),
        LinePart(p.rate) if p.rate else None,
        LinePart(p.duration) if p.duration else None,
        LinePart(p.route) if p.route else None,
        LinePart(p.frequency) if p.frequency else None,
    ]
    return tuple(part for part in found if part is not None)


def line_text(parts_: tuple[LinePart, ...]) -> str:
    """The line as plain words, parts separated by spaced em dashes."""
    return " — ".join(f"{p.label} {p.text}" if p.label else p.text for p in parts_)


def _strength(item: Item) -> str:
    s = parts(item).strength
    if s is None:
        return formatting.NOT_KNOWN
    return formatting.strength(s.amounts, s.unit, s.per_amount, s.per_unit)


def conflict_text(conflict: StatusConflict | None) -> str | None:
    """Where, when and why, then where it is still current: `Stopped at X on 05-Jan-2026
    (reason: low blood pressure); still active at Y.`"""
    if conflict is None:
        return None
    stopped = " and ".join(_stop_text(stop) for stop in conflict.stopped)
    return f"Stopped at {stopped}; still active at {' and '.join(conflict.current)}."


def _stop_text(stop: Stop) -> str:
    on = formatting.day(stop.on) if stop.on else f"a date {formatting.NOT_KNOWN}"
    return f"{stop.source} on {on} (reason: {stop.reason or formatting.NOT_KNOWN})"


def _status(item: Item) -> str:
    return (item.status or "").replace("-", " ").capitalize() or formatting.NOT_KNOWN


def medicine_row(medicine: Group, conflict: StatusConflict | None = None) -> MedicineRow:
    latest = medicine.latest_by_source
    return MedicineRow(
        line=line(medicine.latest),
        sources=medicine.sources,
        provenance=tuple(provenance(i) for i in latest),
        versions=tuple(
            Version(line(i), _status(i), stop_reason(i), provenance(i)) for i in medicine.items
        ),
        conflict=conflict_text(conflict),
    )


def state_text(prescription: Prescription, now: datetime | None = None) -> str:
    if prescription.state == DISPENSED:
        by = f" by {prescription.dispenser}" if prescription.dispenser else ""
        on = f" on {formatting.day(prescription.dispensed_on)}" if prescription.dispensed_on else ""
        if now is not None and later_than(prescription.dispensed_on, now):
            on += f" ({formatting.FUTURE})"  # not yet, whatever the source says
        return f"Dispensed{by}{on}"
    if prescription.state == WITH_PHARMACY:
        return "Sent to the pharmacy (with dispenser)"
    if prescription.state == ISSUED:
        return "Issued, not yet sent to a pharmacy"
    return f"{_status(prescription.item)}; dispensing status {formatting.NOT_KNOWN}"


def prescription_row(prescription: Prescription, now: datetime | None = None) -> PrescriptionRow:
    return PrescriptionRow(
        line=line(prescription.item),
        issued=formatting.day(prescription.item.clinical_date),
        state=state_text(prescription, now),
        provenance=provenance(prescription.item),
    )


def shape_medications(
    view: SectionView, now: datetime, params: Mapping[str, str]
) -> Mapping[str, Any]:
    # No listing filters here: every medicine is shown, merged across sources
    # (a filter would split merged lines).
    listed = medicine_list(view.items)
    return {
        "current": [medicine_row(g, listed.conflict(g)) for g in listed.current],
        "past": [medicine_row(g, listed.conflict(g)) for g in listed.past],
        "prescriptions": [
            prescription_row(p, now) for p in prescriptions(view.items, now - RECENT)
        ],
        "recent_since": formatting.day(now - RECENT),
        "coverage": coverage(view, now),
    }


MEDICATIONS = SectionPage("sections/medications.jinja", shape_medications)
