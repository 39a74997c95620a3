"""The HL7 v2 listener as senders meet it: a real MLLP socket in front of a real store, and the
`carerecord serve` command running it beside the web server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from sqlalchemy import select

from carerecord.ingest.mllp import MLLPClient, stop_server
from carerecord.ingest.mllp_service import start_hl7_listener
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.schema import hl7_messages, resources
from tests.factories import make_org, register, valid_nhs_number
from tests.push.helpers import row_count
from tests.support.postgres import free_port

T = TypeVar("T")
HOST = "127.0.0.1"
NHS = "9434765919"
REPO = Path(__file__).resolve().parents[2]


# Messages and acknowledgements


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with each field at its HL7 position, so tests cannot miscount pipes."""
    values = [""] * max(fields)
    for position, value in fields.items():
        values[position - 1] = value
    return "|".join([name, *values])


def adt_a01(
    control_id: str = "M1",
    facility: str = "RAL",
    visit: str = "V100",
    local_id: str = "L1",
    nhs: str = NHS,
    note: str = "",
) -> bytes:
    """An admission: the patient (local id and NHS number) and the inpatient visit."""
    pv1 = {1: "1", 2: "I", 3: "WARD1^BAY1^BED1", 10: "MED", 14: "A0", 19: visit}
    lines = [
        f"MSH|^~\\&|PAS|{facility}|CR|CR|202401011000||ADT^A01|{control_id}|P|2.4",
        "EVN|A01|202401011000",
        f"PID|1||{local_id}^^^{facility}^MR~{nhs}^^^NHS^NH||SMITH^JO||19570314|F",
        segment("PV1", {**pv1, 44: "202401010930"}),
    ]
    if note:
        lines.append(f"NTE|1||{note}")
    return "\r".join(lines).encode()


@dataclass(frozen=True)
class Ack:
    code: str  # MSA-1
    control_id: str  # MSA-2
    segments: dict[str, list[str]]


def parse_ack(payload: bytes) -> Ack:
    segments = {line.split("|")[0]: line.split("|") for line in payload.decode().split("\r")}
    msa = segments["MSA"]
    return Ack(msa[1], msa[2] if len(msa) > 2 else "", segments)


# A real listener in a background event loop


class LoopThread:
    """An event loop on a background thread, so blocking clients can talk to a real server."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


@contextmanager
def hl7_listener(store: Store, db_url: str, **settings: Any) -> Iterator[int]:
    """start_hl7_listener on a port the system picks; yields the port."""
    config = Settings.from_env({}, db=db_url, **settings)
    loop = LoopThread()
    try:
        rules = RulesSource(store, config, max_age_seconds=0)
        server = loop.run(start_hl7_listener(store, rules, config, 0))
        try:
            yield int(server.sockets[0].getsockname()[1])
        finally:
            loop.run(stop_server(server))
    finally:
        loop.close()


def send(port: int, *messages: bytes) -> list[Ack]:
    with MLLPClient(HOST, port, timeout=30) as client:
        return [parse_ack(reply) for reply in client.send_many(messages)]


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


@pytest.fixture
def hospital(store: Store) -> Store:
    register(store, make_org("RAL", "acute"))
    return store


@pytest.fixture
def port(hospital: Store, db_url: str) -> Iterator[int]:
    with hl7_listener(hospital, db_url) as listening:
        yield listening


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
    assert "RXX (MSH-4) is not a registered source" in "|".join(answer.segments["ERR"])
    assert encounters(hospital) == []
    assert [q.reason_code for q in hospital.quarantine_entries()] == ["unknown-source"]


def test_a_source_registered_while_listening_is_accepted_without_a_restart(
    hospital: Store, port: int
) -> None:
    [before] = send(port, adt_a01("ADM-1", facility="RGT"))
    register(hospital, make_org("RGT", "acute"))

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
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
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
