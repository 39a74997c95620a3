"""Confirming a quarantined merge: a person has checked that the two identities a source merged
(an HL7 ADT^A40, or a Patient.link replaced-by) are one person after all, so the merge is
applied as the source asked, and the item is resolved.

The merge is applied first, on its own; an HL7 message is then sent through ingest again exactly
as it arrived (its merge now within one person, so it goes ahead), so the rest of it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from carerecord.errors import UsageError
from carerecord.identity.same_person import Conflict
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.hl7v2 import HL7Error, map_message
from carerecord.ingest.reader import RawItem
from carerecord.ingest.retry import retry
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import IncomingResource, Merge, QuarantinedEntry


@dataclass(frozen=True)
class MergeConfirmed:
    resolved: bool
    moved: int
    detail: str  # what happened, in words


def pending_merge(entry: QuarantinedEntry, rules: IntakeRules) -> Merge:
    """The merge a quarantined item waits on; UsageError when it is not one waiting."""
    if entry.status != "open":
        raise UsageError(f"#{entry.id} is already {entry.status}")
    if entry.reason_code != Conflict.MERGE or entry.source_ods is None:
        raise UsageError(f"#{entry.id} is not a merge waiting for confirmation")
    found = _hl7_merge(entry) if entry.input_format == "hl7v2" else _fhir_merge(entry, rules)
    if found is None:
        raise UsageError(f"#{entry.id} names no merge that can be applied")
    return found


def confirm(
    store: Store, rules: IntakeRules, entry: QuarantinedEntry, merge: Merge, operator: str
) -> MergeConfirmed:
    """Applies the merge and resolves the item (an HL7 message once the rest of it is stored)."""
    moved = store.confirm_merge(merge)
    if moved is None:
        return MergeConfirmed(
            False,
            0,
            f"not merged: {merge.source_ods} Patient/{merge.surviving_local_id} is not held "
            "(it was never sent with a valid NHS number)",
        )
    done = (
        f"merge confirmed by {operator}: {merge.source_ods} Patient/{merge.prior_local_id} "
        f"into Patient/{merge.surviving_local_id}, {moved} item(s) moved"
    )
    if entry.input_format == "hl7v2":
        again = retry(store, rules, entry)
        if not again.resolved:
            return MergeConfirmed(False, moved, f"{done}; the message {again.detail}")
        done = f"{done}; {again.detail}"
    store.resolve_quarantined(entry.id, done)
    return MergeConfirmed(True, moved, done)


def _hl7_merge(entry: QuarantinedEntry) -> Merge | None:
    try:
        mapped = map_message(entry.raw, lambda _kind, _key: None)
    except HL7Error:
        return None
    if mapped.merge is None or entry.source_ods is None:
        return None
    return Merge(entry.source_ods, mapped.merge.prior_local_id, mapped.merge.surviving_local_id)


def _fhir_merge(entry: QuarantinedEntry, rules: IntakeRules) -> Merge | None:
    try:
        resource = orjson.loads(entry.raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(resource, dict):
        return None
    prepared = prepare(RawItem(entry.location, entry.raw, resource), entry.source_ods, rules)
    if not isinstance(prepared, IncomingResource) or prepared.replaced_by is None:
        return None
    return Merge(prepared.source_ods, prepared.source_id, prepared.replaced_by)
