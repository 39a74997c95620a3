"""`carerecord serve`: the web UI, the FHIR push API and (optionally) the HL7 v2 MLLP listener,
in one process and one event loop; with `--workers N`, N web server processes beside the
listener (see carerecord.commands.workers)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import uvicorn
from rich.console import Console

from carerecord.app import create_app
from carerecord.commands.collector import tune_for_serving
from carerecord.commands.options import (
    add_db_option,
    add_exclusions_option,
    open_store,
    settings_from,
    warn_without_exclusions,
)
from carerecord.commands.workers import serve_workers
from carerecord.errors import ConfigurationError
from carerecord.ingest.mllp import stop_server
from carerecord.ingest.mllp_service import start_hl7_listener, tls_context
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.web import assets


def register(sub: Any) -> None:
    cmd = sub.add_parser("serve", help="serve the web UI, FHIR API and HL7 v2 listener")
    add_server_options(cmd)
    cmd.add_argument(
        "--mllp-host",
        help="address the MLLP listener listens on (default 127.0.0.1); plain TCP beyond "
        "loopback needs CARERECORD_MLLP_ALLOW_PLAIN_TCP, else TLS",
    )
    cmd.add_argument("--mllp-port", type=int, help="also listen for HL7 v2 over MLLP on this port")
    cmd.add_argument(
        "--workers",
        type=_positive,
        help="web server processes sharing the port and the database (default 1)",
    )
    add_exclusions_option(cmd)
    cmd.set_defaults(run=run)


def add_server_options(cmd: argparse.ArgumentParser) -> None:
    add_db_option(cmd)
    cmd.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="port to listen on (default 8000)")


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(
        args,
        host=args.host,
        port=args.port,
        mllp_host=args.mllp_host,
        mllp_port=args.mllp_port,
        workers=args.workers,
        exclusion_sets=args.exclusion_sets,
    )
    store = open_store(settings)
    try:
        serve(settings, store, console)
    finally:
        store.close()
    return 0


def serve(settings: Settings, store: Store, console: Console) -> None:
    assets.require(settings)  # before anything listens: unstyled pages are not served
    if settings.workers < 1:
        raise ConfigurationError(f"CARERECORD_WORKERS must be at least 1, not {settings.workers}")
    if settings.mllp_port:
        tls_context(settings)  # refuse a listener the settings do not allow before anything
    rules = RulesSource(store, settings)
    warn_without_exclusions(rules.exclusions, console)
    console.print(f"carerecord serving at http://{settings.host}:{settings.port}/ (Ctrl+C stops)")
    if settings.workers > 1:
        if store.engine.dialect.name == "sqlite":
            console.print(
                "[bold yellow]warning:[/] SQLite takes one writer at a time and every view "
                "is written to the audit log: more than one worker adds contention, not "
                "throughput (run one, or use PostgreSQL; see docs/deployment.md)",
                highlight=False,
            )
        serve_workers(settings, store, rules, console)
        return
    config = uvicorn.Config(
        create_app(settings, store, rules),
        host=settings.host,
        port=settings.port,
        log_level="info",
    )
    tune_for_serving()
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        asyncio.run(_serve(uvicorn.Server(config), store, rules, settings, console))
    finally:
        signal.signal(signal.SIGTERM, previous)


def _positive(text: str) -> int:
    number = int(text) if text.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return number


def _stop(_signal: int, _frame: object) -> None:
    # uvicorn shuts down gracefully on SIGTERM, then raises it again for the handler it found.
    # The default would kill the process there, before the MLLP listener stops and the store
    # closes; leaving by SystemExit runs them and ends with status 0.
    raise SystemExit(0)


async def _serve(
    web: uvicorn.Server, store: Store, rules: RulesSource, settings: Settings, console: Console
) -> None:
    listener = None
    if settings.mllp_port:
        listener = await start_hl7_listener(store, rules, settings, settings.mllp_port)
        scheme = "MLLP over TLS" if settings.mllp_tls_cert else "MLLP"
        console.print(f"HL7 v2 ({scheme}) listening on {settings.mllp_host}:{settings.mllp_port}")
    try:
        await web.serve()
    finally:
        if listener is not None:
            await stop_server(listener)
