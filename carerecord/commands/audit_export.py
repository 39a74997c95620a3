"""`carerecord audit export --from DATE --to DATE [--out FILE]`: the log's entries between two
UK days (both included) as FHIR AuditEvents, one JSON object a line (NDJSON). Entries are read
in batches and written as they come, so memory stays bounded however long the log is. The
export is itself written to the log, as the operator at the terminal."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import orjson
from rich.console import Console

from carerecord.audit.entry import AuditRecord
from carerecord.audit.fhir_event import audit_event
from carerecord.audit.query import uk_days
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import UsageError
from carerecord.origin import base_url
from carerecord.store import audit


def register_export(audit_sub: Any) -> None:
    """Adds `export` to the `audit` command's sub-commands."""
    export = audit_sub.add_parser(
        "export", help="write the log's entries between two days as FHIR AuditEvents (NDJSON)"
    )
    export.add_argument(
        "--from", dest="first", required=True, metavar="DATE", help="first day, YYYY-MM-DD (UK)"
    )
    export.add_argument(
        "--to", dest="last", required=True, metavar="DATE", help="last day, included"
    )
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="write to this file (default: standard output)"
    )
    add_db_option(export)
    export.set_defaults(run=run_export)


def run_export(args: argparse.Namespace, console: Console) -> int:
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    start, end = uk_days(first, last)
    settings = settings_from(args)
    store = open_store(settings)
    observer = base_url(settings)
    written = 0
    outcome = "error"
    try:
        with _output(args.out) as out:
            for entry in audit.between(store.engine, start, end):
                out.write(orjson.dumps(audit_event(entry, observer)) + b"\n")
                written += 1
        outcome = "success"
    finally:
        detail = {"from": first.isoformat(), "to": last.isoformat(), "count": written}
        if args.out is not None:
            detail["file"] = str(args.out)
        login = getpass.getuser()
        record = AuditRecord(f"operator:{login}", "audit-export", outcome, detail)
        store.consent.audit(record, datetime.now(UTC))
        store.close()
    if args.out is not None:
        console.print(f"wrote {written:,} audit events to {args.out}", highlight=False)
    return 0


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date: write it YYYY-MM-DD") from None


@contextmanager
def _output(path: Path | None) -> Iterator[IO[bytes]]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with path.open("wb") as out:
        yield out
