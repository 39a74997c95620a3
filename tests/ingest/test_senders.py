"""Who may send HL7 v2 as whom, against real listeners on loopback (SQLite and PostgreSQL):
a peer not registered for a message's MSH-4 is refused AR and changes nothing; a control id
reused with different content is refused AE and quarantined."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from carerecord.store import Store
from carerecord.store.schema import hl7_messages
from tests.factories import make_org, register
from tests.ingest.listener import NHS, adt_a01, hl7_listener, register_loopback, send

GP = "F83004"


def a31(control_id: str, facility: str) -> bytes:
    lines = [
        f"MSH|^~\\&|EMIS|{facility}|CR|CR|202401011000||ADT^A31|{control_id}|P|2.4",
        "EVN|A31|202401011000",
        f"PID|1||G1^^^{facility}^MR~{NHS}^^^NHS^NH||SMITH^JO||19570314|F|||1 NEW ROAD^^LONDON",
    ]
    return "\r".join(lines).encode()


def oru(control_id: str, facility: str) -> bytes:
    lines = [
        f"MSH|^~\\&|LAB|{facility}|CR|CR|202401011000||ORU^R01|{control_id}|P|2.4",
        f"PID|1||L1^^^{facility}^MR~{NHS}^^^NHS^NH||SMITH^JO||19570314|F",
        "OBR|1||R1|U&E^Urea and electrolytes|||202401010900",
        "OBX|1|NM|K^Potassium||9.9|mmol/L|3.5-5.0|HH|||F",
    ]
    return "\r".join(lines).encode()


def clinical_counts(store: Store) -> dict[str, int]:
    return {k: v for k, v in store.counts().items() if k != "quarantine"}


def test_an_a31_naming_a_registered_gp_from_a_peer_not_registered_for_it_is_refused(
    hospital: Store, db_url: str
) -> None:
    register(hospital, make_org(GP, "gp"))
    register_loopback(hospital, "RAL")  # this machine may send as the hospital only
    before = clinical_counts(hospital)

    with hl7_listener(hospital, db_url, loopback_senders=False) as port:
        [answer] = send(port, a31("EVIL-1", GP))

    assert (answer.code, answer.control_id) == ("AR", "EVIL-1")
    assert f"not registered to send as {GP} (MSH-4)" in "|".join(answer.segments["ERR"])
    assert NHS not in "|".join(answer.segments["ERR"])
    assert clinical_counts(hospital) == before
    [kept] = hospital.quarantine_entries()
    assert kept.reason_code == "unauthenticated-sender"
    assert kept.reason == f"address 127.0.0.1 is not registered to send as {GP}"


def test_an_oru_claiming_a_hospital_from_an_unregistered_peer_is_refused(
    hospital: Store, db_url: str
) -> None:
    before = clinical_counts(hospital)
    with hl7_listener(hospital, db_url, loopback_senders=False) as port:
        [answer] = send(port, oru("R-1", "RAL"))

    assert answer.code == "AR"
    assert clinical_counts(hospital) == before
    assert [q.reason_code for q in hospital.quarantine_entries()] == ["unauthenticated-sender"]


def test_a_registered_address_range_may_send_as_its_organisation(
    hospital: Store, db_url: str
) -> None:
    hospital.senders.add("RAL", "address", "127.0.0.0/8", "", "tests", hospital_now())
    with hl7_listener(hospital, db_url, loopback_senders=False) as port:
        [answer] = send(port, adt_a01("ADM-1"))

    assert answer.code == "AA"
    with hospital.engine.connect() as conn:
        peer = conn.execute(select(hl7_messages.c.peer)).scalar_one()
    assert peer == "address 127.0.0.1"


def test_a_revoked_address_is_refused(hospital: Store, db_url: str) -> None:
    added = hospital.senders.add("RAL", "address", "127.0.0.1/32", "", "tests", hospital_now())
    hospital.senders.revoke(added.id, hospital_now())
    with hl7_listener(hospital, db_url, loopback_senders=False) as port:
        [answer] = send(port, adt_a01("ADM-1"))

    assert answer.code == "AR"


def test_only_an_excerpt_of_an_unproven_message_is_kept(hospital: Store, db_url: str) -> None:
    big = adt_a01("BIG-1", note="x" * 20_000)
    with hl7_listener(
        hospital, db_url, loopback_senders=False, hl7_quarantine_excerpt_bytes=1000
    ) as port:
        [answer] = send(port, big)

    assert answer.code == "AR"
    [kept] = hospital.quarantine_entries()
    assert len(kept.raw.encode()) <= 1000
    assert big.decode().startswith(kept.raw)
    assert "only the first 1000 bytes kept" in kept.reason


def test_unreadable_input_from_an_unregistered_peer_is_kept_as_an_excerpt(
    hospital: Store, db_url: str
) -> None:
    with hl7_listener(
        hospital, db_url, loopback_senders=False, hl7_quarantine_excerpt_bytes=100
    ) as port:
        [answer] = send(port, b"not hl7 " * 1000)

    assert answer.code == "AR"
    [kept] = hospital.quarantine_entries()
    assert (kept.reason_code, len(kept.raw)) == ("malformed", 100)


def test_a_control_id_reused_with_different_content_is_refused_and_quarantined(
    hospital: Store, port: int
) -> None:
    [first] = send(port, adt_a01("ADM-1"))
    [same] = send(port, adt_a01("ADM-1"))
    before = clinical_counts(hospital)

    [other] = send(port, adt_a01("ADM-1", visit="V999"))

    assert (first.code, same.code) == ("AA", "AA")
    assert (other.code, other.control_id) == ("AE", "ADM-1")
    err = "|".join(other.segments["ERR"])
    assert "205" in err and "used before by RAL for a different message" in err
    assert clinical_counts(hospital) == before
    [kept] = hospital.quarantine_entries()
    assert kept.reason_code == "control-id-reused"
    assert "V999" in kept.raw  # kept whole: its sender is proved
    [again] = send(port, adt_a01("ADM-1"))  # the first message's answer is unchanged
    assert again.code == "AA"


def test_a_message_logged_before_content_was_recorded_is_answered_from_the_log(
    hospital: Store, port: int
) -> None:
    send(port, adt_a01("ADM-1"))
    with hospital.transaction() as conn:
        conn.execute(hl7_messages.update().values(content_hash=None))

    [answer] = send(port, adt_a01("ADM-1", visit="V999"))

    assert answer.code == "AA"
    assert hospital.quarantine_entries() == []


def hospital_now() -> datetime:
    return datetime.now(UTC)
