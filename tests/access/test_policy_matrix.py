"""decide() against the permission matrix (tests/access/matrix.toml): every combination of the
full product, then each rule on its own as a small table. Pure, so all of it runs in seconds.

A combination becomes the policy's inputs the way the gate builds them: the relationship from
evidence through access.relationships, a declared relationship through its expiry time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from carerecord.access import relationships
from carerecord.access.actors import User
from carerecord.access.policy import Circumstances, Grant, PatientFacts, decide
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import (
    Gate,
    Level,
    OverrideKind,
    Purpose,
    Redaction,
    RelationshipKind,
    Role,
)
from carerecord.store.account_records import Declaration, RelationshipEvidence
from tests.access import matrix
from tests.access.matrix import BANNER, NOT_FOUND, SECTIONS, Expected

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
RULES = load_rules()
MATRIX = matrix.load()
ORG = "ORG01"
RECORD_ROLES = [Role.CLINICIAN, Role.CARE_PROFESSIONAL, Role.CARE_HOME, Role.ADMIN_CLERICAL]
TRAINED = {"current": NOW - timedelta(days=30), "expired": NOW - timedelta(days=400), "none": None}
_LEVELS = {Level.NOT_FOUND: NOT_FOUND, Level.BANNER: BANNER, Level.SECTIONS: SECTIONS}


# -- From a combination to the policy's inputs -----------------------------------------------


def user(role: str, trained_at: datetime | None = TRAINED["current"]) -> User:
    return User(1, "someone", "Some One", ORG, Role(role), trained_at, "AAL2", "s", "c", None)


def evidence(relationship: str) -> RelationshipEvidence:
    """The record's evidence for one relationship (or for none), as the store reads it."""
    named = {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ORG}}
    patient = {"resourceType": "Patient", "generalPractitioner": [named]}
    other = {"resourceType": "Patient", "generalPractitioner": []}
    return RelationshipEvidence(
        patient_bodies=(_json(patient if relationship == "registered-gp" else other),),
        linked_sources=(ORG,) if relationship == "care-home-resident" else ("ELSEWHERE",),
        last_contact_at=NOW - timedelta(days=30) if relationship == "recent-encounter" else None,
        referral_bodies=(_json({"performer": [named]}),) if relationship == "open-referral" else (),
        care_team_bodies=(_json({"participant": [{"member": named}]}),)
        if relationship == "care-team"
        else (),
    )


def declarations(relationship: str) -> list[Declaration]:
    if relationship not in ("self-declared", "lapsed-self-declared"):
        return []
    ends = (
        NOW + timedelta(hours=20) if relationship == "self-declared" else NOW - timedelta(hours=1)
    )
    return [Declaration(1, 1, None, "p", "relationship", "unplanned-care", "x", NOW, ends)]


def inputs(combination: Mapping[str, str]) -> tuple[User, Circumstances, PatientFacts]:
    relationship = combination["relationship"]
    org_type = "care-home" if relationship == "care-home-resident" else "acute"
    circumstances = Circumstances(
        org_status=combination["status"],
        org_type=org_type,
        network_allowed=True,
        copi=combination["override"] == "copi",
    )
    chosen = combination["override"]
    facts = PatientFacts(
        restricted=combination["restricted"] == "yes",
        relationships=relationships.derived(evidence(relationship), ORG, org_type)
        | relationships.declared(declarations(relationship), NOW),
        objection=combination["objection"] == "active",
        override=OverrideKind(chosen) if chosen in ("emergency", "safeguarding") else None,
    )
    return user(combination["role"], TRAINED[combination["training"]]), circumstances, facts


def decided(combination: Mapping[str, str], purpose: Purpose = Purpose.DIRECT_CARE) -> Grant:
    actor, circumstances, facts = inputs(combination)
    return decide(actor, RULES, circumstances, facts, purpose, NOW)


def observed(grant: Grant) -> Expected:
    """The grant in the matrix's words (rule number and reason left out)."""
    return Expected(
        outcome=_LEVELS[grant.level],
        gate=grant.refused.value if grant.refused else None,
        may_declare=grant.may_declare,
        overrides_offered=frozenset(o.value for o in grant.may_override)
        if grant.level is Level.BANNER
        else frozenset(),
        override_used=grant.override.value if grant.override else None,
        flagged=grant.flagged,
    )


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def _without_source(expected: Expected) -> Expected:
    return Expected(
        expected.outcome,
        expected.gate,
        expected.may_declare,
        expected.overrides_offered,
        expected.override_used,
        expected.flagged,
    )


# -- The full product ------------------------------------------------------------------------


def test_every_combination_gives_the_outcome_the_matrix_states() -> None:
    wrong = []
    for combination, expected in MATRIX.expand():
        grant = decided(combination)
        sections = RULES.for_role(Role(combination["role"])).sections
        if observed(grant) != _without_source(expected) or grant.sections != (
            sections if expected.outcome == SECTIONS else frozenset()
        ):
            wrong.append(f"{combination}: rule {expected.rule} says {expected}, got {grant}")

    assert MATRIX.size == 6 * 3 * 3 * 8 * 3 * 4 * 2
    assert wrong == [], f"{len(wrong)} combinations differ, the first: {wrong[0]}"


def test_every_grant_says_why_and_carries_what_the_person_asked_for() -> None:
    for combination, _ in MATRIX.expand():
        grant = decided(combination)
        assert grant.reason, combination
        if not grant.found:
            assert grant.redactions == frozenset() and grant.sections == frozenset()
            continue
        restricted = combination["restricted"] == "yes"
        assert grant.redactions == (frozenset(Redaction) if restricted else frozenset())
        assert grant.objection is (combination["objection"] == "active")
        assert grant.copi is (combination["override"] == "copi")
        if grant.level is Level.SECTIONS:
            role = RULES.for_role(Role(combination["role"]))
            assert grant.only_types == role.only_types
            assert grant.relationship == _named(combination["relationship"])


def _named(relationship: str) -> RelationshipKind | None:
    if relationship in ("none", "lapsed-self-declared"):
        return None
    return RelationshipKind(relationship)


def test_every_rule_of_the_matrix_decides_some_combination() -> None:
    used = {expected.rule for _, expected in MATRIX.expand()}

    assert used == {rule.number for rule in MATRIX.rules}  # no rule is hidden behind another


@pytest.mark.parametrize(
    ("written", "misspelt", "message"),
    [
        ('role = "clinician"', 'role = "clinican"', "has no value 'clinican'"),
        ('objection = "active"', 'objections = "active"', "unknown key 'objections'"),
        ('outcome = "sections"', 'outcome = "everything"', "outcome must be one of"),
    ],
)
def test_the_matrix_refuses_a_misspelt_factor_value_or_outcome(
    tmp_path: Path, written: str, misspelt: str, message: str
) -> None:
    path = tmp_path / "matrix.toml"
    text = matrix.MATRIX.read_text(encoding="utf-8")
    path.write_text(text.replace(written, misspelt, 1), encoding="utf-8")

    with pytest.raises(ValueError, match=message):
        matrix.load(path)


# -- Each rule on its own --------------------------------------------------------------------


def case(**chosen: str) -> dict[str, str]:
    """A combination that passes every gate, with these factors changed."""
    base = {
        "role": "clinician",
        "status": "live",
        "training": "current",
        "relationship": "care-team",
        "objection": "none",
        "override": "none",
        "restricted": "no",
    }
    return {**base, **chosen}


@pytest.mark.parametrize(
    ("purpose", "relationship", "override", "level", "used"),
    [
        (Purpose.DIRECT_CARE, "care-team", "copi", Level.SECTIONS, OverrideKind.COPI),
        (Purpose.DIRECT_CARE, "self-declared", "copi", Level.SECTIONS, OverrideKind.COPI),
        (Purpose.DIRECT_CARE, "none", "copi", Level.BANNER, None),
        (Purpose.DIRECT_CARE, "lapsed-self-declared", "copi", Level.BANNER, None),
        (Purpose.DIRECT_CARE, "care-team", "none", Level.BANNER, None),
        (Purpose.FIND, "care-team", "copi", Level.BANNER, None),
        (Purpose.FIND, "none", "copi", Level.BANNER, None),
    ],
)
def test_a_national_emergency_lifts_an_objection_only_for_direct_care_with_a_relationship(
    purpose: Purpose, relationship: str, override: str, level: Level, used: OverrideKind | None
) -> None:
    grant = decided(case(objection="active", relationship=relationship, override=override), purpose)

    assert (grant.level, grant.override) == (level, used)
    # For direct care the objection stays on the grant, shown to be set aside; a search only
    # says who the person is.
    assert grant.objection is (purpose is Purpose.DIRECT_CARE)


@pytest.mark.parametrize("role", RECORD_ROLES)
def test_only_clinicians_may_use_the_emergency_override(role: Role) -> None:
    offered = decided(case(role=role, objection="active"))
    used = decided(case(role=role, objection="active", override="emergency"))

    clinician = role is Role.CLINICIAN
    assert (OverrideKind.EMERGENCY in offered.may_override) is clinician
    assert used.level is (Level.SECTIONS if clinician else Level.BANNER)
    assert (used.override is OverrideKind.EMERGENCY) is clinician


@pytest.mark.parametrize(
    "situation",
    [{"objection": "active"}, {"relationship": "none"}, {"relationship": "lapsed-self-declared"}],
)
def test_administrative_staff_are_offered_no_override(situation: dict[str, str]) -> None:
    grant = decided(case(role="admin-clerical", **situation))

    assert grant.level is Level.BANNER
    assert grant.may_override == frozenset()
    for kind in ("emergency", "safeguarding"):  # nor does one they somehow hold count
        assert decided(case(role="admin-clerical", override=kind, **situation)).level is (
            Level.BANNER
        )


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.IG_OFFICER])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_system_admins_and_ig_officers_never_see_a_record(role: Role, purpose: Purpose) -> None:
    for combination, _ in MATRIX.expand():
        if combination["role"] == role:
            grant = decided(combination, purpose)
            assert grant.level is Level.NOT_FOUND, combination
            assert (grant.sections, grant.may_declare, grant.may_override) == (
                frozenset(),
                False,
                frozenset(),
            )


@pytest.mark.parametrize(
    ("status", "network", "trained_at", "gate", "reason"),
    [
        (
            None,
            True,
            TRAINED["current"],
            Gate.ORGANISATION_STATUS,
            "your organisation is not registered",
        ),
        (
            "onboarding",
            True,
            TRAINED["current"],
            Gate.ORGANISATION_STATUS,
            "your organisation is onboarding, not yet live in the rollout",
        ),
        (
            "live",
            False,
            TRAINED["current"],
            Gate.NETWORK,
            "this device is not on a network registered for your organisation",
        ),
        ("live", True, None, Gate.TRAINING, "no access-rules training is recorded for you"),
        (
            "pilot",
            True,
            TRAINED["expired"],
            Gate.TRAINING,
            "your access-rules training has expired",
        ),
        (
            "live",
            True,
            NOW - RULES.training - timedelta(seconds=1),
            Gate.TRAINING,
            "your access-rules training has expired",
        ),
    ],
)
def test_a_gate_refusal_names_its_gate_and_says_why_in_plain_words(
    status: str | None, network: bool, trained_at: datetime | None, gate: Gate, reason: str
) -> None:
    circumstances = Circumstances(status, "acute", network, copi=False)
    person = PatientFacts(restricted=False, relationships=frozenset(), objection=False)
    for facts in (None, person):  # whoever the person, and whether or not they exist
        for purpose in Purpose:
            grant = decide(user("clinician", trained_at), RULES, circumstances, facts, purpose, NOW)
            assert (grant.level, grant.refused, grant.reason) == (Level.NOT_FOUND, gate, reason)
            assert grant.sections == frozenset()


def test_training_exactly_as_old_as_its_validity_is_still_current() -> None:
    circumstances = Circumstances("live", "acute", True, copi=False)
    facts = PatientFacts(False, frozenset({RelationshipKind.CARE_TEAM}), False)

    grant = decide(
        user("clinician", NOW - RULES.training),
        RULES,
        circumstances,
        facts,
        Purpose.DIRECT_CARE,
        NOW,
    )

    assert grant.level is Level.SECTIONS


def test_a_user_with_no_circumstances_is_refused_at_the_organisation_gate() -> None:
    grant = decide(user("clinician"), RULES, None, None, Purpose.FIND, NOW)

    assert (grant.level, grant.refused) == (Level.NOT_FOUND, Gate.ORGANISATION_STATUS)
