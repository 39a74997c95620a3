"""Which legitimate relationships the record's own data shows between a person and the user's
organisation. Pure: the gate reads the evidence as the system, this decides what it proves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from carerecord.access.vocabulary import RelationshipKind
from carerecord.fhir.extract import listed, referenced_ods_codes
from carerecord.store.account_records import Declaration, RelationshipEvidence

# The most specific evidence first: it is the one named in the grant.
ORDER = (
    RelationshipKind.REGISTERED_GP,
    RelationshipKind.CARE_HOME_RESIDENT,
    RelationshipKind.CARE_TEAM,
    RelationshipKind.OPEN_REFERRAL,
    RelationshipKind.RECENT_ENCOUNTER,
    RelationshipKind.SELF_DECLARED,
)


def derived(
    evidence: RelationshipEvidence, org_ods: str, org_type: str
) -> frozenset[RelationshipKind]:
    org = org_ods.upper()
    found: set[RelationshipKind] = set()
    if org in _codes(evidence.patient_bodies, ("generalPractitioner",)):
        found.add(RelationshipKind.REGISTERED_GP)
    if org_type == "care-home" and org in {s.upper() for s in evidence.linked_sources}:
        found.add(RelationshipKind.CARE_HOME_RESIDENT)
    if evidence.last_contact_at is not None:
        found.add(RelationshipKind.RECENT_ENCOUNTER)
    if org in _codes(evidence.referral_bodies, ("performer",)):
        found.add(RelationshipKind.OPEN_REFERRAL)
    if org in _team_codes(evidence.care_team_bodies):
        found.add(RelationshipKind.CARE_TEAM)
    return frozenset(found)


def practices_named(patient_bodies: Sequence[str]) -> set[str]:
    """ODS codes of the GP practices the person's Patient resources name."""
    return _codes(patient_bodies, ("generalPractitioner",))


def declared(declarations: Sequence[Declaration], now: datetime) -> frozenset[RelationshipKind]:
    live = [d for d in declarations if d.kind == "relationship" and d.expires_at > now]
    return frozenset({RelationshipKind.SELF_DECLARED}) if live else frozenset()


def latest_declared(declarations: Sequence[Declaration], now: datetime) -> Declaration | None:
    """Of the relationships the user declared that are in force, the one that lapses last."""
    live = [d for d in declarations if d.kind == "relationship" and d.expires_at > now]
    return max(live, key=lambda d: d.expires_at, default=None)


def strongest(kinds: Iterable[RelationshipKind]) -> RelationshipKind | None:
    held = set(kinds)
    return next((kind for kind in ORDER if kind in held), None)


def _codes(bodies: Sequence[str], fields: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for body in bodies:
        resource = _parse(body)
        for name in fields:
            found.update(referenced_ods_codes(resource.get(name)))
    return found


def _team_codes(bodies: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for body in bodies:
        team = _parse(body)
        found.update(referenced_ods_codes(team.get("managingOrganization")))
        for participant in listed(team.get("participant")):
            if isinstance(participant, dict):
                found.update(referenced_ods_codes(participant.get("member")))
                found.update(referenced_ods_codes(participant.get("onBehalfOf")))
    return found


def _parse(body: str) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
