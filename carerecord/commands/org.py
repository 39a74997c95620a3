"""`carerecord org add|load|list|network`: the organisation registry, and the networks each
organisation's users may reach the record from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from carerecord.access.admin_input import lets_anyone_in
from carerecord.commands.operator import administration
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import InvalidOrganisation, UsageError
from carerecord.fhir.sections import SECTIONS
from carerecord.organisations import (
    NATIONAL_REGION,
    ORG_TYPES,
    REGIONS,
    STATUSES,
    organisation,
    organisation_from_json,
)


def register(sub: Any) -> None:
    org = sub.add_parser("org", help="the organisation registry")
    org_sub = org.add_subparsers(title="org commands", metavar="COMMAND", required=True)

    add = org_sub.add_parser("add", help="register an organisation (or update its details)")
    add.add_argument("ods", metavar="ODS", help="ODS code")
    add.add_argument("--name", required=True)
    add.add_argument("--type", required=True, choices=list(ORG_TYPES), dest="org_type")
    add.add_argument(
        "--region",
        required=True,
        help=f"one of: {', '.join(REGIONS)}; {NATIONAL_REGION} for the national type",
    )
    add.add_argument("--status", default="live", choices=list(STATUSES))
    add.add_argument(
        "--sections",
        help=f"comma-separated sections it shares (default: all): {','.join(SECTIONS)}",
    )
    add_db_option(add)
    add.set_defaults(run=run_add)

    load = org_sub.add_parser("load", help="register every organisation in a JSON list")
    load.add_argument("file", type=Path, help="e.g. organisations.json written by synth")
    add_db_option(load)
    load.set_defaults(run=run_load)

    listing = org_sub.add_parser("list", help="show the registry")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    network = org_sub.add_parser(
        "network", help="set the networks an organisation's users may reach the record from"
    )
    network.add_argument("ods", metavar="ODS", help="ODS code")
    network.add_argument(
        "cidrs",
        metavar="CIDR",
        nargs="*",
        help="networks (e.g. 10.20.0.0/16, 2001:db8::/32, one address): they replace those held; "
        "none given shows them",
    )
    network.add_argument("--clear", action="store_true", help="remove every network")
    network.add_argument(
        "--allow-any",
        action="store_true",
        help="accept 0.0.0.0/0 or ::/0, every address at once (not recommended)",
    )
    add_db_option(network)
    network.set_defaults(run=run_network)


def run_add(args: argparse.Namespace, console: Console) -> int:
    sections = tuple(s.strip() for s in args.sections.split(",")) if args.sections else None
    org = organisation(args.ods, args.name, args.org_type, args.region, args.status, sections)
    store = open_store(settings_from(args))
    try:
        new = store.save_organisation(org)
    finally:
        store.close()
    console.print(
        f"{'registered' if new else 'updated'} {org.ods_code} {org.name}", highlight=False
    )
    return 0


def run_load(args: argparse.Namespace, console: Console) -> int:
    try:
        entries = orjson.loads(args.file.read_bytes())
    except orjson.JSONDecodeError as error:
        raise InvalidOrganisation(f"{args.file}: not valid JSON ({error})") from None
    if not isinstance(entries, list):
        raise InvalidOrganisation(f"{args.file}: expected a JSON list of organisations")
    orgs = [organisation_from_json(entry, index) for index, entry in enumerate(entries)]
    store = open_store(settings_from(args))
    try:
        new = sum(store.save_organisation(org) for org in orgs)
    finally:
        store.close()
    console.print(f"{len(orgs)} organisations: {new} registered, {len(orgs) - new} updated")
    return 0


def run_list(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args))
    try:
        orgs = store.organisations()
    finally:
        store.close()
    table = Table("ODS", "Name", "Type", "Region", "Status", "Sections")
    for org in orgs:
        table.add_row(
            org.ods_code,
            org.name,
            ORG_TYPES[org.org_type],
            org.region,
            org.status,
            str(len(org.sections)),
        )
    console.print(table)
    return 0


def run_network(args: argparse.Namespace, console: Console) -> int:
    if args.clear and args.cidrs:
        raise UsageError("give networks or --clear, not both")
    with administration(args) as admin:
        if args.clear or args.cidrs:
            held = admin.set_networks(args.ods, args.cidrs, allow_any=args.allow_any)
        else:
            held = admin.organisation(args.ods)
    ods = held.organisation.ods_code
    if not held.networks:
        console.print(
            f"{ods}: no networks registered: its users cannot reach the record", highlight=False
        )
        return 0
    console.print(f"{ods} users may reach the record from: {', '.join(held.networks)}")
    if lets_anyone_in(held.networks):
        console.print(
            "[bold yellow]warning:[/] every address is allowed: the network check no longer "
            "protects this organisation's accounts",
            highlight=False,
        )
    return 0
