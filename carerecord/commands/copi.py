"""`carerecord copi declare|list|cancel`: national-emergency (COPI) periods, during which a
person's objection does not keep their record from those caring for them directly."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from carerecord.access import admin_input
from carerecord.commands.operator import administration
from carerecord.commands.options import add_db_option
from carerecord.errors import UsageError


def register(sub: Any) -> None:
    copi = sub.add_parser("copi", help="national-emergency (COPI) periods")
    copi_sub = copi.add_subparsers(title="copi commands", metavar="COMMAND", required=True)

    declare = copi_sub.add_parser("declare", help="declare a national-emergency period")
    declare.add_argument(
        "--from",
        dest="starts",
        required=True,
        metavar="DATETIME",
        help="when it starts, in UK time unless an offset is given: e.g. '2026-03-01 09:00'",
    )
    declare.add_argument("--to", dest="ends", required=True, metavar="DATETIME")
    declare.add_argument(
        "--reason", required=True, help="why: e.g. the notice under which it is declared"
    )
    add_db_option(declare)
    declare.set_defaults(run=run_declare)

    listing = copi_sub.add_parser("list", help="show every period, newest first")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    cancel = copi_sub.add_parser("cancel", help="cancel a period (it stops applying at once)")
    cancel.add_argument("period_id", metavar="ID")
    add_db_option(cancel)
    cancel.set_defaults(run=run_cancel)


def run_declare(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        declared = admin.declare_emergency(args.starts, args.ends, args.reason)
    period = declared.period
    console.print(
        f"declared national-emergency period {period.id}: {_when(period.starts_at)} to "
        f"{_when(period.ends_at)} (UK time), {declared.state}",
        highlight=False,
    )
    console.print(
        "While it is in force, objections do not keep records from direct care; "
        "each such access is flagged in the audit log.",
        highlight=False,
    )
    return 0


def run_list(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        periods = admin.emergency_periods()
    table = Table("Id", "From", "To", "State", "Reason", "Declared by", "Declared")
    for found in periods:
        period = found.period
        table.add_row(
            str(period.id),
            _when(period.starts_at),
            _when(period.ends_at),
            found.state,
            period.reason,
            period.declared_by,
            _when(period.declared_at),
        )
    console.print(table)
    return 0


def run_cancel(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        admin.cancel_emergency(_period_id(args.period_id))
    console.print(f"cancelled national-emergency period {args.period_id}", highlight=False)
    return 0


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(admin_input.UK):%Y-%m-%d %H:%M}"


def _period_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise UsageError(f"{text[:40]!r} is not a period id: see `carerecord copi list`")
    return int(text)
