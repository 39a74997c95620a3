"""Kill -9 the server mid-feed, restart it, re-send everything: nothing lost, nothing doubled.

`carerecord serve` runs as a child process taking FHIR pushes (POST /fhir, batch bundles) and
HL7 v2 over MLLP at once. Part-way through both feeds it is killed with SIGKILL, restarted on
the same database, and both feeds are sent again from the start. The database must then match a
clean reference (the same files loaded once with ingest_paths): the same resource keys, patients
and patient links, each HL7 control id once, every re-sent message answered as the reference
answers it. Whatever was acknowledged before the kill must be there after the restart.

Size: CARERECORD_FAULT_SCALE synthetic patients, default 80 (a few thousand FHIR resources and
a few hundred HL7 messages, kept small because this runs in every `make test`; 200 gives 16,590
resources and 1,075 messages, about a minute per engine on a busy two-core machine). The full
size, at least 100,000 resources and 10,000 messages, is CARERECORD_FAULT_SCALE=1900
(155,395 resources and 10,339 messages; expect tens of minutes per engine).
Patients whose acute-trust record has no NHS number are quarantined by design, so their HL7
messages are answered AE in the reference and in the re-send alike.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import func, select

from carerecord.ingest.hl7v2.parse import normalise, split_messages
from carerecord.ingest.mllp_client import MLLPClient
from carerecord.ingest.pipeline import ingest_paths
from carerecord.organisations import organisation_from_json
from carerecord.push.auth import ASSERTION_TYPE
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from carerecord.store.migrate import upgrade
from carerecord.store.schema import hl7_messages, patient_links, patients, resources
from carerecord.synth import generate
from tests.ingest.listener import register_loopback
from tests.support.http import http_client
from tests.support.postgres import free_port

SCALE = int(os.environ.get("CARERECORD_FAULT_SCALE", "80"))
CARERECORD = str(Path(sys.executable).parent / "carerecord")
BUNDLE = 100  # small bundles, so the kill lands between and inside requests
KILL_AT = 0.3  # kill once this share of the push and a tenth of the HL7 feed are acknowledged

Key = tuple[str, str, str]


@dataclass
class Feeds:
    """The synthetic input: each organisation's FHIR (Patients first) and each trust's HL7."""

    folder: Path
    fhir: dict[str, list[dict[str, Any]]]
    hl7: dict[str, list[bytes]]

    @property
    def resource_count(self) -> int:
        return sum(len(r) for r in self.fhir.values())

    @property
    def message_count(self) -> int:
        return sum(len(m) for m in self.hl7.values())


@dataclass
class Reference:
    keys: set[Key]
    patients: int
    links: int
    acks: dict[tuple[str, str], str]  # (sender, control id) -> ACK code


@dataclass
class Progress:
    """What each feed has had acknowledged so far; shared by the sending threads."""

    pushed: list[Key] = field(default_factory=list)
    acked: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # connections lost (the kill does that)
    failures: list[str] = field(default_factory=list)  # anything else: never expected


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Feeds:
    folder = tmp_path_factory.mktemp("fault-data")
    generate(SCALE, folder, seed=3)
    fhir = {}
    for path in sorted((folder / "fhir").glob("*.ndjson")):
        rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
        fhir[path.stem] = sorted(rows, key=lambda r: r["resourceType"] != "Patient")
    hl7 = {
        path.stem: [m.encode() for m in split_messages(normalise(path.read_bytes()))]
        for path in sorted((folder / "hl7").glob("*.hl7"))
    }
    return Feeds(folder, fhir, hl7)


@pytest.fixture(scope="module")
def reference(feeds: Feeds, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The same files loaded once, cleanly, into a fresh SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fault-reference') / 'reference.db'}"
    store = open_with_organisations(url, feeds.folder)
    try:
        ingest_paths(store, [feeds.folder / "fhir", feeds.folder / "hl7"])
        return read_reference(store)
    finally:
        store.close()


@pytest.mark.slow
def test_kill_and_resend_loses_and_doubles_nothing(
    db_url: str, feeds: Feeds, reference: Reference, tmp_path: Path
) -> None:
    store = open_with_organisations(db_url, feeds.folder)
    try:
        keys = {ods: register_client(store, ods) for ods in feeds.fhir}
        before = Progress()
        with serve(db_url, tmp_path / "first.log") as (child, base, mllp_port):
            senders = start_feeds(feeds, keys, base, mllp_port, before)
            wait_part_way(feeds, before)
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            for sender in senders:
                sender.join()
        assert before.failures == []
        assert len(before.pushed) < feeds.resource_count or len(before.acked) < len(
            reference.acks
        ), "the kill came after both feeds had finished"

        durable = read_reference(store)  # before anything is re-sent
        assert set(before.pushed) <= durable.keys, "acknowledged resources lost by the kill"
        assert before.acked.items() <= durable.acks.items(), "acknowledged messages lost"

        after = Progress()
        with serve(db_url, tmp_path / "second.log") as (_, base, mllp_port):
            for sender in start_feeds(feeds, keys, base, mllp_port, after):
                sender.join()
        assert (after.errors, after.failures) == ([], [])
        assert after.acked == reference.acks  # AA but for the no-NHS-number patients' AE

        final = read_reference(store)
    finally:
        store.close()
    assert set(after.pushed) <= final.keys
    assert final.keys - reference.keys == set(), "resources the clean load does not have"
    assert reference.keys - final.keys == set(), "resources lost"
    assert (final.patients, final.links) == (reference.patients, reference.links)
    assert final.acks == reference.acks  # each control id once, answered as the clean load


def open_with_organisations(url: str, data: Path) -> Store:
    store = Store.open(url)
    upgrade(store.engine)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        store.save_organisation(organisation_from_json(entry, index))
    register_loopback(store)  # the feeds connect from 127.0.0.1
    return store


def register_client(store: Store, ods: str) -> tuple[str, ECKey]:
    key = ECKey.generate_key("P-256", {"kid": ods})
    jwks = {"keys": [key.as_dict(private=False)]}
    return ClientRegistry(store).register(ods, f"{ods} fault test", jwks).client_id, key


def read_reference(store: Store) -> Reference:
    with store.engine.connect() as conn:
        keys = conn.execute(
            select(resources.c.source_ods, resources.c.resource_type, resources.c.source_id)
        ).all()
        counts = [
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (patients, patient_links)
        ]
        acks = conn.execute(
            select(hl7_messages.c.source_ods, hl7_messages.c.control_id, hl7_messages.c.ack_code)
        ).all()
    key_set: set[Key] = {(s, t, i) for s, t, i in keys}
    assert len(key_set) == len(keys), "a resource key is held twice"
    return Reference(key_set, counts[0], counts[1], {(s, c): code for s, c, code in acks})


@contextmanager
def serve(url: str, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """`carerecord serve` with the MLLP listener, in a child process; stopped however it ends."""
    web_port, mllp_port = free_port(), free_port()
    argv = [CARERECORD, "serve", "--db", url, "--port", str(web_port)]
    with log.open("wb") as out:
        child = subprocess.Popen([*argv, "--mllp-port", str(mllp_port)], stdout=out, stderr=out)
        try:
            for port in (web_port, mllp_port):
                wait_for_port(child, port, log)
            yield child, f"http://127.0.0.1:{web_port}", mllp_port
        finally:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


def wait_for_port(child: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert child.poll() is None, f"carerecord serve exited: {log.read_text()[-2000:]}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"carerecord serve did not open port {port}"
            time.sleep(0.1)


def wait_part_way(feeds: Feeds, progress: Progress) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        pushed = len(progress.pushed) >= KILL_AT * feeds.resource_count
        acked = len(progress.acked) >= 0.1 * feeds.message_count
        if pushed and acked:
            return
        time.sleep(0.02)
    pytest.fail(f"feeds stalled: {(progress.errors + progress.failures)[:3]}")


def start_feeds(
    feeds: Feeds,
    keys: dict[str, tuple[str, ECKey]],
    base: str,
    mllp_port: int,
    progress: Progress,
) -> list[threading.Thread]:
    """One thread per sending trust (MLLP, in order) and two pushing every organisation's FHIR."""
    queue = iter(sorted(feeds.fhir, key=lambda ods: -len(feeds.fhir[ods])))
    lock = threading.Lock()

    def push() -> None:
        with http_client(base_url=base, timeout=120) as http:
            while True:
                with lock:
                    ods = next(queue, None)
                if ods is None:
                    return
                push_organisation(http, ods, keys[ods], feeds.fhir[ods], progress)

    threads = [threading.Thread(target=guarded, args=(push, progress)) for _ in range(2)]
    for ods, messages in feeds.hl7.items():
        send = send_messages_fn(mllp_port, ods, messages, progress)
        threads.append(threading.Thread(target=guarded, args=(send, progress)))
    for thread in threads:
        thread.start()
    return threads


def guarded(work: Any, progress: Progress) -> None:
    """Runs a feed; the kill ends it with a connection error, which is recorded, not raised."""
    try:
        work()
    except (OSError, httpx.TransportError) as error:
        progress.errors.append(type(error).__name__)
    except Exception as error:  # reported by the test's assertions
        progress.failures.append(f"{type(error).__name__}: {error}")


def send_messages_fn(port: int, ods: str, messages: list[bytes], progress: Progress) -> Any:
    def send() -> None:
        with MLLPClient("127.0.0.1", port, timeout=120) as client:
            for message in messages:
                reply = client.send(message)
                progress.acked[(ods, control_id(message))] = msa(reply)

    return send


def push_organisation(
    http: httpx.Client,
    ods: str,
    client: tuple[str, ECKey],
    rows: list[dict[str, Any]],
    progress: Progress,
) -> None:
    headers = {"Content-Type": "application/fhir+json", "Authorization": sign_in(http, *client)}
    for start in range(0, len(rows), BUNDLE):
        chunk = rows[start : start + BUNDLE]
        entries = [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in chunk
        ]
        bundle = {"resourceType": "Bundle", "type": "batch", "entry": entries}
        response = http.post("/fhir", content=orjson.dumps(bundle), headers=headers)
        assert response.status_code == 200, response.text[:500]
        answers = response.json()["entry"]
        progress.pushed.extend(
            (ods, r["resourceType"], r["id"])
            for r, a in zip(chunk, answers, strict=True)
            if a["response"]["status"] in ("200 OK", "201 Created")
            and "outcome" not in a["response"]
        )


def sign_in(http: httpx.Client, client_id: str, key: ECKey) -> str:
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": str(http.base_url.join("/fhir/token")),
        "exp": int(time.time()) + 240,
        "jti": str(uuid.uuid4()),
    }
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, ["ES256"]),
        "scope": "system/*.write",
    }
    response = http.post("/fhir/token", data=form)
    assert response.status_code == 200, response.text
    return f"Bearer {response.json()['access_token']}"


def control_id(message: bytes) -> str:
    return message.split(b"\r", 1)[0].split(b"|")[9].decode()


def msa(reply: bytes) -> str:
    for segment in reply.split(b"\r"):
        if segment.startswith(b"MSA|"):
            return segment.split(b"|")[1].decode()
    return "none"
