"""One clinical item as the record shows it: the resource, and where and when it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import orjson

from carerecord.fhir.extract import listed
from carerecord.organisations import Organisation
from carerecord.store.records import StoredResource

# Later than now by more than clocks drift apart: a source's error (a dispensing dated tomorrow,
# a clock set wrong), flagged wherever it is shown and never taken as fresh.
CLOCK_SKEW = timedelta(minutes=5)


def later_than(moment: datetime | None, now: datetime | None) -> bool:
    """Whether `moment` is later than `now` (allowing for clocks a little apart)."""
    return moment is not None and now is not None and moment > now + CLOCK_SKEW


# Items that are about the future by nature: an appointment, a planned encounter or procedure,
# a proposed plan. Their own date may be ahead; their source's last update may not.
_SCHEDULED_TYPES = frozenset({"Appointment"})
_SCHEDULED_STATUSES = frozenset({"planned", "proposed", "booked", "pending", "draft"})


def future_dated(row: StoredResource, now: datetime | None) -> bool:
    """A date later than now on something that says it has happened, or a last update later
    than now on anything: a source's error."""
    if later_than(row.last_updated_at_source, now):
        return True
    scheduled = row.resource_type in _SCHEDULED_TYPES or row.status in _SCHEDULED_STATUSES
    return not scheduled and later_than(row.clinical_date, now)


@dataclass(frozen=True)
class Provenance:
    """Shown as visible text on every clinical row."""

    ods_code: str
    name: str
    org_type: str
    recorded_at: datetime | None  # the clinical date the source gave the item
    last_updated_at_source: datetime | None
    received_at: datetime  # when carerecord received this version
    # The user's last view of the record before this session, when this version arrived
    # after it: the item is new to them. None when it is not (or nobody is counting).
    new_since: datetime | None = None
    # The item's own date or its source's last update is later than the page's now.
    future_dated: bool = False


@dataclass(frozen=True)
class Item:
    id: int  # carerecord's id for the item: opaque, safe in URLs
    resource_type: str
    section: str
    clinical_date: datetime | None
    status: str | None
    code_system: str | None
    code: str | None
    provenance: Provenance
    body: str = ""  # the FHIR JSON as stored
    parsed: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def resource(self) -> dict[str, Any]:
        """The FHIR resource, parsed on first use: a page often needs only the indexed facts
        of most items (their date, code, status), and a document's body can be large."""
        if self.parsed is not None:
            return self.parsed
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed

    @property
    def new(self) -> bool:
        """Received since the user last viewed the record (before this session)."""
        return self.provenance.new_since is not None

    @property
    def text(self) -> str | None:
        """What the item is, in the source's words."""
        return concept_text(self.resource)


def item_from(
    row: StoredResource,
    registry: dict[str, Organisation],
    seen_at: datetime | None = None,
    now: datetime | None = None,
) -> Item:
    """`seen_at`: when the user last viewed the record before this session, if they have;
    `now`: the page's time, against which dates later than it are flagged."""
    org = registry.get(row.source_ods)
    return Item(
        id=row.id,
        resource_type=row.resource_type,
        section=row.section,
        clinical_date=row.clinical_date,
        status=row.status,
        code_system=row.code_system,
        code=row.code,
        body=row.body,
        provenance=Provenance(
            ods_code=row.source_ods,
            name=org.name if org else row.source_ods,
            org_type=org.org_type if org else "unknown",
            recorded_at=row.clinical_date,
            last_updated_at_source=row.last_updated_at_source,
            received_at=row.received_at,
            new_since=seen_at if seen_at is not None and row.received_at > seen_at else None,
            future_dated=future_dated(row, now),
        ),
    )


# The field that names what each type of resource is about, in order of preference.
_NAMING_FIELDS = (
    "code",
    "medicationCodeableConcept",
    "vaccineCode",
    "type",
    "serviceType",
    "category",
    "description",
    "relationship",
    "title",
    "name",
)


def concept_text(resource: dict[str, Any]) -> str | None:
    for field_name in _NAMING_FIELDS:
        value = resource.get(field_name)
        if isinstance(value, list):
            value = value[0] if value else None
        text = _text_of(value)
        if text:
            return text
    return None


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("text"), str) and value["text"]:
        return str(value["text"])
    for coding in listed(value.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return str(coding["display"])
    if isinstance(value.get("display"), str):
        return str(value["display"])
    return None
