"""MLLP transport: framing, the asyncio server and the blocking client, over real sockets."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from carerecord.ingest.mllp import (
    END,
    START,
    FrameDecoder,
    FrameError,
    Handler,
    Peer,
    frame,
    start_server,
    stop_server,
)
from carerecord.ingest.mllp_client import MLLPClient

T = TypeVar("T")
HOST = "127.0.0.1"


# --- framing ---------------------------------------------------------------------------------


def test_frame_wraps_the_payload() -> None:
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\x0d"
    assert frame(b"") == START + b"" + END


@pytest.mark.parametrize("payload", [b"a\x0bb", b"a\x1cb"])
def test_frame_refuses_control_bytes_that_would_corrupt_the_stream(payload: bytes) -> None:
    with pytest.raises(ValueError, match="control byte"):
        frame(payload)


def test_several_frames_in_one_read_with_whitespace_between() -> None:
    decoder = FrameDecoder(max_bytes=100)

    stream = b"\r\n" + frame(b"one") + b" \r\n\t" + frame(b"") + frame(b"three") + b"\n"

    assert decoder.feed(stream) == [b"one", b"", b"three"]
    assert not decoder.in_frame


def test_two_frames_split_at_every_pair_of_positions() -> None:
    stream = frame(b"MSH|first\rPID|1") + b"\r\n" + frame(b"MSH|second")
    for i in range(len(stream) + 1):
        for j in range(i, len(stream) + 1):
            decoder = FrameDecoder(max_bytes=100)
            chunks = [stream[:i], stream[i:j], stream[j:]]
            messages = [m for chunk in chunks for m in decoder.feed(chunk)]
            assert messages == [b"MSH|first\rPID|1", b"MSH|second"], (i, j)


def test_one_byte_at_a_time() -> None:
    decoder = FrameDecoder(max_bytes=100)
    stream = frame(b"abc") + frame(b"de")

    messages = [m for k in range(len(stream)) for m in decoder.feed(stream[k : k + 1])]

    assert messages == [b"abc", b"de"]


def test_garbage_outside_a_frame_is_refused_naming_one_byte_only() -> None:
    with pytest.raises(FrameError, match="unexpected byte 0x4D outside a frame") as caught:
        FrameDecoder(max_bytes=100).feed(b"\r\nMSH|Smith^John")
    assert "Smith" not in str(caught.value)


def test_messages_before_the_fault_are_handed_over_with_the_error() -> None:
    decoder = FrameDecoder(max_bytes=100)

    with pytest.raises(FrameError) as caught:
        decoder.feed(frame(b"good") + b"\r\nbad")

    assert caught.value.complete == [b"good"]


def test_a_message_of_exactly_max_bytes_is_accepted() -> None:
    assert FrameDecoder(max_bytes=5).feed(frame(b"12345")) == [b"12345"]


def test_oversize_is_refused_as_soon_as_the_limit_is_crossed() -> None:
    decoder = FrameDecoder(max_bytes=1000)
    decoder.feed(START)
    for _ in range(10):
        decoder.feed(b"x" * 100)  # exactly at the limit: still waiting for the end

    # The next byte fails at once; nothing waits for an end marker that may never come.
    with pytest.raises(FrameError, match="longer than the limit of 1000 bytes"):
        decoder.feed(b"x" * 1_000_000)


@pytest.mark.parametrize(
    "chunks",
    [[START + b"abc" + START], [START + b"abc", START + b"def" + END], [START, START]],
)
def test_a_start_byte_inside_an_unfinished_frame_is_refused(chunks: list[bytes]) -> None:
    decoder = FrameDecoder(max_bytes=100)
    with pytest.raises(FrameError, match="0x0B inside an unfinished message"):
        for chunk in chunks:
            decoder.feed(chunk)


def test_an_end_byte_not_followed_by_carriage_return_is_refused() -> None:
    decoder = FrameDecoder(max_bytes=100)
    decoder.feed(START + b"abc\x1c")
    with pytest.raises(FrameError, match="0x1C"):
        decoder.feed(b"x")


clean_payloads = st.binary(max_size=300).map(lambda b: b.replace(START, b"").replace(b"\x1c", b""))
gaps = st.sampled_from([b"", b"\r", b"\n", b"\r\n", b" ", b"\r\n\r\n  "])


@given(payloads=st.lists(clean_payloads, max_size=8), data=st.data())
def test_any_chunking_of_framed_payloads_gives_back_exactly_the_payloads(
    payloads: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(data.draw(gaps) + frame(p) for p in payloads) + data.draw(gaps)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    bounds = [0, *cuts, len(stream)]
    decoder = FrameDecoder(max_bytes=300)

    messages = [m for a, b in itertools.pairwise(bounds) for m in decoder.feed(stream[a:b])]

    assert messages == payloads
    assert not decoder.in_frame


awkward_bytes = st.lists(st.sampled_from(b"\x0b\x1c\x0d\n x")).map(bytes)


@given(st.lists(st.one_of(st.binary(max_size=40), awkward_bytes), max_size=12))
def test_arbitrary_bytes_raise_nothing_but_frame_error(chunks: list[bytes]) -> None:
    decoder = FrameDecoder(max_bytes=16)
    try:
        for chunk in chunks:
            for message in decoder.feed(chunk):
                assert len(message) <= 16
                assert START not in message
                assert b"\x1c" not in message
    except FrameError:
        pass


# --- server and client -----------------------------------------------------------------------


class LoopThread:
    """An event loop on a background thread, so blocking clients can talk to a real server."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self._cancel_leftovers())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    @staticmethod
    async def _cancel_leftovers() -> None:
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)


@dataclass
class Running:
    server: asyncio.Server
    port: int


def nack(reason: str) -> bytes:
    return b"NACK|" + reason.encode()


async def echo(message: bytes, peer: Peer) -> bytes:
    return b"ACK|" + message


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def serve(loop: LoopThread) -> Iterator[Callable[..., Running]]:
    servers: list[asyncio.Server] = []

    def start(handler: Handler = echo, **options: Any) -> Running:
        server = loop.run(start_server(handler, nack, HOST, 0, **options))
        servers.append(server)
        return Running(server, server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        loop.run(stop_server(server))


def connect(port: int) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=5)


def replies_until_closed(sock: socket.socket) -> list[bytes]:
    decoder, replies = FrameDecoder(max_bytes=10_000), []
    while data := sock.recv(4096):
        replies += decoder.feed(data)
    return replies


def test_the_handler_is_told_the_peer(serve: Callable[..., Running]) -> None:
    async def who(message: bytes, peer: Peer) -> bytes:
        return str(peer).encode()

    running = serve(who)
    with MLLPClient(HOST, running.port) as client:
        host, port = client.send(b"hi").decode().rsplit(":", 1)
    assert host == HOST
    assert int(port) > 0


def test_fifty_clients_of_twenty_messages_are_all_answered_in_order(
    serve: Callable[..., Running],
) -> None:
    running = serve(max_connections=50, max_connections_per_peer=50)

    def conversation(n: int) -> list[bytes]:
        with MLLPClient(HOST, running.port, timeout=10) as client:
            return [client.send(b"%d:%d" % (n, i)) for i in range(20)]

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(conversation, range(50)))

    assert results == [[b"ACK|%d:%d" % (n, i) for i in range(20)] for n in range(50)]


def test_a_slow_handler_answers_one_message_at_a_time_in_order(
    serve: Callable[..., Running],
) -> None:
    events: list[str] = []

    async def slow(message: bytes, peer: Peer) -> bytes:
        events.append(f"start {message.decode()}")
        await asyncio.sleep(0.05 if message == b"0" else 0.001)  # the first is the slowest
        events.append(f"end {message.decode()}")
        return b"ACK|" + message

    running = serve(slow)
    with MLLPClient(HOST, running.port) as client:
        replies = client.send_many([b"%d" % i for i in range(10)], window=8)

    assert replies == [b"ACK|%d" % i for i in range(10)]
    assert events == [e for i in range(10) for e in (f"start {i}", f"end {i}")]


def test_connections_are_handled_concurrently(serve: Callable[..., Running]) -> None:
    async def slow(message: bytes, peer: Peer) -> bytes:
        await asyncio.sleep(0.3)
        return b"ACK"

    running = serve(slow)

    def one(_: int) -> bytes:
        with MLLPClient(HOST, running.port) as client:
            return client.send(b"x")

    began = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(one, range(10))) == [b"ACK"] * 10
    assert time.monotonic() - began < 1.5  # one after another would take 3 seconds


def test_garbage_is_refused_and_closed_while_a_good_connection_keeps_working(
    serve: Callable[..., Running],
) -> None:
    running = serve()
    with MLLPClient(HOST, running.port) as good:
        assert good.send(b"one") == b"ACK|one"
        with connect(running.port) as bad:
            bad.sendall(frame(b"fine") + b"MSH|not framed\r")
            replies = replies_until_closed(bad)
        assert good.send(b"two") == b"ACK|two"

    assert replies == [
        b"ACK|fine",
        b"NACK|unexpected byte 0x4D outside a frame (each message must start with 0x0B)",
    ]


def test_an_oversize_message_is_refused_before_the_handler_sees_it(
    serve: Callable[..., Running],
) -> None:
    seen: list[bytes] = []

    async def record(message: bytes, peer: Peer) -> bytes:
        seen.append(message)
        return b"ACK"

    running = serve(record, max_message_bytes=100)
    with MLLPClient(HOST, running.port) as client:
        assert client.send(b"x" * 100) == b"ACK"
    with connect(running.port) as sock:
        sock.sendall(START + b"y" * 1000)  # and no end: the limit alone must end it
        replies = replies_until_closed(sock)

    assert replies == [b"NACK|message longer than the limit of 100 bytes"]
    assert seen == [b"x" * 100]


def test_a_nested_start_byte_is_refused(serve: Callable[..., Running]) -> None:
    running = serve()
    with connect(running.port) as sock:
        sock.sendall(START + b"MSH|a" + START + b"MSH|b" + END)
        replies = replies_until_closed(sock)
    assert replies == [b"NACK|start byte 0x0B inside an unfinished message"]


def test_a_failing_handler_is_logged_by_type_only_and_the_server_keeps_serving(
    serve: Callable[..., Running], caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(message: bytes, peer: Peer) -> bytes:
        if message.startswith(b"PID"):
            raise ValueError(f"cannot read {message!r}")
        return b"ACK"

    running = serve(explode)
    with caplog.at_level(logging.INFO, logger="carerecord.mllp"):
        with MLLPClient(HOST, running.port) as client:
            assert client.send(b"PID|Smith^John") == b"NACK|internal error: ValueError"
            with pytest.raises(ConnectionError):
                client.send(b"MSH|after")
        with MLLPClient(HOST, running.port) as client:
            assert client.send(b"MSH|next") == b"ACK"

    assert "ValueError" in caplog.text
    assert "Smith" not in caplog.text
    assert [r.name for r in caplog.records if r.levelno >= logging.ERROR] == ["carerecord.mllp"]


def test_a_reply_that_cannot_be_framed_counts_as_a_handler_failure(
    serve: Callable[..., Running],
) -> None:
    async def corrupt(message: bytes, peer: Peer) -> bytes:
        return b"ACK\x1cbroken"

    running = serve(corrupt)
    with connect(running.port) as sock:
        sock.sendall(frame(b"MSH|x"))
        assert replies_until_closed(sock) == [b"NACK|internal error: ValueError"]


def test_a_peer_leaving_mid_frame_is_quietly_forgotten(
    serve: Callable[..., Running], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[bytes] = []

    async def record(message: bytes, peer: Peer) -> bytes:
        seen.append(message)
        return b"ACK"

    running = serve(record)
    with caplog.at_level(logging.INFO, logger="carerecord.mllp"):
        with connect(running.port) as sock:
            sock.sendall(START + b"MSH|half a mess")
        wait_for(lambda: "partial message discarded" in caplog.text)
        with MLLPClient(HOST, running.port) as client:
            assert client.send(b"MSH|whole") == b"ACK"

    assert seen == [b"MSH|whole"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_idle_connection_is_closed(serve: Callable[..., Running]) -> None:
    running = serve(idle_timeout=0.2)
    with connect(running.port) as sock:
        assert replies_until_closed(sock) == [b"NACK|idle for 0.2 s"]


def test_client_pipelines_up_to_window_messages(loop: LoopThread) -> None:
    window, total = 4, 10
    batches: list[int] = []

    # A server that answers nothing until `window` messages have arrived: a client that
    # waited for each reply would stall here, one that sent more would show a larger batch.
    def answer_in_batches(listener: socket.socket) -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            decoder, pending, answered = FrameDecoder(max_bytes=100), [], 0
            while answered < total and (data := conn.recv(4096)):
                pending += decoder.feed(data)
                if len(pending) >= window or answered + len(pending) == total:
                    batches.append(len(pending))
                    conn.sendall(b"".join(frame(b"ok " + p) for p in pending))
                    answered, pending = answered + len(pending), []

    with socket.create_server((HOST, 0)) as listener, ThreadPoolExecutor(1) as pool:
        listener.settimeout(5)
        answered = pool.submit(answer_in_batches, listener)
        with MLLPClient(HOST, listener.getsockname()[1], timeout=5) as client:
            replies = client.send_many([b"%d" % i for i in range(total)], window=window)
        answered.result()

    assert replies == [b"ok %d" % i for i in range(total)]
    assert batches == [4, 4, 2]


def test_client_reports_a_server_that_closes_without_replying() -> None:
    with socket.create_server((HOST, 0)) as listener, ThreadPoolExecutor(1) as pool:
        hang_up = pool.submit(lambda: listener.accept()[0].close())
        with MLLPClient(HOST, listener.getsockname()[1], timeout=5) as client:
            hang_up.result()
            with pytest.raises(ConnectionError, match="before replying"):
                client.send(b"MSH|x")


def test_tls_round_trip(serve: Callable[..., Running], tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    running = serve(ssl_context=server_context)

    with MLLPClient(
        HOST, running.port, ssl_context=ssl.create_default_context(cafile=str(cert))
    ) as client:
        assert client.send(b"MSH|secret") == b"ACK|MSH|secret"
        assert client.send_many([b"a", b"b"], window=2) == [b"ACK|a", b"ACK|b"]


def test_shutdown_with_idle_clients_is_prompt(
    serve: Callable[..., Running], loop: LoopThread
) -> None:
    running = serve()
    idle = [connect(running.port) for _ in range(5)]
    try:
        idle[0].sendall(START + b"MSH|half")  # mid-frame counts as idle too
        with MLLPClient(HOST, running.port) as client:
            assert client.send(b"ready") == b"ACK|ready"  # every connection has been accepted

            began = time.monotonic()
            loop.run(stop_server(running.server))
            assert time.monotonic() - began < 1

        assert all(sock.recv(10) == b"" for sock in idle)
    finally:
        for sock in idle:
            sock.close()


def test_plain_close_and_wait_closed_do_not_hang(
    serve: Callable[..., Running], loop: LoopThread
) -> None:
    running = serve()

    async def close() -> None:
        running.server.close()
        await running.server.wait_closed()

    with MLLPClient(HOST, running.port) as client:
        assert client.send(b"ready") == b"ACK|ready"  # accepted and now idle
        loop.run(close(), timeout=2)


def test_shutdown_lets_a_busy_connection_send_its_reply(
    serve: Callable[..., Running], loop: LoopThread
) -> None:
    entered = threading.Event()

    async def slow(message: bytes, peer: Peer) -> bytes:
        entered.set()
        await asyncio.sleep(0.3)
        return b"ACK"

    running = serve(slow)
    with connect(running.port) as sock, ThreadPoolExecutor(1) as pool:
        sock.sendall(frame(b"MSH|1"))
        reading = pool.submit(replies_until_closed, sock)
        assert entered.wait(5)
        loop.run(stop_server(running.server))
        assert reading.result(5) == [b"ACK"]


# --- helpers ---------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made with `cryptography` (a pinned dependency)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
