"""`carerecord serve`: the web UI (and, as they arrive, the APIs) on one server."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from rich.console import Console

from carerecord.app import create_app
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.settings import Settings
from carerecord.store import Store


def register(sub: Any) -> None:
    cmd = sub.add_parser("serve", help="serve the web UI")
    add_server_options(cmd)
    cmd.set_defaults(run=run)


def add_server_options(cmd: argparse.ArgumentParser) -> None:
    add_db_option(cmd)
    cmd.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="port to listen on (default 8000)")


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args, host=args.host, port=args.port)
    store = open_store(settings)
    try:
        serve(settings, store, console)
    finally:
        store.close()
    return 0


def serve(settings: Settings, store: Store, console: Console) -> None:
    console.print(f"carerecord serving at http://{settings.host}:{settings.port}/ (Ctrl+C stops)")
    uvicorn.run(
        create_app(settings, store), host=settings.host, port=settings.port, log_level="info"
    )
