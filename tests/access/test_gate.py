"""RecordAccess: the reader every page uses, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from carerecord.access.actors import SYSTEM, Actor
from carerecord.access.gate import RecordAccess
from carerecord.access.policy import PatientFacts, decide
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import Purpose
from carerecord.errors import PatientNotFound
from carerecord.fhir.sections import SECTIONS
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import (
    make_allergy,
    make_condition,
    make_org,
    make_patient,
    register,
    write_ndjson,
)


def reader(store: Store, actor: Actor = SYSTEM) -> RecordAccess:
    """The reader as ingest and the command line use it: the system, which sees everything."""
    return RecordAccess(store, actor, load_rules(), datetime.now(UTC))


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    register(store, make_org("F83004", "gp"), make_org("RAL", "acute"))
    gp = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient(family="SMITH", last_updated="2026-01-01T00:00:00+00:00"),
        make_allergy(),
        make_condition(),
    )
    hospital = write_ndjson(
        tmp_path / "ral.ndjson",
        make_patient(
            local_id="MRN1",
            source="RAL",
            family="SMYTHE",
            restricted=True,
            last_updated="2026-11-01T00:00:00+00:00",
        ),
        make_allergy(patient="MRN1", source="RAL"),
        make_condition(patient="MRN1", source="RAL", status="entered-in-error"),
    )
    ingest_paths(store, [gp, hospital])
    return store


def test_a_valid_nhs_number_typed_with_spaces_finds_the_patient(loaded: Store) -> None:
    access = reader(loaded)

    assert access.find_by_nhs_number("943 476 5919") is not None
    assert access.find_by_nhs_number("943-476-5918") is None  # fails the check digit
    assert access.find_by_nhs_number("9000000009") is None  # valid but not held


def test_the_overview_prefers_the_gps_details_and_any_restriction(loaded: Store) -> None:
    access = reader(loaded)
    patient_id = access.find_by_nhs_number("9434765919") or ""

    overview = access.overview(patient_id)

    who = overview.demographics
    assert (who.family, who.nhs_number, who.source_ods) == ("SMITH", "9434765919", "F83004")
    assert who.gp_practice == "Camden Road Surgery" and who.gp_practice_ods == "F83004"
    assert who.restricted  # the hospital knows, so the record is restricted
    held = {h.ods_code: h.section_counts for h in overview.holdings}
    assert held == {
        "F83004": {"demographics": 1, "allergies": 1, "problems": 1},
        "RAL": {"demographics": 1, "allergies": 1},  # the entered-in-error item is hidden
    }
    assert [h.org_type for h in overview.holdings] == ["gp", "acute"]


def test_an_unknown_id_is_not_found(loaded: Store) -> None:
    with pytest.raises(PatientNotFound):
        reader(loaded).overview("0" * 32)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(SYSTEM, True), (Actor(kind="robot", id="r2"), False)],
)
def test_the_system_sees_everything_and_an_unknown_actor_nothing(
    actor: Actor, allowed: bool
) -> None:
    facts = PatientFacts(restricted=False, relationships=frozenset(), objection=False)
    grant = decide(actor, load_rules(), None, facts, Purpose.DIRECT_CARE, datetime.now(UTC))

    assert grant.allowed is allowed
    assert grant.sections == (frozenset(SECTIONS) if allowed else frozenset())
    assert grant.reason  # every decision says why


def test_an_actor_the_policy_refuses_sees_no_patient(loaded: Store) -> None:
    stranger = reader(loaded, Actor(kind="robot", id="r2"))
    patient_id = reader(loaded).find_by_nhs_number("9434765919") or ""

    assert stranger.find_by_nhs_number("9434765919") is None
    with pytest.raises(PatientNotFound):
        stranger.overview(patient_id)


def test_one_item_is_found_only_within_its_own_patients_record(loaded: Store) -> None:
    access = reader(loaded)
    patient_id = access.find_by_nhs_number("9434765919") or ""
    allergy = access.view(patient_id, ["allergies"]).sections["allergies"].items[0]

    assert access.item(patient_id, allergy.id).provenance.name in (
        "Camden Road Surgery",
        "Royal Free London",
    )
    with pytest.raises(PatientNotFound):
        access.item("0" * 32, allergy.id)


def test_a_view_carries_provenance_and_each_sources_standing(loaded: Store) -> None:
    access = reader(loaded)
    patient_id = access.find_by_nhs_number("9434765919") or ""

    view = access.view(patient_id, ["problems"]).sections["problems"]

    assert [i.provenance.ods_code for i in view.items] == ["F83004"]  # RAL's is hidden
    states = {c.ods_code: c.state for c in view.coverage}
    assert states == {"F83004": "contributed", "RAL": "nothing-held"}


def test_people_are_found_by_surname_and_date_of_birth(store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"))
    people = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient("a", "9434765919", family="O'Brien", birth_date="1957-03-14"),
        make_patient(
            "b",
            "9990000018",
            family="OBRIEN",
            birth_date="1957-03-14",
            address=[{"use": "home", "postalCode": "SE1 7EH"}],
        ),
        make_patient("c", "9000000009", family="O'Brien", birth_date="1960-01-01"),
    )
    ingest_paths(store, [people])
    access = reader(store)
    born = date(1957, 3, 14)

    both = access.find_by_details("o brien", born)
    narrowed = access.find_by_details("OBrien", born, postcode="se1")

    assert sorted(p.nhs_number for p in both) == ["9434765919", "9990000018"]
    assert [p.nhs_number for p in narrowed] == ["9990000018"]
    assert access.find_by_details("Smith", born) == []
    assert access.find_by_details("'", born) == []


def test_a_view_can_cap_a_section_at_its_newest_dated_items(store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"))
    conditions = [
        make_condition(resource_id=f"c{n}", onsetDateTime=f"20{10 + n}-01-01") for n in range(6)
    ]
    undated = make_condition(resource_id="undated")
    del undated["onsetDateTime"]
    ingest_paths(
        store, [write_ndjson(tmp_path / "gp.ndjson", make_patient(), *conditions, undated)]
    )
    access = reader(store)
    patient_id = access.find_by_nhs_number("9434765919") or ""

    capped = access.view(patient_id, ["problems"], {"problems": 2}).sections["problems"]
    whole = access.view(patient_id, ["problems"]).sections["problems"]

    assert [i.resource["id"] for i in capped.items] == ["c5", "c4"]
    assert [i.resource["id"] for i in whole.items][-1] == "undated"  # undated last, any engine
    assert len(whole.items) == 7


def test_legally_restricted_items_stored_before_their_code_was_listed_are_never_shown(
    loaded: Store,
) -> None:
    """Defence in depth: ingest refuses them, and the reader drops any that got in earlier."""
    listed = ExclusionList(categories={"http://snomed.info/sct|44054006": "test category"})
    plain = reader(loaded)
    guarded = RecordAccess(loaded, SYSTEM, load_rules(), datetime.now(UTC), "", listed)
    patient_id = plain.find_by_nhs_number("9434765919") or ""
    held = plain.view(patient_id, ["problems"]).sections["problems"].items

    assert [i.resource["resourceType"] for i in held] == ["Condition"]
    assert guarded.view(patient_id, ["problems"]).sections["problems"].items == ()
    with pytest.raises(PatientNotFound):
        guarded.item(patient_id, held[0].id)
