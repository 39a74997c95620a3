"""Legally restricted data is kept out of the shared record: refused at ingest, content unkept,
and what goes with it (the encounter it happened in, what cites it) goes too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from carerecord.errors import ConfigurationError
from carerecord.fhir.systems import SNOMED
from carerecord.ingest.exclusions import load_exclusions
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.pipeline import ingest_paths
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import ExcludedItem, IncomingResource
from carerecord.store.schema import exclusions, quarantine, resource_versions, resources
from tests.conftest import require
from tests.factories import make_condition, make_org, make_patient, register, write_ndjson
from tests.support.shared_data import SHARED_DATA

REAL_SETS = SHARED_DATA / "snomed-uk-sharing-exclusions-AGPL3"
FERTILITY = "46249006"  # Artificial insemination, heterologous
GENDER = "12271241000119109"  # Transgender identity
INFECTION = "197967000"  # Gonococcal prostatitis
TERMINATION = "86891002"  # Illegal abortion complicated by delayed haemorrhage


def value_set(title: str, **body: Any) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "status": "active", "title": title, **body}


def included(*codes: str) -> dict[str, Any]:
    return {"include": [{"system": SNOMED, "concept": [{"code": c} for c in codes]}]}


def write_sets(folder: Path) -> Path:
    """A handful of real member codes, one ValueSet per category, in the shapes the loader reads
    (the gender set as a nested expansion)."""
    folder.mkdir(exist_ok=True)
    sets = {
        "Assisted_fertilisation_vs.json": value_set(
            "Assisted fertilisation vs", compose=included(FERTILITY, "263321000000106")
        ),
        "Gender_related_issues_vs.json": value_set(
            "Gender related issues vs",
            expansion={
                "contains": [
                    {
                        "system": SNOMED,
                        "code": "12277711000119108",
                        "contains": [{"system": SNOMED, "code": GENDER}],
                    }
                ]
            },
        ),
        "Sexually_transmitted_disease_vs.json": value_set(
            "Sexually transmitted disease vs", compose=included(INFECTION, "197966009")
        ),
        "Termination_of_pregnancy_vs.json": value_set(
            "Termination of pregnancy vs", compose=included(TERMINATION, "10661000000106")
        ),
    }
    for name, content in sets.items():
        (folder / name).write_bytes(orjson.dumps(content))
    return folder


def snomed(code: str) -> dict[str, Any]:
    return {"coding": [{"system": SNOMED, "code": code}]}


@pytest.fixture
def rules(store: Store, tmp_path: Path) -> IntakeRules:
    register(store, make_org("F83004", "gp"))
    organisations = {o.ods_code: o for o in store.organisations()}
    return IntakeRules(organisations, load_exclusions(write_sets(tmp_path / "sets")))


def make_encounter(resource_id: str = "e1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": resource_id,
        "meta": {"source": "urn:ods:F83004"},
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": "Patient/p1"},
        **extra,
    }


def restricted_condition(resource_id: str = "c-x", **extra: Any) -> dict[str, Any]:
    return make_condition(resource_id=resource_id, code=snomed(INFECTION), **extra)


def shown(store: Store) -> list[str]:
    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    return sorted(f"{r.resource_type}/{r.source_id}" for r in store.patient_resources(patient_id))


def stored_text(store: Store) -> str:
    """Every row of the tables that hold content, as one string."""
    with store.engine.connect() as conn:
        rows = [
            *conn.execute(select(resources)),
            *conn.execute(select(resource_versions)),
            *conn.execute(select(quarantine)),
        ]
    return "\n".join(str(tuple(row)) for row in rows)


# Loading the code lists


def test_the_loader_reads_concepts_and_nested_expansions_by_category(tmp_path: Path) -> None:
    loaded = load_exclusions(write_sets(tmp_path / "sets"))

    assert loaded.sets == (
        "assisted fertilisation",
        "gender related issues",
        "sexually transmitted disease",
        "termination of pregnancy",
    )
    assert len(loaded) == 8
    assert loaded.match(["http://loinc.org|1-8", f"{SNOMED}|{GENDER}"]) == "gender related issues"
    assert loaded.match([f"{SNOMED}|44054006"]) is None
    assert loaded.match([f"http://loinc.org|{FERTILITY}"]) is None  # the system counts too


def test_no_folder_configured_loads_nothing() -> None:
    assert len(load_exclusions("")) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no ValueSets found"),
        (b"{not json", "cannot read"),
        (orjson.dumps({"resourceType": "CodeSystem"}), "is not a FHIR ValueSet"),
        (orjson.dumps(value_set("Empty vs", compose={"include": []})), "lists no codes"),
        (orjson.dumps(value_set("Odd vs", compose={"include": ["x"]})), "lists no codes"),
        (orjson.dumps(value_set("Odd vs", compose="x", expansion=[])), "lists no codes"),
    ],
)
def test_an_unusable_folder_is_a_configuration_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "set.json").write_bytes(content)

    with pytest.raises(ConfigurationError, match=message):
        load_exclusions(tmp_path)


def test_a_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is not a folder"):
        load_exclusions(tmp_path / "missing")


def test_the_real_uk_exclusion_sets_load_whole() -> None:
    require(REAL_SETS.is_dir(), f"the SNOMED CT UK exclusion ValueSets are not at {REAL_SETS}")

    loaded = load_exclusions(REAL_SETS)

    assert loaded.sets == (
        "assisted fertilisation",
        "gender related issues",
        "sexually transmitted disease",
        "termination of pregnancy",
    )
    assert len(loaded) == 2743
    assert loaded.match([f"{SNOMED}|{FERTILITY}"]) == "assisted fertilisation"


# Refusing an item


@pytest.mark.parametrize(
    ("resource", "category"),
    [
        (restricted_condition(), "sexually transmitted disease"),
        (
            {
                "resourceType": "Observation",
                "id": "o1",
                "meta": {"source": "urn:ods:F83004"},
                "status": "final",
                "code": {"text": "Procedure history"},
                "subject": {"reference": "Patient/p1"},
                "valueCodeableConcept": {
                    "coding": [
                        {"system": "http://example.org/local", "code": "X1"},
                        {"system": SNOMED, "code": FERTILITY},
                    ]
                },
            },
            "assisted fertilisation",
        ),
        (make_encounter(reasonCode=[snomed(TERMINATION)]), "termination of pregnancy"),
    ],
    ids=["condition-code", "nested-observation-value", "encounter-reason"],
)
def test_a_member_code_anywhere_excludes_the_resource(
    rules: IntakeRules, resource: dict[str, Any], category: str
) -> None:
    prepared = prepare(RawItem("test", orjson.dumps(resource).decode(), resource), None, rules)

    assert isinstance(prepared, ExcludedItem)
    assert (prepared.key, prepared.category) == (
        ("F83004", resource["resourceType"], resource["id"]),
        category,
    )


def test_a_resource_without_member_codes_is_not_excluded(rules: IntakeRules) -> None:
    resource = make_condition()
    prepared = prepare(RawItem("test", orjson.dumps(resource).decode(), resource), None, rules)

    assert isinstance(prepared, IncomingResource)


# Through ingest


def test_an_excluded_resource_is_counted_and_nothing_of_it_is_kept(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), restricted_condition("c-x"))

    counts = ingest_paths(store, [path], rules=rules)

    assert (counts.stored, counts.excluded, counts.quarantined) == (1, 1, 0)
    assert counts.excluded_categories == {"sexually transmitted disease": 1}
    assert shown(store) == ["Patient/p1"]
    assert INFECTION not in stored_text(store)
    assert store.quarantine_entries(status=None) == []
    with store.engine.connect() as conn:
        logged = conn.execute(select(exclusions.c.resource_type, exclusions.c.source_id)).all()
    assert [tuple(row) for row in logged] == [("Condition", "c-x")]


def test_the_encounter_an_excluded_condition_cites_is_excluded_with_it(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    path = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient(),
        make_encounter("e1"),
        restricted_condition("c-x", encounter={"reference": "Encounter/e1"}),
    )

    counts = ingest_paths(store, [path], rules=rules)

    assert (counts.stored, counts.excluded) == (1, 2)
    assert shown(store) == ["Patient/p1"]
    assert '"e1"' not in stored_text(store)


def test_what_cites_an_excluded_resource_in_a_later_run_is_excluded(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    ingest_paths(
        store,
        [write_ndjson(tmp_path / "first.ndjson", make_patient(), restricted_condition("c-x"))],
        rules=rules,
    )
    follow_up = make_condition(
        resource_id="c-later", evidence=[{"detail": [{"reference": "Condition/c-x"}]}]
    )

    counts = ingest_paths(store, [write_ndjson(tmp_path / "later.ndjson", follow_up)], rules=rules)

    assert (counts.stored, counts.excluded) == (0, 1)
    assert shown(store) == ["Patient/p1"]


def test_an_encounter_stored_before_an_excluded_condition_cites_it_is_hidden(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    ingest_paths(
        store,
        [write_ndjson(tmp_path / "first.ndjson", make_patient(), make_encounter("e1"))],
        rules=rules,
    )
    assert shown(store) == ["Encounter/e1", "Patient/p1"]
    condition = restricted_condition("c-x", encounter={"reference": "Encounter/e1"})

    counts = ingest_paths(store, [write_ndjson(tmp_path / "later.ndjson", condition)], rules=rules)

    assert counts.excluded == 1
    assert shown(store) == ["Patient/p1"]


def test_a_patient_is_never_excluded_by_citation(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    patient = make_patient(
        extension=[
            {
                "url": "https://example.org/StructureDefinition/main-problem",
                "valueReference": {"reference": "Condition/c-x"},
            }
        ]
    )
    path = write_ndjson(tmp_path / "gp.ndjson", patient, restricted_condition("c-x"))

    counts = ingest_paths(store, [path], rules=rules)
    again = ingest_paths(
        store,
        [write_ndjson(tmp_path / "again.ndjson", {**patient, "gender": "male"})],
        rules=rules,
    )

    assert (counts.stored, counts.excluded, again.updated) == (1, 1, 1)
    assert shown(store) == ["Patient/p1"]


# Nothing restricted reaches the quarantine, whatever else is wrong


def test_a_restricted_resource_from_an_unregistered_source_is_excluded_not_quarantined(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    stray = restricted_condition("c-x", meta={"source": "urn:ods:NOTREG"})
    path = write_ndjson(tmp_path / "stray.ndjson", stray)

    counts = ingest_paths(store, [path], rules=rules)

    assert (counts.excluded, counts.quarantined) == (1, 0)
    assert INFECTION not in stored_text(store)


def test_a_message_kept_in_quarantine_has_its_restricted_segments_removed(
    store: Store, rules: IntakeRules
) -> None:
    from carerecord.ingest.hl7_receive import receive

    register(store, make_org("RAL", "acute"))
    rules = IntakeRules({o.ods_code: o for o in store.organisations()}, rules.exclusions)
    message = "\r".join(
        [
            "MSH|^~\\&|LAB|RAL|CR|CR|202401011000||ORU^R01|Q1|P|2.4",
            "PID|1||NOT-SENT^^^RAL^MR||SMITH^JO||19570314|F",  # no NHS number: unusable
            "OBR|1||ORD1|1234^Screen^LN|||202401010900",
            "OBX|1|CE|5678^Result^LN||" + INFECTION + "^Gonococcal prostatitis^SCT||||||F",
            "NTE|1||a note about the restricted result",
            "OBR|2||ORD2|4548-4^HbA1c^LN|||202401010900",
            "OBX|1|NM|4548-4^HbA1c^LN||48|mmol/mol|||||F",
        ]
    )

    result = receive(store, rules, message, "test")

    assert result.code in ("AE", "AR")
    [kept] = store.quarantine_entries()
    assert INFECTION not in kept.raw and "restricted result" not in kept.raw
    assert "HbA1c" in kept.raw and "ORD1" in kept.raw  # only the result and its note went
    assert "2 legally restricted segment(s) removed" in kept.reason
