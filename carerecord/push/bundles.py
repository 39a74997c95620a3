"""What a source pushes: a transaction or batch Bundle, one resource (PUT) or a delete, turned
into one submission to the store and answered entry by entry.

Everything is attributed to the authenticated source, whatever a resource's meta.source says.
A transaction is all or nothing: if any entry cannot be stored, none is, and the bundle is kept
in quarantine whole. A batch stores what it can; each entry it cannot is quarantined.
Legally restricted entries are not errors: they are refused, and the entry says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from carerecord.fhir.outcomes import outcome, outcome_of
from carerecord.fhir.references import is_fhir_id
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.reader import RawItem, bundle_items
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import (
    Deletion,
    ExcludedItem,
    IncomingResource,
    QuarantineItem,
    Submission,
    WriteCounts,
)
from carerecord.store.writes import SubmissionRefused

_STATUS = {
    "created": "201 Created",
    "updated": "200 OK",
    "unchanged": "200 OK",
    "older": "200 OK",
}


class PushError(Exception):
    """The request as a whole cannot be used: answered with this status and outcome."""

    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


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
        raise PushError(400, "invalid", "POST /fhir takes a Bundle of type transaction or batch")
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise PushError(400, "invalid", f"Bundle.type must be transaction or batch, not {kind!r}")
    entries = _entries(bundle, source, rules)
    if kind == "transaction":
        return _transaction(store, source, entries, raw)
    return _batch(store, entries)


def process_put(
    store: Store, rules: IntakeRules, source: str, resource_type: str, resource_id: str, body: Any
) -> tuple[int, dict[str, Any]]:
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise PushError(400, "invalid", f"the body must be a {resource_type} resource")
    if body.get("id", resource_id) != resource_id:
        raise PushError(
            400, "invalid", f"the resource's id {body.get('id')!r} differs from the URL's"
        )
    resource = {**body, "id": resource_id}
    item = RawItem(f"PUT {resource_type}/{resource_id}", orjson.dumps(resource).decode(), resource)
    prepared = prepare(item, source, rules)
    if isinstance(prepared, QuarantineItem):
        store.quarantine([prepared])
        return 422, outcome("processing", prepared.reason)
    if isinstance(prepared, ExcludedItem):
        store.write(Submission(excluded=[prepared]))
        return 200, outcome("suppressed", _excluded_text(prepared.category), "warning")
    try:
        counts = store.apply(lambda unit: unit.write(Submission([prepared]), all_or_nothing=True))
    except SubmissionRefused as refused:
        store.quarantine(refused.rejected)
        return 422, outcome("processing", refused.rejected[0].reason)
    done = counts.outcomes.get(prepared.key, "unchanged")
    return (201 if done == "created" else 200), resource


def process_delete(store: Store, source: str, resource_type: str, resource_id: str) -> int:
    """Hides the resource (kept in history). Deleting what is not there is not an error."""
    if _type_and_id(f"{resource_type}/{resource_id}") is None:
        raise PushError(400, "invalid", f"{resource_id!r} is not a valid FHIR id")
    store.write(Submission(deletions=[Deletion(source, resource_type, resource_id)]))
    return 204


def _entries(bundle: dict[str, Any], source: str, rules: IntakeRules) -> list[_Entry]:
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        raise PushError(400, "invalid", "Bundle.entry must be a list")
    items = bundle_items(_with_request_ids(bundle), f"push from {source}")
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
        prepared = prepare(item, source, rules)
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


def _submission(entries: list[_Entry]) -> Submission:
    return Submission(
        resources=[e.prepared for e in entries if isinstance(e.prepared, IncomingResource)],
        rejected=[e.prepared for e in entries if isinstance(e.prepared, QuarantineItem)],
        excluded=[e.prepared for e in entries if isinstance(e.prepared, ExcludedItem)],
        deletions=[e.prepared for e in entries if isinstance(e.prepared, Deletion)],
    )


def _transaction(
    store: Store, source: str, entries: list[_Entry], raw: str
) -> tuple[int, dict[str, Any]]:
    problems = [e for e in entries if e.problem]
    counts: WriteCounts | None = None
    if not problems:
        submission = _submission(entries)
        try:
            counts = store.apply(lambda unit: unit.write(submission, all_or_nothing=True))
        except SubmissionRefused as refused:
            reasons = {(r.resource_type, r.source_id): r.reason for r in refused.rejected}
            for entry in entries:
                if entry.key and (entry.key[1], entry.key[2]) in reasons:
                    entry.problem = reasons[(entry.key[1], entry.key[2])]
            problems = [e for e in entries if e.problem] or entries[:1]
    if counts is None:
        reason = "; ".join(f"entry[{e.index}]: {e.problem}" for e in problems)
        store.quarantine(
            [
                QuarantineItem(
                    input_format="fhir-bundle",
                    location=f"POST /fhir transaction from {source}",
                    reason_code="transaction-refused",
                    reason=reason,
                    raw=raw,
                    source_ods=source,
                    resource_type="Bundle",
                )
            ]
        )
        issues = [
            ("error", "processing", f"entry[{e.index}]: {e.problem or 'not stored'}")
            for e in problems
        ]
        return 400, outcome_of(issues)
    return 200, _response_bundle("transaction-response", entries, counts)


def _batch(store: Store, entries: list[_Entry]) -> tuple[int, dict[str, Any]]:
    counts = store.write(_submission(entries))
    # Entries with no usable request were never quarantined by the store: keep them too.
    loose = [e for e in entries if e.problem and e.prepared is None]
    if loose:
        store.quarantine([_loose(e) for e in loose])
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
