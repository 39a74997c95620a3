"""A real HL7 v2 listener for tests (start_hl7_listener on a background event loop), the
messages they send and the acknowledgements they read back."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from carerecord.ingest.mllp import stop_server
from carerecord.ingest.mllp_client import MLLPClient
from carerecord.ingest.mllp_service import start_hl7_listener
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.senders import ADDRESS

T = TypeVar("T")
HOST = "127.0.0.1"
NHS = "9434765919"


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


def register_loopback(store: Store, *ods_codes: str) -> None:
    """Lets 127.0.0.1 send as these organisations (default: every one registered)."""
    now = datetime.now(UTC)
    for ods in ods_codes or [org.ods_code for org in store.organisations()]:
        store.senders.add(ods, ADDRESS, "127.0.0.1/32", "", "tests", now)


@contextmanager
def hl7_listener(
    store: Store,
    db_url: str,
    clock: Callable[[], datetime] | None = None,
    *,
    loopback_senders: bool = True,
    **settings: Any,
) -> Iterator[int]:
    """start_hl7_listener on a port the system picks; yields the port. 127.0.0.1 is registered
    to send as every organisation unless `loopback_senders` is False."""
    if loopback_senders:
        register_loopback(store)
    config = Settings.from_env({}, db=db_url, **settings)
    loop = LoopThread()
    try:
        rules = RulesSource(store, config, max_age_seconds=0, clock=clock)
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
