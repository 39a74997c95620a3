"""The HL7 v2 listener: MLLP transport in front of the message intake.

Messages are applied in a worker thread (the store is synchronous), so a slow database never
stalls the event loop; messages on one connection are still answered strictly in order, because
the transport hands over the next only after the last was answered. Messages waiting on
different connections are applied together, in one transaction (hl7_receive), which shares the
database work among them; one worker does this, as SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import asyncio
import ssl
from concurrent.futures import ThreadPoolExecutor

from carerecord.ingest import hl7_receive
from carerecord.ingest.hl7v2 import HL7Error, ack
from carerecord.ingest.mllp import start_server
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store

GROUP_SIZE = 64  # at most this many messages per transaction


async def start_hl7_listener(
    store: Store, rules: RulesSource, settings: Settings, port: int
) -> asyncio.Server:
    workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7")
    waiting: list[tuple[bytes, str, asyncio.Future[bytes]]] = []
    draining: set[asyncio.Task[None]] = set()  # at most one; held so it is not collected
    running = False  # set and cleared without an await in between: no message is stranded

    def apply(deliveries: list[tuple[bytes, str]]) -> list[bytes]:
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
                    workers, apply, [(payload, location) for payload, location, _ in group]
                )
            except Exception as error:  # each connection's handler reports it and closes
                for _, _, answer in group:
                    if not answer.done():  # its connection may have gone meanwhile
                        answer.set_exception(error)
            else:
                for (_, _, answer), reply in zip(group, acks, strict=True):
                    if not answer.done():  # applied all the same: a re-send gets this ACK
                        answer.set_result(reply)

    async def handle(payload: bytes, peer: str) -> bytes:
        nonlocal running
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        waiting.append((payload, f"MLLP {peer}", answer))
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
        settings.host,
        port,
        max_message_bytes=settings.hl7_max_message_bytes,
        ssl_context=tls_context(settings),
    )


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.mllp_tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.mllp_tls_cert, settings.mllp_tls_key or None)
    return context
