"""`carerecord audit purge-expired [--dry-run]`: removing audit entries older than the
retention period (CARERECORD_AUDIT_RETENTION_YEARS, never less than the database's own),
the oldest first, with a checkpoint from which `audit verify` checks the entries kept. Exit 0
when done (or nothing was due); 2 when the configured period is shorter than the stored one,
or the database by its own clock refuses a deletion; 3 when the database cannot be used.
Recorded in the log itself, as `operator:<login>`."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.store import audit_retention


def register_retention(audit_sub: Any) -> None:
    purge = audit_sub.add_parser(
        "purge-expired", help="remove entries older than the retention period, oldest first"
    )
    purge.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    add_db_option(purge)
    purge.set_defaults(run=run_purge_expired)


def run_purge_expired(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    years, now = settings.audit_retention_years, datetime.now(UTC)
    store = open_store(settings)
    try:
        if args.dry_run:
            found = audit_retention.plan(store.engine, now, years)
        else:
            actor = f"operator:{getpass.getuser()}"
            found = audit_retention.purge_expired(store.engine, now, years, actor)
    finally:
        store.close()
    console.print(_said(found, args.dry_run), highlight=False)
    return 0


def _said(found: audit_retention.Plan, dry_run: bool) -> str:
    kept = f"retention {found.years} years: entries before {found.cutoff:%Y-%m-%d %H:%M} UTC"
    if not found.entries:
        return f"{kept}; none to purge"
    verb = "would be purged" if dry_run else "purged"
    return (
        f"{kept}; {found.entries:,} {verb}, #{found.first_id} ({found.first_at:%Y-%m-%d}) to "
        f"#{found.last_id} ({found.last_at:%Y-%m-%d}), with {found.reviews} alert review(s)"
    )
