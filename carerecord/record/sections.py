"""A section of one person's record: its items, and which sources it is complete for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from carerecord.organisations import ORG_TYPES, Organisation
from carerecord.record.cited import CITED_TYPES
from carerecord.record.items import Item, item_from
from carerecord.record.overview import PatientOverview, holdings
from carerecord.store.records import SectionTally, StoredResource

if TYPE_CHECKING:
    from carerecord.access.policy import Grant

# How a source stands towards a section of this person's record.
CONTRIBUTED = "contributed"  # it shares the section and holds items in it
NOTHING_HELD = "nothing-held"  # it shares the section, but has nothing in it for this person
NOT_SHARED = "not-shared"  # it holds data about the person but does not share this section


@dataclass(frozen=True)
class SourceCoverage:
    ods_code: str
    name: str
    org_type: str
    state: str
    count: int
    # The one definition of freshness (docs/ui.md): when the source last updated what it holds
    # about this person and the date of its newest entry, and separately when carerecord last
    # received any of it.
    updated_at_source: datetime | None
    received_at: datetime | None
    newest_entry: datetime | None = None


@dataclass(frozen=True)
class SectionView:
    section: str
    items: tuple[Item, ...]
    coverage: tuple[SourceCoverage, ...]
    # Directory entries the items cite (record.cited): to resolve names, never counted or listed.
    cited: tuple[Item, ...] = ()

    @property
    def contributors(self) -> tuple[SourceCoverage, ...]:
        return tuple(c for c in self.coverage if c.state == CONTRIBUTED)


@dataclass(frozen=True)
class RecordView:
    """One page's worth of a person's record: who they are, and the sections it shows."""

    overview: PatientOverview
    sections: dict[str, SectionView]
    grant: Grant | None = None  # what the page was read under (for its notices)
    new_since: datetime | None = None  # items received after this are new to the user
    first_view: bool = False  # the user has not opened this record before this session

    def new_counts(self) -> dict[str, int]:
        """How many items of each section read are new to the user (sections with any)."""
        counts = {
            name: sum(item.new for item in view.items) for name, view in self.sections.items()
        }
        return {name: count for name, count in counts.items() if count}


_TYPE_ORDER = {org_type: i for i, org_type in enumerate(ORG_TYPES)}


def build_sections(
    sections: Sequence[str],
    rows: Sequence[StoredResource],
    tallies: Sequence[SectionTally],
    organisations: Sequence[Organisation],
    seen_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, SectionView]:
    """Every requested section, newest items first, with each known source's standing; items
    received after `seen_at` (the user's last view before this session) are marked new."""
    registry = {org.ods_code: org for org in organisations}
    by_section: dict[str, list[Item]] = {section: [] for section in sections}
    cited: list[Item] = []  # whatever section they index under (a Practitioner has none)
    for row in rows:
        if row.resource_type in CITED_TYPES:
            cited.append(item_from(row, registry, seen_at, now))
        elif row.section in by_section:
            by_section[row.section].append(item_from(row, registry, seen_at, now))
    holders = sorted(
        {t.source_ods for t in tallies},
        key=lambda ods: (_TYPE_ORDER.get(_org_type(registry, ods), 99), ods),
    )
    counts = {(t.source_ods, t.section): t.count for t in tallies}
    times = _times_by_source(tallies, registry)
    for items in by_section.values():
        # Engines differ on where NULLs sort; undated items always go last (a stable sort).
        items.sort(key=lambda item: item.clinical_date is None)
    return {
        section: SectionView(
            section=section,
            items=tuple(items),
            coverage=tuple(
                _coverage(registry, ods, section, counts, times[ods]) for ods in holders
            ),
            cited=tuple(cited),
        )
        for section, items in by_section.items()
    }


Times = tuple[datetime | None, datetime | None, datetime | None]  # (updated, received, newest)


def _times_by_source(
    tallies: Sequence[SectionTally], registry: dict[str, Organisation]
) -> dict[str, Times]:
    """Each source's newest update and newest receipt across everything it holds about the
    person: the very figures of the summary's sources table (overview.holdings)."""
    return {
        h.ods_code: (h.last_updated_at_source, h.last_received_at, h.newest_entry)
        for h in holdings(tallies, registry)
    }


def _org_type(registry: dict[str, Organisation], ods: str) -> str:
    org = registry.get(ods)
    return org.org_type if org else "unknown"


def _coverage(
    registry: dict[str, Organisation],
    ods: str,
    section: str,
    counts: dict[tuple[str, str], int],
    times: Times,
) -> SourceCoverage:
    org = registry.get(ods)
    count = counts.get((ods, section), 0)
    shares = org is not None and section in org.sections
    if count:
        state = CONTRIBUTED
    elif shares:
        state = NOTHING_HELD
    else:
        state = NOT_SHARED
    return SourceCoverage(
        ods_code=ods,
        name=org.name if org else ods,
        org_type=org.org_type if org else "unknown",
        state=state,
        count=count,
        updated_at_source=times[0],
        received_at=times[1],
        newest_entry=times[2],
    )
