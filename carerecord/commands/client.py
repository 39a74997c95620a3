"""`carerecord client add|list|grant|revoke|disable`: source systems' credentials and what
each may do (its scopes). Registrations and changes of grants are written to the audit log as
`operator:<login>`, the operating-system user running the command."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Column, Table

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import UsageError
from carerecord.scopes import PUSH, Scope, unknown_scopes
from carerecord.store.clients import ClientRegistry, GrantChange, InvalidKeySet

_SCOPE_HELP = "one of " + ", ".join(scope.value for scope in Scope)


def register(sub: Any) -> None:
    client = sub.add_parser("client", help="source systems' credentials and scopes")
    client_sub = client.add_subparsers(title="client commands", metavar="COMMAND", required=True)

    add = client_sub.add_parser("add", help="register a source system's public keys")
    add.add_argument("ods", metavar="ODS", help="ODS code of the organisation it sends for")
    add.add_argument("--name", required=True, help="the system, e.g. 'EMIS Web at F83004'")
    add.add_argument("--jwks", required=True, type=Path, help="JSON Web Key Set: public keys")
    add.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help=f"grant this scope instead of pushing (repeatable): {_SCOPE_HELP}",
    )
    add_db_option(add)
    add.set_defaults(run=run_add)

    listing = client_sub.add_parser("list", help="show registered source systems")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    for name, text in (("grant", "let a client use scopes"), ("revoke", "take scopes away")):
        change = client_sub.add_parser(name, help=text)
        change.add_argument("client_id", metavar="CLIENT_ID")
        change.add_argument("scopes", nargs="+", metavar="SCOPE", help=_SCOPE_HELP)
        add_db_option(change)
        change.set_defaults(run=run_grant if name == "grant" else run_revoke)

    disable = client_sub.add_parser("disable", help="stop a source system at once")
    disable.add_argument("client_id", metavar="CLIENT_ID")
    add_db_option(disable)
    disable.set_defaults(run=run_disable)


def run_add(args: argparse.Namespace, console: Console) -> int:
    scopes = _checked(args.scope) if args.scope else list(PUSH)
    jwks = _read_jwks(args.jwks)
    store = open_store(settings_from(args))
    try:
        client = ClientRegistry(store).register(args.ods, args.name, jwks, scopes, _actor())
    finally:
        store.close()
    console.print(
        f"registered client {client.client_id} for {client.source_ods} ({client.name}), "
        f"{len(client.jwks['keys'])} public key(s), scopes {' '.join(client.scopes)}",
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
    table = Table(
        Column("Client id", no_wrap=True),
        "ODS",
        "Name",
        "Keys",
        "Scopes",
        "Registered",
        "Status",
    )
    for client in clients:
        table.add_row(
            client.client_id,
            client.source_ods,
            client.name,
            str(len(client.jwks["keys"])),
            " ".join(client.scopes) or "none",
            f"{client.registered_at:%Y-%m-%d %H:%M}",
            "disabled" if client.disabled else "enabled",
        )
    console.print(table)
    return 0


def run_disable(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args))
    try:
        found = ClientRegistry(store).disable(args.client_id, _actor())
    finally:
        store.close()
    if not found:
        raise UsageError(f"no client {args.client_id!r}: see `carerecord client list`")
    console.print(f"disabled client {args.client_id}: its tokens no longer work", highlight=False)
    return 0


def run_grant(args: argparse.Namespace, console: Console) -> int:
    return _change(args, console, granting=True)


def run_revoke(args: argparse.Namespace, console: Console) -> int:
    return _change(args, console, granting=False)


def _change(args: argparse.Namespace, console: Console, granting: bool) -> int:
    scopes = _checked(args.scopes)
    store = open_store(settings_from(args))
    try:
        registry = ClientRegistry(store)
        change: GrantChange | None = (registry.grant if granting else registry.revoke)(
            args.client_id, scopes, _actor()
        )
    finally:
        store.close()
    if change is None:
        raise UsageError(f"no client {args.client_id!r}: see `carerecord client list`")
    verb = "granted" if granting else "revoked"
    done = " ".join(change.changed) or "nothing (already as asked)"
    held = " ".join(change.client.scopes) or "none"
    console.print(f"{verb} {done}; client {args.client_id} now holds: {held}", highlight=False)
    return 0


def _checked(scopes: list[str]) -> list[str]:
    unknown = unknown_scopes(scopes)
    if unknown:
        raise UsageError(f"unknown scope {' '.join(unknown)}: the scopes are {_SCOPE_HELP}")
    return scopes


def _actor() -> str:
    return f"operator:{getpass.getuser()}"


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
