"""One organisation's view of one patient: its local ids, references and resource envelope.

Every source has its own local patient id (GP systems use GUIDs, hospitals MRNs, councils
person numbers); resources from a source reference the patient by that local id, exactly as
a real feed would, and carry ``meta.source = urn:ods:<ODS>``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carerecord.synth.codes import ODS_SYSTEM
from carerecord.synth.organisations import SynthOrganisation

_NAMESPACE = uuid.UUID("5b7f3a2e-8f57-4c4e-9c55-2a3c6b1f0d11")
_MRN_PREFIX = {
    "acute": "M",
    "mental-health": "P",
    "community": "C",
    "care-home": "R",
    "ambulance": "A",
    "111": "T",
}


def local_patient_id(org: SynthOrganisation, seed: int, index: int) -> str:
    """Unique within the organisation, stable for the seed, different between sources."""
    if org.type == "gp":
        return str(uuid.uuid5(_NAMESPACE, f"{seed}:{org.ods_code}:{index}"))
    offset = sum(map(ord, org.ods_code)) * 7919 + seed * 101
    number = (index * 3331 + offset) % 10_000_000  # 3331 is coprime with ten: a bijection
    if org.type == "social-care":
        return f"{number:07d}"
    return f"{_MRN_PREFIX[org.type]}{number:07d}"


def identifier_system(org: SynthOrganisation) -> str:
    return f"https://fhir.{org.ods_code.lower()}.nhs.uk/Id/local-patient-identifier"


def org_reference(org: SynthOrganisation) -> dict[str, Any]:
    return {"identifier": {"system": ODS_SYSTEM, "value": org.ods_code}, "display": org.name}


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Source:
    """Builds resources for one patient at one organisation."""

    org: SynthOrganisation
    seed: int
    index: int
    last_day: date
    local_id: str = ""
    resources: list[dict[str, Any]] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.local_id = local_patient_id(self.org, self.seed, self.index)

    @property
    def ods(self) -> str:
        return self.org.ods_code

    def patient(self) -> dict[str, Any]:
        return {"reference": f"Patient/{self.local_id}"}

    def me(self) -> dict[str, Any]:
        return org_reference(self.org)

    def next_id(self, resource_type: str) -> str:
        number = self._counts.get(resource_type, 0) + 1
        self._counts[resource_type] = number
        return f"{self.local_id}-{resource_type[:4].lower()}{number}"

    def add(self, resource_type: str, updated: datetime, **content: Any) -> dict[str, Any]:
        """Append a resource; ``updated`` becomes meta.lastUpdated (never after the last day)."""
        latest = datetime(
            self.last_day.year, self.last_day.month, self.last_day.day, 23, tzinfo=UTC
        )
        stamp = min(updated + timedelta(minutes=17), latest)
        resource: dict[str, Any] = {
            "resourceType": resource_type,
            "id": content.pop("id", None) or self.next_id(resource_type),
            "meta": {"lastUpdated": instant(stamp), "source": f"urn:ods:{self.ods}"},
        }
        resource.update(content)
        self.resources.append(resource)
        return resource

    def ref(self, resource: dict[str, Any]) -> dict[str, Any]:
        return {"reference": f"{resource['resourceType']}/{resource['id']}"}
