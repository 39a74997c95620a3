"""A small blocking MLLP client, for tests, benchmarks and the command line: the other end of
the listener in mllp.py, using the same framing."""

from __future__ import annotations

import socket
import ssl
from collections import deque
from collections.abc import Iterable
from types import TracebackType

from carerecord.ingest.mllp import READ_CHUNK, FrameDecoder, frame


class MLLPClient:
    """A blocking MLLP client for tests, benchmarks and the command line.

    Pipelining (window > 1) writes each message whole before reading replies, so keep
    window x message size below the socket buffers (a few hundred KiB) to avoid stalling.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        max_reply_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        if ssl_context is not None:
            try:
                sock = ssl_context.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        self._sock = sock
        self._decoder = FrameDecoder(max_reply_bytes)
        self._replies: deque[bytes] = deque()

    def send(self, payload: bytes) -> bytes:
        """Send one message and return its reply payload."""
        return self.send_many([payload])[0]

    def send_many(self, payloads: Iterable[bytes], window: int = 1) -> list[bytes]:
        """Send messages with up to `window` awaiting replies; replies come back in order."""
        if window < 1:
            raise ValueError("window must be at least 1")
        replies: list[bytes] = []
        in_flight = 0
        for payload in payloads:
            if in_flight == window:
                replies.append(self._receive())
                in_flight -= 1
            self._sock.sendall(frame(payload))
            in_flight += 1
        replies.extend(self._receive() for _ in range(in_flight))
        return replies

    def _receive(self) -> bytes:
        while not self._replies:
            data = self._sock.recv(READ_CHUNK)
            if not data:
                raise ConnectionError("MLLP server closed the connection before replying")
            self._replies.extend(self._decoder.feed(data))
        return self._replies.popleft()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> MLLPClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
