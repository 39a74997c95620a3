"""What a source pushes: a transaction or batch Bundle, one resource (PUT) or a delete, turned
into one submission to the store and answered entry by entry.

Everything is attributed to the authenticated source, whatever a resource's meta.source says.
A transaction is all or nothing: if any entry cannot be stored, none is, and the bundle is kept
in quarantine whole. A batch stores what it can; each entry it cannot is quarantined.
Legally restricted entries are not errors: they are refused, and the entry says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from carerecord.errors import InvalidSubmission
from carerecord.fhir.outcomes import outcome, outcome_of
from carerecord.fhir.references import is_fhir_id
from carerecord.ingest.intake import Checked, Delivery, check, check_one, take
from carerecord.ingest.limits import LIMIT_CODES, judged, shape_of
from carerecord.ingest.reader import RawItem, bundle_items
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import (
    Deletion,
    ExcludedItem,
    IncomingResource,
    QuarantineItem,
    WriteCounts,
)

_STATUS = {
    "created": "201 Created",
    "updated": "200 OK",
    "unchanged": "200 OK",
    "older": "200 OK",
}


@dataclass
class _Entry:
    """One bundle entry on its way through: what became of it decides its response."""

    index: int
    method: str
    key: tuple[str, str, str] | None = None
    prepared: IncomingResource | QuarantineItem | ExcludedItem | Deletion | None = None
    problem: str | None = None
    raw: Any = None  # the entry as sent, kept if it must be quarantined


def process_bundle(
    store: Store, rules: IntakeRules, source: str, bundle: Any, raw: str
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, response Bundle or OperationOutcome) for a pushed transaction or batch."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidSubmission(
            400, "invalid", "POST /fhir takes a Bundle of type transaction or batch"
        )
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise InvalidSubmission(
            400, "invalid", f"Bundle.type must be transaction or batch, not {kind!r}"
        )
    entries = _entries(bundle, source, rules)
    if kind == "transaction":
        return _transaction(store, source, entries, bundle, raw)
    return _batch(store, entries)


def process_put(
    store: Store, rules: IntakeRules, source: str, resource_type: str, resource_id: str, body: Any
) -> tuple[int, dict[str, Any]]:
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise InvalidSubmission(400, "invalid", f"the body must be a {resource_type} resource")
    if body.get("id", resource_id) != resource_id:
        raise InvalidSubmission(
            400, "invalid", f"the resource's id {body.get('id')!r} differs from the URL's"
        )
    resource = {**body, "id": resource_id}
    shape = shape_of(resource)
    breach = judged(shape, rules.limits)  # before serialising: orjson stops at 255
    raw = "" if breach else orjson.dumps(resource).decode()
    where = f"PUT {resource_type}/{resource_id}"
    item = RawItem(where, raw, resource, breach=breach, shape=shape, compact=not breach)
    checked = check([item], source, rules)
    # Refused, the resource is kept in the quarantine as sent, with why.
    admitted = take(store, Delivery(checked, whole=True, kept_as=list))
    if not admitted.stored:
        return 422, outcome("processing", admitted.refused[0].reason)
    if checked.excluded:
        return 200, outcome("suppressed", _excluded_text(checked.excluded[0].category), "warning")
    done = admitted.counts.outcomes.get(checked.resources[0].key, "unchanged")
    return (201 if done == "created" else 200), resource


def process_delete(store: Store, source: str, resource_type: str, resource_id: str) -> int:
    """Hides the resource (kept in history). Deleting what is not there is not an error."""
    if _type_and_id(f"{resource_type}/{resource_id}") is None:
        raise InvalidSubmission(400, "invalid", f"{resource_id!r} is not a valid FHIR id")
    take(store, Delivery(Checked(), deletions=[Deletion(source, resource_type, resource_id)]))
    return 204


def _entries(bundle: dict[str, Any], source: str, rules: IntakeRules) -> list[_Entry]:
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        raise InvalidSubmission(400, "invalid", "Bundle.entry must be a list")
    items = bundle_items(_with_request_ids(bundle), f"push from {source}", limits=rules.limits)
    found: list[_Entry] = []
    for index, (raw_entry, item) in enumerate(zip(raw_entries, items, strict=True)):
        request = raw_entry.get("request") if isinstance(raw_entry, dict) else None
        request = request if isinstance(request, dict) else {}
        method = str(request.get("method") or "").upper()
        url = str(request.get("url") or "")
        entry = _Entry(index, method, raw=raw_entry)
        found.append(entry)
        if not isinstance(raw_entry, dict):
            entry.problem = "entry is not a JSON object"
            continue
        if method == "DELETE":
            target = _type_and_id(url)
            if target is None:
                entry.problem = f"DELETE needs request.url Type/id, not {url!r}"
                continue
            entry.prepared = Deletion(source, *target)
            entry.key = (source, *target)
            continue
        if method not in ("POST", "PUT"):
            entry.problem = f"request.method must be POST, PUT or DELETE, not {method or 'none'}"
            continue
        prepared = check_one(item, source, rules)
        entry.prepared = prepared
        if isinstance(prepared, QuarantineItem):
            entry.problem = prepared.reason
        else:
            entry.key = prepared.key
    _refuse_repeats(found)
    return found


def _refuse_repeats(entries: list[_Entry]) -> None:
    """Two entries about one resource cannot both be applied (FHIR forbids it in a
    transaction): every entry after the first is refused, and kept out of the submission."""
    first: dict[tuple[str, str, str], int] = {}
    for entry in entries:
        if entry.key is None:
            continue
        earlier = first.setdefault(entry.key, entry.index)
        if earlier != entry.index:
            _, resource_type, resource_id = entry.key
            entry.problem = (
                f"{resource_type}/{resource_id} is already in entry[{earlier}]: "
                "a bundle may hold one entry per resource"
            )
            entry.key, entry.prepared = None, None


def _with_request_ids(bundle: dict[str, Any]) -> dict[str, Any]:
    """A PUT entry's URL names the resource's id when the resource itself does not."""
    entries: list[dict[str, Any]] = []
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict):
            entries.append({})
            continue
        resource, request = entry.get("resource"), entry.get("request") or {}
        target = _type_and_id(str(request.get("url") or "")) if isinstance(request, dict) else None
        if isinstance(resource, dict) and "id" not in resource and target is not None:
            entry = {**entry, "resource": {**resource, "id": target[1]}}
        entries.append(entry)
    return {**bundle, "entry": entries}


def _type_and_id(url: str) -> tuple[str, str] | None:
    parts = url.split("?", 1)[0].strip("/").split("/")
    if len(parts) != 2 or not parts[0][:1].isupper():
        return None
    if not is_fhir_id(parts[1]):
        return None
    return parts[0], parts[1]


def _delivery(entries: list[_Entry]) -> Delivery:
    """The bundle's entries for the one write path; entries with no usable request (never
    checked as resources) are refused as they stand."""
    checked = Checked()
    deletions: list[Deletion] = []
    for entry in entries:
        prepared = entry.prepared
        if isinstance(prepared, Deletion):
            deletions.append(prepared)
        elif prepared is not None:
            checked.add(prepared)
        elif entry.problem:
            checked.refused.append(_loose(entry))
    return Delivery(checked, deletions=deletions)


def _transaction(
    store: Store, source: str, entries: list[_Entry], bundle: dict[str, Any], raw: str
) -> tuple[int, dict[str, Any]]:
    delivery = _delivery(entries)
    delivery.whole = True

    def kept_as(why: Sequence[QuarantineItem]) -> list[QuarantineItem]:
        problems = _mark(entries, why)
        return [
            QuarantineItem(
                input_format="fhir-bundle",
                location=f"POST /fhir transaction from {source}",
                reason_code="transaction-refused",
                reason="; ".join(f"entry[{e.index}]: {e.problem}" for e in problems),
                raw=_without_excluded(bundle, entries, raw),
                source_ods=source,
                resource_type="Bundle",
            )
        ]

    delivery.kept_as = kept_as
    admitted = take(store, delivery)
    if not admitted.stored:
        issues = [
            ("error", "processing", f"entry[{e.index}]: {e.problem or 'not stored'}")
            for e in _mark(entries, admitted.refused)
        ]
        return 400, outcome_of(issues)
    return 200, _response_bundle("transaction-response", entries, admitted.counts)


def _mark(entries: list[_Entry], why: Sequence[QuarantineItem]) -> list[_Entry]:
    """The entries a refusal names, each with its problem (the first entry when it names none
    of them, so the answer always says something)."""
    reasons = {(r.resource_type, r.source_id): r.reason for r in why}
    for entry in entries:
        if entry.key and entry.problem is None and (entry.key[1], entry.key[2]) in reasons:
            entry.problem = reasons[(entry.key[1], entry.key[2])]
    return [e for e in entries if e.problem] or entries[:1]


def _without_excluded(bundle: dict[str, Any], entries: list[_Entry], raw: str) -> str:
    """The bundle as it will be kept: legally restricted entries are removed first, and an
    entry over a limit keeps its request but not its resource."""
    excluded = {e.index for e in entries if isinstance(e.prepared, ExcludedItem)}
    too_big = {
        e.index
        for e in entries
        if isinstance(e.prepared, QuarantineItem) and e.prepared.reason_code in LIMIT_CODES
    }
    if not excluded and not too_big:
        return raw
    kept = [
        {k: v for k, v in e.items() if k != "resource"}
        if i in too_big and isinstance(e, dict)
        else e
        for i, e in enumerate(bundle.get("entry") or [])
        if i not in excluded
    ]
    return orjson.dumps({**bundle, "entry": kept}).decode()


def _batch(store: Store, entries: list[_Entry]) -> tuple[int, dict[str, Any]]:
    counts = take(store, _delivery(entries)).counts
    refused = {(r.source_ods, r.resource_type, r.source_id): r.reason for r in counts.rejections}
    for entry in entries:
        if entry.key in refused and entry.problem is None:
            entry.problem = refused[entry.key]
    return 200, _response_bundle("batch-response", entries, counts)


def _loose(entry: _Entry) -> QuarantineItem:
    return QuarantineItem(
        input_format="fhir",
        location=f"POST /fhir batch entry[{entry.index}]",
        reason_code="malformed",
        reason=entry.problem or "unusable entry",
        raw=orjson.dumps(entry.raw).decode(),
    )


def _response_bundle(kind: str, entries: list[_Entry], counts: WriteCounts) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"response": _entry_response(e, counts)} for e in entries],
    }


def _entry_response(entry: _Entry, counts: WriteCounts) -> dict[str, Any]:
    if entry.problem is not None:
        return {
            "status": "422 Unprocessable Entity",
            "outcome": outcome("processing", entry.problem),
        }
    prepared = entry.prepared
    if isinstance(prepared, ExcludedItem) or (
        entry.key is not None and entry.key not in counts.outcomes and entry.method != "DELETE"
    ):
        category = prepared.category if isinstance(prepared, ExcludedItem) else "linked item"
        return {
            "status": "200 OK",
            "outcome": outcome("suppressed", _excluded_text(category), "warning"),
        }
    if isinstance(prepared, Deletion):
        return {"status": "204 No Content"}
    assert entry.key is not None
    _, resource_type, resource_id = entry.key
    return {
        "status": _STATUS[counts.outcomes[entry.key]],
        "location": f"{resource_type}/{resource_id}",
    }


def _excluded_text(category: str) -> str:
    return (
        f"not stored: legally restricted data ({category}) is kept out of the shared record "
        "by law; do not re-send"
    )
