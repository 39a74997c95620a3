"""What every page of one person's record carries: the banner, its markers, the navigation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carerecord.fhir.sections import SECTION_TITLES, SECTIONS
from carerecord.record.markers import markers
from carerecord.record.sections import RecordView
from carerecord.web.access_notice import access_notices
from carerecord.web.banner import banner
from carerecord.web.formatting import day_time, local
from carerecord.web.new_since import new_since


def record_page(record: RecordView, patient_id: str, current: str, now: datetime) -> dict[str, Any]:
    return {
        "banner": banner(record.overview.demographics, local(now).date()),
        "markers": markers(record.sections),
        "patient_id": patient_id,
        "current": current,
        "section_links": section_links(),
        "access_notices": access_notices(record.grant, now),
        "new_since": new_since(record),
        "shown_at": day_time(now),  # for the end of a printed page
    }


def section_links() -> list[dict[str, str]]:
    return [
        {"section": section, "title": SECTION_TITLES[section]}
        for section in SECTIONS
        if section != "demographics"
    ]
