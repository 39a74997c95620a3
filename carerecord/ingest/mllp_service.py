"""The HL7 v2 listener: MLLP transport in front of the message intake.

Messages are applied in a worker thread (the store is synchronous), so a slow database never
stalls the event loop; messages on one connection are still answered strictly in order, because
the transport hands over the next only after the last was answered. Messages waiting on
different connections are applied together, in one transaction (hl7_receive), which shares the
database work among them; one worker does this, as SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from carerecord.errors import ConfigurationError
from carerecord.ingest import hl7_receive
from carerecord.ingest.hl7_receive import Arrived
from carerecord.ingest.hl7v2 import HL7Error, ack
from carerecord.ingest.mllp import Peer, start_server
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store

GROUP_SIZE = 64  # at most this many messages per transaction


async def start_hl7_listener(
    store: Store, rules: RulesSource, settings: Settings, port: int
) -> asyncio.Server:
    """Listens on settings.mllp_host; ConfigurationError, before binding, for TLS without a
    client CA or plain TCP beyond loopback that the settings do not allow."""
    context = tls_context(settings)
    workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7")
    waiting: list[tuple[bytes, str, Peer, asyncio.Future[bytes]]] = []
    draining: set[asyncio.Task[None]] = set()  # at most one; held so it is not collected
    running = False  # set and cleared without an await in between: no message is stranded

    def apply(deliveries: Sequence[Arrived]) -> list[bytes]:
        # rules.current() re-reads the organisation registry now and then: in the thread too.
        results = hl7_receive.receive_all(store, rules.current(), deliveries)
        return [result.ack.encode("utf-8") for result in results]

    async def drain() -> None:
        nonlocal running
        loop = asyncio.get_running_loop()
        try:
            await _drain(loop)
        finally:
            running = False

    async def _drain(loop: asyncio.AbstractEventLoop) -> None:
        while waiting:
            group = waiting[:GROUP_SIZE]
            del waiting[:GROUP_SIZE]
            try:
                acks = await loop.run_in_executor(
                    workers, apply, [(payload, where, peer) for payload, where, peer, _ in group]
                )
            except Exception as error:  # each connection's handler reports it and closes
                for *_, answer in group:
                    if not answer.done():  # its connection may have gone meanwhile
                        answer.set_exception(error)
            else:
                for (*_, answer), reply in zip(group, acks, strict=True):
                    if not answer.done():  # applied all the same: a re-send gets this ACK
                        answer.set_result(reply)

    async def handle(payload: bytes, peer: Peer) -> bytes:
        nonlocal running
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        waiting.append((payload, f"MLLP {peer}", peer, answer))
        if not running:
            running = True
            task = asyncio.create_task(drain())
            draining.add(task)
            task.add_done_callback(draining.discard)
        return await answer

    def refuse(reason: str) -> bytes:
        return ack(None, "AR", [HL7Error(reason, code="100")]).encode("utf-8")

    return await start_server(
        handle,
        refuse,
        settings.mllp_host,
        port,
        max_message_bytes=settings.hl7_max_message_bytes,
        ssl_context=context,
        idle_timeout=settings.mllp_idle_seconds,
        message_timeout=settings.mllp_message_seconds,
        max_connections=settings.mllp_max_connections,
        max_connections_per_peer=settings.mllp_max_connections_per_peer,
    )


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """Mutual TLS when a certificate is set (every peer must show a certificate the client CA
    signed); None for plain TCP, which is refused beyond loopback unless allowed."""
    if not settings.mllp_tls_cert:
        if not (settings.mllp_allow_plain_tcp or is_loopback(settings.mllp_host)):
            raise ConfigurationError(
                f"refusing to listen for HL7 v2 over plain TCP on {settings.mllp_host}: set "
                "CARERECORD_MLLP_TLS_CERT, CARERECORD_MLLP_TLS_KEY and "
                "CARERECORD_MLLP_TLS_CLIENT_CA, or CARERECORD_MLLP_ALLOW_PLAIN_TCP=yes on a "
                "network that is itself protected"
            )
        return None
    if not settings.mllp_tls_client_ca:
        raise ConfigurationError(
            "MLLP over TLS needs CARERECORD_MLLP_TLS_CLIENT_CA: the CA whose client "
            "certificates senders must show"
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.mllp_tls_cert, settings.mllp_tls_key or None)
    context.load_verify_locations(cafile=settings.mllp_tls_client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
