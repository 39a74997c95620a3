"""One HL7 v2 message to FHIR resources: picks the mapper for the message type and event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from carerecord.ingest.hl7v2.adt import (
    ENCOUNTER_EVENTS,
    PATIENT_EVENTS,
    build_encounter,
    merge_prior_id,
    needs_visit,
)
from carerecord.ingest.hl7v2.appointments import SCHEDULE_EVENTS, map_appointment
from carerecord.ingest.hl7v2.context import Context, Lookup, Resource
from carerecord.ingest.hl7v2.documents import DOCUMENT_EVENTS, map_document
from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.header import Header, header_of, kind_of
from carerecord.ingest.hl7v2.parse import parse
from carerecord.ingest.hl7v2.patient import build_patient, patient_ids
from carerecord.ingest.hl7v2.results import map_results
from carerecord.ingest.hl7v2.values import fhir_id

ACCEPTED = "ADT, ORU^R01, MDM, SIU"


@dataclass(frozen=True)
class Merge:
    prior_local_id: str  # MRG-1: the id being retired
    surviving_local_id: str  # PID-3: the id that lives on


@dataclass
class Mapped:
    header: Header
    patient: Resource | None
    resources: list[Resource]
    merge: Merge | None = None
    warnings: list[str] = field(default_factory=list)


Mapper = Callable[[Context], list[Resource]]

# Registry: message type -> (accepted events, mapper of the non-Patient resources).
_MAPPERS: dict[str, tuple[set[str] | dict[str, str], Mapper]] = {
    "ADT": (ENCOUNTER_EVENTS | PATIENT_EVENTS, lambda ctx: _adt(ctx)),
    "ORU": ({"R01"}, map_results),
    "MDM": (DOCUMENT_EVENTS, map_document),
    "SIU": (SCHEDULE_EVENTS, map_appointment),
}


def _adt(ctx: Context) -> list[Resource]:
    if needs_visit(ctx.header.trigger, ctx.message.first("PV1")):
        return [build_encounter(ctx)]
    return []


def _mapper(message_type: str, trigger: str) -> Mapper:
    kind = f"{message_type}^{trigger}" if trigger else message_type
    entry = _MAPPERS.get(message_type)
    if entry is None:
        raise HL7Error(
            f"Message type {kind} is not accepted by carerecord; accepted: {ACCEPTED}.",
            code="200",
            location="MSH^1^9",
        )
    events, mapper = entry
    if trigger not in events:
        accepted = ", ".join(sorted(events))
        raise HL7Error(
            f"Event {kind} is not accepted by carerecord; "
            f"accepted {message_type} events: {accepted}.",
            code="201",
            location="MSH^1^9^2",
        )
    return mapper


def _unique(resources: list[Resource]) -> list[Resource]:
    """A repeated id within one message (e.g. OBX-1 reused) gets a positional suffix."""
    seen: set[tuple[str, str]] = set()
    for index, resource in enumerate(resources, start=1):
        key = (resource["resourceType"], resource["id"])
        if key in seen:
            resource["id"] = fhir_id(resource["id"], f"n{index}")
            key = (resource["resourceType"], resource["id"])
        seen.add(key)
    return resources


def map_message(message: str, current: Lookup) -> Mapped:
    """FHIR resources for one message; HL7Error when it cannot or must not be used."""
    parsed = parse(message)
    mapper = _mapper(*kind_of(parsed))  # an unwanted type is refused before anything else
    header = header_of(parsed)
    ctx = Context(parsed, header, current)
    patient = build_patient(parsed, ctx.meta, ctx.ods)
    ctx.patient_id = patient["id"]
    resources = _unique(mapper(ctx))
    merge = None
    if header.message_type == "ADT" and header.trigger == "A40":
        pid = parsed.first("PID")
        assert pid is not None  # build_patient raised otherwise
        merge = Merge(merge_prior_id(ctx), patient_ids(pid).local_id)
    return Mapped(header, patient, resources, merge, ctx.warnings)
