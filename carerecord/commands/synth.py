"""`carerecord synth --patients N --out DIR [--seed S]`: a deterministic synthetic London."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console

from carerecord.commands.progress import progress_bar
from carerecord.errors import UsageError
from carerecord.synth import DEFAULT_AS_OF, generate
from carerecord.synth.people import MAX_PATIENTS


def register(sub: Any) -> None:
    cmd = sub.add_parser("synth", help="write a synthetic London dataset (FHIR NDJSON, HL7 v2)")
    cmd.add_argument("--patients", type=int, required=True, metavar="N")
    cmd.add_argument("--out", type=Path, required=True, metavar="DIR")
    cmd.add_argument("--seed", type=int, default=1, metavar="S")
    cmd.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=DEFAULT_AS_OF,
        help=f"the day the data is current to (default {DEFAULT_AS_OF.isoformat()}, "
        "so the same seed always gives the same files)",
    )
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    if not 1 <= args.patients <= MAX_PATIENTS:
        raise UsageError(f"--patients must be between 1 and {MAX_PATIENTS:,}")
    with progress_bar("synthesising", args.patients, unit="patients") as advance:
        summary = generate(
            args.patients, args.out, seed=args.seed, as_of=args.as_of, progress=advance
        )
    console.print(
        f"wrote {summary.patients:,} patients, {summary.resources:,} FHIR resources and "
        f"{summary.hl7_messages:,} HL7 v2 messages from {summary.organisations} organisations "
        f"to {args.out}",
        highlight=False,
    )
    return 0
