"""Community, CAMHS and addiction events: each episode of care with its contacts beneath it."""

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


@dataclass(frozen=True)
class ContactRow:
    what: str
    when: str
    duration: str
    provenance: ProvenanceText


@dataclass(frozen=True)
class EpisodeRow:
    service: str
    period: str
    status: str
    manager: str
    contacts: tuple[ContactRow, ...]
    provenance: ProvenanceText | None  # None: contacts whose episode is not in the record


def episode_key(item: Item) -> tuple[str, str]:
    return (item.provenance.ods_code, f"EpisodeOfCare/{item.resource.get('id')}")


def contacts_by_episode(items: Sequence[Item]) -> dict[tuple[str, str], list[Item]]:
    """Each source's contacts under the episode of care they name (references stay within
    the source that made them)."""
    found: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        if item.resource_type != "Encounter":
            continue
        for episode in listed(item.resource.get("episodeOfCare")):
            key = (item.provenance.ods_code, str((episode or {}).get("reference")))
            found.setdefault(key, []).append(item)
    return found


def contact_row(item: Item) -> ContactRow:
    period = item.resource.get("period") or {}
    start = parse_fhir_datetime(period.get("start"))
    end = parse_fhir_datetime(period.get("end"))
    return ContactRow(
        what=item.text or "Contact",
        when=formatting.day_time(start or item.clinical_date),
        duration=formatting.duration(end - start) if start and end else formatting.NOT_KNOWN,
        provenance=provenance(item),
    )


def episode_row(item: Item, contacts: Sequence[Item]) -> EpisodeRow:
    resource = item.resource
    return EpisodeRow(
        service=item.text or formatting.NOT_KNOWN,
        period=formatting.fhir_period(resource.get("period")),
        status=(item.status or "").capitalize() or formatting.NOT_KNOWN,
        manager=str((resource.get("careManager") or {}).get("display") or formatting.NOT_KNOWN),
        contacts=tuple(contact_row(c) for c in contacts),
        provenance=provenance(item),
    )


def episodes(items: Sequence[Item], all_items: Sequence[Item]) -> list[EpisodeRow]:
    """The listed episodes, each with all its contacts (newest first); contacts listed
    without their episode on this page are shown on their own, under no episode."""
    contacts = contacts_by_episode(all_items)
    rows = [
        episode_row(item, contacts.get(episode_key(item), []))
        for item in items
        if item.resource_type == "EpisodeOfCare"
    ]
    shown = {episode_key(item) for item in all_items if item.resource_type == "EpisodeOfCare"}
    loose = [
        contact_row(item)
        for item in items
        if item.resource_type == "Encounter" and not _belongs(item, shown)
    ]
    if loose:
        rows.append(
            EpisodeRow(
                "Contacts without an episode of care",
                formatting.NOT_KNOWN,
                formatting.NOT_KNOWN,
                formatting.NOT_KNOWN,
                tuple(loose),
                None,
            )
        )
    return rows


def _belongs(item: Item, episodes_held: set[tuple[str, str]]) -> bool:
    return any(
        (item.provenance.ods_code, str((e or {}).get("reference"))) in episodes_held
        for e in listed(item.resource.get("episodeOfCare"))
    )


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    episode_items = tuple(i for i in view.items if i.resource_type == "EpisodeOfCare")
    listed = listing.of_items(
        SectionView(view.section, episode_items + _orphans(view.items), view.coverage), params
    )
    return {
        "episodes": episodes(listed.rows, view.items),
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


def _orphans(items: Sequence[Item]) -> tuple[Item, ...]:
    held = {episode_key(i) for i in items if i.resource_type == "EpisodeOfCare"}
    return tuple(i for i in items if i.resource_type == "Encounter" and not _belongs(i, held))


PAGE = SectionPage("sections/community.jinja", shape)
