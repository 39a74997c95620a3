"""Involved teams and support network: care teams with their members and roles (the care
coordinator called out), practitioners' roles, and the people around the person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.fhir.extract import listed, strings
from carerecord.record.items import Item, concept_text
from carerecord.record.sections import SectionView
from carerecord.web import formatting, listing
from carerecord.web.sections.generic import ProvenanceText, SectionPage, coverage, provenance

COORDINATOR = "care coordinator"


@dataclass(frozen=True)
class Member:
    role: str
    name: str
    coordinator: bool
    contact: str = ""  # a practitioner's work telephone or email, from their role, when given


@dataclass(frozen=True)
class TeamRow:
    name: str
    period: str
    status: str
    members: tuple[Member, ...]
    provenance: ProvenanceText


@dataclass(frozen=True)
class PersonRow:
    name: str
    role: str  # relationship, or the practitioner's role
    contact: str
    provenance: ProvenanceText


References = Mapping[tuple[str, str], Item]  # (source ODS code, "Type/id") -> item


def _member_name(member: Mapping[str, Any], source: str, by_reference: References) -> str:
    display = member.get("display")
    if display:
        return str(display)
    target = by_reference.get((source, str(member.get("reference"))))
    if target is None:
        return formatting.NOT_KNOWN
    if target.resource_type == "PractitionerRole":
        return _practitioner_name(target, by_reference)
    return _human_name(target.resource)


def _practitioner_name(role: Item, by_reference: References) -> str:
    """The name on a PractitionerRole: its practitioner's display, else the Practitioner it
    refers to (both from the same source)."""
    practitioner = role.resource.get("practitioner") or {}
    if not isinstance(practitioner, dict):
        return formatting.NOT_KNOWN
    if practitioner.get("display"):
        return str(practitioner["display"])
    target = by_reference.get((role.provenance.ods_code, str(practitioner.get("reference"))))
    return _human_name(target.resource) if target is not None else formatting.NOT_KNOWN


def _member_contact(member: Mapping[str, Any], source: str, by_reference: References) -> str:
    target = by_reference.get((source, str(member.get("reference"))))
    if target is None or target.resource_type not in ("PractitionerRole", "Practitioner"):
        return ""
    found = _contact(target.resource)
    return "" if found == formatting.NOT_KNOWN else found


def _human_name(resource: Mapping[str, Any]) -> str:
    for name in listed(resource.get("name")):
        if isinstance(name, dict):
            given = " ".join(strings(name.get("given")))
            text = name.get("text") or f"{given} {name.get('family') or ''}".strip()
            if text:
                return str(text)
    return formatting.NOT_KNOWN


def _contact(resource: Mapping[str, Any]) -> str:
    values = [t.get("value") for t in listed(resource.get("telecom")) if isinstance(t, dict)]
    return ", ".join(str(v) for v in values if v) or formatting.NOT_KNOWN


def members(item: Item, by_reference: References) -> tuple[Member, ...]:
    found = []
    for participant in listed(item.resource.get("participant")):
        role = concept_text({"code": participant.get("role")}) or formatting.NOT_KNOWN
        member = participant.get("member") or {}
        name = _member_name(member, item.provenance.ods_code, by_reference)
        contact = _member_contact(member, item.provenance.ods_code, by_reference)
        found.append(Member(role, name, role.lower() == COORDINATOR, contact))
    return tuple(sorted(found, key=lambda m: not m.coordinator))


def references(items: Sequence[Item]) -> dict[tuple[str, str], Item]:
    """How a source refers to its items (`Type/id`), to the items: references stay within
    the source that made them."""
    return {
        (i.provenance.ods_code, f"{i.resource_type}/{i.resource.get('id')}"): i
        for i in items
        if i.resource.get("id")
    }


def team_row(item: Item, by_reference: References) -> TeamRow:
    return TeamRow(
        name=str(item.resource.get("name") or item.text or formatting.NOT_KNOWN),
        period=formatting.fhir_period(item.resource.get("period")),
        status=(item.status or "").capitalize() or formatting.NOT_KNOWN,
        members=members(item, by_reference),
        provenance=provenance(item),
    )


def person_row(item: Item, by_reference: References | None = None) -> PersonRow:
    resource = item.resource
    if item.resource_type == "PractitionerRole":
        name = _practitioner_name(item, by_reference or {})
    else:
        name = _human_name(resource)
    return PersonRow(name, item.text or formatting.NOT_KNOWN, _contact(resource), provenance(item))


def shape(view: SectionView, now: datetime, params: Mapping[str, str]) -> Mapping[str, Any]:
    listed = listing.of_items(view, params)
    by_reference = references((*view.items, *view.cited))
    rows = listed.rows
    # The practitioners' roles are directory entries the teams cite (SectionView.cited).
    roles = [i for i in (*rows, *view.cited) if i.resource_type == "PractitionerRole"]
    return {
        "teams": [team_row(i, by_reference) for i in rows if i.resource_type == "CareTeam"],
        "people": [person_row(i) for i in rows if i.resource_type == "RelatedPerson"],
        "roles": [person_row(i, by_reference) for i in roles],
        "listing": listed.form,
        "coverage": coverage(view, now),
    }


PAGE = SectionPage("sections/care_team.jinja", shape)
