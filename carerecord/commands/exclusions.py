"""`carerecord exclusions purge [--dry-run]`: removing the content of legally restricted items
stored before their code was listed (CARERECORD_EXCLUSION_SETS). Hidden is not enough for
these: their bodies go from the current row and every superseded version; their keys stay in
the exclusions log, so a re-send is refused. Recorded in the audit log as `operator:<login>`,
by keys and counts, never content."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import UsageError
from carerecord.ingest.exclusions import load_exclusions
from carerecord.store import purge


def register(sub: Any) -> None:
    cmd = sub.add_parser("exclusions", help="legally restricted items already stored")
    e_sub = cmd.add_subparsers(title="exclusions commands", metavar="COMMAND", required=True)
    run = e_sub.add_parser("purge", help="remove the content of items the code lists now exclude")
    run.add_argument("--dry-run", action="store_true", help="count them, change nothing")
    add_db_option(run)
    run.set_defaults(run=run_purge)


def run_purge(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    listed = load_exclusions(settings.exclusion_sets)
    if not listed:
        raise UsageError(
            "no exclusion code lists are configured: set CARERECORD_EXCLUSION_SETS to the "
            "folder of ValueSets"
        )
    store = open_store(settings)
    try:
        if args.dry_run:
            found = purge.find(store.engine, listed.match)
        else:
            actor = f"operator:{getpass.getuser()}"
            found = purge.purge(store.engine, listed.match, datetime.now(UTC), actor)
    finally:
        store.close()
    verb = "would be purged" if args.dry_run else "purged"
    console.print(
        f"{len(found.current)} current item(s) and {len(found.versions)} superseded "
        f"version(s) {verb}"
    )
    for category, count in sorted(found.by_category.items()):
        console.print(f"  {category}: {count} item(s)", highlight=False)
    return 0
