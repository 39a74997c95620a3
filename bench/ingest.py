"""Ingest benchmark: file ingest of FHIR NDJSON into SQLite and PostgreSQL.

Data: `carerecord synth --patients N --seed 1` (2,000 people by default: 165,317 resources in
one NDJSON file per source organisation), with its organisations registered first.

Timed, per engine, in a child process of its own (so its peak memory is its own), against an
empty database (PostgreSQL: a temporary cluster with fsync on): `ingest_paths` over the `fhir`
folder, from the first file opened to the last batch committed — reading, checking, identity
linking, writing, exclusions, opt-outs and the feed-freshness update, every batch committed.
Then the same folder again, everything unchanged (`reingest`). Resources/s counts every
resource read (stored, updated, unchanged or quarantined).

Memory: the peak resident set of the child, at N people and again at a larger size (3 N by
default, first ingest only): files are streamed in batches, so the two should be about the
same.

    python bench/ingest.py [--patients 2000] [--memory-patients 6000]
                           [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import Figure, emit  # noqa: E402
from carerecord.ingest.pipeline import ingest_paths  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402

TARGET = ">= 10000"


def run_one(url: str, data: Path, again: bool) -> dict[str, float]:
    """Ingests the dataset into an empty database at url (then again, if asked); figures."""
    store = Store.open(url)
    upgrade(store.engine)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        store.save_organisation(organisation_from_json(entry, index))
    started = time.perf_counter()
    counts = ingest_paths(store, [data / "fhir"])
    elapsed = time.perf_counter() - started
    total = counts.stored + counts.updated + counts.unchanged + counts.quarantined
    figures: dict[str, float] = {
        "resources": total,
        "stored": counts.stored,
        "quarantined": counts.quarantined,
        "seconds": round(elapsed, 2),
        "resources_per_s": round(total / elapsed),
    }
    if again:
        again_started = time.perf_counter()
        repeat = ingest_paths(store, [data / "fhir"])
        figures["reingest_resources_per_s"] = round(total / (time.perf_counter() - again_started))
        figures["reingest_unchanged"] = repeat.unchanged
    store.close()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--memory-patients", type=int, help="the larger size (default 3 N)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "DATA", "AGAIN"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        url, data, again = args.child
        print(json.dumps(run_one(url, Path(data), again == "again")))
        return

    larger = args.memory_patients or 3 * args.patients
    results: dict[str, object] = {"patients": args.patients, "memory_patients": larger}
    for patients, again in ((args.patients, True), (larger, False)):
        with tempfile.TemporaryDirectory(prefix="carerecord-bench-") as folder:
            data = Path(folder) / "data"
            started = time.perf_counter()
            summary = generate(patients, data, seed=1)
            print(
                f"synthesised {summary.patients:,} patients, {summary.resources:,} resources "
                f"in {time.perf_counter() - started:.1f} s"
            )
            size = f"{summary.patients:,} people, {summary.resources:,} resources"
            for engine in args.engines.split(","):
                figures = _in_child(engine, data, Path(folder), again)
                if figures:
                    _report(engine, size, figures, again)
                    results[f"{engine}_{patients}"] = figures
    print(json.dumps({"bench": "ingest", **results}))


def _report(engine: str, size: str, figures: dict[str, float], again: bool) -> None:
    print(
        f"{engine} ({size}): {figures['resources']:,} resources in {figures['seconds']} s = "
        f"{figures['resources_per_s']:,} resources/s"
        + (
            f" (re-ingest, all unchanged: {figures['reingest_resources_per_s']:,}/s)"
            if again
            else ""
        )
        + f"; peak memory {figures['peak_rss_mb']} MB"
    )
    found = [Figure("ingest.peak_rss_mb", figures["peak_rss_mb"], "MB", engine, size)]
    if again:
        found[:0] = [
            Figure("ingest.resources_per_s", figures["resources_per_s"], "resources/s", engine,
                   size, TARGET),
            Figure("ingest.reingest_resources_per_s", figures["reingest_resources_per_s"],
                   "resources/s", engine, size),
        ]  # fmt: skip
    emit(*found)


def _in_child(engine: str, data: Path, folder: Path, again: bool) -> dict[str, float]:
    if engine == "sqlite":
        return _child(f"sqlite:///{folder / 'bench.db'}", data, again)
    from tests.support.postgres import find_bin_dir, temporary_cluster

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("postgresql: skipped, no server binaries installed")
        return {}
    with temporary_cluster(bin_dir, durable=True) as url:
        return _child(url, data, again)


def _child(url: str, data: Path, again: bool) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", url, str(data), "again" if again else "once"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    main()
