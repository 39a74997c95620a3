"""Alerts (Flag): what the alert says, its category, period and status, and every source that
sent it; active alerts first, heaviest first (`record.alerts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from carerecord.fhir.extract import listed
from carerecord.record.alerts import Weight, alerts, is_active, latest_active, weight
from carerecord.record.items import concept_text
from carerecord.record.merge import Group
from carerecord.record.sections import SectionView
from carerecord.web import formatting, listing
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

# http://terminology.hl7.org/CodeSystem/flag-category, in words.
CATEGORIES = {
    "diet": "Diet",
    "drug": "Drug",
    "lab": "Lab",
    "admin": "Administrative",
    "contact": "Subject contact",
    "clinical": "Clinical",
    "behavioral": "Behavioural",
    "research": "Research",
    "advance-directive": "Advance directive",
    "safety": "Safety",
}


@dataclass(frozen=True)
class AlertRow:
    category: str
    text: str
    period: str
    status: str
    active: bool
    sources: tuple[str, ...]  # one chip each, newest first
    provenance: ProvenanceText  # the version shown
    also: tuple[ProvenanceText, ...] = ()  # each other source's latest version
    heavy: bool = False  # about resuscitation or safeguarding: marked out wherever shown


def category(resource: Mapping[str, Any]) -> str:
    for concept in listed(resource.get("category")):
        text = concept_text({"code": concept})
        codes = [c.get("code") for c in listed(concept.get("coding")) if isinstance(c, dict)]
        for code in codes:
            if code in CATEGORIES:
                return CATEGORIES[code]
        if text:
            return text
    return formatting.NOT_KNOWN


def row(alert: Group) -> AlertRow:
    shown = latest_active(alert)
    status = shown.status or ""
    return AlertRow(
        category=category(shown.resource),
        text=concept_text({"code": shown.resource.get("code")}) or formatting.NOT_KNOWN,
        period=formatting.fhir_period(shown.resource.get("period")),
        status=status.replace("-", " ").capitalize() or formatting.NOT_KNOWN,
        active=is_active(shown),
        sources=alert.sources,
        provenance=provenance(shown),
        also=tuple(provenance(i) for i in alert.latest_by_source if i is not shown),
        heavy=weight(shown) <= Weight.SAFEGUARDING,
    )


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    # Filters narrow the items first and what is left is merged: a filter by source shows
    # that source's own versions only.
    listed = listing.of_items(view, params)
    found = alerts(listed.rows)
    merged = len(found.active) + len(found.inactive)
    form = listed.form
    if merged != len(listed.rows):  # the count is of entries; say what they make
        form = replace(form, shown=f"{form.shown} entries, as {merged} alerts")
    return {
        "active": [row(g) for g in found.active],
        "inactive": [row(g) for g in found.inactive],
        "listing": form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/alerts.jinja", shape)
