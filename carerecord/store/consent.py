"""What decides a person's record for a user, as rows: declarations and overrides, objections,
national-emergency periods, the evidence of relationships, and when each user last looked."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Engine,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from carerecord.audit.entry import AuditRecord
from carerecord.errors import AuditUnavailable
from carerecord.store import audit
from carerecord.store.account_records import (
    CopiPeriod,
    Declaration,
    ImportedObjection,
    NewObjection,
    ObjectionRow,
    RelationshipEvidence,
    Withdrawal,
)
from carerecord.store.schema import (
    access_declarations,
    copi_periods,
    objections,
    patient_links,
    patients,
    record_views,
    resources,
)
from carerecord.store.types import UTCDateTime
from carerecord.store.upsert import insert_for

_DECLARATION_COLUMNS = [access_declarations.c[n] for n in Declaration.__dataclass_fields__]
_OBJECTION_COLUMNS = [objections.c[n] for n in ObjectionRow.__dataclass_fields__]
_COPI_COLUMNS = [copi_periods.c[n] for n in CopiPeriod.__dataclass_fields__]
_CONTACT_SECTIONS = ("encounters", "community")
# Contacts that did not happen are no evidence of care.
_NOT_CONTACT = ("cancelled", "entered-in-error", "noshow")
_EVIDENCE_KINDS = ("contact", "link", "patient", "referral", "team", "objection")
# Where the Patient resources, ServiceRequests and CareTeams are kept (fhir.sections).
_EVIDENCE_SECTIONS = ("demographics", "referrals", "care-team")


def _evidence_query() -> CompoundSelect[str, str | None, datetime | None]:
    """Everything the relationship evidence needs, as (kind, text, time) rows: the newest
    contact at the organisation since the window opened, the sources linked to the person,
    and the bodies of their Patient resources, open referrals and active care teams; and a
    row saying so when an objection is in force."""
    r = resources.c
    patient_id = bindparam("patient_id", type_=String())
    visible = and_(r.patient_id == patient_id, not_(r.hidden))
    no_time = null().cast(UTCDateTime())  # PostgreSQL types a bare NULL as text
    contact = select(
        literal("contact", String()), null().cast(Text()), func.max(r.clinical_date)
    ).where(
        visible,
        r.source_ods == bindparam("org_ods", type_=String()),
        r.section.in_(_CONTACT_SECTIONS),
        r.clinical_date >= bindparam("since", type_=UTCDateTime()),
        r.clinical_date <= bindparam("until", type_=UTCDateTime()),
        or_(r.status.is_(None), r.status.not_in(_NOT_CONTACT)),
    )
    links = (
        select(literal("link", String()), patient_links.c.source_ods, no_time)
        .where(patient_links.c.patient_id == patient_id)
        .distinct()
    )
    kind = case(
        (r.section == "demographics", "patient"),
        (r.resource_type == "ServiceRequest", "referral"),
        else_="team",
    )
    candidates = and_(visible, r.section.in_(_EVIDENCE_SECTIONS))  # an index range, not all rows
    wanted = or_(
        r.section == "demographics",
        and_(r.resource_type == "ServiceRequest", r.status.in_(["active", "on-hold"])),
        and_(r.resource_type == "CareTeam", r.status == "active"),
    )
    bodies = select(kind, r.body, no_time).where(candidates, wanted)
    in_force = exists().where(
        objections.c.patient_id == patient_id, objections.c.withdrawn_at.is_(None)
    )
    objection = select(literal("objection", String()), null().cast(Text()), no_time).where(in_force)
    return union_all(contact, links, bodies, objection)


_EVIDENCE = _evidence_query()
_DECLARATIONS = (
    select(*_DECLARATION_COLUMNS)
    .where(
        access_declarations.c.user_id == bindparam("user_id", type_=Integer()),
        access_declarations.c.patient_id == bindparam("patient_id", type_=String()),
        access_declarations.c.expires_at > bindparam("now", type_=UTCDateTime()),
        or_(
            access_declarations.c.session_hash.is_(None),
            access_declarations.c.session_hash == bindparam("session_hash", type_=String()),
        ),
    )
    .order_by(access_declarations.c.started_at, access_declarations.c.id)
)  # the latest last


def _evidence(
    conn: Connection, patient_id: str, org_ods: str, since: datetime, until: datetime
) -> tuple[RelationshipEvidence, bool]:
    """The evidence, and whether an objection is in force: one statement (one round trip),
    built once, for it is read on every record page. Contacts count from `since` to `until`
    (a booked appointment counts, one years ahead does not)."""
    values = {"patient_id": patient_id, "org_ods": org_ods, "since": since, "until": until}
    found: dict[str, list[Any]] = {kind: [] for kind in _EVIDENCE_KINDS}
    for kind, text, at in conn.execute(_EVIDENCE, values):
        found[kind].append(at if kind == "contact" else text)
    evidence = RelationshipEvidence(
        patient_bodies=tuple(found["patient"]),
        linked_sources=tuple(sorted(found["link"])),
        last_contact_at=found["contact"][0] if found["contact"] else None,
        referral_bodies=tuple(found["referral"]),
        care_team_bodies=tuple(found["team"]),
    )
    return evidence, bool(found["objection"])


def _declarations(
    conn: Connection, user_id: int, patient_id: str, now: datetime, session_hash: str
) -> list[Declaration]:
    values = {
        "user_id": user_id,
        "patient_id": patient_id,
        "now": now,
        "session_hash": session_hash,
    }
    return [Declaration(*row) for row in conn.execute(_DECLARATIONS, values)]


class ConsentStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # writes take SQLite's write lock up front (see engine.py): a writer never reads a
        # state another commits under it — the audit chain's previous hash above all
        self._writer = engine.execution_options(carerecord_write=True)

    # Audit
    def audit(self, record: AuditRecord, now: datetime) -> str:
        """Appends one entry; AuditUnavailable when the database will not take it."""
        try:
            with self._writer.begin() as conn:
                return audit.append(conn, record, now)
        except SQLAlchemyError as error:
            raise _unavailable(error) from error

    # Declarations and overrides
    def declare(
        self,
        user_id: int,
        patient_id: str,
        kind: str,
        code: str,
        reason: str,
        started_at: datetime,
        expires_at: datetime,
        session_hash: str | None,
        event: AuditRecord,
    ) -> int:
        """Records a declaration and its audit entry in one transaction."""
        with self._writer.begin() as conn:
            new_id = conn.execute(
                insert(access_declarations).values(
                    user_id=user_id,
                    patient_id=patient_id,
                    kind=kind,
                    code=code,
                    reason=reason,
                    started_at=started_at,
                    expires_at=expires_at,
                    session_hash=session_hash,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            audit.append(conn, event, started_at)
            return int(new_id)

    def declarations(
        self, user_id: int, patient_id: str, now: datetime, session_hash: str
    ) -> list[Declaration]:
        """The user's declarations for this person still in force: relationships until they
        lapse; overrides only within the session that made them."""
        with self._engine.connect() as conn:
            return _declarations(conn, user_id, patient_id, now, session_hash)

    # Objections
    def add_objection(self, objection: NewObjection, now: datetime, event: AuditRecord) -> bool:
        """False when an objection with the same external reference is already held."""
        values = {**objection.__dict__, "recorded_at": objection.recorded_at or now}
        try:
            with self._writer.begin() as conn:
                conn.execute(insert(objections).values(**values))
                audit.append(conn, event, now)
        except IntegrityError:
            return False
        return True

    def withdraw_objection(
        self,
        objection_id: int,
        by: str,
        reason: str,
        now: datetime,
        event: AuditRecord,
        withdrawal: Withdrawal | None = None,
    ) -> bool:
        """False when it is not held, or was withdrawn already. `withdrawal` says for whom
        and on what evidence (a user's withdrawal); `by` and `reason` then come from it."""
        values: dict[str, object] = {"withdrawn_by": by, "withdrawal_reason": reason}
        if withdrawal is not None:
            values = {
                "withdrawn_by": withdrawal.by,
                "withdrawal_reason": withdrawal.reason,
                "withdrawn_org": withdrawal.org,
                "withdrawn_on_behalf": withdrawal.on_behalf,
                "withdrawal_evidence_ref": withdrawal.evidence_ref,
                "withdrawal_checked_by": withdrawal.checked_by,
            }
        with self._writer.begin() as conn:
            done = conn.execute(
                update(objections)
                .where(objections.c.id == objection_id, objections.c.withdrawn_at.is_(None))
                .values(withdrawn_at=now, **values)
            )
            if done.rowcount != 1:
                return False
            audit.append(conn, event, now)
            return True

    def objections(self, patient_id: str) -> list[ObjectionRow]:
        query = (
            select(*_OBJECTION_COLUMNS)
            .where(objections.c.patient_id == patient_id)
            .order_by(objections.c.recorded_at, objections.c.id)
        )
        with self._engine.connect() as conn:
            return [ObjectionRow(*row) for row in conn.execute(query)]

    def objection_refs(self, refs: Sequence[str]) -> set[str]:
        with self._engine.connect() as conn:
            return _held_refs(conn, refs)

    def import_objections(
        self, rows: Sequence[ImportedObjection], now: datetime, event: AuditRecord
    ) -> int:
        """Adds objections by NHS number in one transaction (all or none), skipping external
        refs already held; how many were added. A number nobody holds yet gets its entry in
        the master patient index now, so the objection stands before any record arrives."""
        with self._writer.begin() as conn:
            numbers = sorted({row.nhs_number for row in rows})
            for chunk in _chunks(numbers):
                conn.execute(
                    insert_for(conn, patients).on_conflict_do_nothing(
                        index_elements=["nhs_number"]
                    ),
                    [{"id": uuid.uuid4().hex, "nhs_number": n, "created_at": now} for n in chunk],
                )
            master = _masters(conn, numbers)
            held = _held_refs(conn, [row.external_ref for row in rows])
            new = [row for row in rows if row.external_ref not in held]
            if new:
                conn.execute(
                    insert(objections),
                    [_imported(row, master[row.nhs_number]) for row in new],
                )
            audit.append(conn, event, now)
            return len(new)

    def people_held(self, numbers: Sequence[str]) -> dict[str, str]:
        """The patient ids of the NHS numbers some source has sent a record for."""
        found: dict[str, str] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(sorted(set(numbers))):
                query = (
                    select(patients.c.nhs_number, patients.c.id)
                    .join(patient_links, patient_links.c.patient_id == patients.c.id)
                    .where(patients.c.nhs_number.in_(chunk))
                    .distinct()
                )
                found.update({row[0]: row[1] for row in conn.execute(query)})
        return found

    def declare_copi(
        self,
        starts_at: datetime,
        ends_at: datetime,
        reason: str,
        by: str,
        now: datetime,
        event: AuditRecord,
    ) -> int:
        with self._writer.begin() as conn:
            new_id = conn.execute(
                insert(copi_periods).values(
                    starts_at=starts_at,
                    ends_at=ends_at,
                    reason=reason,
                    declared_by=by,
                    declared_at=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            audit.append(conn, event, now)
            return int(new_id)

    def cancel_copi(self, period_id: int, now: datetime, event: AuditRecord) -> bool:
        with self._writer.begin() as conn:
            done = conn.execute(
                update(copi_periods)
                .where(copi_periods.c.id == period_id, copi_periods.c.cancelled_at.is_(None))
                .values(cancelled_at=now)
            )
            if done.rowcount != 1:
                return False
            audit.append(conn, event, now)
            return True

    def copi_periods(self) -> list[CopiPeriod]:
        with self._engine.connect() as conn:
            query = select(*_COPI_COLUMNS).order_by(copi_periods.c.starts_at.desc())
            return [CopiPeriod(*row) for row in conn.execute(query)]

    # Relationship evidence
    def evidence(
        self, patient_id: str, org_ods: str, since: datetime, until: datetime | None = None
    ) -> RelationshipEvidence:
        """`until` defaults to as far ahead of now as `since` is behind."""
        until = until or _mirror(since)
        with self._engine.connect() as conn:
            return _evidence(conn, patient_id, org_ods, since, until)[0]

    def access_facts(
        self,
        patient_id: str,
        user_id: int,
        org_ods: str,
        since: datetime,
        now: datetime,
        session_hash: str,
    ) -> tuple[RelationshipEvidence, list[Declaration], bool]:
        """What the gate reads about one person for one user on every record page, in one
        connection and two statements: the relationship evidence and whether an objection is
        in force, then the user's declarations in force."""
        with self._engine.connect() as conn:
            evidence, objected = _evidence(conn, patient_id, org_ods, since, now + (now - since))
            declared = _declarations(conn, user_id, patient_id, now, session_hash)
        return evidence, declared, objected

    # New since the last view
    def note_view(
        self,
        user_id: int,
        patient_id: str,
        session_hash: str,
        now: datetime,
        event: Callable[[datetime | None], AuditRecord],
    ) -> datetime | None:
        """Records that the user opened the record now, and its audit entry (made from the
        time returned), in one transaction; returns the time of their view before this
        session (items received after it are new to them), or None. AuditUnavailable when
        the database will not take it."""
        try:
            with self._writer.begin() as conn:
                since = _note_view(conn, user_id, patient_id, session_hash, now)
                audit.append(conn, event(since), now)
                return since
        except SQLAlchemyError as error:
            raise _unavailable(error) from error


def _chunks(values: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _held_refs(conn: Connection, refs: Sequence[str]) -> set[str]:
    held: set[str] = set()
    for chunk in _chunks(sorted(set(refs))):
        query = select(objections.c.external_ref).where(objections.c.external_ref.in_(chunk))
        held.update(conn.execute(query).scalars())
    return held


def _masters(conn: Connection, numbers: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(numbers):
        query = select(patients.c.nhs_number, patients.c.id).where(patients.c.nhs_number.in_(chunk))
        found.update({row[0]: row[1] for row in conn.execute(query)})
    return found


def _imported(row: ImportedObjection, patient_id: str) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "basis": row.basis,
        "on_behalf": row.on_behalf,
        "evidence_ref": row.evidence_ref,
        "checked_by": row.checked_by,
        "external_ref": row.external_ref,
    }


def _mirror(since: datetime) -> datetime:
    now = datetime.now(since.tzinfo)
    return now + (now - since)


def _note_view(
    conn: Connection, user_id: int, patient_id: str, session_hash: str, now: datetime
) -> datetime | None:
    v = record_views.c
    row = conn.execute(
        select(v.last_viewed_at, v.session_hash, v.previous_viewed_at).where(
            v.user_id == user_id, v.patient_id == patient_id
        )
    ).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(record_views).values(
                        user_id=user_id,
                        patient_id=patient_id,
                        last_viewed_at=now,
                        session_hash=session_hash,
                        previous_viewed_at=None,
                    )
                )
        except IntegrityError:
            pass  # the same user's other tab got there first: nothing was seen before
        return None
    last_viewed, seen_in, previous = row
    since = previous if seen_in == session_hash else last_viewed
    conn.execute(
        update(record_views)
        .where(v.user_id == user_id, v.patient_id == patient_id)
        .values(last_viewed_at=now, session_hash=session_hash, previous_viewed_at=since)
    )
    return since  # type: ignore[no-any-return]


def _unavailable(error: SQLAlchemyError) -> AuditUnavailable:
    # the driver's own words only: SQLAlchemy's would quote the entry being written
    cause = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
    return AuditUnavailable(f"the audit log could not be written: {cause}")
