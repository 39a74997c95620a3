"""Believing a sender's header only so far: its processing id (MSH-11) and its times (MSH-7,
EVN-2, meta.lastUpdated), and patient-level ADT events that carry no visit, over a real MLLP
listener on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.intake import Delivery, check, take
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules, processing_ids
from carerecord.store import Store
from tests.ingest.listener import NHS, hl7_listener, segment, send

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def adt(
    trigger: str,
    control_id: str,
    sent: str = "202611301000",
    surname: str = "SMITH",
    processing: str = "P",
    pv1: str | None = "PV1|1|N",
) -> bytes:
    lines = [
        f"MSH|^~\\&|PAS|RAL|CR|CR|{sent}||ADT^{trigger}|{control_id}|{processing}|2.4",
        f"EVN|{trigger}|{sent}",
        f"PID|1||L1^^^RAL^MR~{NHS}^^^NHS^NH||{surname}^JO||19570314|F|||1 NEW ROAD^^LONDON",
    ]
    if pv1 is not None:
        lines.append(pv1)
    return "\r".join(lines).encode()


def surname(store: Store) -> str:
    person = store.patient_id_for_nhs_number(NHS)
    assert person is not None
    patient = next(r for r in store.patient_resources(person) if r.resource_type == "Patient")
    return str(orjson.loads(patient.body)["name"][0]["family"])


def test_a_future_dated_a31_renaming_a_patient_is_refused_and_a_later_correction_shown(
    hospital: Store, port: int
) -> None:
    first = send(port, adt("A31", "M1", surname="SMITH"))
    attack = send(port, adt("A31", "M2", sent="20990101120000", surname="IMPOSTOR"))
    kept_name = surname(hospital)
    correction = send(port, adt("A31", "M3", sent="202612010900", surname="SMITH-JONES"))

    assert [a.code for a in first + attack + correction] == ["AA", "AE", "AA"]
    assert "MSH-7" in attack[0].segments["ERR"][-1]
    assert "future" in attack[0].segments["ERR"][-1]
    assert kept_name == "SMITH"
    assert surname(hospital) == "SMITH-JONES"
    reasons = [q.reason_code for q in hospital.quarantine_entries()]
    assert reasons == ["future-timestamp"]


def test_a_message_a_few_minutes_ahead_is_believed_and_beyond_the_skew_is_not(
    hospital: Store, db_url: str
) -> None:
    with hl7_listener(hospital, db_url, clock=lambda: NOW) as port:
        answers = send(
            port,
            adt("A31", "S1", sent="20261202120500+0000"),  # exactly 5 minutes ahead
            adt("A31", "S2", sent="20261202120501+0000"),  # one second more
        )
    assert [a.code for a in answers] == ["AA", "AE"]


def test_training_debugging_and_unmarked_messages_are_refused_ar_202(
    hospital: Store, port: int
) -> None:
    answers = send(
        port,
        adt("A31", "T1", processing="T"),
        adt("A31", "D1", processing="D"),
        adt("A31", "E1", processing=""),
    )
    assert [a.code for a in answers] == ["AR", "AR", "AR"]
    assert all(a.segments["ERR"][3].startswith("202^") for a in answers)
    assert hospital.patient_id_for_nhs_number(NHS) is None
    assert {q.reason_code for q in hospital.quarantine_entries()} == {"processing-id"}


def test_a_training_database_accepts_t(hospital: Store, db_url: str) -> None:
    with hl7_listener(hospital, db_url, hl7_processing_ids="P,T") as port:
        answers = send(port, adt("A31", "T1", processing="T"), adt("A31", "D1", processing="D"))
    assert [a.code for a in answers] == ["AA", "AR"]
    assert surname(hospital) == "SMITH"


def test_a_refused_training_message_sent_again_as_production_is_applied(
    hospital: Store, port: int
) -> None:
    answers = send(port, adt("A31", "X1", processing="T"), adt("A31", "X1", processing="P"))
    assert [a.code for a in answers] == ["AR", "AA"]


def test_a08_without_a_visit_updates_the_person_and_is_answered_aa(
    hospital: Store, port: int
) -> None:
    answers = send(
        port,
        adt("A08", "U1", surname="SMITH", pv1="PV1|1|N"),
        adt("A08", "U2", sent="202612010800", surname="BROWN", pv1=None),
        adt("A08", "U3", sent="202612010900", surname="GREEN", pv1="PV1|1|"),
        adt("A28", "U4", sent="202612011000", surname="WHITE", pv1=None),
    )
    assert [a.code for a in answers] == ["AA", "AA", "AA", "AA"]
    assert surname(hospital) == "WHITE"
    person = hospital.patient_id_for_nhs_number(NHS)
    assert person is not None
    assert {r.resource_type for r in hospital.patient_resources(person)} == {"Patient"}


def test_events_about_a_visit_still_need_a_visit_number(hospital: Store, port: int) -> None:
    inpatient = segment("PV1", {1: "1", 2: "I", 3: "WARD1"})
    answers = send(
        port,
        adt("A08", "V1", pv1=inpatient),
        adt("A01", "V2", pv1="PV1|1|N"),
        adt("A03", "V3", pv1=None),
    )
    assert [a.code for a in answers] == ["AE", "AE", "AE"]


def test_processing_ids_setting_is_read_as_a_set() -> None:
    assert processing_ids(" p, T ,,") == frozenset({"P", "T"})


# FHIR: meta.lastUpdated


def _rules(store: Store) -> IntakeRules:
    orgs = {o.ods_code: o for o in store.organisations()}
    return IntakeRules(orgs, ExclusionList(), clock=lambda: NOW)


def _patient(updated: datetime) -> RawItem:
    resource = {
        "resourceType": "Patient",
        "id": "L1",
        "meta": {"lastUpdated": updated.isoformat(), "source": "urn:ods:RAL"},
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS}],
    }
    return RawItem("test", orjson.dumps(resource).decode(), resource)


def test_a_resource_updated_beyond_the_skew_is_quarantined_future_timestamp(
    hospital: Store,
) -> None:
    rules = _rules(hospital)
    within = prepare(_patient(NOW + timedelta(minutes=5)), None, rules)
    beyond = prepare(_patient(NOW + timedelta(minutes=5, seconds=1)), None, rules)
    assert getattr(within, "reason_code", None) is None
    assert getattr(beyond, "reason_code", None) == "future-timestamp"


def test_a_version_stored_with_a_future_time_gives_way_to_a_genuine_correction(
    hospital: Store,
) -> None:
    # Stored before times were checked: admitted here by rules whose clock is in 2100.
    before = IntakeRules(_rules(hospital).organisations, ExclusionList(), clock=lambda: FAR)
    take(hospital, Delivery(check([_patient(datetime(2099, 1, 1, tzinfo=UTC))], None, before)))
    older = _patient(NOW - timedelta(days=400))
    genuine = _patient(NOW - timedelta(hours=1))

    counts = take(hospital, Delivery(check([genuine], None, _rules(hospital)))).counts
    again = take(hospital, Delivery(check([older], None, _rules(hospital)))).counts

    assert (counts.updated, again.older) == (1, 1)
