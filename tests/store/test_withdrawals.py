"""A source withdrawing what it sent: hidden from the record, never lost from history."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select

from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import Deletion, IncomingResource, Submission, WriteCounts
from carerecord.store.schema import resource_versions, resources
from tests.factories import make_allergy, make_org, make_patient, register


@pytest.fixture
def rules(store: Store) -> IntakeRules:
    register(store, make_org("F83004", "gp"))
    return IntakeRules({o.ods_code: o for o in store.organisations()}, ExclusionList())


def send(store: Store, rules: IntakeRules, *resources: dict[str, Any]) -> WriteCounts:
    prepared = [
        prepare(RawItem("test", orjson.dumps(r).decode(), r), None, rules) for r in resources
    ]
    assert all(isinstance(p, IncomingResource) for p in prepared), prepared
    return store.write(Submission([p for p in prepared if isinstance(p, IncomingResource)]))


def shown(store: Store) -> list[str]:
    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    return sorted(f"{r.resource_type}/{r.source_id}" for r in store.patient_resources(patient_id))


def history(store: Store, source_id: str) -> list[tuple[int, bool]]:
    """(version, hidden) of each version kept aside for one resource."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(resource_versions.c.version, resource_versions.c.hidden)
            .join(resources, resources.c.id == resource_versions.c.resource_id)
            .where(resources.c.source_id == source_id)
            .order_by(resource_versions.c.version)
        )
        return [(row.version, row.hidden) for row in rows]


def test_a_deletion_hides_the_resource_and_keeps_its_history(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient(), make_allergy(resource_id="a1"))

    counts = store.write(Submission(deletions=[Deletion("F83004", "AllergyIntolerance", "a1")]))

    assert counts.deleted == 1
    assert shown(store) == ["Patient/p1"]
    assert history(store, "a1") == [(1, False)]


def test_deleting_twice_counts_once(store: Store, rules: IntakeRules) -> None:
    send(store, rules, make_patient(), make_allergy(resource_id="a1"))
    deletion = Submission(deletions=[Deletion("F83004", "AllergyIntolerance", "a1")])
    store.write(deletion)

    assert store.write(deletion).deleted == 0
    assert history(store, "a1") == [(1, False)]


def test_sending_the_same_content_after_a_deletion_shows_it_again(
    store: Store, rules: IntakeRules
) -> None:
    allergy = make_allergy(resource_id="a1")
    send(store, rules, make_patient(), allergy)
    store.write(Submission(deletions=[Deletion("F83004", "AllergyIntolerance", "a1")]))

    counts = send(store, rules, allergy)

    assert counts.updated == 1
    assert shown(store) == ["AllergyIntolerance/a1", "Patient/p1"]
    assert history(store, "a1") == [(1, False), (2, True)]


def test_deleting_what_was_never_stored_is_harmless(store: Store, rules: IntakeRules) -> None:
    send(store, rules, make_patient())
    before = store.counts()

    counts = store.write(Submission(deletions=[Deletion("F83004", "Condition", "never")]))

    assert (counts.deleted, counts.quarantined) == (0, 0)
    assert store.counts() == before
    assert shown(store) == ["Patient/p1"]


def test_a_version_marked_entered_in_error_hides_the_resource(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient(), make_allergy(resource_id="a1"))
    mistaken = make_allergy(
        resource_id="a1",
        last_updated="2026-10-02T09:00:00+00:00",
        verificationStatus={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "entered-in-error",
                }
            ]
        },
    )

    counts = send(store, rules, mistaken)

    assert counts.updated == 1
    assert shown(store) == ["Patient/p1"]
    assert history(store, "a1") == [(1, False)]
