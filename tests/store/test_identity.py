"""Who a record is about: joined by NHS number, never on a conflicting date of birth, and merged
only when a source merges its own local ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from carerecord.audit.entry import AuditRecord
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.account_records import NewObjection
from carerecord.store.records import IncomingResource, Merge, Submission, WriteCounts
from carerecord.store.schema import resource_versions, resources
from tests.factories import (
    make_allergy,
    make_condition,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
)

NHS = "9434765919"
OTHER = valid_nhs_number(1)


@pytest.fixture
def rules(store: Store) -> IntakeRules:
    register(store, make_org("F83004", "gp"), make_org("RAL", "acute"))
    return IntakeRules({o.ods_code: o for o in store.organisations()}, ExclusionList())


def incoming(rules: IntakeRules, resource: dict[str, Any]) -> IncomingResource:
    prepared = prepare(RawItem("test", orjson.dumps(resource).decode(), resource), None, rules)
    assert isinstance(prepared, IncomingResource), prepared
    return prepared


def send(store: Store, rules: IntakeRules, *resources: dict[str, Any]) -> WriteCounts:
    return store.write(Submission([incoming(rules, r) for r in resources]))


def people(store: Store, nhs: str = NHS) -> dict[str, list[str]]:
    """Each visible resource of the person, as type/id by source."""
    patient_id = store.patient_id_for_nhs_number(nhs)
    assert patient_id is not None
    found: dict[str, list[str]] = {}
    for r in store.patient_resources(patient_id):
        found.setdefault(r.source_ods, []).append(f"{r.resource_type}/{r.source_id}")
    return {source: sorted(ids) for source, ids in found.items()}


def retired_patient(store: Store, local_id: str) -> tuple[tuple[int, bool], list[int]]:
    """(version, hidden) of a Patient resource, and the versions kept in its history."""
    with store.engine.connect() as conn:
        current = conn.execute(
            select(resources.c.id, resources.c.version, resources.c.hidden).where(
                resources.c.resource_type == "Patient", resources.c.source_id == local_id
            )
        ).one()
        kept = conn.execute(
            select(resource_versions.c.version).where(resource_versions.c.resource_id == current.id)
        )
        return (current.version, current.hidden), list(kept.scalars())


def test_another_source_giving_a_different_birth_date_is_quarantined_not_joined(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient("g1", birth_date="1957-03-14"))

    counts = send(
        store,
        rules,
        make_patient("h1", source="RAL", birth_date="1975-03-14"),
        make_condition(patient="h1", source="RAL", resource_id="c1"),
    )

    assert counts.quarantine_reasons == {"birth-date-conflict": 1, "unknown-patient": 1}
    assert people(store) == {"F83004": ["Patient/g1"]}
    [conflict] = store.quarantine_entries(reason_code="birth-date-conflict")
    assert (conflict.source_ods, conflict.source_id) == ("RAL", "h1")


def test_another_source_giving_the_same_birth_date_is_joined(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient("g1"))

    counts = send(
        store,
        rules,
        make_patient("h1", source="RAL"),
        make_condition(patient="h1", source="RAL", resource_id="c1"),
    )

    assert (counts.stored, counts.quarantined) == (2, 0)
    assert people(store) == {"F83004": ["Patient/g1"], "RAL": ["Condition/c1", "Patient/h1"]}


def test_a_source_may_correct_its_own_birth_date_when_no_other_source_disagrees(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient("g1", birth_date="1957-03-14"))

    counts = send(
        store,
        rules,
        make_patient("g1", birth_date="1957-04-13", last_updated="2026-10-02T09:00:00+00:00"),
    )

    assert (counts.updated, counts.quarantined) == (1, 0)
    [patient] = store.patient_resources(store.patient_id_for_nhs_number(NHS) or "")
    assert orjson.loads(patient.body)["birthDate"] == "1957-04-13"


def test_two_nhs_numbers_under_one_local_id_is_an_identity_conflict(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient("g1", nhs=NHS))

    counts = send(store, rules, make_patient("g1", nhs=OTHER))

    assert counts.quarantine_reasons == {"identity-conflict": 1}
    assert store.patient_id_for_nhs_number(OTHER) is not None  # the number, but nobody
    assert people(store) == {"F83004": ["Patient/g1"]}
    [patient] = store.patient_resources(store.patient_id_for_nhs_number(NHS) or "")
    assert NHS in patient.body


def test_a_merge_of_one_persons_duplicate_local_ids_moves_the_records(
    store: Store, rules: IntakeRules
) -> None:
    send(
        store,
        rules,
        make_patient("old"),
        make_allergy(patient="old", resource_id="a-old"),
        make_patient("new"),
        make_condition(patient="new", resource_id="c-new"),
    )

    counts = store.write(Submission(merges=[Merge("F83004", "old", "new")]))

    assert (counts.merged, counts.quarantined) == (1, 0)
    assert people(store) == {
        "F83004": ["AllergyIntolerance/a-old", "Condition/c-new", "Patient/new"]
    }
    assert retired_patient(store, "old") == ((2, True), [1])

    send(store, rules, make_condition(patient="old", resource_id="c-later"))

    assert "Condition/c-later" in people(store)["F83004"]


def two_people(store: Store, rules: IntakeRules, prior_born: str = "1980-01-01") -> None:
    """OTHER's record under local id "old", and NHS's under "new", from one source."""
    send(
        store,
        rules,
        make_patient("old", nhs=OTHER, birth_date=prior_born),
        make_allergy(patient="old", resource_id="a-old"),
        make_patient("new", nhs=NHS),
        make_condition(patient="new", resource_id="c-new"),
    )


def test_a_merge_across_nhs_numbers_is_quarantined_and_moves_nothing(
    store: Store, rules: IntakeRules
) -> None:
    two_people(store, rules)

    counts = store.write(Submission(merges=[Merge("F83004", "old", "new")]))

    assert (counts.merged, counts.quarantine_reasons) == (0, {"merge-needs-confirmation": 1})
    [entry] = store.quarantine_entries()
    assert "Patient/old into Patient/new" in entry.reason
    assert "(their NHS numbers and dates of birth differ)" in entry.reason
    assert NHS not in entry.reason and OTHER not in entry.reason
    assert people(store) == {"F83004": ["Condition/c-new", "Patient/new"]}
    assert people(store, OTHER) == {"F83004": ["AllergyIntolerance/a-old", "Patient/old"]}


def test_a_merge_across_dates_of_birth_is_quarantined_and_moves_nothing(
    store: Store, rules: IntakeRules
) -> None:
    # "old" was linked to NHS's person by hand, but still gives another date of birth
    two_people(store, rules)
    assert store.link_patient("F83004", "old", NHS)

    counts = store.write(Submission(merges=[Merge("F83004", "old", "new")]))

    assert (counts.merged, counts.quarantine_reasons) == (0, {"merge-needs-confirmation": 1})
    [entry] = store.quarantine_entries()
    assert "(their dates of birth differ)" in entry.reason
    assert retired_patient(store, "old") == ((1, False), [])


def test_a_patient_link_replaced_by_across_people_is_quarantined_with_the_patient(
    store: Store, rules: IntakeRules
) -> None:
    two_people(store, rules)
    retired = make_patient(
        "old",
        nhs=OTHER,
        birth_date="1980-01-01",
        last_updated="2026-10-02T09:00:00+00:00",
        active=False,
        link=[{"other": {"reference": "Patient/new"}, "type": "replaced-by"}],
    )

    counts = send(store, rules, retired)

    assert (counts.merged, counts.quarantine_reasons) == (0, {"merge-needs-confirmation": 1})
    [entry] = store.quarantine_entries()
    assert (entry.resource_type, entry.source_id) == ("Patient", "old")
    assert orjson.loads(entry.raw)["link"][0]["type"] == "replaced-by"
    assert people(store, OTHER) == {"F83004": ["AllergyIntolerance/a-old", "Patient/old"]}


def test_a_confirmed_merge_moves_the_records_and_the_prior_details_stop_counting(
    store: Store, rules: IntakeRules
) -> None:
    two_people(store, rules)

    moved = store.confirm_merge(Merge("F83004", "old", "new"))

    assert moved == 1
    assert people(store) == {
        "F83004": ["AllergyIntolerance/a-old", "Condition/c-new", "Patient/new"]
    }
    assert store.patient_resources(store.patient_id_for_nhs_number(OTHER) or "") == []
    # The retired identity's date of birth no longer disagrees with the survivor's updates.
    counts = send(store, rules, make_patient("new", last_updated="2026-10-03T09:00:00+00:00"))
    assert (counts.updated, counts.quarantined) == (1, 0)
    # The same merge sent again by the source is now one person's, and goes ahead.
    again = store.write(Submission(merges=[Merge("F83004", "old", "new")]))
    assert again.quarantined == 0
    assert store.confirm_merge(Merge("F83004", "old", "ghost")) is None


def test_an_objection_follows_the_records_a_confirmed_merge_moves(
    store: Store, rules: IntakeRules
) -> None:
    two_people(store, rules)
    objecting = store.patient_id_for_nhs_number(OTHER) or ""
    survivor = store.patient_id_for_nhs_number(NHS) or ""
    event = AuditRecord("tester", "record-objection", "success", {}, objecting)
    store.consent.add_objection(
        NewObjection(objecting, "tester", "does not want sharing", external_ref="import:1"),
        datetime.now(UTC),
        event,
    )

    store.confirm_merge(Merge("F83004", "old", "new"))

    [carried] = store.consent.objections(survivor)
    assert carried.withdrawn_at is None and carried.external_ref is None
    assert carried.basis.startswith("does not want sharing (carried over when records")
    assert len(store.consent.objections(objecting)) == 1  # the original stays where it was


def test_a_merge_into_a_survivor_never_sent_is_quarantined(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient("old"), make_allergy(patient="old", resource_id="a1"))

    counts = store.write(Submission(merges=[Merge("F83004", "old", "ghost")]))

    assert (counts.merged, counts.quarantine_reasons) == (0, {"unknown-patient": 1})
    [entry] = store.quarantine_entries()
    assert "Patient/ghost" in entry.reason
    assert people(store) == {"F83004": ["AllergyIntolerance/a1", "Patient/old"]}


def test_a_patient_link_replaced_by_within_one_person_is_a_merge(
    store: Store, rules: IntakeRules
) -> None:
    send(
        store,
        rules,
        make_patient("old"),
        make_allergy(patient="old", resource_id="a-old"),
        make_patient("new"),
    )
    retired = make_patient(
        "old",
        last_updated="2026-10-02T09:00:00+00:00",
        active=False,
        link=[{"other": {"reference": "Patient/new"}, "type": "replaced-by"}],
    )

    assert incoming(rules, retired).replaced_by == "new"
    counts = send(store, rules, retired)

    assert counts.merged == 1
    assert people(store) == {"F83004": ["AllergyIntolerance/a-old", "Patient/new"]}


def test_linking_by_hand_moves_what_was_stored_under_the_local_id(
    store: Store, rules: IntakeRules
) -> None:
    send(
        store,
        rules,
        make_patient("g1", nhs=NHS),
        make_patient("g2", nhs=OTHER),
        make_allergy(patient="g2", resource_id="a2"),
    )

    assert store.link_patient("F83004", "g2", NHS)
    assert not store.link_patient("F83004", "g2", valid_nhs_number(2))

    assert "AllergyIntolerance/a2" in people(store)["F83004"]
    send(store, rules, make_condition(patient="g2", resource_id="c2"))
    assert "Condition/c2" in people(store)["F83004"]


def test_a_refused_patient_is_not_stored_through_a_record_sent_with_it(
    store: Store, rules: IntakeRules
) -> None:
    send(store, rules, make_patient("g1", nhs=NHS))

    counts = send(
        store,
        rules,
        make_patient("g1", nhs=OTHER, last_updated="2026-10-02T09:00:00+00:00"),
        make_condition(patient="g1", resource_id="c1"),
    )

    assert counts.quarantine_reasons == {"identity-conflict": 1}
    [patient] = [
        r
        for r in store.patient_resources(store.patient_id_for_nhs_number(NHS) or "")
        if r.resource_type == "Patient"
    ]
    assert OTHER not in patient.body
