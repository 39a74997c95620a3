"""Working the quarantine: after its cause is fixed (a source registered, a patient linked, a
sharing setting changed), an item is sent through ingest again exactly as it first arrived."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from carerecord import nhs_number
from carerecord.fhir.extract import identifier_value
from carerecord.fhir.references import patient_reference
from carerecord.ingest import believable, hl7_intake
from carerecord.ingest.hl7v2 import HL7Error, map_message, parse_header
from carerecord.ingest.intake import Delivery, admit, check, take
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.ingest.senders import REUSED, UNAUTHENTICATED
from carerecord.store import Store
from carerecord.store.records import QuarantinedEntry
from carerecord.store.units import WriteUnit


@dataclass(frozen=True)
class RetryOutcome:
    resolved: bool
    detail: str  # what happened, in words


def retry(store: Store, rules: IntakeRules, entry: QuarantinedEntry) -> RetryOutcome:
    if entry.status != "open":
        return RetryOutcome(False, f"#{entry.id} is already {entry.status}")
    if entry.input_format == "hl7v2":
        outcome = _retry_message(store, rules, entry)
    else:
        outcome = _retry_resource(store, rules, entry)
    if outcome.resolved:
        store.resolve_quarantined(entry.id, outcome.detail)
    return outcome


def patient_local_id(entry: QuarantinedEntry) -> str | None:
    """The source's own id for the person a quarantined item is about, when it names one."""
    if entry.input_format == "hl7v2":
        try:
            mapped = map_message(entry.raw, lambda _kind, _key: None)
        except HL7Error:
            return None
        return str(mapped.patient["id"]) if mapped.patient else None
    resource = _json(entry.raw)
    if resource is None:
        return None
    if resource.get("resourceType") == "Patient":
        value = resource.get("id")
        return value if isinstance(value, str) else None
    reference = patient_reference(resource)
    return reference.local_id if reference else None


def patient_id_of(store: Store, entry: QuarantinedEntry) -> str | None:
    """The person held in the record whom a quarantined item is about, when that is known:
    through the source's link for the local id it names, or a Patient's own NHS number."""
    local_id = patient_local_id(entry)
    if entry.source_ods and local_id:
        linked = store.patient_id_for_local_id(entry.source_ods, local_id)
        if linked:
            return linked
    resource = _json(entry.raw) if entry.input_format != "hl7v2" else None
    if resource is None or resource.get("resourceType") != "Patient":
        return None
    number = nhs_number.normalise(identifier_value(resource, nhs_number.SYSTEM) or "")
    return store.patient_id_for_nhs_number(number) if nhs_number.is_valid(number) else None


def _retry_resource(store: Store, rules: IntakeRules, entry: QuarantinedEntry) -> RetryOutcome:
    resource = _json(entry.raw)
    item = RawItem(entry.location, entry.raw, resource, None if resource else "not JSON")
    checked = check([item], entry.source_ods, rules)
    # Kept by no one when refused again: the entry is in the quarantine already.
    admitted = take(store, Delivery(checked, whole=True))
    if not admitted.stored:
        return RetryOutcome(False, f"still not storable: {admitted.refused[0].reason}")
    if checked.excluded:
        category = checked.excluded[0].category
        return RetryOutcome(True, f"retried: excluded as legally restricted ({category})")
    return RetryOutcome(True, "retried: stored")


# Not to be applied from the quarantine: an excerpt from a peer that proved nothing, and a
# message whose control id another message holds (the sender must send it with a new one).
_NOT_RETRIED = {
    UNAUTHENTICATED: "only an excerpt is kept; the sender must send it from a registered peer",
    REUSED: "its control id (MSH-10) belongs to another message; the sender must use a new one",
}


def _retry_message(store: Store, rules: IntakeRules, entry: QuarantinedEntry) -> RetryOutcome:
    if entry.reason_code in _NOT_RETRIED:
        return RetryOutcome(False, f"not retried: {_NOT_RETRIED[entry.reason_code]}")
    try:
        header = parse_header(entry.raw)
    except HL7Error as error:
        return RetryOutcome(False, f"still not usable: {error.text}")
    if hl7_intake.sender_of(header) not in rules.organisations:
        return RetryOutcome(
            False, f"still not usable: {header.sending_facility} is not a registered source"
        )
    problem = believable.header_problem(header, rules)
    if problem is not None:
        return RetryOutcome(False, f"still not usable: {problem[1].text}")

    def again(unit: WriteUnit) -> hl7_intake.MessageResult:
        prepared = hl7_intake.prepare_message(
            unit.current, rules, entry.raw, header, entry.location
        )
        if isinstance(prepared, hl7_intake.MessageResult):
            return prepared
        return hl7_intake.result(prepared, admit(unit, prepared.delivery(kept=False)))

    result = store.apply(again)
    if result.problem:
        return RetryOutcome(False, f"still not storable: {result.problem}")
    return RetryOutcome(True, f"retried: message applied ({result.code})")


def _json(raw: str) -> dict[str, object] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
