"""The HL7 v2 listener as senders meet it: a real MLLP socket in front of a real store, and the
`carerecord serve` command running it beside the web server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from carerecord.ingest.mllp_client import MLLPClient
from carerecord.store import Store
from carerecord.store.schema import hl7_messages, resources
from tests.factories import make_org, register, valid_nhs_number
from tests.ingest.listener import (
    HOST,
    NHS,
    Ack,
    adt_a01,
    hl7_listener,
    parse_ack,
    register_loopback,
    send,
)
from tests.push.helpers import row_count
from tests.support.http import http_get
from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]


def replies_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def encounters(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(resources.c.source_id, resources.c.version, resources.c.body).where(
                resources.c.resource_type == "Encounter"
            )
        ).all()
    return [{"id": i, "version": v, **orjson.loads(b)} for i, v, b in rows]


# One message at a time


def test_an_admission_is_acknowledged_aa_once_it_is_stored(hospital: Store, port: int) -> None:
    with MLLPClient(HOST, port, timeout=30) as client:
        answer = parse_ack(client.send(adt_a01("ADM-1")))
        stored = encounters(hospital)  # read before anything else happens

    assert (answer.code, answer.control_id) == ("AA", "ADM-1")
    assert answer.segments["MSH"][8].startswith("ACK")
    assert [(e["id"], e["status"], e["version"]) for e in stored] == [("V100", "in-progress", 1)]
    person = hospital.patient_id_for_nhs_number(NHS)
    assert person is not None
    assert {r.resource_type for r in hospital.patient_resources(person)} == {
        "Patient",
        "Encounter",
    }


def test_the_same_message_again_is_acknowledged_aa_and_applied_once(
    hospital: Store, port: int
) -> None:
    first = send(port, adt_a01("ADM-1"))
    before = hospital.counts()

    again = send(port, adt_a01("ADM-1"), adt_a01("ADM-1"))

    assert [a.code for a in first + again] == ["AA", "AA", "AA"]
    assert [e["version"] for e in encounters(hospital)] == [1]
    assert hospital.counts() == before
    assert row_count(hospital, "hl7_messages") == 1


def test_an_unregistered_sending_facility_is_refused_ar_with_an_err_segment(
    hospital: Store, port: int
) -> None:
    [answer] = send(port, adt_a01("ADM-1", facility="RXX"))

    assert (answer.code, answer.control_id) == ("AR", "ADM-1")
    # No peer can be registered for an organisation that is not: the sender is not proved.
    assert "not registered to send as RXX (MSH-4)" in "|".join(answer.segments["ERR"])
    assert encounters(hospital) == []
    assert [q.reason_code for q in hospital.quarantine_entries()] == ["unauthenticated-sender"]


def test_a_source_registered_while_listening_is_accepted_without_a_restart(
    hospital: Store, port: int
) -> None:
    [before] = send(port, adt_a01("ADM-1", facility="RGT"))
    register(hospital, make_org("RGT", "acute"))
    register_loopback(hospital, "RGT")

    [after] = send(port, adt_a01("ADM-2", facility="RGT"))

    assert (before.code, after.code) == ("AR", "AA")
    assert [e["id"] for e in encounters(hospital)] == ["V100"]


def test_garbage_is_refused_and_closed_while_another_connection_keeps_working(
    hospital: Store, port: int
) -> None:
    with (
        socket.create_connection((HOST, port), timeout=30) as bad,
        MLLPClient(HOST, port, timeout=30) as good,
    ):
        assert parse_ack(good.send(adt_a01("ADM-1"))).code == "AA"
        bad.sendall(b"GET / HTTP/1.1\r\n\r\n")
        refusal = replies_until_closed(bad)  # returns only once the server has closed it
        assert parse_ack(good.send(adt_a01("ADM-2", visit="V200"))).code == "AA"

    assert refusal.startswith(b"\x0b") and refusal.endswith(b"\x1c\x0d")
    answer = parse_ack(refusal[1:-2])
    assert answer.code == "AR"
    assert "outside a frame" in "|".join(answer.segments["ERR"])
    assert sorted(e["id"] for e in encounters(hospital)) == ["V100", "V200"]


def test_a_message_that_is_not_hl7_is_answered_ar_and_quarantined(
    hospital: Store, port: int
) -> None:
    [answer] = send(port, b"this is not an HL7 message")

    assert answer.code == "AR"
    assert [q.reason_code for q in hospital.quarantine_entries()] == ["malformed"]


def test_an_oversize_message_is_refused_and_the_connection_closed(
    hospital: Store, db_url: str
) -> None:
    with (
        hl7_listener(hospital, db_url, hl7_max_message_bytes=4096) as small,
        socket.create_connection((HOST, small), timeout=30) as sock,
    ):
        sock.sendall(b"\x0b" + adt_a01("BIG-1", note="x" * 5000) + b"\x1c\x0d")
        refusal = replies_until_closed(sock)
        assert send(small, adt_a01("SMALL-1"))[0].code == "AA"

    answer = parse_ack(refusal[1:-2])
    assert answer.code == "AR"
    assert "longer than the limit of 4096 bytes" in "|".join(answer.segments["ERR"])
    assert [e["id"] for e in encounters(hospital)] == ["V100"]
    with hospital.engine.connect() as conn:
        logged = conn.execute(select(hl7_messages.c.control_id)).scalars().all()
    assert logged == ["SMALL-1"]


# Many senders at once


@pytest.mark.slow
def test_twenty_connections_of_twenty_five_messages_are_all_acknowledged_and_stored(
    hospital: Store, port: int
) -> None:
    def conversation(sender: int) -> list[Ack]:
        messages = [
            adt_a01(
                f"S{sender}-M{n}",
                visit=f"V{sender}-{n}",
                local_id=f"L{sender}",
                nhs=valid_nhs_number(sender + 1),
            )
            for n in range(25)
        ]
        return send(port, *messages)

    with ThreadPoolExecutor(20) as pool:
        answers = [a for acks in pool.map(conversation, range(20)) for a in acks]

    assert len(answers) == 500
    assert {a.code for a in answers} == {"AA"}
    assert len(encounters(hospital)) == 500
    assert row_count(hospital, "hl7_messages") == 500
    assert row_count(hospital, "patients") == 20


# The real command


def wait_for(ready: Any, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "carerecord serve exited early"
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"carerecord serve was not ready within {timeout} s")


def answers_health(url: str) -> bool:
    try:
        return http_get(f"{url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def accepts(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.slow
def test_carerecord_serve_runs_web_and_mllp_together_and_stops_cleanly(
    hospital: Store, db_url: str, tmp_path: Path
) -> None:
    register_loopback(hospital)
    web_port, mllp_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARERECORD_")}
    env |= {"CARERECORD_DB": db_url, "CARERECORD_HOST": HOST}
    command = [sys.executable, "-m", "carerecord.cli", "serve"]
    command += ["--port", str(web_port), "--mllp-port", str(mllp_port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: answers_health(f"http://{HOST}:{web_port}"), process)
            wait_for(lambda: accepts(mllp_port), process)
            [answer] = send(mllp_port, adt_a01("SERVE-1"))
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)

    assert answer.code == "AA"
    assert [e["id"] for e in encounters(hospital)] == ["V100"]
    assert code == 0, log.read_text()
    assert f"HL7 v2 (MLLP) listening on {HOST}:{mllp_port}" in log.read_text()
