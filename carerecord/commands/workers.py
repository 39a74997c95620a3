"""`carerecord serve --workers N`: N web server processes sharing the port, and nothing else
but the database.

The supervising process reserves the web port, runs the HL7 v2 MLLP listener (exactly one
process must own it: one port, one set of connection limits), and starts the workers. Each
worker is a fresh interpreter (spawned, not forked, so no database connection or lock is ever
shared) that opens its own Store and listens on the port with SO_REUSEPORT: the kernel spreads
new connections across the workers. (One socket shared by all would not: an idle asyncio
worker accepts every waiting connection at once, so one worker takes a whole burst.)

SIGTERM or SIGINT stops the listener, then each worker gracefully (uvicorn finishes the
requests in flight). A worker that dies on its own stops the others too and the command exits
with an error: restarting is left to the service manager, which also sees the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import socket
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from rich.console import Console

from carerecord.app import create_app
from carerecord.commands.collector import tune_for_serving
from carerecord.commands.options import open_store
from carerecord.errors import ConfigurationError
from carerecord.ingest.mllp import stop_server
from carerecord.ingest.mllp_service import start_hl7_listener
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store

WORKER_HEADER = b"carerecord-worker"  # which worker answered: for logs behind a load balancer
STOP_SECONDS = 30  # a worker still running this long after SIGTERM is killed
BACKLOG = 2048  # connections the kernel queues for the workers to accept


def serve_workers(settings: Settings, store: Store, rules: RulesSource, console: Console) -> None:
    # Bound but not listening, the reservation takes no connections; it makes a port in use
    # an error reported once, by the supervisor, before any worker starts.
    reservation = bind(settings.host, settings.port)
    try:
        asyncio.run(_supervise(store, rules, settings, console))
    finally:
        reservation.close()


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to the web port, which every worker binds too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bound = socket.socket(family, socket.SOCK_STREAM)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        bound.bind((host, port))
    except OSError:
        bound.close()
        raise
    return bound


async def _supervise(
    store: Store, rules: RulesSource, settings: Settings, console: Console
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    listener = None
    if settings.mllp_port:
        listener = await start_hl7_listener(store, rules, settings, settings.mllp_port)
        scheme = "MLLP over TLS" if settings.mllp_tls_cert else "MLLP"
        console.print(f"HL7 v2 ({scheme}) listening on {settings.mllp_host}:{settings.mllp_port}")
    workers = [_start(settings, index) for index in range(1, settings.workers + 1)]
    console.print(f"{settings.workers} web server workers started", highlight=False)
    ended = asyncio.Event()
    for process, _ in workers:
        loop.add_reader(process.sentinel, ended.set)  # readable once the process has ended
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(ended.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        for process, _ in workers:
            loop.remove_reader(process.sentinel)
        early = [i for i, (process, _) in enumerate(workers, 1) if not process.is_alive()]
        if listener is not None:
            await stop_server(listener)
        failed = await loop.run_in_executor(None, _stop_all, workers)
    if not stop.is_set():
        failed = sorted({*early, *failed})
    if failed:
        which = ", ".join(map(str, failed))
        raise ConfigurationError(f"web server worker {which} ended unexpectedly: all are stopped")


def _start(settings: Settings, index: int) -> tuple[BaseProcess, Any]:
    # Spawned, not forked: the supervisor's engine, pool and event loop stay its own.
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=run_worker,
        args=(settings, index, reader),
        name=f"carerecord-web-{index}",
    )
    process.start()
    reader.close()  # the worker holds the only reading end: it sees EOF when we are gone
    return process, writer


def _stop_all(workers: list[tuple[BaseProcess, Any]]) -> list[int]:
    """Stops every worker still running; the numbers of those that did not end cleanly."""
    for process, _ in workers:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn's graceful shutdown
    failed = []
    for index, (process, writer) in enumerate(workers, 1):
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        if process.exitcode not in (0, -signal.SIGTERM):  # stopped before its handler was set
            failed.append(index)
        writer.close()
    return failed


def run_worker(settings: Settings, index: int, parent: Connection) -> None:
    """One worker: its own Store, app and listening socket, serving until told to stop."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _leave)
    listening = bind(settings.host, settings.port)
    listening.listen(BACKLOG)
    store = open_store(settings)
    try:
        app = create_app(settings, store, RulesSource(store, settings))
        config = uvicorn.Config(_Tagged(app, str(index).encode()), log_level="info")
        tune_for_serving()
        server = uvicorn.Server(config)
        watcher = threading.Thread(target=_watch, args=(parent, server), daemon=True)
        watcher.start()
        server.run(sockets=[listening])
    finally:
        store.close()
        listening.close()


def _leave(_signal: int, _frame: object) -> None:
    # uvicorn stops gracefully on the signal, then raises it again for the handler it found:
    # leaving by SystemExit closes the store and ends the worker with status 0.
    raise SystemExit(0)


def _watch(parent: Connection, server: uvicorn.Server) -> None:
    """Stops the worker when the supervisor is gone (killed outright, say), never orphaned."""
    with contextlib.suppress(EOFError, OSError):
        parent.recv()
    server.should_exit = True


class _Tagged:
    """The app, with a header naming the worker that answered."""

    def __init__(self, app: Any, index: bytes) -> None:
        self.app, self.index = app, index

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (WORKER_HEADER, self.index)]
            await send(message)

        await self.app(scope, receive, tagged)
