"""The privacy officer's desk: searching the audit log, who has looked at a person's record,
one entry in full. Only a signed-in user with the ig-officer role may use it (anyone else is
told nothing exists), and only on their organisation's network; every use is itself written
to the log, with the filters asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carerecord.access.actors import User, requester
from carerecord.access.gate import address_allowed
from carerecord.access.policy import Circumstances, check_user
from carerecord.access.rules import AccessRules
from carerecord.access.sign_in import Client
from carerecord.access.vocabulary import Role
from carerecord.audit.entry import AuditRecord, Requester, StoredEntry
from carerecord.audit.query import ACCESS_ACTIONS, AuditPage, AuditQuery
from carerecord.errors import AccessRefused, CareRecordError
from carerecord.nhs_number import is_valid
from carerecord.store import Store, audit_search
from carerecord.store import audit as audit_log

PAGE_SIZE = 50
MAX_ACCESSES = 1_000  # "who has looked" lists this many, newest first, and counts them all


class NotPrivacyOfficer(CareRecordError):
    """The user's role does not read the audit log: to them the pages do not exist."""


@dataclass(frozen=True)
class Accesses:
    """Every access to one person's record (the newest MAX_ACCESSES), and how many in all."""

    patient_id: str
    entries: tuple[StoredEntry, ...]
    total: int


class AuditDesk:
    def __init__(
        self,
        store: Store,
        user: User,
        rules: AccessRules,
        now: datetime,
        client: Client,
        request_id: str = "",
    ) -> None:
        if user.role is not Role.IG_OFFICER:
            raise NotPrivacyOfficer(f"the {user.role} role does not read the audit log")
        self._store = store
        self._user = user
        self._now = now
        self._client = client
        self._request_id = request_id
        refusal = check_user(user, rules, self._circumstances(), now)
        if refusal is not None:
            raise AccessRefused(refusal.reason)

    def _circumstances(self) -> Circumstances:
        org = self._store.organisation(self._user.org_ods)
        networks = self._store.accounts.networks(self._user.org_ods)
        return Circumstances(
            org_status=org.status if org else None,
            org_type=org.org_type if org else "unknown",
            network_allowed=address_allowed(self._client.address, networks),
            copi=False,
        )

    def patient_id(self, nhs_number: str) -> str | None:
        """The opaque id of the person with this NHS number, if any is held."""
        digits = "".join(ch for ch in nhs_number if ch.isdigit())
        if not is_valid(digits):
            return None
        return self._store.patient_id_for_nhs_number(digits)

    def search(self, query: AuditQuery, page: int = 1) -> AuditPage:
        """One page of matching entries, newest first."""
        offset = (max(page, 1) - 1) * PAGE_SIZE
        found, more = audit_search.search(self._store.engine, query, PAGE_SIZE, offset)
        self.record("audit-search", {**query.as_detail(), "page": page, "found": len(found)})
        return AuditPage(tuple(found), offset, PAGE_SIZE, more)

    def accesses(self, nhs_number: str) -> Accesses | None:
        """Who has looked at this person's record; None if no one has this NHS number."""
        patient_id = self.patient_id(nhs_number)
        if patient_id is None:
            self.record("audit-who-viewed", {"found": False}, outcome="failure")
            return None
        query = AuditQuery(patient_id=patient_id, actions=ACCESS_ACTIONS)
        found, _ = audit_search.search(self._store.engine, query, MAX_ACCESSES)
        total = audit_search.count(self._store.engine, query)
        self.record("audit-who-viewed", {"found": True, "count": total}, patient_id)
        return Accesses(patient_id, tuple(found), total)

    def entry(self, entry_id: int) -> StoredEntry | None:
        found = audit_log.entry(self._store.engine, entry_id)
        outcome = "success" if found else "failure"
        self.record("audit-entry", {"entry_id": entry_id}, None, outcome)
        return found

    def record(
        self,
        action: str,
        detail: dict[str, object],
        patient_id: str | None = None,
        outcome: str = "success",
    ) -> None:
        """Writes one entry of the desk's own use, as this user (AuditUnavailable if it cannot
        be written: the caller then shows nothing)."""
        self._store.consent.audit(
            AuditRecord(
                actor=self._user.username,
                action=action,
                outcome=outcome,
                detail=detail,
                patient_id=patient_id,
                requester=self._requester(),
                purpose="audit",
            ),
            self._now,
        )

    def _requester(self) -> Requester:
        org = self._store.organisation(self._user.org_ods)
        client = self._client
        return requester(self._user, org, client.address, client.user_agent, self._request_id)
