"""What the store keeps about users, sessions and access: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UserAccount:
    id: int
    username: str
    org_ods: str
    role: str
    password_hash: str | None
    trained_at: datetime | None
    disabled: bool
    created_at: datetime
    display_name: str | None
    totp_secret: str | None
    totp_last_step: int | None
    failed_attempts: int
    locked_until: datetime | None
    external_issuer: str | None
    external_subject: str | None


@dataclass(frozen=True)
class NewUser:
    username: str
    org_ods: str
    role: str
    password_hash: str | None
    totp_secret: str | None
    trained_at: datetime | None = None
    display_name: str | None = None
    external_issuer: str | None = None
    external_subject: str | None = None


@dataclass(frozen=True)
class SessionRow:
    token_hash: str
    user_id: int
    stage: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    csrf_token: str
    assurance: str
    stepped_up_at: datetime | None
    client_address: str
    user_agent: str


@dataclass(frozen=True)
class Declaration:
    """A relationship a user declared, or an override they used, for one person."""

    id: int
    user_id: int
    session_hash: str | None
    patient_id: str
    kind: str  # relationship, override
    code: str
    reason: str
    started_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ObjectionRow:
    id: int
    patient_id: str
    recorded_at: datetime
    recorded_by: str
    basis: str
    withdrawn_at: datetime | None
    on_behalf: str
    evidence_ref: str | None
    checked_by: str | None
    source_ods: str | None
    external_ref: str | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    recorded_org: str | None = None
    withdrawn_org: str | None = None
    withdrawn_on_behalf: str | None = None
    withdrawal_evidence_ref: str | None = None
    withdrawal_checked_by: str | None = None


@dataclass(frozen=True)
class NewObjection:
    patient_id: str
    recorded_by: str
    basis: str
    on_behalf: str = "self"
    evidence_ref: str | None = None
    checked_by: str | None = None
    source_ods: str | None = None
    external_ref: str | None = None
    recorded_at: datetime | None = None  # when the predecessor system recorded it
    recorded_org: str | None = None  # the recording user's organisation


@dataclass(frozen=True)
class Withdrawal:
    """Who withdrew an objection, for whom, and what they checked."""

    by: str
    reason: str
    org: str | None = None
    on_behalf: str = "self"
    evidence_ref: str | None = None
    checked_by: str | None = None


@dataclass(frozen=True)
class ImportedObjection:
    """An objection from a predecessor system, for a person held or not held yet."""

    nhs_number: str
    recorded_by: str
    basis: str
    recorded_at: datetime
    external_ref: str
    on_behalf: str = "self"
    evidence_ref: str | None = None
    checked_by: str | None = None


@dataclass(frozen=True)
class CopiPeriod:
    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    declared_by: str
    declared_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True)
class RelationshipEvidence:
    """What the record holds that links one person to one organisation (read by the gate,
    as the system, before any of it is shown)."""

    patient_bodies: tuple[str, ...]  # every source's Patient resource (FHIR JSON)
    linked_sources: tuple[str, ...]  # organisations that hold a Patient record of the person
    last_contact_at: datetime | None  # newest encounter, appointment or episode at the org
    referral_bodies: tuple[str, ...]  # the person's open ServiceRequests (FHIR JSON)
    care_team_bodies: tuple[str, ...]  # the person's active CareTeams (FHIR JSON)
