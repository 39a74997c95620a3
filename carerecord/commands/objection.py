"""`carerecord objection import FILE.csv [--dry-run]`: objections from a predecessor system.

Everything the file holds is imported in one transaction, or nothing is. A re-run adds nothing
already imported. A person no source has sent yet is entered in the master patient index by
NHS number alone, so their objection stands the moment their first record arrives (decision
record 0006). The report names lines and counts, never NHS numbers.
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from carerecord.access.objection_file import COLUMNS, FileRow, ObjectionsFile, read_objections
from carerecord.audit.entry import AuditRecord
from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.errors import UnsupportedFormat
from carerecord.store import Store
from carerecord.store.account_records import ImportedObjection

EXIT_NOT_ALL = 1  # done, but some rows could not be imported (invalid NHS numbers)
MAX_FILE_BYTES = 256 * 1024 * 1024
IMPORTED_BASIS = "Imported from the previous shared care record"
MAX_LINES_SHOWN = 20


def register(sub: Any) -> None:
    cmd = sub.add_parser("objection", help="people's objections to sharing their record")
    o_sub = cmd.add_subparsers(title="objection commands", metavar="COMMAND", required=True)
    imports = o_sub.add_parser(
        "import",
        help="import objections from a predecessor system's CSV file",
        description=f"The file's first line names its columns: {','.join(COLUMNS)}.",
    )
    imports.add_argument("file", type=Path, metavar="FILE.csv")
    imports.add_argument(
        "--dry-run", action="store_true", help="check the file and report; change nothing"
    )
    add_db_option(imports)
    imports.set_defaults(run=run_import)


def run_import(args: argparse.Namespace, console: Console) -> int:
    now = datetime.now(UTC)
    data = _read(args.file)
    read = read_objections(data, now)
    store = open_store(settings_from(args))
    try:
        plan = _plan(store, read)
        added = 0
        if not args.dry_run and plan.new:
            event = AuditRecord(
                "system",
                "import-objections",
                "success",
                {"file_sha256": hashlib.sha256(data).hexdigest(), "rows": read.rows},
            )
            added = store.consent.import_objections(plan.new, now, event)
    finally:
        store.close()
    _report(console, read, plan, added, args.dry_run)
    return EXIT_NOT_ALL if read.invalid_nhs_numbers else 0


class _Plan:
    def __init__(self, new: list[ImportedObjection], held: int, already: int) -> None:
        self.new, self.held, self.already = new, held, already


def _plan(store: Store, read: ObjectionsFile) -> _Plan:
    rows = read.accepted
    imported = store.consent.objection_refs([row.external_ref for row in rows])
    fresh = [row for row in rows if row.external_ref not in imported]
    held = store.consent.people_held([row.nhs_number for row in fresh])
    new = [_objection(row) for row in fresh]
    return _Plan(new, sum(1 for row in fresh if row.nhs_number in held), len(rows) - len(fresh))


def _objection(row: FileRow) -> ImportedObjection:
    return ImportedObjection(
        nhs_number=row.nhs_number,
        recorded_by=row.recorded_by,
        basis=IMPORTED_BASIS,
        recorded_at=row.recorded_at,
        external_ref=row.external_ref,
        on_behalf=row.on_behalf.value,
        evidence_ref=row.evidence_ref,
        checked_by=row.checked_by,
    )


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise UnsupportedFormat(f"{path}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnsupportedFormat(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; split it")
    return path.read_bytes()  # unreadable: OSError, exit 3


def _report(console: Console, read: ObjectionsFile, plan: _Plan, added: int, dry_run: bool) -> None:
    def say(text: str) -> None:
        console.print(text, highlight=False)

    say(f"rows read:                    {read.rows:,}")
    say(f"  matched (person held):      {plan.held:,}")
    say(f"  not held yet:               {len(plan.new) - plan.held:,}")
    say(f"  already imported:           {plan.already:,}")
    invalid = read.invalid_nhs_numbers
    say(f"  invalid NHS numbers:        {len(invalid):,}{_lines(invalid)}")
    say(f"  duplicates within the file: {len(read.duplicates):,}{_lines(read.duplicates)}")
    unchecked = [row.line for row in read.accepted if row.attorney_without_evidence]
    if unchecked:
        say(
            f"[bold yellow]warning:[/] {len(unchecked):,} attorney objection(s) without the "
            f"power's registration number or who checked it{_lines(unchecked)}: kept as given; "
            "check them"
        )
    if dry_run:
        say(f"dry run: nothing changed; {len(plan.new):,} objection(s) would be imported")
    else:
        say(f"imported: {added:,} objection(s)")
    if plan.new and len(plan.new) > plan.held:
        say(
            "people not held yet are kept by NHS number: their objection applies from their "
            "first record"
        )


def _lines(lines: tuple[int, ...] | list[int]) -> str:
    if not lines:
        return ""
    shown = ", ".join(str(n) for n in lines[:MAX_LINES_SHOWN])
    more = f" and {len(lines) - MAX_LINES_SHOWN:,} more" if len(lines) > MAX_LINES_SHOWN else ""
    return f" (line{'s' if len(lines) > 1 else ''} {shown}{more})"
