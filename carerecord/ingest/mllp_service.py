"""The HL7 v2 listener: MLLP transport in front of the message intake.

Each message is applied in a worker thread (the store is synchronous), so a slow database never
stalls the event loop; messages on one connection are still answered strictly in order.
SQLite has one writer at a time: there, one worker applies messages from every connection in
turn, because threads queueing on its write lock sleep in its busy handler and lose time.
"""

from __future__ import annotations

import asyncio
import ssl
from concurrent.futures import ThreadPoolExecutor

from carerecord.ingest import hl7_intake
from carerecord.ingest.hl7v2 import HL7Error, ack
from carerecord.ingest.mllp import start_server
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store


async def start_hl7_listener(
    store: Store, rules: RulesSource, settings: Settings, port: int
) -> asyncio.Server:
    def receive(payload: bytes, peer: str) -> hl7_intake.MessageResult:
        # rules.current() re-reads the organisation registry now and then: in the thread too.
        return hl7_intake.receive(store, rules.current(), payload, f"MLLP {peer}")

    workers = ThreadPoolExecutor(
        max_workers=1 if store.dialect == "sqlite" else 4, thread_name_prefix="hl7"
    )

    async def handle(payload: bytes, peer: str) -> bytes:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(workers, receive, payload, peer)
        return result.ack.encode("utf-8")

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
