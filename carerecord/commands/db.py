"""`carerecord db upgrade`: create or migrate the schema."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.store.migrate import current_revision, upgrade


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(title="db commands", metavar="COMMAND", required=True)
    up = db_sub.add_parser("upgrade", help="create or migrate the schema to the current version")
    add_db_option(up)
    up.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args), require_schema=False)
    try:
        before = current_revision(store.engine)
        upgrade(store.engine)
        after = current_revision(store.engine)
    finally:
        store.close()
    if before == after:
        console.print(f"schema already at revision {after}")
    else:
        console.print(f"schema migrated from {before or 'empty'} to revision {after}")
    return 0
