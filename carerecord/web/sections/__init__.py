"""Section pages: a registry from section name to the page that shows it.

Each section page is a template plus a function that shapes a SectionView into what the
template needs. Sections without a page of their own use the generic list.
"""

from __future__ import annotations

from carerecord.web.sections import (
    alerts,
    care_plans,
    care_team,
    community,
    encounters,
    problems,
    referrals,
)
from carerecord.web.sections.allergies import ALLERGIES
from carerecord.web.sections.documents import DOCUMENTS
from carerecord.web.sections.generic import GENERIC, SectionPage
from carerecord.web.sections.medications import MEDICATIONS
from carerecord.web.sections.results import RESULTS

PAGES: dict[str, SectionPage] = {
    # medicines and allergies:
    "medications": MEDICATIONS,
    "allergies": ALLERGIES,
    # results and documents:
    "results": RESULTS,
    "documents": DOCUMENTS,
    # the other sections:
    "alerts": alerts.PAGE,
    "problems": problems.PAGE,
    "encounters": encounters.PAGE,
    "referrals": referrals.PAGE,
    "care-plans": care_plans.PAGE,
    "care-team": care_team.PAGE,
    "community": community.PAGE,
}


def page_for(section: str) -> SectionPage:
    return PAGES.get(section, GENERIC)
