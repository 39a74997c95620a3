"""New resources go in many at a time (COPY on PostgreSQL, one executemany on SQLite), and what
is held is looked up for a whole batch at once: neither may change what is stored or found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store, bulk
from carerecord.store.records import IncomingResource, Submission, WriteCounts
from carerecord.store.schema import resources
from tests.factories import make_condition, make_org, make_patient, register


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


def test_a_new_resource_is_stored_exactly_as_sent(store: Store, rules: IntakeRules) -> None:
    awkward = make_condition(
        resource_id="c-text",
        meta={"lastUpdated": "2026-10-01T10:30:00+01:00", "source": "urn:ods:F83004"},
        note=[{"text": 'tab\there, line\nbreak, back\\slash, "quoted", \\N, café ✓'}],
    )
    send(store, rules, make_patient())

    assert send(store, rules, awkward).stored == 1

    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    (held,) = [r for r in store.patient_resources(patient_id) if r.source_id == "c-text"]
    assert held.body == incoming(rules, awkward).body
    assert orjson.loads(held.body)["note"] == awkward["note"]
    assert held.last_updated_at_source == datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    assert held.clinical_date == datetime(2015, 6, 1, tzinfo=UTC)
    assert (held.code_system, held.code, held.version) == ("http://snomed.info/sct", "44054006", 1)


def test_a_batch_finds_only_the_keys_it_holds(store: Store, rules: IntakeRules) -> None:
    """Each source's ids are its own: a lookup for a whole batch must not cross them."""
    send(
        store,
        rules,
        make_patient(),
        make_patient(source="RAL", gp_ods=None),
        make_condition(resource_id="x"),
        make_condition(resource_id="y", source="RAL"),
    )

    crossed = send(
        store,
        rules,
        make_condition(resource_id="y"),
        make_condition(resource_id="x", source="RAL"),
    )

    assert crossed.outcomes == {
        ("F83004", "Condition", "y"): "created",
        ("RAL", "Condition", "x"): "created",
    }


def test_a_re_sent_batch_is_found_whole(store: Store, rules: IntakeRules) -> None:
    batch = [make_patient(), *(make_condition(resource_id=f"c{n}") for n in range(1500))]
    assert send(store, rules, *batch).stored == 1501

    again = send(store, rules, *batch)

    assert (again.stored, again.updated, again.unchanged) == (0, 0, 1501)


def test_a_key_another_writer_holds_fails_the_insert_so_the_batch_is_retried(
    store: Store,
) -> None:
    """What Store.apply retries on: COPY must fail as a plain INSERT does, not in its own way."""
    register(store, make_org("F83004", "gp"))
    now = bulk.stamp(datetime.now(UTC), store.dialect)
    row = ("F83004", "Condition", "a", "problems", 1, now, "[]", "{}", "0" * 64)
    columns = ["source_ods", "resource_type", "source_id", "section", "version"]
    columns += ["received_at", "codes", "body", "content_hash"]
    with store.transaction() as conn:
        bulk.insert_rows(conn, resources, columns, [row])

    with pytest.raises(IntegrityError), store.transaction() as conn:
        bulk.insert_rows(conn, resources, columns, [("F83004", "Condition", "b", *row[3:]), row])

    with store.transaction() as conn:
        held = conn.execute(select(resources.c.source_id).order_by(resources.c.source_id))
        assert [r.source_id for r in held] == ["a"]
