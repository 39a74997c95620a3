"""MLLP, the framing HL7 v2 senders use over TCP: framing and an asyncio server (the blocking
client is in mllp_client.py).

Transport only: this module moves framed bytes and knows nothing about HL7 content or storage.
A frame is 0x0B <message> 0x1C 0x0D. On each connection messages are handled one at a time and
each reply is written before the next message is handled, because senders rely on that order.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from carerecord.errors import CareRecordError

START, END = b"\x0b", b"\x1c\x0d"
_FS, _CR = 0x1C, 0x0D
_WHITESPACE = b" \t\r\n"
READ_CHUNK = 64 * 1024
_CLOSE_TIMEOUT = 5.0  # a peer that never answers a TLS close_notify must not hold shutdown

logger = logging.getLogger("carerecord.mllp")


@dataclass(frozen=True)
class Peer:
    """Who is at the other end, as the transport knows it: never what the peer says of itself."""

    host: str
    port: int
    certificate: bytes | None = None  # the verified client certificate (DER), under TLS
    subject: str = ""  # that certificate's subject, for people to read

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


Handler = Callable[[bytes, Peer], Awaitable[bytes]]
Refusal = Callable[[str], bytes]


def frame(payload: bytes) -> bytes:
    """Wrap one message in MLLP framing."""
    # A control byte inside the payload would end or restart the frame early on the far side.
    if START[0] in payload or _FS in payload:
        raise ValueError("payload contains an MLLP control byte (0x0B or 0x1C)")
    return START + payload + END


class FrameError(CareRecordError):
    """The byte stream broke MLLP framing; the connection cannot be trusted to resynchronise."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        # Messages completed earlier in the same feed: they are sound and still to be answered.
        self.complete: list[bytes] = []


class FrameDecoder:
    """Incremental decoder: feed(bytes) returns the complete messages now available.

    Handles a frame split across any number of reads and several frames in one read; whitespace
    between frames is tolerated. Raises FrameError for non-whitespace bytes outside a frame, a
    message longer than max_bytes (checked while accumulating, so memory stays bounded), a 0x0B
    inside an unfinished frame, and a 0x1C not followed by 0x0D. After a FrameError the decoder
    is in an undefined state: drop the connection.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self._max_bytes = max_bytes
        self._buffer: bytearray | None = None  # None between frames
        self._after_fs = False  # the last byte fed was a 0x1C that must be followed by 0x0D

    @property
    def in_frame(self) -> bool:
        """True while a message has started but not yet ended."""
        return self._buffer is not None

    def feed(self, data: bytes) -> list[bytes]:
        messages: list[bytes] = []
        pos = 0
        try:
            while pos < len(data):
                if self._buffer is None:
                    pos = self._skip_to_start(data, pos)
                else:
                    pos = self._fill(self._buffer, data, pos, messages)
        except FrameError as exc:
            exc.complete = messages
            raise
        return messages

    def _skip_to_start(self, data: bytes, pos: int) -> int:
        start = data.find(START, pos)
        stop = len(data) if start < 0 else start
        stray = data[pos:stop].lstrip(_WHITESPACE)
        if stray:
            # One byte in hex helps diagnose a sender that forgot framing; more could be patient
            # data, which must not reach logs or replies.
            raise FrameError(
                f"unexpected byte 0x{stray[0]:02X} outside a frame "
                "(each message must start with 0x0B)"
            )
        if start < 0:
            return stop
        self._buffer = bytearray()
        return start + 1

    def _fill(self, buffer: bytearray, data: bytes, pos: int, messages: list[bytes]) -> int:
        if self._after_fs:
            if data[pos] != _CR:
                raise FrameError("0x1C inside a message must be followed by 0x0D")
            messages.append(bytes(buffer))
            self._buffer, self._after_fs = None, False
            return pos + 1
        fs = data.find(_FS, pos)
        stop = len(data) if fs < 0 else fs
        if data.find(START, pos, stop) >= 0:
            raise FrameError("start byte 0x0B inside an unfinished message")
        if len(buffer) + (stop - pos) > self._max_bytes:
            raise FrameError(f"message longer than the limit of {self._max_bytes} bytes")
        buffer += data[pos:stop]
        if fs < 0:
            return stop
        self._after_fs = True
        return fs + 1


class _Live:
    """The open connections of one server, so stop_server can end idle ones, not wait on them."""

    def __init__(self) -> None:
        self.connections: set[_Connection] = set()
        self.per_host: Counter[str] = Counter()
        # A connection accepted just before close may start after stop_server has looked.
        self.closed = False

    def refusal(self, host: str, most: int, most_per_host: int) -> str | None:
        """Why a new connection from `host` is turned away, if it is."""
        if len(self.connections) >= most:
            return f"too many connections: at most {most} at once"
        if self.per_host[host] >= most_per_host:
            return f"too many connections from {host}: at most {most_per_host} at once"
        return None


_servers: weakref.WeakKeyDictionary[asyncio.Server, _Live] = weakref.WeakKeyDictionary()


async def start_server(
    handler: Handler,
    refuse: Refusal,
    host: str,
    port: int,
    *,
    max_message_bytes: int = 16 * 1024 * 1024,
    ssl_context: ssl.SSLContext | None = None,
    idle_timeout: float = 300.0,
    message_timeout: float = 60.0,
    max_connections: int = 64,
    max_connections_per_peer: int = 16,
) -> asyncio.Server:
    """Listen for MLLP connections; each is served by its own task. Stop with stop_server.

    handler(payload, peer) returns the reply payload, which is framed and written before the
    next message on that connection is handled. refuse(reason) builds the reply sent before
    closing a connection that broke framing, whose handler raised, that went idle for
    idle_timeout seconds, that took longer than message_timeout seconds over one message (from
    its first byte: a trickle cannot extend it) or that was one too many (max_connections in
    all, max_connections_per_peer from one address).
    """
    live = _Live()
    limits = (max_message_bytes, idle_timeout, message_timeout)

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(reader, writer, handler, refuse, *limits)
        too_many = live.refusal(connection.peer.host, max_connections, max_connections_per_peer)
        if too_many is not None:
            logger.warning("refusing connection from %s: %s", connection.peer, too_many)
            await connection.refuse_and_close(too_many)
            return
        if live.closed:
            connection.stop()
        live.connections.add(connection)
        live.per_host[connection.peer.host] += 1
        try:
            await connection.serve()
        finally:
            live.connections.discard(connection)
            live.per_host[connection.peer.host] -= 1
            if live.per_host[connection.peer.host] <= 0:
                del live.per_host[connection.peer.host]

    # A TLS handshake is held to the same deadline as a message.
    handshake = message_timeout if ssl_context is not None else None
    server = await asyncio.start_server(
        accept, host, port, ssl=ssl_context, ssl_handshake_timeout=handshake
    )
    _servers[server] = live
    return server


async def stop_server(server: asyncio.Server, *, grace: float = 5.0) -> None:
    """Stop listening, close idle connections now and give busy ones `grace` seconds to reply."""
    server.close()
    live = _servers.pop(server, _Live())
    live.closed = True
    for connection in live.connections:
        connection.stop()
    tasks = [connection.task for connection in live.connections]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await server.wait_closed()


class _Connection:
    """One peer: read, decode, answer each message in order, close on any framing fault."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handler: Handler,
        refuse: Refusal,
        max_message_bytes: int,
        idle_timeout: float,
        message_timeout: float,
    ) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("an MLLP connection must be served inside a task")
        self.task = task
        self._reader, self._writer = reader, writer
        self._handler, self._refuse = handler, refuse
        self._decoder = FrameDecoder(max_message_bytes)
        self._idle_timeout, self._message_timeout = idle_timeout, message_timeout
        self._message_started: float | None = None  # when the unfinished message began
        self.peer = peer_of(writer)
        self._peer = str(self.peer)
        self._reading = False  # only a connection waiting for bytes may be cancelled at once
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True
        if self._reading:
            self.task.cancel()

    async def serve(self) -> None:
        try:
            await self._converse()
        except OSError as exc:
            logger.info("connection from %s lost: %s", self._peer, type(exc).__name__)
        except Exception as exc:
            # Type only: exception text may quote the message, which is patient data.
            logger.error("connection from %s failed: %s", self._peer, type(exc).__name__)
        finally:
            await self._close()

    async def refuse_and_close(self, reason: str) -> None:
        try:
            await self._send_refusal(reason)
        except OSError:
            pass
        finally:
            await self._close()

    async def _converse(self) -> None:
        while not self._stopping:
            data = await self._read()
            if data is None:
                return
            try:
                messages = self._decoder.feed(data)
            except FrameError as exc:
                if await self._answer(exc.complete):
                    logger.warning("refusing connection from %s: %s", self._peer, exc.reason)
                    await self._send_refusal(exc.reason)
                return
            if messages or not self._decoder.in_frame:
                self._message_started = None
            if self._decoder.in_frame and self._message_started is None:
                self._message_started = asyncio.get_running_loop().time()
            if not await self._answer(messages):
                return

    async def _read(self) -> bytes | None:
        """The next bytes from the peer; None when it has gone, or (after a refusal) took too
        long over a message or was idle too long."""
        timeout, why = self._idle_timeout, f"idle for {self._idle_timeout:g} s"
        if self._message_started is not None:
            left = self._message_started + self._message_timeout
            left -= asyncio.get_running_loop().time()
            if left < timeout:
                timeout = max(left, 0.0)
                why = f"message not completed within {self._message_timeout:g} s"
        self._reading = True
        try:
            async with asyncio.timeout(timeout):
                data = await self._reader.read(READ_CHUNK)
        except TimeoutError:
            logger.info("closing connection from %s: %s", self._peer, why)
            await self._send_refusal(why)
            return None
        finally:
            self._reading = False
        if not data and self._decoder.in_frame:
            # Never acknowledged, so the sender still owns it and will resend.
            logger.info("%s disconnected mid-message; partial message discarded", self._peer)
        return data or None

    async def _answer(self, messages: list[bytes]) -> bool:
        """Reply to each message in order; False once the connection should close."""
        for message in messages:
            try:
                reply = frame(await self._handler(message, self.peer))
            except Exception as exc:
                name = type(exc).__name__
                logger.error("handler failed on a message from %s: %s", self._peer, name)
                await self._send_refusal(f"internal error: {name}")
                return False
            await self._write(reply)
            if self._stopping:
                return False
        return True

    async def _send_refusal(self, reason: str) -> None:
        try:
            refusal = frame(self._refuse(reason))
        except Exception as exc:
            logger.error("building the refusal for %s failed: %s", self._peer, type(exc).__name__)
            return
        await self._write(refusal)

    async def _write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def _close(self) -> None:
        self._writer.close()
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except (OSError, TimeoutError):
            self._writer.transport.abort()


def peer_of(writer: asyncio.StreamWriter) -> Peer:
    address = writer.get_extra_info("peername")
    host, port = (str(address[0]), int(address[1])) if isinstance(address, tuple) else ("", 0)
    tls = writer.get_extra_info("ssl_object")
    if not isinstance(tls, ssl.SSLObject):
        return Peer(host, port)
    details = tls.getpeercert() or {}
    parts: Any = details.get("subject", ())  # ((("commonName", "x"),), ...)
    subject = ", ".join(f"{name}={value}" for part in parts for name, value in part)
    return Peer(host, port, tls.getpeercert(binary_form=True), subject)
