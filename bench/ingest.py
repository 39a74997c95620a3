"""Ingest benchmark: synthesise N patients, ingest their FHIR NDJSON into SQLite and PostgreSQL.

Prints resources/s and peak memory per engine, then one JSON line for machines to read.
Each engine runs in its own process so peak memory is its own.

    python bench/ingest.py [--patients 2000] [--engines sqlite,postgresql]
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

from carerecord.ingest.pipeline import ingest_paths  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402


def run_one(url: str, data: Path) -> dict[str, float]:
    """Ingests the dataset into an empty database at url; returns figures."""
    store = Store.open(url)
    upgrade(store.engine)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        store.save_organisation(organisation_from_json(entry, index))
    started = time.perf_counter()
    counts = ingest_paths(store, [data / "fhir"])
    elapsed = time.perf_counter() - started
    again_started = time.perf_counter()
    again = ingest_paths(store, [data / "fhir"])
    again_elapsed = time.perf_counter() - again_started
    store.close()
    total = counts.stored + counts.updated + counts.unchanged + counts.quarantined
    return {
        "resources": total,
        "stored": counts.stored,
        "quarantined": counts.quarantined,
        "seconds": round(elapsed, 2),
        "resources_per_s": round(total / elapsed),
        "reingest_resources_per_s": round(total / again_elapsed),
        "reingest_unchanged": again.unchanged,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=2, metavar=("URL", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], Path(args.child[1]))))
        return

    with tempfile.TemporaryDirectory(prefix="carerecord-bench-") as folder:
        data = Path(folder) / "data"
        started = time.perf_counter()
        summary = generate(args.patients, data, seed=1)
        synth_s = time.perf_counter() - started
        print(
            f"synthesised {summary.patients:,} patients, {summary.resources:,} resources "
            f"in {synth_s:.1f} s"
        )
        results: dict[str, object] = {"patients": args.patients, "synth_seconds": round(synth_s, 1)}
        for engine in args.engines.split(","):
            results[engine] = _in_child(engine, data, Path(folder))
    print(json.dumps({"bench": "ingest", **results}))


def _in_child(engine: str, data: Path, folder: Path) -> dict[str, float]:
    if engine == "sqlite":
        return _child(f"sqlite:///{folder / 'bench.db'}", data, engine)
    from tests.support.postgres import find_bin_dir, temporary_cluster

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("postgresql: skipped, no server binaries installed")
        return {}
    with temporary_cluster(bin_dir, durable=True) as url:
        return _child(url, data, engine)


def _child(url: str, data: Path, engine: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", url, str(data)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    print(
        f"{engine}: {figures['resources']:,} resources in {figures['seconds']} s = "
        f"{figures['resources_per_s']:,} resources/s (re-ingest, all unchanged: "
        f"{figures['reingest_resources_per_s']:,}/s); peak memory {figures['peak_rss_mb']} MB"
    )
    return figures


if __name__ == "__main__":
    main()
