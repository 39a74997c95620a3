"""Problems and diagnoses (Condition): active apart from resolved or inactive.

The same problem from several sources is one row listing each source. "The same" is kept
simple on purpose: the same code system and code (items without a code are never joined).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.fhir.extract import listed, parse_fhir_datetime
from carerecord.record.items import Item
from carerecord.record.sections import SectionView
from carerecord.web import formatting, listing
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

ACTIVE = frozenset({"active", "recurrence", "relapse"})


@dataclass(frozen=True)
class Problem:
    """One problem, as recorded by one or more sources (newest record first)."""

    items: tuple[Item, ...]

    @property
    def active(self) -> bool:
        return any(clinical_status(item) in ACTIVE for item in self.items)

    @property
    def latest(self) -> datetime | None:
        return self.items[0].clinical_date

    @property
    def onset(self) -> datetime | None:
        onsets = [o for o in (onset(item) for item in self.items) if o is not None]
        return min(onsets) if onsets else None


def clinical_status(item: Item) -> str:
    status = item.resource.get("clinicalStatus")
    codings = listed(status.get("coding")) if isinstance(status, dict) else []
    codes = [c.get("code") for c in codings if isinstance(c, dict)]
    return str(codes[0]) if codes else (item.status or "")


def onset(item: Item) -> datetime | None:
    return parse_fhir_datetime(item.resource.get("onsetDateTime")) or item.clinical_date


def group(items: Sequence[Item]) -> tuple[Problem, ...]:
    """Items (newest first) grouped by code system and code, groups in order of their newest."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        key = (item.code_system, item.code) if item.code else ("item", str(item.id))
        groups.setdefault((str(key[0]), str(key[1])), []).append(item)
    return tuple(Problem(tuple(members)) for members in groups.values())


@dataclass(frozen=True)
class ProblemRow:
    text: str
    onset: str
    status: str
    sources: tuple[ProvenanceText, ...]


def row(problem: Problem) -> ProblemRow:
    first = problem.items[0]
    status = clinical_status(first).replace("-", " ").capitalize()
    return ProblemRow(
        text=first.text or formatting.NOT_KNOWN,
        onset=formatting.day(problem.onset),
        status=status or formatting.NOT_KNOWN,
        sources=tuple(provenance(item) for item in problem.items),
    )


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    sources = listing.sources_of(view)
    listed = listing.apply(
        group(view.items),
        listing.parse(params, [ods for ods, _ in sources]),
        sources,
        lambda problem: problem.latest,
        lambda problem: [item.provenance.ods_code for item in problem.items],
    )
    return {
        "active": [row(p) for p in listed.rows if p.active],
        "inactive": [row(p) for p in listed.rows if not p.active],
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/problems.jinja", shape)
