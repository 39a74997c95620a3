"""`carerecord org add|load|list`: the organisation registry."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import InvalidOrganisation
from carerecord.fhir.sections import SECTIONS
from carerecord.organisations import (
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
    add.add_argument("--region", required=True, help=f"one of: {', '.join(REGIONS)}")
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
