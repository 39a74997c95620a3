"""Readers of the log for the AuditEvent tests: a log with known entries, a system holding
the read scope (or not), and the token it trades its assertion for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from carerecord.audit.entry import AuditRecord
from carerecord.push.auth import ASSERTION_TYPE
from carerecord.scopes import Scope
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from tests.push.helpers import SourceSystem, client_assertion, register_source
from tests.support.audit_entries import append, viewed
from tests.support.audit_log import entries

DAY = datetime(2026, 9, 20, 10, 0, tzinfo=UTC)


def logged(store: Store, jane: str, other: str) -> dict[str, int]:
    """Jane viewed by the GP twice and the ward once (in an emergency), another person once,
    a sign-in, and a failed sign-in: ids by name."""
    at = {
        "gp-1": (viewed(jane), DAY),
        "gp-2": (viewed(jane, page="results"), DAY + timedelta(days=2)),
        "ward": (
            viewed(jane, "ward-nurse", "RAL01", override="emergency", relationship=None),
            DAY + timedelta(days=3),
        ),
        "other": (viewed(other, withheld={"objection": 2}), DAY + timedelta(days=4)),
        "sign-in": (
            AuditRecord("gp-clinician", "sign-in", "success", {}),
            DAY - timedelta(hours=1),
        ),
        "refused": (
            AuditRecord("ward-nurse", "sign-in", "failure", {"reason": "wrong code"}),
            DAY + timedelta(days=5),
        ),
    }
    ids = {}
    for name, (record, moment) in sorted(at.items(), key=lambda item: item[1][1]):
        append(store, record, moment)
        ids[name] = int(entries(store)[-1]["id"])
    return ids


def audit_system(store: Store, scopes: tuple[str, ...] = (Scope.AUDIT_READ,)) -> SourceSystem:
    """A registered system (the ICS's security monitoring, say) holding only `scopes`."""
    system = register_source(store, "Y90001")
    registry = ClientRegistry(store)
    registry.revoke(system.client_id, ["system/*.write", "system/*.cud"], "operator:tests")
    registry.grant(system.client_id, scopes, "operator:tests")
    return system


def token_response(http: TestClient, system: SourceSystem, scope: str) -> Any:
    token_url = http.get("/fhir/.well-known/smart-configuration").json()["token_endpoint"]
    return http.post(
        "/fhir/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(system, token_url),
            "scope": scope,
        },
    )


def bearer(http: TestClient, system: SourceSystem, scope: str = Scope.AUDIT_READ) -> dict[str, str]:
    response = token_response(http, system, scope)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
