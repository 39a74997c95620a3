"""What a user saw, built again for the privacy officer: from one view entry of the audit log,
the record exactly as that page showed it then — the recorded resource versions, the sources
table as it stood, the grant's redactions, "new since" as it was measured — whatever has
changed since (new versions, items entered in error, people merged). Read-only, and itself
audited. It answers the medico-legal question: what did the clinician know?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.access.actors import User
from carerecord.access.gate import RecordAccess, assemble_view, mask_practices
from carerecord.access.policy import Grant
from carerecord.access.vocabulary import Level, OverrideKind, Redaction, RelationshipKind, Role
from carerecord.access.vocabulary import Section as SectionName
from carerecord.audit.entry import AuditRecord, StoredEntry
from carerecord.errors import PatientNotFound
from carerecord.record.items import Item, item_from
from carerecord.record.sections import RecordView
from carerecord.store import Store
from carerecord.store import as_seen as stored
from carerecord.store import audit as audit_log
from carerecord.store.records import SectionTally


@dataclass(frozen=True)
class Rebuilt:
    entry: StoredEntry
    record: RecordView
    page: str  # overview, a section, timeline, trend, document
    params: dict[str, str]
    seen_at: datetime  # when the user saw it: the page is drawn as of then
    seen_by: str  # the user's name and role, as the entry records them
    item: Item | None  # the document, on a document page
    missing: int  # recorded versions no longer held anywhere (purged since)


class AsSeen:
    """Rebuilding viewed pages, for a signed-in privacy officer only."""

    def __init__(self, store: Store, reader: RecordAccess, now: datetime) -> None:
        user = reader.actor
        if not isinstance(user, User) or user.role is not Role.IG_OFFICER:
            raise PatientNotFound("")  # anyone else: nothing here
        circumstances = reader.circumstances  # the checks about the user still apply
        if circumstances is None or not circumstances.network_allowed:
            raise PatientNotFound("")
        if circumstances.org_status is None:
            raise PatientNotFound("")
        self._store = store
        self._reader = reader
        self._now = now

    def rebuild(self, entry_id: int) -> Rebuilt:
        """PatientNotFound for an entry that is not a successful view of a record."""
        entry = audit_log.entry(self._store.engine, entry_id)
        detail: dict[str, Any] = dict(entry.detail) if entry else {}
        shown = detail.get("shown")
        if entry is None or not entry.shows_a_record or not isinstance(shown, dict):
            raise PatientNotFound(str(entry_id))
        if entry.patient_id is None:  # never, for a record view: said again for the type
            raise PatientNotFound(str(entry_id))
        pairs = [(int(v[0]), int(v[1])) for v in shown.get("versions", [])]
        rows = stored.versions(self._store.engine, pairs)
        grant = _grant(detail, shown)
        tallies = [_tally(t) for t in shown.get("tallies", [])]
        organisations = self._store.organisations()
        new_since = _moment(shown.get("new_since"))
        page = str(shown.get("page", "overview"))
        item = None
        if page == "document" and rows and rows[0].id == pairs[0][0]:
            doc, rows = rows[0], rows[1:]
            if Redaction.GP_PRACTICE in grant.redactions:
                doc = mask_practices([doc, *rows], [], organisations)[0][0]
            item = item_from(
                doc, {org.ods_code: org for org in organisations}, now=entry.occurred_at
            )
        sections = [s for s in shown.get("sections", []) if isinstance(s, str)]
        record = assemble_view(
            entry.patient_id, rows, tallies, organisations, grant, sections, new_since,
            first_view=new_since is None, now=entry.occurred_at,
        )  # fmt: skip
        self._audit(entry)
        user = detail.get("user", {})
        return Rebuilt(
            entry=entry,
            record=record,
            page=page,
            params={str(k): str(v) for k, v in shown.get("params", {}).items()},
            seen_at=entry.occurred_at,
            seen_by=f"{user.get('name') or entry.actor} ({user.get('role') or entry.role})",
            item=item,
            missing=len(set(pairs)) - len({(r.id, r.version) for r in rows}) - (1 if item else 0),
        )

    def _audit(self, entry: StoredEntry) -> None:
        user = self._reader.actor
        assert isinstance(user, User)
        record = AuditRecord(
            user.username,
            "audit-as-seen",
            "success",
            {"entry": entry.id, "viewer": entry.actor, "seen_at": entry.occurred_at.isoformat()},
            entry.patient_id,
            self._reader.requester,
            purpose="audit",
        )
        self._store.consent.audit(record, self._now)


def _grant(detail: dict[str, Any], shown: dict[str, Any]) -> Grant:
    facts = detail.get("detail", {})
    sections = frozenset(
        SectionName(s) for s in shown.get("sections", []) if s in SectionName.__members__.values()
    ) | {SectionName.DEMOGRAPHICS}
    relationship = str(detail.get("relationship", ""))
    override = str(detail.get("override", ""))
    return Grant(
        Level.SECTIONS,
        str(facts.get("reason", "")),
        sections,
        redactions=frozenset(
            Redaction(r) for r in facts.get("redactions", []) if r in Redaction.__members__.values()
        ),
        relationship=RelationshipKind(relationship)
        if relationship in RelationshipKind.__members__.values()
        else None,
        override=OverrideKind(override) if override in OverrideKind.__members__.values() else None,
        objection=bool(facts.get("objection")),
        copi=bool(facts.get("copi")),
        flagged=bool(facts.get("flagged")),
    )


def _tally(row: list[Any]) -> SectionTally:
    # Entries written before the newest entry was recorded have five fields.
    source, section, count, updated, received, *newest = row
    received_at = _moment(received)
    assert received_at is not None
    return SectionTally(
        str(source),
        str(section),
        int(count),
        _moment(updated),
        received_at,
        _moment(newest[0]) if newest else None,
    )


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
