"""Audit log entries as the privacy officer reads them: plain words for every field, times
in UK local time. Pure functions over stored entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carerecord.audit.entry import StoredEntry
from carerecord.audit.fhir_event import own_detail
from carerecord.fhir.extract import listed
from carerecord.web.formatting import day_time

OUTCOMES = {
    "success": "Succeeded",
    "failure": "Failed",
    "refused": "Refused",
    "error": "Error",
}


def context(entry: StoredEntry) -> Mapping[str, Any]:
    """The entry's recorded context (format 2); a format 1 entry has none beyond its columns."""
    return entry.detail if entry.format > 1 else {}


def row(entry: StoredEntry) -> dict[str, Any]:
    """One line of a results table."""
    body = context(entry)
    user = body.get("user") if isinstance(body.get("user"), Mapping) else {}
    shown = body.get("shown") if isinstance(body.get("shown"), Mapping) else {}
    assert isinstance(user, Mapping) and isinstance(shown, Mapping)
    return {
        "id": entry.id,
        "when": day_time(entry.occurred_at),
        "who": entry.actor,
        "name": str(user.get("name") or ""),
        "role": entry.role or str(user.get("role") or ""),
        "organisation": entry.organisation or str(user.get("organisation") or ""),
        "action": entry.action,
        "outcome": OUTCOMES.get(entry.outcome, entry.outcome),
        "patient_id": entry.patient_id or "",
        "page": str(shown.get("page") or ""),
        "sections": ", ".join(str(s) for s in listed(shown.get("sections"))),
        "basis": basis(body),
    }


def basis(body: Mapping[str, Any]) -> str:
    """The relationship or override the access rested on, in words."""
    if body.get("override"):
        return f"Override: {body['override']}"
    if body.get("relationship"):
        return f"Relationship: {body['relationship']}"
    return ""


def full(entry: StoredEntry) -> dict[str, Any]:
    """Everything the entry holds, for its own page."""
    body = context(entry)
    user = body.get("user") if isinstance(body.get("user"), Mapping) else {}
    client = body.get("client") if isinstance(body.get("client"), Mapping) else {}
    shown = body.get("shown") if isinstance(body.get("shown"), Mapping) else None
    withheld = body.get("withheld") if isinstance(body.get("withheld"), Mapping) else {}
    assert isinstance(user, Mapping) and isinstance(client, Mapping)
    assert isinstance(withheld, Mapping)
    return {
        **row(entry),
        "format": entry.format,
        "user_id": str(entry.user_id if entry.user_id is not None else user.get("id") or ""),
        "org_type": str(user.get("org_type") or ""),
        "region": str(user.get("region") or ""),
        "assurance": str(user.get("assurance") or ""),
        "address": str(client.get("address") or ""),
        "user_agent": str(client.get("user_agent") or ""),
        "purpose": str(body.get("purpose") or ""),
        "relationship": str(body.get("relationship") or ""),
        "override": str(body.get("override") or ""),
        "request_id": entry.request_id or "",
        "hash": entry.hash,
        "prev_hash": entry.prev_hash,
        "shown": _shown(shown) if shown is not None else None,
        "withheld": sorted((str(k), str(v)) for k, v in withheld.items()),
        "detail": sorted((str(k), _text(v)) for k, v in own_detail(entry).items()),
        "is_view": entry.shows_a_record,
    }


def _shown(shown: Mapping[str, Any]) -> dict[str, Any]:
    versions = shown.get("versions") or []
    params = shown.get("params") or {}
    return {
        "page": str(shown.get("page") or ""),
        "sections": [str(s) for s in listed(shown.get("sections"))],
        "versions": [{"resource_id": r, "version": v, "section": s} for r, v, s in versions],
        "params": sorted((str(k), str(v)) for k, v in params.items()),
        "new_since": str(shown.get("new_since") or ""),
    }


def _text(value: object) -> str:
    if value is None:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)
