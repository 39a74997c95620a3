"""A person's objections to sharing their record: who may record and withdraw them, what the
form must hold, and what a user may be told about the objections held.

Anyone whose role opens records, at an organisation that passes the gate, may record an
objection for a person they may find: recording one only ever hides. They may withdraw one
recorded here or imported from the predecessor system; one a source sent is withdrawn by that
source (its system still holds the opt-out, and would send it again). Every withdrawal is
flagged for the privacy officer's review.

While the user may not open the record, the history names no organisation but their own (and
the GP practice the banner shows): who recorded an objection, where, and their note could
otherwise say who holds data about the person.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from carerecord.access.actors import Actor, User
from carerecord.access.policy import Grant
from carerecord.access.rules import AccessRules
from carerecord.access.vocabulary import OnBehalf
from carerecord.audit.entry import AuditRecord
from carerecord.errors import PatientNotFound
from carerecord.store import Store
from carerecord.store.account_records import NewObjection, ObjectionRow, Withdrawal

if TYPE_CHECKING:
    from carerecord.access.gate import RecordAccess, Withheld

MAX_EVIDENCE = 200  # an Office of the Public Guardian registration number is 13 characters
MAX_CHECKED_BY = 100
MAX_NOTE = 1000
IMPORT_PREFIX = "import:"


@dataclass(frozen=True)
class ObjectionDetails:
    """What the form says: for whom, and for an attorney the power seen and who checked it."""

    on_behalf: OnBehalf
    evidence_ref: str | None
    checked_by: str | None
    note: str


def read_details(
    on_behalf: str, evidence_ref: str, checked_by: str, note: str
) -> ObjectionDetails | dict[str, str]:
    """The form's fields checked, or a message for each field that is wrong (by field id)."""
    errors: dict[str, str] = {}
    who = next((o for o in OnBehalf if o.value == on_behalf), None)
    evidence, checker, text = _line(evidence_ref), _line(checked_by), _text(note)
    if who is None:
        errors["on-behalf"] = "Choose who is asking"
    elif who is OnBehalf.LPA_HEALTH_WELFARE:
        if not evidence:
            errors["evidence-ref"] = (
                "Enter the registration number of the lasting power of attorney"
            )
        if not checker:
            errors["checked-by"] = "Enter the name of the person who checked it"
    if len(evidence) > MAX_EVIDENCE:
        errors["evidence-ref"] = f"Use at most {MAX_EVIDENCE} characters"
    if len(checker) > MAX_CHECKED_BY:
        errors["checked-by"] = f"Use at most {MAX_CHECKED_BY} characters"
    if len(text) > MAX_NOTE:
        errors["note"] = f"Use at most {MAX_NOTE:,} characters"
    if errors or who is None:
        return errors
    attorney = who is OnBehalf.LPA_HEALTH_WELFARE
    return ObjectionDetails(
        who, evidence if attorney else None, checker if attorney else None, text
    )


def may_change(actor: Actor | User, rules: AccessRules, grant: Grant) -> bool:
    """Whether this user may record or withdraw the objection of the person `grant` is about."""
    return (
        isinstance(actor, User)
        and rules.for_role(actor.role).records
        and grant.refused is None
        and grant.found
    )


def may_name(organisation: str | None, user_org: str, grant: Grant, practice: str | None) -> bool:
    """Whether the user may be told who recorded (or withdrew) an objection and where: always
    when they may open the record; else only for their own organisation and the GP practice
    the banner already shows."""
    if grant.allowed:
        return True
    return organisation is not None and organisation in {user_org, practice}


@dataclass(frozen=True)
class ObjectionEntry:
    """One objection as this user may see it. A name (recorded_by, withdrawn_by) that is None
    is not shown to this user; for one a source sent, the name is the organisation's."""

    id: int
    kind: str  # recorded (here), sent (by a source), imported (from the predecessor system)
    in_force: bool
    withdrawable: bool
    recorded_at: datetime
    recorded_by: str | None
    organisation: str | None
    on_behalf: str
    evidence_ref: str | None
    checked_by: str | None
    note: str | None
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawn_organisation: str | None
    withdrawn_on_behalf: str | None
    withdrawal_evidence_ref: str | None
    withdrawal_checked_by: str | None
    withdrawal_reason: str | None


def entries(
    rows: Sequence[ObjectionRow],
    user_org: str,
    grant: Grant,
    practice: str | None,
    names: Mapping[str, str],
) -> tuple[ObjectionEntry, ...]:
    """The history, newest first, told as far as the user may be told it."""
    return tuple(_entry(row, user_org, grant, practice, names) for row in reversed(rows))


def _entry(
    row: ObjectionRow, user_org: str, grant: Grant, practice: str | None, names: Mapping[str, str]
) -> ObjectionEntry:
    kind = "sent" if row.source_ods else "recorded" if row.recorded_org else "imported"
    org = row.source_ods or row.recorded_org
    named = may_name(org, user_org, grant, practice)
    gone_named = may_name(row.withdrawn_org, user_org, grant, practice)
    in_force = row.withdrawn_at is None
    sent = kind == "sent"  # the organisation itself recorded it, and only it withdraws it
    recorder = _org_name(org, names) if sent else row.recorded_by
    withdrawer = _org_name(row.withdrawn_org, names) if sent else row.withdrawn_by
    return ObjectionEntry(
        id=row.id,
        kind=kind,
        in_force=in_force,
        withdrawable=in_force and not sent,
        recorded_at=row.recorded_at,
        recorded_by=recorder if named else None,
        organisation=_org_name(org, names) if named and not sent else None,
        on_behalf=row.on_behalf,
        evidence_ref=row.evidence_ref,
        checked_by=row.checked_by if named else None,
        note=(row.basis or None) if named else None,
        withdrawn_at=row.withdrawn_at,
        withdrawn_by=withdrawer if gone_named else None,
        withdrawn_organisation=_org_name(row.withdrawn_org, names)
        if gone_named and not sent
        else None,
        withdrawn_on_behalf=row.withdrawn_on_behalf,
        withdrawal_evidence_ref=row.withdrawal_evidence_ref,
        withdrawal_checked_by=row.withdrawal_checked_by if gone_named else None,
        withdrawal_reason=(row.withdrawal_reason or None) if gone_named else None,
    )


def _org_name(ods: str | None, names: Mapping[str, str]) -> str | None:
    if ods is None:
        return None
    return f"{names[ods]} ({ods})" if ods in names else ods


@dataclass(frozen=True)
class ObjectionFile:
    """Who the person is, and the objections held, for the objection page."""

    person: Withheld
    entries: tuple[ObjectionEntry, ...]

    @property
    def in_force(self) -> bool:
        return any(entry.in_force for entry in self.entries)


class ObjectionDesk:
    """Reads and changes one user's view of people's objections; built by RecordAccess."""

    def __init__(
        self, access: RecordAccess, store: Store, rules: AccessRules, now: datetime
    ) -> None:
        self._access, self._store, self._rules, self._now = access, store, rules, now

    def file(self, patient_id: str) -> ObjectionFile:
        """Raises AccessRefused (the user's organisation fails the gate) or PatientNotFound
        (not a person this user may find, or a role that may not change objections)."""
        person = self._access.person(patient_id)
        user = self._access.actor
        if not isinstance(user, User) or not may_change(user, self._rules, person.grant):
            raise PatientNotFound(patient_id)
        names = {org.ods_code: org.name for org in self._store.organisations()}
        rows = self._store.consent.objections(patient_id)
        practice = person.demographics.gp_practice_ods
        return ObjectionFile(person, entries(rows, user.org_ods, person.grant, practice, names))

    def record(self, patient_id: str, details: ObjectionDetails) -> bool:
        """False when an objection is in force already: one is enough, and nothing is added."""
        held = self.file(patient_id)
        user = self._user()
        if held.in_force:
            return False
        objection = NewObjection(
            patient_id=patient_id,
            recorded_by=user.name[:100],
            basis=details.note,
            on_behalf=details.on_behalf.value,
            evidence_ref=details.evidence_ref,
            checked_by=details.checked_by,
            recorded_at=self._now,
            recorded_org=user.org_ods,
        )
        event = self._event("record-objection", patient_id, details)
        return self._store.consent.add_objection(objection, self._now, event)

    def withdraw(self, patient_id: str, objection_id: int, details: ObjectionDetails) -> None:
        """Raises PatientNotFound unless this is one of the person's objections in force that
        may be withdrawn here; a withdrawal another user made a moment ago stands."""
        entry = self.entry(patient_id, objection_id)
        user = self._user()
        withdrawal = Withdrawal(
            by=user.name[:100],
            reason=details.note,
            org=user.org_ods,
            on_behalf=details.on_behalf.value,
            evidence_ref=details.evidence_ref,
            checked_by=details.checked_by,
        )
        event = self._event("withdraw-objection", patient_id, details, objection=entry.id)
        self._store.consent.withdraw_objection(
            entry.id, withdrawal.by, withdrawal.reason, self._now, event, withdrawal
        )

    def entry(self, patient_id: str, objection_id: int) -> ObjectionEntry:
        """One of the person's objections in force that this user may withdraw."""
        held = self.file(patient_id)
        for entry in held.entries:
            if entry.id == objection_id and entry.withdrawable:
                return entry
        raise PatientNotFound(patient_id)

    def _user(self) -> User:
        user = self._access.actor
        assert isinstance(user, User)  # file() refuses anyone else
        return user

    def _event(
        self, action: str, patient_id: str, details: ObjectionDetails, **more: object
    ) -> AuditRecord:
        user = self._user()
        detail: dict[str, object] = {
            **more,
            "on_behalf": details.on_behalf.value,
            "evidence_ref": details.evidence_ref,
            "checked_by": details.checked_by,
            "organisation": user.org_ods,
            "role": user.role.value,
        }
        if action == "withdraw-objection":
            detail["flagged"] = True  # a record closed to everyone opens again: reviewed
        return AuditRecord(user.username, action, "success", detail, patient_id)


def _line(value: str) -> str:
    """One line of text: whitespace runs made single spaces, control characters dropped."""
    return " ".join(_printable(" ".join(value.split())).split())


def _text(value: str) -> str:
    return "\n".join(line.rstrip() for line in _printable(value).strip().splitlines())


def _printable(value: str) -> str:
    return "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )
