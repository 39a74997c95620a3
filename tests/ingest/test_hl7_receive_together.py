"""Messages waiting on several connections, applied together: each still applied once, whole
or not at all, and answered on its own, exactly as if it had arrived alone."""

from __future__ import annotations

import orjson
from sqlalchemy import Table, func, select

from carerecord.ingest.hl7_intake import MessageResult
from carerecord.ingest.hl7_receive import receive, receive_all
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.schema import hl7_messages, quarantine, resource_versions
from tests.factories import valid_nhs_number
from tests.ingest.conftest import FERTILITY
from tests.ingest.test_hl7_intake import (
    POTASSIUM,
    adt,
    held,
    oru,
    pid,
)

ADMIT = adt("A01", "G1", "20240301100000", location="WARD1^BAY1^BED1")
TRANSFER = adt("A02", "G2", "20240301120000", location="WARD2^BAY2^BED2")
RESULT = oru("G3", POTASSIUM)


def codes(results: list[MessageResult]) -> list[str]:
    return [result.code for result in results]


def rows(store: Store, table: Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_messages_from_one_group_are_all_applied_and_answered_in_order(
    store: Store, rules: IntakeRules
) -> None:
    results = receive_all(store, rules, [(ADMIT, "a", None), (RESULT, "b", None)])

    assert codes(results) == ["AA", "AA"]
    assert "MSA|AA|G1" in results[0].ack and "MSA|AA|G3" in results[1].ack
    kinds = {key.split("/")[0] for key in held(store)}
    assert {"Patient", "Encounter", "DiagnosticReport", "Observation"} <= kinds


def test_a_transfer_after_its_admission_in_the_same_group_builds_on_it(
    store: Store, rules: IntakeRules
) -> None:
    receive_all(store, rules, [(ADMIT, "a", None), (TRANSFER, "b", None)])

    encounter = held(store)["Encounter/V100"]
    locations = orjson.loads(encounter.body)["location"]
    assert [place["status"] for place in locations] == ["completed", "active"]
    assert encounter.version == 2  # the admission's version is history, not lost
    assert rows(store, resource_versions) >= 1


def test_the_same_message_twice_in_a_group_is_applied_once_and_answered_the_same(
    store: Store, rules: IntakeRules
) -> None:
    results = receive_all(store, rules, [(ADMIT, "a", None), (ADMIT, "b", None)])

    assert codes(results) == ["AA", "AA"]
    assert results[1].replayed and results[1].ack == results[0].ack
    assert rows(store, hl7_messages) == 1
    assert held(store)["Encounter/V100"].version == 1


def test_a_message_applied_before_is_answered_again_from_the_log(
    store: Store, rules: IntakeRules
) -> None:
    first = receive(store, rules, ADMIT, "alone")

    again = receive_all(store, rules, [(ADMIT, "again", None), (RESULT, "new", None)])

    assert again[0].replayed and again[0].ack == first.ack
    assert codes(again) == ["AA", "AA"]


def test_one_unusable_message_is_refused_alone_and_the_others_are_stored(
    store: Store, rules: IntakeRules
) -> None:
    bad = oru("G9", POTASSIUM, patient=pid("L9", nhs="9434765918"))  # fails modulus 11

    results = receive_all(store, rules, [(ADMIT, "a", None), (bad, "b", None), (RESULT, "c", None)])

    assert codes(results) == ["AA", "AE", "AA"]
    assert "modulus-11" in results[1].ack
    assert rows(store, quarantine) == 1
    assert rows(store, hl7_messages) == 3


def test_a_birth_date_conflict_found_while_writing_fails_only_its_own_message(
    store: Store, rules: IntakeRules
) -> None:
    receive(store, rules, ADMIT, "first")  # NHS number held with born 1957-03-14
    other_source = adt(
        "A01", "G8", "20240302100000", facility="RAL", patient=pid("R1", born="19600101")
    )
    fine = oru("G7", POTASSIUM, patient=pid("L2", nhs=valid_nhs_number(7)))

    results = receive_all(store, rules, [(other_source, "a", None), (fine, "b", None)])

    assert codes(results) == ["AE", "AA"]
    assert "date of birth" in results[0].ack
    assert "Patient/R1" not in str(held(store))


def test_legally_restricted_data_in_one_message_answers_only_that_message_ae(
    store: Store, rules: IntakeRules
) -> None:
    restricted = f"OBX|2|CE|PROC^Procedure^L||{FERTILITY}^Artificial insemination^SCT||||||F"
    with_restricted = oru("G6", POTASSIUM, restricted)

    results = receive_all(store, rules, [(ADMIT, "a", None), (with_restricted, "b", None)])

    assert codes(results) == ["AA", "AE"]
    assert "legally restricted" in results[1].ack
    assert not any(FERTILITY in stored.body for stored in held(store).values())


def test_garbage_and_unknown_senders_in_a_group_are_refused_and_the_rest_applied(
    store: Store, rules: IntakeRules
) -> None:
    stranger = adt("A01", "G5", "20240301100000", facility="ZZZ99")

    results = receive_all(
        store, rules, [(b"not hl7 at all", "a", None), (stranger, "b", None), (ADMIT, "c", None)]
    )

    assert codes(results) == ["AR", "AR", "AA"]
    assert rows(store, quarantine) == 2
