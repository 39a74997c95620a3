"""The same thing recorded by several sources: group it, keep every version, find disagreements.

Pure functions over Items. A *key* says which items describe the same thing (for allergies the
code system and code; for medicines also the dose). Each group keeps every item, newest first,
so a page can show each source's own version. A *facet* is one fact the sources may disagree on
(status, reaction, severity); it is compared between sources using each source's latest item.
A thing known to one source only is a group with one source and no disagreement.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from carerecord.record.items import Item

Key = Callable[[Item], Hashable | None]
Facet = Callable[[Item], str | None]

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SourceValue:
    source: str  # organisation name
    value: str


@dataclass(frozen=True)
class Disagreement:
    """Sources hold different values for one fact about the same thing."""

    facet: str
    values: tuple[SourceValue, ...]  # one per source, in the group's source order


@dataclass(frozen=True)
class Group:
    key: Hashable
    items: tuple[Item, ...]  # every version, newest first
    disagreements: tuple[Disagreement, ...] = ()

    @property
    def latest_by_source(self) -> tuple[Item, ...]:
        """Each source's newest item, newest source first."""
        seen: dict[str, Item] = {}
        for item in self.items:
            seen.setdefault(item.provenance.ods_code, item)
        return tuple(seen.values())

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(item.provenance.name for item in self.latest_by_source)

    @property
    def latest(self) -> Item:
        return self.items[0]

    def disagrees_on(self, facet: str) -> Disagreement | None:
        return next((d for d in self.disagreements if d.facet == facet), None)


def newest(item: Item) -> datetime:
    """When the item was last touched: its source's update time, else its own date."""
    p = item.provenance
    return p.last_updated_at_source or item.clinical_date or p.received_at or _EARLIEST


def concept_key(item: Item) -> Hashable | None:
    """Same code system and code; uncoded items fall back to their text, ignoring case."""
    if item.code_system and item.code:
        return ("code", item.code_system, item.code)
    text = " ".join((item.text or "").lower().split())
    return ("text", text) if text else None


def group(items: Iterable[Item], key: Key, facets: Mapping[str, Facet]) -> tuple[Group, ...]:
    """Items sharing a key become one group; groups are ordered by their newest item.

    Items without a key (nothing to compare them by) stay groups of their own.
    """
    buckets: dict[Hashable, list[Item]] = {}
    for item in items:
        found = key(item)
        buckets.setdefault(found if found is not None else ("item", item.id), []).append(item)
    groups = [_group(k, members, facets) for k, members in buckets.items()]
    return tuple(sorted(groups, key=lambda g: newest(g.latest), reverse=True))


def _group(key: Hashable, members: list[Item], facets: Mapping[str, Facet]) -> Group:
    ordered = tuple(sorted(members, key=newest, reverse=True))
    plain = Group(key, ordered)
    found = (_disagreement(name, facet, plain.latest_by_source) for name, facet in facets.items())
    return Group(key, ordered, tuple(d for d in found if d is not None))


def _disagreement(name: str, facet: Facet, latest: tuple[Item, ...]) -> Disagreement | None:
    values = tuple(
        SourceValue(item.provenance.name, value)
        for item in latest
        if (value := facet(item)) is not None
    )
    if len({v.value for v in values}) < 2:
        return None
    return Disagreement(name, values)
