"""Section pages: a registry from section name to the page that shows it.

Each section page is a template plus a function that shapes a SectionView into what the
template needs. Sections without a page of their own use the generic list.
"""

from __future__ import annotations

from carerecord.web.sections.generic import GENERIC, SectionPage

PAGES: dict[str, SectionPage] = {
    # medicines and allergies:
    # results and documents:
    # the other sections:
}


def page_for(section: str) -> SectionPage:
    return PAGES.get(section, GENERIC)
