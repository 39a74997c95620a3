"""`carerecord demo`: seed a demo database with synthetic London (if empty), then serve it."""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from carerecord.commands.demo_users import (
    DemoLogins,
    add_demo_users,
    held_people,
    print_existing,
    print_logins,
)
from carerecord.commands.ingest import summary_table
from carerecord.commands.options import open_store, settings_from
from carerecord.commands.progress import progress_bar
from carerecord.commands.serve import add_server_options, serve
from carerecord.ingest.pipeline import ingest_paths
from carerecord.organisations import organisation_from_json
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.migrate import upgrade
from carerecord.store.senders import ADDRESS
from carerecord.synth import generate


def register(sub: Any) -> None:
    cmd = sub.add_parser("demo", help="seed a demo database if it is empty, then serve it")
    add_server_options(cmd)
    cmd.add_argument("--patients", type=int, default=300, help="synthetic patients to seed")
    cmd.add_argument("--seed", type=int, default=1)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from(args, host=args.host, port=args.port)
    store = open_store(settings, require_schema=False)
    try:
        prepare(store, settings, args.patients, args.seed, console)
        serve(settings, store, console)
    finally:
        store.close()
    return 0


def prepare(
    store: Store, settings: Settings, patients: int, seed_value: int, console: Console
) -> None:
    """Migrates the database and, the first time, seeds it; prints how to sign in."""
    upgrade(store.engine)
    address = f"http://{settings.host}:{settings.port}/"
    if store.organisations():
        console.print(f"using the existing demo database at {settings.db}")
        print_existing(store, settings, address, console)
    else:
        logins = seed(store, settings, patients, seed_value, console)
        print_logins(logins, address, console)


def seed(
    store: Store, settings: Settings, patients: int, seed_value: int, console: Console
) -> DemoLogins:
    """Synthesises data current to yesterday, registers its organisations, ingests it, and adds
    the demo users at organisations that hold records of the people synthesised."""
    with tempfile.TemporaryDirectory(prefix="carerecord-demo-") as folder:
        out = Path(folder)
        with progress_bar("synthesising", patients, unit="patients") as advance:
            # Yesterday: its times run to 23:00, and a time in the future is refused.
            yesterday = date.today() - timedelta(days=1)
            generate(patients, out, seed=seed_value, as_of=yesterday, progress=advance)
        entries = orjson.loads((out / "organisations.json").read_bytes())
        now = datetime.now(UTC)
        for index, entry in enumerate(entries):
            org = organisation_from_json(entry, index)
            store.save_organisation(org)
            # The demo's MLLP listener (CARERECORD_MLLP_PORT) is on loopback: let this machine
            # send as every demo source (decisions/0010).
            store.senders.add(org.ods_code, ADDRESS, "127.0.0.1/32", "", "demo", now)
        fhir = out / "fhir"
        size = 2 * sum(p.stat().st_size for p in fhir.iterdir())
        with progress_bar("ingesting", size, unit="bytes") as advance:
            counts = ingest_paths(store, [fhir], None, settings.ingest_batch_size, advance)
        people = held_people(fhir)
    console.print(summary_table(counts))
    return add_demo_users(store, settings, entries, people)
