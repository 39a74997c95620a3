"""Alerts (Flag): category, what the alert says, its period and status; active alerts first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.record.items import Item, concept_text
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
    provenance: ProvenanceText


def category(resource: Mapping[str, Any]) -> str:
    for concept in resource.get("category") or ():
        text = concept_text({"code": concept})
        codes = [c.get("code") for c in concept.get("coding") or () if isinstance(c, dict)]
        for code in codes:
            if code in CATEGORIES:
                return CATEGORIES[code]
        if text:
            return text
    return formatting.NOT_KNOWN


def row(item: Item) -> AlertRow:
    status = item.status or ""
    return AlertRow(
        category=category(item.resource),
        text=concept_text({"code": item.resource.get("code")}) or formatting.NOT_KNOWN,
        period=formatting.fhir_period(item.resource.get("period")),
        status=status.replace("-", " ").capitalize() or formatting.NOT_KNOWN,
        active=status == "active",
        provenance=provenance(item),
    )


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    listed = listing.of_items(view, params)
    rows = [row(item) for item in listed.rows]
    return {
        "active": [r for r in rows if r.active],
        "inactive": [r for r in rows if not r.active],
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/alerts.jinja", shape)
