"""The Allergies page: one of four headings, current and past allergies merged across sources.

Renders only: the heading and the merging come from `record.allergies`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.record.allergies import (
    HIGH_CRITICALITY,
    allergy_section,
    criticality,
    reactions,
    severity,
)
from carerecord.record.items import Item
from carerecord.record.merge import Disagreement, Group, newest
from carerecord.record.sections import SectionView
from carerecord.web import formatting
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

_FACET_WORDS = {
    "reaction": "the reaction",
    "severity": "the severity",
    "criticality": "the criticality",
    "status": "whether it is current",
}


@dataclass(frozen=True)
class AllergyVersion:
    """One source's own record of the allergy."""

    agent: str
    reaction: str
    severity: str | None
    criticality: str | None
    status: str
    provenance: ProvenanceText


@dataclass(frozen=True)
class AllergyRow:
    agent: str
    reaction: str  # the newest source's reaction (and severity), or every source's if they differ
    # The newest source's criticality (each source's is in `versions`), but a high one from
    # any source: it is never hidden behind a newer, lower one.
    criticality: str | None
    updated: str  # when its record was last updated, at any source
    sources: tuple[str, ...]
    provenance: tuple[ProvenanceText, ...]
    versions: tuple[AllergyVersion, ...]
    differences: tuple[str, ...]

    @property
    def high_criticality(self) -> bool:
        return self.criticality == HIGH_CRITICALITY


@dataclass(frozen=True)
class NoneKnownRow:
    what: str
    provenance: ProvenanceText


def reaction_text(item: Item) -> str:
    words = reactions(item) or formatting.NOT_KNOWN
    found = severity(item)
    return f"{words} ({found})" if found else words


def group_reaction(allergy: Group) -> str:
    """The reaction; when sources differ, each source's, named: `Urticaria (Camden Road ...)`."""
    if not (allergy.disagrees_on("reaction") or allergy.disagrees_on("severity")):
        return reaction_text(allergy.latest)
    return "; ".join(f"{reaction_text(i)} ({i.provenance.name})" for i in allergy.latest_by_source)


def difference_text(disagreement: Disagreement) -> str:
    """`Sources differ on the reaction: Camden Road Surgery: Urticaria; Royal Free London: ...`"""
    values = "; ".join(f"{v.source}: {v.value}" for v in disagreement.values)
    return (
        f"Sources differ on {_FACET_WORDS.get(disagreement.facet, disagreement.facet)}: {values}."
    )


def _status(item: Item) -> str:
    return (item.status or "").capitalize() or formatting.NOT_KNOWN


def _criticality(allergy: Group) -> str | None:
    found = [c for i in allergy.latest_by_source if (c := criticality(i))]
    return HIGH_CRITICALITY if HIGH_CRITICALITY in found else (found[0] if found else None)


def allergy_row(allergy: Group) -> AllergyRow:
    latest = allergy.latest_by_source
    return AllergyRow(
        agent=allergy.latest.text or formatting.NOT_KNOWN,
        reaction=group_reaction(allergy),
        criticality=_criticality(allergy),
        updated=formatting.day(newest(allergy.latest)),
        sources=allergy.sources,
        provenance=tuple(provenance(i) for i in latest),
        versions=tuple(
            AllergyVersion(
                i.text or formatting.NOT_KNOWN,
                reactions(i) or formatting.NOT_KNOWN,
                severity(i),
                criticality(i),
                _status(i),
                provenance(i),
            )
            for i in allergy.items
        ),
        differences=tuple(difference_text(d) for d in allergy.disagreements),
    )


def shape_allergies(
    view: SectionView, now: datetime, params: Mapping[str, str]
) -> Mapping[str, Any]:
    # No listing filters here: every allergy is shown: a clinician must never miss one to a filter.
    section = allergy_section(view)
    return {
        "status": section.status,
        "current": [allergy_row(g) for g in section.current],
        "past": [allergy_row(g) for g in section.past],
        "none_known": [
            NoneKnownRow(i.text or formatting.NOT_KNOWN, provenance(i)) for i in section.none_known
        ],
        "not_shared_by": section.not_shared_by,
        "coverage": coverage(view, now),
    }


ALLERGIES = SectionPage("sections/allergies.jinja", shape_allergies)
