"""`carerecord ingest PATH... [--source ODS]`: load FHIR JSON bundles, NDJSON and HL7 v2 files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from carerecord.commands.options import (
    add_db_option,
    add_exclusions_option,
    open_store,
    settings_from,
    warn_without_exclusions,
)
from carerecord.commands.progress import progress_bar
from carerecord.ingest.pipeline import ingest_paths, passed_over, total_bytes
from carerecord.ingest.rules import RulesSource
from carerecord.store.records import WriteCounts


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "ingest",
        help="load FHIR JSON bundles, NDJSON or HL7 v2 files (format detected; folders searched)",
    )
    cmd.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    cmd.add_argument(
        "--source",
        metavar="ODS",
        help="the sending organisation of FHIR files; otherwise each resource's meta.source "
        "(urn:ods:CODE). HL7 v2 messages always name theirs (MSH-4)",
    )
    add_exclusions_option(cmd)
    add_db_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args, exclusion_sets=args.exclusion_sets)
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
        rules = RulesSource(store, settings)
        warn_without_exclusions(rules.exclusions, console)
        for path, why in passed_over(args.paths):
            console.print(f"[yellow]note:[/] not read: {path}: {why}", highlight=False)
        acknowledgements: dict[str, int] = {}
        with progress_bar("ingesting", total_bytes(args.paths), unit="bytes") as advance:
            counts = ingest_paths(
                store,
                args.paths,
                source,
                settings.ingest_batch_size,
                advance,
                rules.current(),
                acknowledgements,
            )
        if counts.stored or counts.updated:
            store.refresh_statistics()
    finally:
        store.close()
    console.print(summary_table(counts, acknowledgements))
    return 1 if counts.quarantined else 0


def summary_table(counts: WriteCounts, acknowledgements: dict[str, int] | None = None) -> Table:
    table = Table("outcome", "resources", title="ingest summary")
    table.add_row("stored", f"{counts.stored:,}")
    table.add_row("updated", f"{counts.updated:,}")
    table.add_row("unchanged", f"{counts.unchanged:,}")
    if counts.older:
        table.add_row("older than held (kept in history)", f"{counts.older:,}")
    table.add_row("quarantined", f"{counts.quarantined:,}")
    for reason, number in sorted(counts.quarantine_reasons.items()):
        table.add_row(f"  quarantined: {reason}", f"{number:,}")
    if counts.excluded:
        table.add_row("excluded (legally restricted, not stored)", f"{counts.excluded:,}")
        for category, number in sorted(counts.excluded_categories.items()):
            table.add_row(f"  excluded: {category}", f"{number:,}")
    if counts.deleted:
        table.add_row("hidden (deleted at source)", f"{counts.deleted:,}")
    if counts.merged:
        table.add_row("moved by patient merges", f"{counts.merged:,}")
    for code, number in sorted((acknowledgements or {}).items()):
        table.add_row(f"HL7 v2 messages answered {code}", f"{number:,}")
    return table
