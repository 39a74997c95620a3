"""Care plans and wishes (CarePlan, Goal). Advance care planning (the person's wishes) is
shown first, apart from other plans, so it cannot be missed."""

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

# SNOMED CT 713603004 Advance care planning, and the words sources use for it.
ADVANCE_CARE_PLANNING = "713603004"
_WISHES_WORDS = ("advance care", "wishes", "respect", "end of life", "dnacpr")


@dataclass(frozen=True)
class PlanRow:
    title: str
    categories: str
    period: str
    status: str
    description: str
    activities: tuple[str, ...]
    provenance: ProvenanceText


@dataclass(frozen=True)
class GoalRow:
    text: str
    start: str
    status: str
    provenance: ProvenanceText


def _words(value: Any) -> str:
    return str(value or "").replace("-", " ").capitalize() or formatting.NOT_KNOWN


def _categories(resource: Mapping[str, Any]) -> list[str]:
    texts = [concept_text({"code": c}) for c in listed(resource.get("category"))]
    return [t for t in texts if t]


def is_wishes(item: Item) -> bool:
    """An advance care plan: coded as such, or titled so."""
    codes = {
        coding.get("code")
        for concept in listed(item.resource.get("category"))
        for coding in listed(concept.get("coding"))
        if isinstance(coding, dict)
    }
    words = " ".join([str(item.resource.get("title") or ""), *_categories(item.resource)])
    return ADVANCE_CARE_PLANNING in codes or any(w in words.lower() for w in _WISHES_WORDS)


def _activities(resource: Mapping[str, Any]) -> tuple[str, ...]:
    found = []
    for activity in listed(resource.get("activity")):
        detail = activity.get("detail") or {}
        text = detail.get("description") or concept_text({"code": detail.get("code")})
        if text:
            found.append(str(text))
    return tuple(found)


def plan_row(item: Item) -> PlanRow:
    resource = item.resource
    return PlanRow(
        title=str(resource.get("title") or item.text or formatting.NOT_KNOWN),
        categories=", ".join(_categories(resource)) or formatting.NOT_KNOWN,
        period=formatting.fhir_period(resource.get("period")),
        status=_words(item.status),
        description=str(resource.get("description") or formatting.NOT_KNOWN),
        activities=_activities(resource),
        provenance=provenance(item),
    )


def goal_row(item: Item) -> GoalRow:
    return GoalRow(
        text=item.text or formatting.NOT_KNOWN,
        start=formatting.day(item.clinical_date),
        status=_words(item.resource.get("lifecycleStatus") or item.status),
        provenance=provenance(item),
    )


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    listed = listing.of_items(view, params)
    plans = [item for item in listed.rows if item.resource_type == "CarePlan"]
    return {
        "wishes": [plan_row(item) for item in plans if is_wishes(item)],
        "plans": [plan_row(item) for item in plans if not is_wishes(item)],
        "goals": [goal_row(item) for item in listed.rows if item.resource_type == "Goal"],
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/care_plans.jinja", shape)
