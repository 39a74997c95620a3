"""`carerecord sender add|list|revoke`: which network peers may send HL7 v2, and as which
organisations (MSH-4). Each change is recorded in the audit log as `operator:<login>`, the
operating-system user running it; what a certificate says of itself is printed as text."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from carerecord.audit.entry import AuditRecord
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.commands.terminal import plain
from carerecord.errors import UnknownOrganisation, UsageError
from carerecord.ingest.senders import address_credential, certificate_credential
from carerecord.store import Store
from carerecord.store.senders import ADDRESS, CERTIFICATE, RegisteredSender


def register(sub: Any) -> None:
    cmd = sub.add_parser("sender", help="network peers allowed to send HL7 v2")
    s_sub = cmd.add_subparsers(title="sender commands", metavar="COMMAND", required=True)

    add = s_sub.add_parser("add", help="let a certificate or address range send as ODS")
    add.add_argument("ods", metavar="ODS", help="the organisation it may send as (MSH-4)")
    which = add.add_mutually_exclusive_group(required=True)
    which.add_argument("--address", metavar="CIDR", help="source address range, plain TCP")
    which.add_argument("--cert", metavar="FILE.pem", type=Path, help="its client certificate")
    add_db_option(add)
    add.set_defaults(run=run_add)

    listing = s_sub.add_parser("list", help="registered senders, revoked ones included")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    revoke = s_sub.add_parser("revoke", help="stop a registered sender (within seconds)")
    revoke.add_argument("id", type=int, metavar="ID", help="as shown by `sender list`")
    add_db_option(revoke)
    revoke.set_defaults(run=run_revoke)


def run_add(args: argparse.Namespace, console: Console) -> int:
    kind, credential, subject = _credential(args)
    ods = args.ods.strip().upper()[:12]
    store = open_store(settings_from(args))
    try:
        if store.organisation(ods) is None:
            raise UnknownOrganisation(
                f"no organisation {ods!r} is registered: `carerecord org add`"
            )
        now, actor = datetime.now(UTC), _actor()
        added = store.senders.add(ods, kind, credential, subject, actor, now)
        _audit(store, "sender-add", now, _detail(added))
    finally:
        store.close()
    _say(console, f"sender #{added.id}: {_what(added)} may send HL7 v2 as {added.ods_code}")
    return 0


def run_list(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args))
    try:
        held = store.senders.all()
    finally:
        store.close()
    table = Table("ID", "ODS", "Kind", "Credential", "Subject", "Added", "By", "Status")
    for sender in held:
        status = f"revoked {sender.revoked_at:%Y-%m-%d %H:%M}" if sender.revoked_at else "active"
        cells = (
            str(sender.id),
            sender.ods_code,
            sender.kind,
            sender.credential,
            sender.subject,
            f"{sender.added_at:%Y-%m-%d %H:%M}",
            sender.added_by,
            status,
        )
        table.add_row(*(Text(plain(cell)) for cell in cells))  # a subject is never markup
    console.print(table)
    _say(console, f"{len(held)} sender(s)")
    return 0


def run_revoke(args: argparse.Namespace, console: Console) -> int:
    store = open_store(settings_from(args))
    try:
        now = datetime.now(UTC)
        revoked = store.senders.revoke(args.id, now)
        if revoked is None:
            raise UsageError(f"no sender #{args.id}: see `carerecord sender list`")
        _audit(store, "sender-revoke", now, _detail(revoked))
    finally:
        store.close()
    _say(console, f"revoked sender #{revoked.id}: {_what(revoked)} for {revoked.ods_code}")
    return 0


def _credential(args: argparse.Namespace) -> tuple[str, str, str]:
    if args.address is not None:
        try:
            return ADDRESS, address_credential(args.address), ""
        except ValueError as error:
            raise UsageError(f"--address: {error}") from None
    try:
        pem = args.cert.read_bytes()
    except OSError as error:
        raise UsageError(f"{args.cert}: cannot read it ({error.strerror})") from None
    try:
        fingerprint, subject = certificate_credential(pem)
    except ValueError:
        raise UsageError(f"{args.cert}: not a PEM certificate") from None
    return CERTIFICATE, fingerprint, subject


def _what(sender: RegisteredSender) -> str:
    if sender.kind == CERTIFICATE:
        return f"certificate SHA-256 {sender.credential} ({sender.subject})"
    return f"address {sender.credential}"


def _detail(sender: RegisteredSender) -> dict[str, object]:
    return {
        "sender": sender.id,
        "organisation": sender.ods_code,
        "kind": sender.kind,
        "credential": sender.credential,
        "subject": sender.subject,
    }


def _actor() -> str:
    return f"operator:{getpass.getuser()}"


def _audit(store: Store, action: str, now: datetime, detail: dict[str, object]) -> None:
    store.consent.audit(AuditRecord(_actor(), action, "success", detail), now)


def _say(console: Console, line: str) -> None:
    console.print(Text(plain(line)))
