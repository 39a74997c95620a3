"""The MLLP listener's limits, each against a real listener on loopback: connections in all
and per address, a deadline per message that a trickle cannot extend, an idle deadline, and a
flood of slow and oversized connections that neither grows memory without bound nor stops a
registered sender being answered."""

from __future__ import annotations

import socket
import time
import tracemalloc
from contextlib import ExitStack, suppress
from datetime import UTC, datetime

from carerecord.ingest.mllp import END, START, FrameDecoder
from carerecord.store import Store
from tests.ingest.listener import HOST, Ack, adt_a01, hl7_listener, parse_ack

GOOD_HOST = "127.0.0.2"  # the registered sender, apart from the attackers on 127.0.0.1


def connect(port: int, source: str = HOST) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=30, source_address=(source, 0))


def replies_until_closed(sock: socket.socket) -> list[Ack]:
    decoder, replies = FrameDecoder(max_bytes=100_000), []
    while data := sock.recv(65536):
        replies += decoder.feed(data)
    return [parse_ack(reply) for reply in replies]


def refusal_text(replies: list[Ack]) -> str:
    [answer] = replies
    assert answer.code == "AR"
    return "|".join(answer.segments["ERR"])


def test_a_connection_over_the_total_cap_is_refused_and_closed(
    hospital: Store, db_url: str
) -> None:
    with hl7_listener(hospital, db_url, mllp_max_connections=2) as port, ExitStack() as open_:
        for _ in range(2):
            open_.enter_context(connect(port)).sendall(START)  # held open, mid-message
        time.sleep(0.2)  # let the server accept them
        with connect(port) as extra:
            text = refusal_text(replies_until_closed(extra))
    assert "too many connections: at most 2 at once" in text


def test_a_connection_over_the_per_address_cap_is_refused_but_others_are_served(
    hospital: Store, db_url: str
) -> None:
    register_good_host(hospital)
    with (
        hl7_listener(hospital, db_url, mllp_max_connections_per_peer=1) as port,
        connect(port) as first,
    ):
        first.sendall(START)
        time.sleep(0.2)
        with connect(port) as second:
            text = refusal_text(replies_until_closed(second))
        assert good_sender_answer(port).code == "AA"
    assert "too many connections from 127.0.0.1: at most 1 at once" in text


def test_a_trickled_message_is_refused_at_its_deadline(hospital: Store, db_url: str) -> None:
    with (
        hl7_listener(hospital, db_url, mllp_message_seconds=1, mllp_idle_seconds=30) as port,
        connect(port) as sock,
    ):
        message = START + adt_a01("SLOW-1")
        for byte in message:  # a byte every 0.1 s: never idle, never finished
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break  # refused and closed
            time.sleep(0.1)
        text = refusal_text(replies_until_closed(sock))
    assert "message not completed within 1 s" in text
    assert hospital.quarantine_entries() == []


def test_an_idle_connection_is_refused_and_closed(hospital: Store, db_url: str) -> None:
    with hl7_listener(hospital, db_url, mllp_idle_seconds=1) as port, connect(port) as sock:
        text = refusal_text(replies_until_closed(sock))
    assert "idle for 1 s" in text


def test_slow_and_oversized_connections_neither_exhaust_memory_nor_block_a_good_sender(
    hospital: Store, db_url: str
) -> None:
    register_good_host(hospital)
    limit = 64 * 1024
    settings = {"hl7_max_message_bytes": limit, "mllp_max_connections": 64}
    tracemalloc.start()
    try:
        with hl7_listener(hospital, db_url, loopback_senders=False, **settings) as port:
            before, _ = tracemalloc.get_traced_memory()
            with ExitStack() as attackers:
                slow = [attackers.enter_context(connect(port)) for _ in range(40)]
                for sock in slow:  # unfinished messages just under the limit
                    with suppress(OSError):  # refused for being over the per-address cap
                        sock.sendall(START + b"MSH|" + b"x" * (limit - 100))
                oversized = [connect(port) for _ in range(10)]
                for sock in oversized:
                    with suppress(OSError):
                        sock.sendall(START + b"MSH|" + b"y" * (4 * limit) + END)
                answer = good_sender_answer(port)
                during, _ = tracemalloc.get_traced_memory()
                for sock in oversized:
                    sock.close()
    finally:
        tracemalloc.stop()

    assert answer.code == "AA"
    # At most 16 slow peers from one address, each holding under one message's limit.
    assert during - before < 16 * limit + 8 * 1024 * 1024


def register_good_host(store: Store) -> None:
    store.senders.add("RAL", "address", f"{GOOD_HOST}/32", "", "tests", datetime.now(UTC))


def good_sender_answer(port: int) -> Ack:
    with connect(port, GOOD_HOST) as sock:
        sock.settimeout(10)  # generous: this asserts the answer, not the speed
        sock.sendall(START + adt_a01("GOOD-1") + END)
        decoder = FrameDecoder(max_bytes=100_000)
        while not (replies := decoder.feed(sock.recv(65536))):
            pass
    return parse_ack(replies[0])
