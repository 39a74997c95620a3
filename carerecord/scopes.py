"""The scopes a source system may be granted (SMART Backend Services), as one vocabulary: the
token endpoint, the routes and `carerecord client grant` all speak it, so a typo is refused."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    # Pushing creates, updates and retracts resources: SMART v1 calls that "write", v2 "cud".
    PUSH_WRITE = "system/*.write"
    PUSH_CUD = "system/*.cud"
    # Reading the audit log as FHIR AuditEvents (GET /fhir/AuditEvent).
    AUDIT_READ = "system/AuditEvent.read"


# Either spelling of the push scope opens the push API; a client registered to push holds both.
PUSH = (Scope.PUSH_WRITE, Scope.PUSH_CUD)


def unknown_scopes(names: list[str]) -> list[str]:
    """The names that are not scopes carerecord grants, in the order given."""
    known = {scope.value for scope in Scope}
    return [name for name in names if name not in known]
