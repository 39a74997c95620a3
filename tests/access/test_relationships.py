"""What the record's own data proves about a person's relation to an organisation (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from carerecord.access.relationships import declared, derived, strongest
from carerecord.access.vocabulary import RelationshipKind as K
from carerecord.store.account_records import Declaration, RelationshipEvidence

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"


def org(code: str) -> dict[str, object]:
    return {"identifier": {"system": ODS, "value": code}}


def evidence(**kw: object) -> RelationshipEvidence:
    base: dict[str, object] = {
        "patient_bodies": (),
        "linked_sources": (),
        "last_contact_at": None,
        "referral_bodies": (),
        "care_team_bodies": (),
    }
    base.update(kw)
    return RelationshipEvidence(**base)  # type: ignore[arg-type]


def body(resource: dict[str, object]) -> str:
    return orjson.dumps(resource).decode()


@pytest.mark.parametrize(
    ("held", "org_type", "expected"),
    [
        (evidence(), "gp", set()),
        (
            evidence(patient_bodies=(body({"generalPractitioner": [org("f83004")]}),)),
            "gp",
            {K.REGISTERED_GP},
        ),
        (
            evidence(patient_bodies=(body({"generalPractitioner": [org("Y00001")]}),)),
            "gp",
            set(),
        ),
        (
            evidence(
                patient_bodies=(
                    body({"generalPractitioner": [{"reference": "Organization/F83004"}]}),
                )
            ),
            "gp",
            {K.REGISTERED_GP},
        ),
        (evidence(linked_sources=("F83004",)), "care-home", {K.CARE_HOME_RESIDENT}),
        (evidence(linked_sources=("F83004",)), "acute", set()),  # holding a record is not care
        (evidence(last_contact_at=NOW - timedelta(days=3)), "acute", {K.RECENT_ENCOUNTER}),
        (
            evidence(referral_bodies=(body({"performer": [org("F83004")]}),)),
            "community",
            {K.OPEN_REFERRAL},
        ),
        (
            evidence(referral_bodies=(body({"performer": [{"display": "F83004"}]}),)),
            "community",
            set(),  # a display text proves nothing
        ),
        (
            evidence(care_team_bodies=(body({"participant": [{"member": org("F83004")}]}),)),
            "mental-health",
            {K.CARE_TEAM},
        ),
        (
            evidence(care_team_bodies=(body({"managingOrganization": [org("F83004")]}),)),
            "mental-health",
            {K.CARE_TEAM},
        ),
        (evidence(care_team_bodies=("not json",)), "mental-health", set()),
    ],
)
def test_evidence_held_proves_these_relationships(
    held: RelationshipEvidence, org_type: str, expected: set[K]
) -> None:
    assert derived(held, "F83004", org_type) == expected


def declaration(kind: str, expires: datetime) -> Declaration:
    return Declaration(1, 1, None, "p", kind, "new-patient", "why", NOW, expires)


def test_a_declared_relationship_counts_until_it_lapses() -> None:
    live = declaration("relationship", NOW + timedelta(hours=1))
    lapsed = declaration("relationship", NOW - timedelta(seconds=1))
    override = declaration("override", NOW + timedelta(hours=1))

    assert declared([live], NOW) == {K.SELF_DECLARED}
    assert declared([lapsed], NOW) == set()
    assert declared([override], NOW) == set()  # an override is not a relationship


def test_the_strongest_evidence_is_named() -> None:
    assert strongest({K.SELF_DECLARED, K.RECENT_ENCOUNTER}) is K.RECENT_ENCOUNTER
    assert strongest({K.REGISTERED_GP, K.CARE_TEAM}) is K.REGISTERED_GP
    assert strongest(set()) is None
