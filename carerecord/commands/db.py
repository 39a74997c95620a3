"""`carerecord db upgrade`: create or migrate the schema, then raise the audit retention period
held in the database to CARERECORD_AUDIT_RETENTION_YEARS when that is longer (a shorter one
is refused: the stored period stays)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.store.audit_retention import settle_policy
from carerecord.store.migrate import current_revision, upgrade


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(title="db commands", metavar="COMMAND", required=True)
    up = db_sub.add_parser("upgrade", help="create or migrate the schema to the current version")
    add_db_option(up)
    up.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    store = open_store(settings, require_schema=False)
    try:
        before = current_revision(store.engine)
        upgrade(store.engine)
        after = current_revision(store.engine)
        # Said before the policy is settled, so a refused shorter period still reports the
        # migration that did happen.
        if before == after:
            console.print(f"schema already at revision {after}")
        else:
            console.print(f"schema migrated from {before or 'empty'} to revision {after}")
        years = settle_policy(store.engine, settings.audit_retention_years, datetime.now(UTC))
    finally:
        store.close()
    console.print(f"audit entries are kept for {years} years")
    return 0
