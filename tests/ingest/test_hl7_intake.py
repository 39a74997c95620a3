"""HL7 v2 messages received into the store: applied once, whole or not at all, and answered."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import func, select

from carerecord.ingest.hl7_receive import receive
from carerecord.ingest.pipeline import ingest_paths
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import StoredResource
from carerecord.store.schema import resource_versions, resources
from tests.factories import valid_nhs_number
from tests.ingest.conftest import FERTILITY

NHS = "9434765919"


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with each field at its HL7 position, so tests cannot miscount pipes."""
    values = [""] * max(fields)
    for position, value in fields.items():
        values[position - 1] = value
    return "|".join([name, *values])


def pid(local_id: str = "L1", nhs: str = NHS, born: str = "19570314") -> str:
    return segment(
        "PID", {1: "1", 3: f"{local_id}^^^RCB^MR~{nhs}^^^NHS^NH", 5: "SMITH^JO", 7: born}
    )


def adt(
    event: str,
    control_id: str,
    when: str,
    *,
    facility: str = "RCB",
    location: str = "WARD1^BAY1^BED1",
    visit: str = "V100",
    patient: str = "",
) -> str:
    return "\r".join(
        [
            f"MSH|^~\\&|PAS|{facility}|CR|CR|{when}||ADT^{event}|{control_id}|P|2.4",
            f"EVN|{event}|{when}",
            patient or pid(),
            segment("PV1", {1: "1", 2: "I", 3: location, 10: "MED", 19: visit}),
        ]
    )


def oru(control_id: str, *obx: str, patient: str = "") -> str:
    return "\r".join(
        [
            f"MSH|^~\\&|LAB|RCB|CR|CR|20240301093000||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
            patient or pid(),
            "OBR|1|PL1|FL1^LAB|BON^Bone profile^WinPath|||20240301080000|||||||||||||||"
            "202403010900|||F",
            *obx,
        ]
    )


POTASSIUM = "OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L^mmol/L^UCUM|3.5-5.0|N|||F"


def held(store: Store, nhs: str = NHS) -> dict[str, StoredResource]:
    patient_id = store.patient_id_for_nhs_number(nhs)
    if patient_id is None:
        return {}
    return {f"{r.resource_type}/{r.source_id}": r for r in store.patient_resources(patient_id)}


def test_admit_transfer_discharge_build_one_encounter_with_its_location_history(
    store: Store, rules: IntakeRules
) -> None:
    ward2 = "WARD2^BAY9^BED3"
    messages = [
        adt("A01", "M1", "202401011000"),
        adt("A02", "M2", "202401021000", location=ward2),
        adt("A03", "M3", "202401051200", location=ward2),
    ]

    codes = [receive(store, rules, message, "mllp").code for message in messages]

    assert codes == ["AA", "AA", "AA"]
    record = held(store)
    assert sorted(record) == ["Encounter/V100", "Patient/L1"]
    encounter = orjson.loads(record["Encounter/V100"].body)
    assert encounter["status"] == "finished"
    assert [(p["location"]["display"], p["status"]) for p in encounter["location"]] == [
        ("WARD1 BAY1 BED1", "completed"),
        ("WARD2 BAY9 BED3", "completed"),
    ]
    assert record["Encounter/V100"].version == 3


def test_the_same_message_twice_is_applied_once_and_answered_the_same(
    store: Store, rules: IntakeRules
) -> None:
    message = adt("A01", "M1", "202401011000")
    first = receive(store, rules, message, "mllp")

    again = receive(store, rules, message, "mllp")

    assert (first.replayed, again.replayed) == (False, True)
    assert (again.code, again.ack) == ("AA", first.ack)
    with store.engine.connect() as conn:
        versions = conn.execute(select(resources.c.version).where(resources.c.source_id == "V100"))
        assert versions.scalars().all() == [1]
        assert conn.execute(select(func.count()).select_from(resource_versions)).scalar() == 0


def test_an_unregistered_sending_facility_is_rejected_and_quarantined(
    store: Store, rules: IntakeRules
) -> None:
    result = receive(store, rules, adt("A01", "M1", "2024", facility="NOPE1"), "mllp")

    assert result.code == "AR"
    assert "NOPE1 (MSH-4) is not a registered source" in result.ack
    [entry] = store.quarantine_entries()
    assert (entry.reason_code, entry.source_ods, entry.input_format) == (
        "unknown-source",
        "NOPE1",
        "hl7v2",
    )
    assert held(store) == {}


def test_garbage_is_rejected_and_quarantined_as_malformed(store: Store, rules: IntakeRules) -> None:
    result = receive(store, rules, b"hello, is this the lab?", "mllp")

    assert (result.code, result.counts.quarantine_reasons) == ("AR", {"malformed": 1})
    assert [e.reason_code for e in store.quarantine_entries()] == ["malformed"]


def test_an_unsupported_message_type_is_rejected(store: Store, rules: IntakeRules) -> None:
    message = f"MSH|^~\\&|IMM|RCB|CR|CR|2024||VXU^V04|M1|P|2.4\r{pid()}"

    result = receive(store, rules, message, "mllp")

    assert result.code == "AR"
    assert "VXU^V04 is not accepted" in result.problem
    assert [e.reason_code for e in store.quarantine_entries()] == ["unsupported-message"]
    assert held(store) == {}


def test_a_patient_with_an_invalid_nhs_number_fails_the_whole_message_once(
    store: Store, rules: IntakeRules
) -> None:
    message = oru("M1", POTASSIUM, patient=pid(nhs="1234567890"))

    result = receive(store, rules, message, "mllp")

    assert result.code == "AE"
    assert result.counts.quarantined == 1
    [entry] = store.quarantine_entries()
    assert (entry.input_format, entry.raw) == ("hl7v2", message)
    assert store.counts()["resources"] == 0


def test_an_excluded_code_in_a_result_keeps_it_and_its_report_out_and_stores_the_rest(
    store: Store, rules: IntakeRules
) -> None:
    restricted = f"OBX|2|CE|PROC^Procedure^L||{FERTILITY}^Artificial insemination^SCT||||||F"

    result = receive(store, rules, oru("M1", POTASSIUM, restricted), "mllp")

    assert result.code == "AE"
    assert "legally restricted" in result.ack
    # The report citing the restricted result goes with it; the other result stays.
    assert result.counts.excluded_categories == {"assisted fertilisation": 2}
    assert sorted(held(store)) == ["Observation/FL1-1", "Patient/L1"]
    with store.engine.connect() as conn:
        bodies = conn.execute(select(resources.c.body)).scalars().all()
    assert not any(FERTILITY in body for body in bodies)


def a40(control_id: str, surviving: str, prior: str) -> str:
    return "\r".join(
        [
            f"MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A40^ADT_A39|{control_id}|P|2.4",
            surviving,
            f"MRG|{prior}^^^RCB^MR",
        ]
    )


def test_a_merge_of_duplicate_local_ids_of_one_person_moves_the_records(
    store: Store, rules: IntakeRules
) -> None:
    receive(store, rules, adt("A01", "M1", "2024", patient=pid("OLD1")), "mllp")
    receive(store, rules, adt("A01", "M2", "2024", patient=pid("SURV1"), visit="V200"), "mllp")

    result = receive(store, rules, a40("M3", pid("SURV1"), "OLD1"), "mllp")

    assert (result.code, result.counts.merged) == ("AA", 1)
    assert sorted(held(store)) == ["Encounter/V100", "Encounter/V200", "Patient/SURV1"]


def test_a_merge_of_two_different_people_is_quarantined_for_confirmation_and_moves_nothing(
    store: Store, rules: IntakeRules
) -> None:
    other = valid_nhs_number(1)
    receive(store, rules, oru("M1", POTASSIUM, patient=pid("OLD1", other, "19800101")), "mllp")
    receive(store, rules, adt("A01", "M2", "2024", patient=pid("SURV1"), visit="V200"), "mllp")

    result = receive(store, rules, a40("M3", pid("SURV1"), "OLD1"), "mllp")

    assert (result.code, result.counts.merged) == ("AE", 0)
    assert "not merged until a person confirms" in result.ack
    [entry] = store.quarantine_entries()
    assert (entry.reason_code, entry.input_format) == ("merge-needs-confirmation", "hl7v2")
    assert "Patient/OLD1 into Patient/SURV1" in entry.reason
    assert "NHS numbers and dates of birth differ" in entry.reason
    assert other not in entry.reason and NHS not in entry.reason
    assert sorted(held(store)) == ["Encounter/V200", "Patient/SURV1"]
    assert sorted(held(store, other)) == [
        "DiagnosticReport/FL1",
        "Observation/FL1-1",
        "Patient/OLD1",
    ]


def test_a_merge_across_dates_of_birth_is_quarantined_for_confirmation(
    store: Store, rules: IntakeRules
) -> None:
    # OLD1 was linked to this NHS number by hand, but its date of birth is still another's
    other = valid_nhs_number(1)
    receive(store, rules, adt("A01", "M1", "2024", patient=pid("OLD1", other, "19800101")), "mllp")
    receive(store, rules, adt("A01", "M2", "2024", patient=pid("SURV1"), visit="V200"), "mllp")
    assert store.link_patient("RCB", "OLD1", NHS)

    result = receive(store, rules, a40("M3", pid("SURV1"), "OLD1"), "mllp")

    assert (result.code, result.counts.merged) == ("AE", 0)
    [entry] = store.quarantine_entries()
    assert entry.reason_code == "merge-needs-confirmation"
    assert "(their dates of birth differ)" in entry.reason
    assert "Patient/OLD1" in held(store)  # linked by hand, still not merged


def test_a_birth_date_conflicting_with_another_source_is_an_application_error(
    store: Store, rules: IntakeRules
) -> None:
    receive(store, rules, adt("A01", "M1", "2024"), "mllp")
    conflicting = adt("A01", "M1", "2024", facility="RAL", visit="V9", patient=pid(born="19750314"))

    result = receive(store, rules, conflicting, "mllp")

    assert result.code == "AE"
    [entry] = store.quarantine_entries()
    assert (entry.reason_code, entry.source_ods) == ("birth-date-conflict", "RAL")
    assert sorted(held(store)) == ["Encounter/V100", "Patient/L1"]
    assert [r.source_ods for r in held(store).values()] == ["RCB", "RCB"]


def test_hl7_files_are_ingested_message_by_message_and_acknowledgements_counted(
    store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    messages = [
        adt("A01", "M1", "202401011000"),
        adt("A02", "M2", "202401021000", location="WARD2^BAY9^BED3"),
        adt("A01", "M3", "2024", facility="NOPE1"),
    ]
    path = tmp_path / "feed.hl7"
    path.write_text("\r\n".join(messages) + "\r\n")
    acknowledgements: dict[str, int] = {}

    counts = ingest_paths(store, [path], rules=rules, acknowledgements=acknowledgements)

    assert acknowledgements == {"AA": 2, "AR": 1}
    assert (counts.stored, counts.updated, counts.quarantined) == (2, 2, 1)
    assert sorted(held(store)) == ["Encounter/V100", "Patient/L1"]


def test_what_the_mapping_leaves_out_is_told_to_the_sender_in_msa_3(
    store: Store, rules: IntakeRules
) -> None:
    not_a_number = "OBX|1|NM|2823-3^Potassium^LN||high|mmol/L^mmol/L^UCUM|3.5-5.0|N|||F"

    result = receive(store, rules, oru("W1", not_a_number), "test")

    msa = next(line for line in result.ack.split("\r") if line.startswith("MSA"))
    assert result.code == "AA"
    assert "is not a number; kept as text" in msa
