"""`carerecord quarantine list|show|retry|link|confirm-merge`: work what ingest could not store.

Each shows what senders sent (raw input, or reasons naming people and their ids), so each is
run by a named operator (`--operator`, a system-admin account) and recorded in the audit log
before anything is printed; stored text is printed as text, never as markup or escapes."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from carerecord import nhs_number
from carerecord.commands.operator_sign_in import add_operator_option, record_use, signed_in_operator
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.commands.quarantine_merge import register_confirm_merge
from carerecord.commands.terminal import plain
from carerecord.errors import UsageError
from carerecord.ingest.retry import patient_id_of, patient_local_id, retry
from carerecord.ingest.rules import RulesSource
from carerecord.store import Store
from carerecord.store.records import QuarantinedEntry


def register(sub: Any) -> None:
    cmd = sub.add_parser("quarantine", help="list, inspect, retry and link quarantined input")
    q_sub = cmd.add_subparsers(title="quarantine commands", metavar="COMMAND", required=True)

    listing = q_sub.add_parser("list", help="quarantined items, oldest first")
    listing.add_argument("--reason", help="only this reason code, e.g. unknown-patient")
    listing.add_argument("--source", metavar="ODS", help="only from this source")
    listing.add_argument(
        "--status", default="open", choices=["open", "resolved", "all"], help="default: open"
    )
    listing.add_argument("--limit", type=int, default=100)
    add_operator_option(listing)
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    show = q_sub.add_parser("show", help="one item in full, with its raw input")
    show.add_argument("id", type=int)
    add_operator_option(show)
    add_db_option(show)
    show.set_defaults(run=run_show)

    again = q_sub.add_parser("retry", help="send items through ingest again")
    again.add_argument("ids", type=int, nargs="*", metavar="ID")
    again.add_argument("--all", action="store_true", help="every open item (with filters)")
    again.add_argument("--reason", help="with --all: only this reason code")
    again.add_argument("--source", metavar="ODS", help="with --all: only from this source")
    add_operator_option(again)
    add_db_option(again)
    again.set_defaults(run=run_retry)

    link = q_sub.add_parser(
        "link",
        help="link the source's local patient id in an item to a person by NHS number, "
        "then retry it",
    )
    link.add_argument("id", type=int)
    link.add_argument("--nhs-number", required=True)
    add_operator_option(link)
    add_db_option(link)
    link.set_defaults(run=run_link)

    register_confirm_merge(q_sub)


def run_list(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    store = open_store(settings)
    try:
        operator = signed_in_operator(store, settings, args.operator, "quarantine list")
        status = None if args.status == "all" else args.status
        source = args.source.upper() if args.source else None
        found = store.quarantine_entries(status, args.reason, source, args.limit)
        filters = {"status": args.status, "reason": args.reason, "source": source}
        ids = [entry.id for entry in found]
        record_use(store, operator, {**filters, "shown": len(ids), "quarantine_ids": ids[:1000]})
    finally:
        store.close()
    table = Table("ID", "Seen", "Times", "Source", "Format", "Reason", "Item", "Status")
    for entry in found:
        cells = (
            str(entry.id),
            f"{entry.last_seen_at:%Y-%m-%d %H:%M}",
            str(entry.times_seen),
            entry.source_ods or "unknown",
            entry.input_format,
            entry.reason_code,
            _item(entry),
            entry.status,
        )
        table.add_row(*(Text(plain(cell)) for cell in cells))  # cells as text, never markup
    console.print(table)
    _say(console, f"{len(found)} item(s) shown")
    return 0


def run_show(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    store = open_store(settings)
    try:
        operator = signed_in_operator(store, settings, args.operator, "quarantine show")
        entry = _entry(store, args.id)
        record_use(store, operator, _about(entry), patient_id_of(store, entry))
    finally:
        store.close()
    for label, value in (
        ("id", entry.id),
        ("status", entry.status + (f" ({entry.resolution})" if entry.resolution else "")),
        ("source", entry.source_ods or "unknown"),
        ("format", entry.input_format),
        ("from", entry.location),
        ("first seen", f"{entry.first_seen_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("last seen", f"{entry.last_seen_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("times seen", entry.times_seen),
        ("reason", f"{entry.reason_code}: {entry.reason}"),
        ("item", _item(entry)),
    ):
        console.print(Text.assemble((f"{label}:", "bold"), " ", plain(str(value))))
    console.print(Text("raw input:", style="bold"))
    console.print(Text(plain(entry.raw.replace("\r", "\n"))), soft_wrap=True)
    return 0


def run_retry(args: argparse.Namespace, console: Console) -> int:
    if bool(args.ids) == bool(args.all):
        raise UsageError("name the items to retry, or use --all (not both)")
    if args.ids and (args.reason or args.source):
        raise UsageError("--reason and --source choose items for --all; not with named items")
    settings = settings_from(args)
    store = open_store(settings)
    try:
        operator = signed_in_operator(store, settings, args.operator, "quarantine retry")
        rules = RulesSource(store, settings).current()
        if args.all:
            source = args.source.upper() if args.source else None
            entries = store.quarantine_entries("open", args.reason, source, limit=1_000_000)
        else:
            entries = [_entry(store, entry_id) for entry_id in args.ids]
        resolved = 0
        for entry in entries:
            record_use(store, operator, _about(entry), patient_id_of(store, entry))
            outcome = retry(store, rules, entry)
            resolved += outcome.resolved
            _say(console, f"#{entry.id}: {outcome.detail}")
    finally:
        store.close()
    _say(console, f"{resolved} of {len(entries)} resolved")
    return 0 if resolved == len(entries) else 1


def run_link(args: argparse.Namespace, console: Console) -> int:
    number = nhs_number.normalise(args.nhs_number)
    if not nhs_number.is_valid(number):
        raise UsageError(f"{args.nhs_number} is not a valid NHS number (modulus-11 check)")
    settings = settings_from(args)
    store = open_store(settings)
    try:
        operator = signed_in_operator(store, settings, args.operator, "quarantine link")
        entry = _entry(store, args.id)
        local_id = patient_local_id(entry)
        if entry.source_ods is None or local_id is None:
            raise UsageError(f"#{entry.id} names no patient of a known source to link")
        person = store.patient_id_for_nhs_number(number)
        if person is None:
            raise UsageError(f"carerecord holds nobody with NHS number {number}")
        record_use(store, operator, {**_about(entry), "local_id": local_id}, person)
        if not store.link_patient(entry.source_ods, local_id, number):
            raise UsageError(f"carerecord holds nobody with NHS number {number}")
        _say(console, f"linked {entry.source_ods} patient {local_id} to NHS number {number}")
        outcome = retry(store, RulesSource(store, settings).current(), entry)
    finally:
        store.close()
    _say(console, f"#{entry.id}: {outcome.detail}")
    return 0 if outcome.resolved else 1


def _about(entry: QuarantinedEntry) -> dict[str, object]:
    """What the audit entry says of the quarantined item (never its content)."""
    return {"quarantine_id": entry.id, "source": entry.source_ods, "reason_code": entry.reason_code}


def _say(console: Console, line: str) -> None:
    """A line that may quote stored text: printed as it is, never read as markup."""
    console.print(Text(plain(line)))


def _entry(store: Store, entry_id: int) -> QuarantinedEntry:
    entry = store.quarantine_entry(entry_id)
    if entry is None:
        raise UsageError(f"no quarantined item #{entry_id}")
    return entry


def _item(entry: QuarantinedEntry) -> str:
    if entry.resource_type:
        return f"{entry.resource_type}/{entry.source_id or '?'}"
    return entry.location[-40:]
