"""Reading the audit log as FHIR AuditEvents (GET /fhir/AuditEvent): who may, and the record
of each reading. A system may if its token carries system/AuditEvent.read; a person only as
the privacy officer's desk allows (the ig-officer role, their organisation live, on its
network). Every search and read is written to the log before anything is returned:
one entry per request, with the parameters asked and how many entries were returned. A reader
turned away (a token without the scope, a signed-in user who is not a privacy officer) is
written too, outcome "refused", before the 403: trying to read the log is itself worth knowing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from carerecord.access.actors import User, requester
from carerecord.access.audit_desk import AuditDesk, NotPrivacyOfficer
from carerecord.access.rules import AccessRules
from carerecord.access.sign_in import Client
from carerecord.audit.entry import AuditRecord, StoredEntry
from carerecord.audit.fhir_event import KINDS
from carerecord.audit.fhir_search import EventSearch
from carerecord.errors import AccessRefused, Refused, ScopeRefused
from carerecord.scopes import Scope
from carerecord.store import Store, audit_search
from carerecord.store import audit as audit_log

ACTION = "audit-fhir-read"


@dataclass(frozen=True)
class SystemReader:
    """A system behind a bearer token, and the scopes its token carries now."""

    client_id: str
    source_ods: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class EventPage:
    """One page of a search, newest first; `next_before` continues it (None on the last)."""

    entries: tuple[StoredEntry, ...]
    next_before: int | None


class AuditEventReader:
    def __init__(
        self,
        store: Store,
        reader: User | SystemReader,
        rules: AccessRules,
        now: datetime,
        client: Client,
        request_id: str,
    ) -> None:
        self._store = store
        self._reader = reader
        self._now = now
        self._client = client
        self._request_id = request_id
        self._desk: AuditDesk | None = None
        if isinstance(reader, SystemReader):
            if Scope.AUDIT_READ not in reader.scopes:
                needed = (Scope.AUDIT_READ.value,)
                self._audit({"reason": "scope"}, None, "refused")
                raise ScopeRefused(f"reading the audit log needs the scope {needed[0]}", needed)
            return
        try:
            self._desk = AuditDesk(store, reader, rules, now, client, request_id)
        except NotPrivacyOfficer:
            self._refused(reader, "role")
            raise Refused(
                "reading the audit log needs the ig-officer role", status=403, code="forbidden"
            ) from None
        except AccessRefused as refused:
            self._refused(reader, str(refused))
            raise Refused(str(refused), status=403, code="forbidden") from None

    def search(self, search: EventSearch) -> EventPage:
        """The entries a search matches, one page of them; audited before they are returned."""
        patient_id = search.patient_id
        if search.nhs_number is not None:
            patient_id = self._store.patient_id_for_nhs_number(search.nhs_number)
        found: list[StoredEntry] = []
        more = False
        if search.nhs_number is None or patient_id is not None:  # else no one held: no match
            wanted = replace(search, patient_id=patient_id)
            found, more = audit_search.events_before(self._store.engine, wanted, KINDS.keys())
        detail = {
            "interaction": "search-type",
            "parameters": [list(pair) for pair in _recordable(search, patient_id)],
            "before": search.before,
            "count": len(found),
            "more": more,
        }
        self._audit(detail, patient_id)
        return EventPage(tuple(found), found[-1].id if more else None)

    def read(self, entry_id: int) -> StoredEntry | None:
        found = audit_log.entry(self._store.engine, entry_id)
        detail = {"interaction": "read", "entry_id": entry_id, "count": 1 if found else 0}
        self._audit(detail, None, "success" if found else "failure")
        return found

    def _audit(
        self, detail: Mapping[str, object], patient_id: str | None, outcome: str = "success"
    ) -> None:
        if self._desk is not None:
            self._desk.record(ACTION, dict(detail), patient_id, outcome)
            return
        system = self._reader
        assert isinstance(system, SystemReader)
        context = {**detail, "source": system.source_ods, "client_address": self._client.address}
        record = AuditRecord(
            f"client:{system.client_id}",
            ACTION,
            outcome,
            context,
            patient_id=patient_id,
            purpose="audit",
        )
        self._store.consent.audit(record, self._now)

    def _refused(self, user: User, reason: str) -> None:
        """The entry for a signed-in user turned away, written as them (no desk to do it)."""
        org = self._store.organisation(user.org_ods)
        client = self._client
        record = AuditRecord(
            user.username,
            ACTION,
            "refused",
            {"reason": reason[:200]},
            requester=requester(user, org, client.address, client.user_agent, self._request_id),
            purpose="audit",
        )
        self._store.consent.audit(record, self._now)


def _recordable(search: EventSearch, patient_id: str | None) -> list[tuple[str, str]]:
    """The parameters as asked, but a person by their opaque id, never their NHS number."""
    person = f"Patient/{patient_id}" if patient_id else "Patient/(none held)"
    return [
        (name, person if name.startswith("patient") else value) for name, value in search.parameters
    ]
