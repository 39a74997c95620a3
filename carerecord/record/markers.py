"""The markers every patient banner carries: allergy status and active alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from carerecord.record.alerts import active_count
from carerecord.record.allergies import allergy_section
from carerecord.record.sections import SectionView

# Loaded with every page of a record, so the banner can carry its markers.
BANNER_SECTIONS = ("allergies", "alerts")


@dataclass(frozen=True)
class Markers:
    allergy_status: str | None  # one of the four allergy headings; None when not granted
    allergies: int  # current allergies, merged across sources
    alerts: int  # active alerts, merged across sources


def markers(sections: Mapping[str, SectionView]) -> Markers:
    allergy_view, alert_view = sections.get("allergies"), sections.get("alerts")
    allergy = allergy_section(allergy_view) if allergy_view is not None else None
    active = active_count(alert_view.items) if alert_view else 0
    return Markers(
        allergy_status=allergy.status if allergy else None,
        allergies=len(allergy.current) if allergy else 0,
        alerts=active,
    )
