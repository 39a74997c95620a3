"""`carerecord client add|list|disable`: source systems allowed to push FHIR."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Column, Table

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import UsageError
from carerecord.store.clients import ClientRegistry, InvalidKeySet


def register(sub: Any) -> None:
    client = sub.add_parser("client", help="source systems allowed to push FHIR")
    client_sub = client.add_subparsers(title="client commands", metavar="COMMAND", required=True)

    add = client_sub.add_parser("add", help="register a source system's public keys")
    add.add_argument("ods", metavar="ODS", help="ODS code of the organisation it sends for")
    add.add_argument("--name", required=True, help="the system, e.g. 'EMIS Web at F83004'")
    add.add_argument("--jwks", required=True, type=Path, help="JSON Web Key Set: public keys")
    add_db_option(add)
    add.set_defaults(run=run_add)

    listing = client_sub.add_parser("list", help="show registered source systems")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    disable = client_sub.add_parser("disable", help="stop a source system at once")
    disable.add_argument("client_id", metavar="CLIENT_ID")
    add_db_option(disable)
    disable.set_defaults(run=run_disable)


def run_add(args: argparse.Namespace, console: Console) -> int:
    jwks = _read_jwks(args.jwks)
    store = open_store(settings_from(args))
    try:
        client = ClientRegistry(store).register(args.ods, args.name, jwks)
    finally:
        store.close()
    console.print(
        f"registered client {client.client_id} for {client.source_ods} ({client.name}), "
        f"{len(client.jwks['keys'])} public key(s)",
        highlight=False,
    )
    console.print(
        "Give the client id to the source system's operator: it signs its client assertions "
        f"with iss = sub = {client.client_id} and trades them at /fhir/token "
        "(see docs/source-clients.md).",
        highlight=False,
    )
    return 0


def run_list(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args))
    try:
        clients = ClientRegistry(store).all()
    finally:
        store.close()
    # The id is copied into `client disable` and into the source's configuration: never wrap it.
    table = Table(Column("Client id", no_wrap=True), "ODS", "Name", "Keys", "Registered", "Status")
    for client in clients:
        table.add_row(
            client.client_id,
            client.source_ods,
            client.name,
            str(len(client.jwks["keys"])),
            f"{client.registered_at:%Y-%m-%d %H:%M}",
            "disabled" if client.disabled else "enabled",
        )
    console.print(table)
    return 0


def run_disable(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args))
    try:
        found = ClientRegistry(store).disable(args.client_id)
    finally:
        store.close()
    if not found:
        raise UsageError(f"no client {args.client_id!r}: see `carerecord client list`")
    console.print(f"disabled client {args.client_id}: its tokens no longer work", highlight=False)
    return 0


def _read_jwks(path: Path) -> Any:
    # A missing key file is the operator's input being wrong (exit 2), not the system failing.
    try:
        text = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the JWKS ({error.strerror})") from None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InvalidKeySet(f"{path}: not valid JSON ({error})") from None
