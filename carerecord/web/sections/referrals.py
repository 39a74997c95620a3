"""Referrals (ServiceRequest): to whom, why, their status and date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.fhir.extract import listed
from carerecord.record.items import Item, concept_text
from carerecord.record.sections import SectionView
from carerecord.web import formatting, listing
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance


@dataclass(frozen=True)
class ReferralRow:
    to: str
    reason: str
    priority: str
    status: str
    date: str
    provenance: ProvenanceText


def _performer(resource: Mapping[str, Any]) -> str:
    names = [p.get("display") for p in listed(resource.get("performer")) if isinstance(p, dict)]
    named = [str(n) for n in names if n]
    return ", ".join(named) or concept_text(dict(resource)) or formatting.NOT_KNOWN


def row(item: Item) -> ReferralRow:
    resource = item.resource
    return ReferralRow(
        to=_performer(resource),
        reason=concept_text({"code": resource.get("reasonCode")}) or formatting.NOT_KNOWN,
        priority=str(resource.get("priority") or "").capitalize() or formatting.NOT_KNOWN,
        status=(item.status or "").replace("-", " ").capitalize() or formatting.NOT_KNOWN,
        date=formatting.day(item.clinical_date),
        provenance=provenance(item),
    )


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    listed = listing.of_items(view, params)
    return {
        "rows": [row(item) for item in listed.rows],
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/referrals.jinja", shape)
