"""`carerecord ingest PATH... [--source ODS]`: load FHIR JSON bundles and NDJSON files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from carerecord.commands.options import add_db_option, open_store, settings_from
from carerecord.commands.progress import progress_bar
from carerecord.ingest.pipeline import ingest_paths, total_bytes
from carerecord.store.records import WriteCounts


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "ingest",
        help="load FHIR JSON bundles or NDJSON files (format detected; folders are searched)",
    )
    cmd.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    cmd.add_argument(
        "--source",
        metavar="ODS",
        help="the sending organisation; otherwise each resource's meta.source (urn:ods:CODE)",
    )
    add_db_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args)
    source = args.source.strip().upper() if args.source else None
    store = open_store(settings)
    try:
        if source is not None and store.organisation(source) is None:
            console.print(
                f"[bold red]error:[/] source organisation {source} is not registered: "
                "add it with `carerecord org add` first",
                highlight=False,
            )
            return 2
        with progress_bar("ingesting", total_bytes(args.paths), unit="bytes") as advance:
            counts = ingest_paths(store, args.paths, source, settings.ingest_batch_size, advance)
    finally:
        store.close()
    console.print(summary_table(counts))
    return 1 if counts.quarantined else 0


def summary_table(counts: WriteCounts) -> Table:
    table = Table("outcome", "resources", title="ingest summary")
    table.add_row("stored", f"{counts.stored:,}")
    table.add_row("updated", f"{counts.updated:,}")
    table.add_row("unchanged", f"{counts.unchanged:,}")
    if counts.older:
        table.add_row("older than held (kept in history)", f"{counts.older:,}")
    table.add_row("quarantined", f"{counts.quarantined:,}")
    for reason, number in sorted(counts.quarantine_reasons.items()):
        table.add_row(f"  quarantined: {reason}", f"{number:,}")
    return table
