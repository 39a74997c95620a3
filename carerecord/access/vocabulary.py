"""The words access decisions are made of, as enums: a typo is an error, not a silent deny."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """carerecord's own roles; national RBAC codes map onto them (access/rules.toml)."""

    CLINICIAN = "clinician"
    CARE_PROFESSIONAL = "care-professional"
    CARE_HOME = "care-home"
    ADMIN_CLERICAL = "admin-clerical"
    IG_OFFICER = "ig-officer"
    SYSTEM_ADMIN = "system-admin"


class Purpose(StrEnum):
    FIND = "find"  # searching: at most who the person is
    DIRECT_CARE = "direct-care"  # opening the record to care for the person


class Section(StrEnum):
    """The parts of the record (values are the section names used in addresses and storage)."""

    DEMOGRAPHICS = "demographics"
    ALERTS = "alerts"
    ALLERGIES = "allergies"
    MEDICATIONS = "medications"
    PROBLEMS = "problems"
    RESULTS = "results"
    ENCOUNTERS = "encounters"
    DOCUMENTS = "documents"
    REFERRALS = "referrals"
    CARE_PLANS = "care-plans"
    CARE_TEAM = "care-team"
    COMMUNITY = "community"


class RelationshipKind(StrEnum):
    """Evidence that the user's organisation is involved in the person's care."""

    REGISTERED_GP = "registered-gp"
    RECENT_ENCOUNTER = "recent-encounter"  # encounter, appointment or episode of care
    OPEN_REFERRAL = "open-referral"
    CARE_HOME_RESIDENT = "care-home-resident"
    CARE_TEAM = "care-team"
    SELF_DECLARED = "self-declared"  # no evidence held: the user stated a reason


class OverrideKind(StrEnum):
    """Reasons that set aside a person's objection (or the want of a relationship)."""

    EMERGENCY = "emergency"
    SAFEGUARDING = "safeguarding"
    COPI = "copi"  # a declared national-emergency period: not chosen per person


class Level(StrEnum):
    """How much of the person a grant reveals, from nothing up."""

    NOT_FOUND = "not-found"  # existence not revealed
    BANNER = "banner"  # who the person is; nothing about who holds data
    SECTIONS = "sections"  # the sections listed in the grant


class Redaction(StrEnum):
    """Parts of the person's details that are never shown under this grant."""

    ADDRESS = "address"
    TELECOM = "telecom"
    GP_PRACTICE = "gp-practice"


class Gate(StrEnum):
    """Checks about the user and the request, before any patient is considered."""

    NETWORK = "network"
    ORGANISATION_STATUS = "organisation-status"
    TRAINING = "training"
    ACCOUNT = "account"


class OnBehalf(StrEnum):
    """Who an objection to sharing (or its withdrawal) was made by."""

    SELF = "self"  # the person themselves
    LPA_HEALTH_WELFARE = "lpa-health-welfare"  # their attorney for health and welfare
