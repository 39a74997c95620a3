"""The tables. Migrations in migrations/ are the source of truth for the database;
this module mirrors them for queries, and a test checks the two agree."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from carerecord.store.types import UTCDateTime, json_type

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")

organisations = Table(
    "organisations",
    metadata,
    Column("ods_code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("org_type", String(20), nullable=False),
    Column("region", String(60), nullable=False),
    Column("status", String(12), nullable=False),
    Column("sections", json_type(), nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
    Column("last_received_at", UTCDateTime(), nullable=True),  # the feed's freshness
)

patients = Table(
    "patients",
    metadata,
    Column("id", String(32), primary_key=True),  # opaque, safe to put in URLs
    Column("nhs_number", String(10), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

patient_links = Table(
    "patient_links",
    metadata,
    Column("source_ods", String(12), ForeignKey("organisations.ods_code"), primary_key=True),
    Column("local_id", String(64), primary_key=True),
    Column("patient_id", String(32), ForeignKey("patients.id"), nullable=False, index=True),
    Column("linked_at", UTCDateTime(), nullable=False),
    # A merge (HL7 A40, FHIR Patient.link replaced-by) retires this local id into another.
    Column("merged_into", String(64), nullable=True),
    Column("merged_at", UTCDateTime(), nullable=True),
)

# What each source says a person can be looked up by (surname, date of birth, postcode).
patient_search = Table(
    "patient_search",
    metadata,
    Column("source_ods", String(12), primary_key=True),
    Column("local_id", String(64), primary_key=True),
    Column("patient_id", String(32), ForeignKey("patients.id"), nullable=False),
    Column("family", String(100), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("postcode", String(10), nullable=True),
    Index("ix_patient_search_family_birth_date", "family", "birth_date"),
)

resources = Table(
    "resources",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source_ods", String(12), ForeignKey("organisations.ods_code"), nullable=False),
    Column("resource_type", String(40), nullable=False),
    Column("source_id", String(64), nullable=False),
    Column("patient_id", String(32), ForeignKey("patients.id"), nullable=True),
    Column("section", String(20), nullable=False),
    Column("version", Integer, nullable=False),  # carerecord's count of versions received
    Column("source_version", String(64), nullable=True),  # meta.versionId, when sent
    Column("last_updated_at_source", UTCDateTime(), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("clinical_date", UTCDateTime(), nullable=True),
    Column("code_system", String(100), nullable=True),
    Column("code", String(64), nullable=True),
    Column("status", String(40), nullable=True),
    Column("hidden", Boolean, nullable=False, server_default=false()),
    Column("codes", json_type(), nullable=False),  # every system|code in the resource
    Column("body", Text, nullable=False),  # the FHIR JSON as received, returned verbatim
    Column("content_hash", String(64), nullable=False),
    # The source's local patient id it arrived under: a merge moves data by it.
    Column("patient_local_id", String(64), nullable=True),
    UniqueConstraint("source_ods", "resource_type", "source_id"),
    # "All current resources of patient P in section S, newest first" is one range scan.
    # The predicates are spelled as each engine renders NOT hidden, so the planner matches them.
    # Source and times ride along: a page's counts per source and section come from it alone.
    Index(
        "ix_resources_patient_section_date",
        "patient_id",
        "section",
        "clinical_date",
        "source_ods",
        "last_updated_at_source",
        "received_at",
        sqlite_where=text("hidden = 0"),
        postgresql_where=text("NOT hidden"),
    ),
    Index("ix_resources_patient_source", "patient_id", "source_ods"),
    Index("ix_resources_source_ods_patient_local_id", "source_ods", "patient_local_id"),
)

resource_versions = Table(
    "resource_versions",
    metadata,
    Column("resource_id", BigId, ForeignKey("resources.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("source_version", String(64), nullable=True),
    Column("last_updated_at_source", UTCDateTime(), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("status", String(40), nullable=True),
    Column("hidden", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("times_seen", Integer, nullable=False),
    Column("source_ods", String(12), nullable=True),  # may be an unregistered code
    Column("input_format", String(20), nullable=False),
    Column("location", String(500), nullable=False),  # file and line, or the sender
    Column("reason_code", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("resource_type", String(40), nullable=True),
    Column("source_id", String(64), nullable=True),
    Column("raw", Text, nullable=False),
    Column("raw_hash", String(64), nullable=False, unique=True),
    Column("status", String(12), nullable=False),  # open, resolved
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("resolution", Text, nullable=True),  # what resolved it, in words
    Index("ix_quarantine_status_reason_code", "status", "reason_code"),
)

# HL7 v2 messages applied, by sender and control id (MSH-10): a re-send is answered with the
# same acknowledgement and applied once.
hl7_messages = Table(
    "hl7_messages",
    metadata,
    Column("source_ods", String(12), primary_key=True),
    Column("control_id", String(199), primary_key=True),
    Column("message_type", String(20), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("ack_code", String(2), nullable=False),
    Column("ack", Text, nullable=False),
    # SHA-256 of the message as received: a re-send must match it to be answered again.
    Column("content_hash", String(64), nullable=True),
    Column("peer", String(300), nullable=True),  # who sent it: certificate or address
)

# Which network peers may send HL7 v2, and as which organisations (MSH-4): a client
# certificate (its SHA-256 fingerprint) or, where plain TCP is allowed, a source address range.
hl7_senders = Table(
    "hl7_senders",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ods_code", String(12), ForeignKey("organisations.ods_code"), nullable=False),
    Column("kind", String(12), nullable=False),  # certificate, address
    Column("credential", String(100), nullable=False),  # fingerprint (hex) or CIDR
    Column("subject", String(400), nullable=False),  # certificate subject, for people to read
    Column("added_at", UTCDateTime(), nullable=False),
    Column("added_by", String(100), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    UniqueConstraint("kind", "credential", "ods_code"),
)

# Legally restricted items refused at ingest: which ones (so what refers to them is refused
# too), never what they said.
exclusions = Table(
    "exclusions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source_ods", String(12), nullable=False),
    Column("resource_type", String(40), nullable=False),
    Column("source_id", String(64), nullable=False),
    Column("category", String(60), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("times_seen", Integer, nullable=False),
    UniqueConstraint("source_ods", "resource_type", "source_id"),
)

# Source systems allowed to push FHIR: each registers its public keys (SMART backend services).
source_clients = Table(
    "source_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("source_ods", String(12), ForeignKey("organisations.ods_code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("jwks", Text, nullable=False),  # JSON Web Key Set: public keys only
    Column("registered_at", UTCDateTime(), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256: the token itself is never kept
    Column("client_id", String(64), ForeignKey("source_clients.client_id"), nullable=False),
    Column("scope", Text, nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# What each source system may do (SMART scopes); a token carries only scopes its client holds.
client_grants = Table(
    "client_grants",
    metadata,
    Column("client_id", String(64), ForeignKey("source_clients.client_id"), primary_key=True),
    Column("scope", String(100), primary_key=True),
    Column("granted_at", UTCDateTime(), nullable=False),
    Column("granted_by", String(100), nullable=False),
)

# Client assertions already used (by jti), so a captured one cannot be replayed.
client_assertions = Table(
    "client_assertions",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("jti", String(200), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("org_ods", String(12), ForeignKey("organisations.ods_code"), nullable=False),
    Column("role", String(30), nullable=False),
    Column("password_hash", String(200), nullable=True),  # none for identity-provider users
    Column("trained_at", UTCDateTime(), nullable=True),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("display_name", String(200), nullable=True),
    Column("totp_secret", String(64), nullable=True),
    Column("totp_last_step", BigInteger, nullable=True),  # a code is accepted once
    Column("failed_attempts", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime(), nullable=True),
    # Signed in through an identity provider: who it says this is.
    Column("external_issuer", String(300), nullable=True),
    Column("external_subject", String(255), nullable=True),
    UniqueConstraint("external_issuer", "external_subject"),
)

# Server-side sessions: the cookie holds a random token, the database only its SHA-256.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("stage", String(12), nullable=False),  # "password" until the second factor, "full"
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),  # the absolute limit
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_reason", String(40), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    Column("assurance", String(10), nullable=False),
    Column("stepped_up_at", UTCDateTime(), nullable=True),
    Column("client_address", String(64), nullable=False),
    Column("user_agent", String(300), nullable=False),
)

# The networks an organisation's users may reach the record from.
org_networks = Table(
    "org_networks",
    metadata,
    Column("ods_code", String(12), ForeignKey("organisations.ods_code"), primary_key=True),
    Column("cidr", String(64), primary_key=True),
)

# Relationships users declared and overrides they used: each lapses, each is for review.
access_declarations = Table(
    "access_declarations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False),
    Column("session_hash", String(64), nullable=True),  # an override lasts one session only
    Column("patient_id", String(32), ForeignKey("patients.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # relationship, override
    Column("code", String(40), nullable=False),  # the reason's code or the override's kind
    Column("reason", Text, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_access_declarations_patient_id_user_id", "patient_id", "user_id"),
)

objections = Table(
    "objections",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("patient_id", String(32), ForeignKey("patients.id"), nullable=False, index=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(100), nullable=False),  # a user, a source's ODS code, an import
    Column("basis", Text, nullable=False),
    Column("withdrawn_at", UTCDateTime(), nullable=True),
    Column("on_behalf", String(30), nullable=False, server_default=text("'self'")),
    Column("evidence_ref", String(200), nullable=True),  # the power of attorney seen
    Column("checked_by", String(100), nullable=True),
    Column("source_ods", String(12), nullable=True),  # an opt-out a source sent
    Column("external_ref", String(200), nullable=True, unique=True),  # import or Consent key
    Column("withdrawn_by", String(100), nullable=True),
    Column("withdrawal_reason", Text, nullable=True),
    # Whose organisation recorded and withdrew it (users), and on whose behalf it was withdrawn.
    Column("recorded_org", String(12), nullable=True),
    Column("withdrawn_org", String(12), nullable=True),
    Column("withdrawn_on_behalf", String(30), nullable=True),
    Column("withdrawal_evidence_ref", String(200), nullable=True),
    Column("withdrawal_checked_by", String(100), nullable=True),
)

# National-emergency (COPI) periods, declared by a system administrator.
copi_periods = Table(
    "copi_periods",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("declared_by", String(100), nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
    Column("cancelled_at", UTCDateTime(), nullable=True),
)

# When each user last opened each person's record (for "new since your last view").
record_views = Table(
    "record_views",
    metadata,
    Column("user_id", BigId, ForeignKey("users.id"), primary_key=True),
    Column("patient_id", String(32), ForeignKey("patients.id"), primary_key=True),
    Column("last_viewed_at", UTCDateTime(), nullable=False),
    Column("session_hash", String(64), nullable=False),  # the session that viewed it last
    Column("previous_viewed_at", UTCDateTime(), nullable=True),  # the view before that session
)

# Append-only: triggers created by the migration refuse UPDATE and DELETE.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(60), nullable=False),
    Column("patient_id", String(32), nullable=True, index=True),
    Column("outcome", String(20), nullable=False),
    Column("detail", json_type(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    # Format 2 (carerecord.audit.canonical): who and from where, indexed for the privacy
    # officer's searches; entries written before it are format 1 and leave these empty.
    Column("format", Integer, nullable=False, server_default="1"),
    Column("organisation", String(12), nullable=True, index=True),
    Column("user_id", BigId, nullable=True),
    Column("role", String(30), nullable=True),
    Column("request_id", String(64), nullable=True),
    Index("ix_audit_events_occurred_at", "occurred_at"),
    Index("ix_audit_events_actor_occurred_at", "actor", "occurred_at"),
)

# The privacy officer's reviews of alerts: appended, never changed (a new review supersedes).
audit_reviews = Table(
    "audit_reviews",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule", String(40), nullable=False),
    Column("event_id", BigId, ForeignKey("audit_events.id"), nullable=False),
    Column("outcome", String(20), nullable=False),  # justified, not-justified, escalated
    Column("note", Text, nullable=False),
    Column("reviewed_by", String(100), nullable=False),
    Column("reviewed_at", UTCDateTime(), nullable=False),
    Index("ix_audit_reviews_rule_event", "rule", "event_id"),
)

# How long audit entries are kept: one row, whose years triggers let only rise (migration 0008).
audit_policy = Table(
    "audit_policy",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("retention_years", Integer, nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)

# One row per purge of expired audit entries: the last one removed, from which the kept chain
# is verified. Appended, never changed (triggers).
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("purged_at", UTCDateTime(), nullable=False),
    Column("last_id", BigId, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("retention_years", Integer, nullable=False),
)

# Sign-ins sent to the OpenID Connect provider and not yet back: their secrets, kept here so any
# server process can finish them. Each row is deleted as it is used, or once too old.
oidc_states = Table(
    "oidc_states",
    metadata,
    Column("state", String(100), primary_key=True),
    Column("nonce", String(100), nullable=False),
    Column("code_verifier", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)
