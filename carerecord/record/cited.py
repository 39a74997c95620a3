"""Directory entries a person's record cites: the practitioner behind a care coordinator's role,
the role behind a care team's member. They are about no patient, so they are read apart from
the patient's own items, only to resolve names, roles and work contacts; never counted as the
person's items. Pure: rows in, keys out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from carerecord.fhir.extract import listed
from carerecord.store.records import StoredResource

CITED_TYPES = ("PractitionerRole", "Practitioner")
Key = tuple[str, str, str]  # (source ODS code, resource type, the source's id)


def cited_keys(rows: Iterable[StoredResource]) -> set[Key]:
    """The practitioners and roles that care teams, and roles themselves, refer to."""
    found: set[Key] = set()
    for row in rows:
        if row.resource_type not in ("CareTeam", "PractitionerRole"):
            continue
        try:
            resource = orjson.loads(row.body)
        except orjson.JSONDecodeError:
            continue
        for reference in _references(resource):
            kind, _, local = reference.partition("/")
            if kind in CITED_TYPES and local and "/" not in local:
                found.add((row.source_ods, kind, local))
    return found


def _references(resource: Any) -> Iterator[str]:
    if not isinstance(resource, dict):
        return
    if resource.get("resourceType") == "PractitionerRole":
        practitioner = resource.get("practitioner")
        if isinstance(practitioner, dict) and isinstance(practitioner.get("reference"), str):
            yield practitioner["reference"]
        return
    for participant in listed(resource.get("participant")):
        member = participant.get("member") if isinstance(participant, dict) else None
        if isinstance(member, dict) and isinstance(member.get("reference"), str):
            yield member["reference"]
