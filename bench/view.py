"""Record view benchmark: server-side time to build each page of one heavy record.

A database of N synthetic patients (default 10,000) plus one person with 1,000 resources from
6 sources; every page of that person's record is requested in-process many times and the
p50/p95/p99 are printed per page, on SQLite and PostgreSQL, then one JSON line.

    python bench/view.py [--patients 10000] [--repeat 50] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from fastapi.testclient import TestClient  # noqa: E402

from carerecord import nhs_number  # noqa: E402
from carerecord.app import create_app  # noqa: E402
from carerecord.fhir.sections import SECTIONS  # noqa: E402
from carerecord.ingest.pipeline import ingest_paths  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.settings import Settings  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402

HEAVY_RESOURCES = 1000
HEAVY_SOURCES = 6
_PATIENT_FIELDS = ("subject", "patient", "beneficiary")


def heavy_nhs_number() -> str:
    """A valid test-range number above the block synth hands out."""
    for serial in range(999_900_000, 999_999_999):
        digit = nhs_number.check_digit(str(serial))
        if digit is not None:
            return f"{serial}{digit}"
    raise RuntimeError("no valid number found")


def write_heavy_patient(data: Path, out: Path) -> str:
    """Copies real synthetic resources of every kind onto one person at six sources."""
    orgs = [
        o
        for o in json.loads((data / "organisations.json").read_text())
        if (data / "fhir" / f"{o['ods_code']}.ndjson").exists()
    ]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for org in orgs:
        chosen = [o for o in orgs if o["type"] == org["type"]][:1]
        if chosen and org is chosen[0]:
            with (data / "fhir" / f"{org['ods_code']}.ndjson").open("rb") as handle:
                for line, _ in zip(handle, range(4000), strict=False):
                    resource = orjson.loads(line)
                    if resource["resourceType"] != "Patient" and _points_at_patient(resource):
                        by_type.setdefault(org["type"], []).append(resource)
    sources = [o for o in orgs if o["type"] in by_type][:HEAVY_SOURCES]
    number = heavy_nhs_number()
    per_source = HEAVY_RESOURCES // len(sources)
    for source in sources:
        ods = source["ods_code"]
        lines = [_patient(ods, number)]
        pool = by_type[source["type"]]
        for i in range(per_source):
            lines.append(_retarget(copy.deepcopy(pool[i % len(pool)]), ods, i))
        (out / f"{ods}.ndjson").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    return number


def _points_at_patient(resource: dict[str, Any]) -> bool:
    return any(isinstance(resource.get(f), dict) for f in _PATIENT_FIELDS)


def _patient(ods: str, number: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "heavy",
        "meta": {"lastUpdated": "2026-10-01T09:00:00+00:00", "source": f"urn:ods:{ods}"},
        "identifier": [{"system": nhs_number.SYSTEM, "value": number}],
        "name": [{"use": "official", "family": "HEAVY", "given": ["Record"]}],
        "gender": "unknown",
        "birthDate": "1950-01-01",
    }


def _retarget(resource: dict[str, Any], ods: str, index: int) -> dict[str, Any]:
    resource["id"] = f"heavy-{index}"
    resource.setdefault("meta", {})["source"] = f"urn:ods:{ods}"
    for field in _PATIENT_FIELDS:
        if isinstance(resource.get(field), dict):
            resource[field] = {"reference": "Patient/heavy"}
    return resource


def load(url: str, data: Path, heavy: Path) -> None:
    store = Store.open(url)
    upgrade(store.engine)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        store.save_organisation(organisation_from_json(entry, index))
    ingest_paths(store, [data / "fhir", heavy])
    store.close()


def measure(url: str, number: str, repeat: int) -> dict[str, dict[str, float]]:
    store = Store.open(url)
    client = TestClient(create_app(Settings(db=url), store))
    found = client.post("/find", data={"nhs_no": number}, follow_redirects=False)
    record = found.headers["location"]
    pages = {"overview": record}
    pages.update({s: f"{record}/{s}" for s in SECTIONS if s != "demographics"})
    figures = {}
    for name, path in pages.items():
        client.get(path)  # warm caches and compiled templates
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        figures[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "p99_ms": round(times[int(0.99 * (len(times) - 1))], 1),
            "kb": round(len(response.content) / 1024, 1),
        }
    store.close()
    return figures


@contextmanager
def database(engine: str, folder: Path) -> Iterator[str | None]:
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'view.db'}"
        return
    from tests.support.postgres import find_bin_dir, temporary_cluster

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("postgresql: skipped, no server binaries installed")
        yield None
        return
    with temporary_cluster(bin_dir, durable=True) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict[str, Any] = {"patients": args.patients, "heavy_resources": HEAVY_RESOURCES}
    with tempfile.TemporaryDirectory(prefix="carerecord-view-") as name:
        folder = Path(name)
        data, heavy = folder / "data", folder / "heavy"
        heavy.mkdir()
        generate(args.patients, data, seed=1)
        number = heavy_nhs_number()
        write_heavy_patient(data, heavy)
        for engine in args.engines.split(","):
            with database(engine, folder) as url:
                if url is None:
                    continue
                load(url, data, heavy)
                figures = measure(url, number, args.repeat)
                results[engine] = figures
                for page, f in figures.items():
                    print(
                        f"{engine:10} {page:12} p50 {f['p50_ms']:6} ms  p95 {f['p95_ms']:6} ms"
                        f"  p99 {f['p99_ms']:6} ms  {f['kb']} KB"
                    )
    print(json.dumps({"bench": "view", **results}))


if __name__ == "__main__":
    main()
