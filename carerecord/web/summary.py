"""The summary page: the first things a clinician needs, each a link to its full section.

It reuses each section page's own shaping, so a line on the summary reads exactly as it does
on its section page, and takes only the first few of each.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carerecord.record.documents import DOCUMENT_TYPES, document_of, is_episode_summary
from carerecord.record.medicines import medicine_list
from carerecord.record.results import latest_by_test
from carerecord.record.sections import RecordView, SectionView
from carerecord.web.sections import alerts, care_plans, care_team, encounters, problems
from carerecord.web.sections.allergies import shape_allergies
from carerecord.web.sections.documents import row_of as documents_row
from carerecord.web.sections.medications import medicine_row
from carerecord.web.sections.results import row_of

SECTIONS_SHOWN = (
    "allergies",
    "alerts",
    "medications",
    "problems",
    "results",
    "encounters",
    "documents",
    "care-plans",
    "care-team",
)

LATEST_RESULTS = 8
RECENT_ENCOUNTERS = 3
# Only the newest items of these sections are read for the summary, which shows the latest.
NEWEST: dict[str, int] = {"results": 300, "encounters": 50, "documents": 50}
_NO_FILTERS: Mapping[str, str] = {}


def shape_summary(record: RecordView, now: datetime) -> dict[str, Any]:
    views = record.sections
    allergy = _shaped(shape_allergies, views.get("allergies"), now)
    medicines = views.get("medications")
    listed = medicine_list(medicines.items) if medicines else None
    results = views.get("results")
    encounter = _shaped(encounters.shape, views.get("encounters"), now)
    plans = _shaped(care_plans.shape, views.get("care-plans"), now)
    teams = _shaped(care_team.shape, views.get("care-team"), now)
    groups = {group["key"]: group["rows"] for group in encounter.get("groups", ())}
    return {
        "allergy_status": allergy.get("status"),
        "allergies": allergy.get("current", ()),
        "allergies_not_shared_by": allergy.get("not_shared_by", ()),
        "alerts": _shaped(alerts.shape, views.get("alerts"), now).get("active", ()),
        "medicines": [medicine_row(g, listed.conflict(g)) for g in listed.current]
        if listed
        else [],
        "problems": _shaped(problems.shape, views.get("problems"), now).get("active", ()),
        "results": [
            {"test": group, "row": row_of(group.results[0])}
            for group in latest_by_test(results.items, LATEST_RESULTS)
        ]
        if results
        else [],
        "upcoming": groups.get("upcoming", [])[:RECENT_ENCOUNTERS],
        "recent": _recent_encounters(views.get("encounters"), now),
        "discharge": _latest_discharge(views.get("documents")),
        "wishes": plans.get("wishes", ()),
        "plans": plans.get("plans", ())[:1],
        "coordinators": [
            (member, team)
            for team in teams.get("teams", ())
            for member in team.members
            if member.coordinator
        ],
    }


def _shaped(shape: Any, view: SectionView | None, now: datetime) -> Mapping[str, Any]:
    """A section the grant leaves out is simply absent from the summary."""
    return shape(view, now, _NO_FILTERS) if view is not None else {}


def _latest_discharge(view: SectionView | None) -> Any:
    """The newest discharge-type summary (a ward's, A&E's, an ambulance crew's, NHS 111's);
    documents come newest first, so reading stops there."""
    for item in view.items if view is not None else ():
        if item.resource_type in DOCUMENT_TYPES:
            document = document_of(item)
            if is_episode_summary(document):
                return documents_row(document)
    return None


def _recent_encounters(view: SectionView | None, now: datetime) -> list[Any]:
    """The latest encounters that have happened (items come newest first)."""
    if view is None:
        return []
    happened = [item for item in view.items if item.clinical_date and item.clinical_date <= now]
    return [encounters.row(item) for item in happened[:RECENT_ENCOUNTERS]]
