"""Push API benchmark: POST /fhir of transaction and batch Bundles to a running server.

Data: `carerecord synth --patients N --seed 1` (1,000 people by default), each source
organisation's FHIR NDJSON as PUT entries in bundles of B (500), its Patients first.

Method: `carerecord serve` in a child process (one worker) on an empty database per mode
(PostgreSQL: a temporary cluster with fsync on), one registered client per organisation
(signed-assertion sign-in, tokens re-fetched on expiry), and C (4) concurrent HTTP connections,
each taking one organisation at a time and sending its bundles in order. Timed end to end, from
the first request to the last response (sign-ins included), with the per-entry statuses
counted. Resources/s counts every entry sent. One figure per engine and mode, then one JSON
line of everything.

    python bench/push.py [--patients 1000] [--engines sqlite,postgresql] [--bundle 500]
                         [--connections 4] [--modes batch,transaction]
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import Figure, emit  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.clients import ClientRegistry  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402
from tests.support.postgres import find_bin_dir, free_port, temporary_cluster  # noqa: E402

CARERECORD = str(Path(sys.executable).parent / "carerecord")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FHIR_JSON = "application/fhir+json"
TARGET_PER_S = 3000


@dataclass
class Source:
    """One organisation's feed and the client it pushes with."""

    ods: str
    resources: list[dict[str, Any]]
    key: ECKey
    client_id: str = ""
    token: str = ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--bundle", type=int, default=500, help="entries per bundle")
    parser.add_argument("--connections", type=int, default=4, help="concurrent HTTP connections")
    parser.add_argument("--modes", default="batch,transaction")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="carerecord-bench-") as name:
        folder = Path(name)
        started = time.perf_counter()
        summary = generate(args.patients, folder / "data", seed=1)
        synth_s = time.perf_counter() - started
        print(
            f"synthesised {summary.patients:,} patients, {summary.resources:,} FHIR resources "
            f"in {synth_s:.1f} s; bundles of {args.bundle}, {args.connections} connections"
        )
        results: dict[str, object] = {
            "patients": args.patients,
            "resources": summary.resources,
            "bundle": args.bundle,
            "connections": args.connections,
            "synth_seconds": round(synth_s, 1),
        }
        for engine in args.engines.split(","):
            results[engine] = run_engine(engine, folder, args)
    print(json.dumps({"bench": "push", **results}))


def run_engine(engine: str, folder: Path, args: argparse.Namespace) -> dict[str, object]:
    figures: dict[str, object] = {}
    with databases(engine, folder) as fresh:
        if fresh is None:
            print("postgresql: skipped, no server binaries installed")
            return figures
        for mode in args.modes.split(","):
            url = fresh(mode)
            sources = prepare(url, folder / "data")
            with server(url, folder / f"serve-{engine}-{mode}.log") as base:
                result = push_all(base, sources, mode, args.bundle, args.connections)
            report(engine, mode, result)
            size = (
                f"{args.patients:,} people, {result['resources']:,} resources, {mode} bundles "
                f"of {args.bundle}, {args.connections} connections"
            )
            emit(
                Figure("push.resources_per_s", float(str(result["resources_per_s"])),
                       "resources/s", engine, size, f">= {TARGET_PER_S}")
            )  # fmt: skip
            figures[mode] = result
    return figures


@contextmanager
def databases(engine: str, folder: Path) -> Iterator[Any]:
    """Yields a function giving an empty database URL per mode (None: no PostgreSQL here)."""
    if engine == "sqlite":
        yield lambda mode: f"sqlite:///{folder / f'bench-push-{mode}.db'}"
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        yield None
        return
    with temporary_cluster(bin_dir, durable=True) as server_url:
        admin = create_engine(
            server_url.replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )

        def fresh(mode: str) -> str:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE bench_push_{mode}"))
            return server_url.rsplit("/", 1)[0] + f"/bench_push_{mode}"

        try:
            yield fresh
        finally:
            admin.dispose()


def prepare(url: str, data: Path) -> list[Source]:
    """Schema, organisations, and a client with a fresh key for every organisation with data.

    Done in-process with the code `carerecord client add` runs: on a busy machine each CLI start
    takes seconds, which would dwarf the figures' setup for ~60 organisations.
    """
    store = Store.open(url)
    try:
        upgrade(store.engine)
        for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
            store.save_organisation(organisation_from_json(entry, index))
        sources = []
        for path in sorted((data / "fhir").glob("*.ndjson")):
            key = ECKey.generate_key("P-256", {"kid": path.stem})
            jwks = dict(KeySet([key]).as_dict(private=False))
            client = ClientRegistry(store).register(path.stem, f"{path.stem} bench", jwks)
            sources.append(Source(path.stem, patients_first(path), key, client.client_id))
    finally:
        store.close()
    return sources


def patients_first(path: Path) -> list[dict[str, Any]]:
    resources = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return sorted(resources, key=lambda r: r["resourceType"] != "Patient")


@contextmanager
def server(url: str, log: Path) -> Iterator[str]:
    """`carerecord serve` in a child process; yields its base URL once it answers."""
    port = free_port()
    with log.open("wb") as out:
        child = subprocess.Popen(
            [CARERECORD, "serve", "--db", url, "--port", str(port)], stdout=out, stderr=out
        )
        try:
            wait_for_port(child, port)
            yield f"http://127.0.0.1:{port}"
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_for_port(child: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        if child.poll() is not None:
            raise RuntimeError(f"carerecord serve exited with code {child.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"carerecord serve did not open port {port}") from None
            time.sleep(0.1)


def push_all(
    base: str, sources: list[Source], mode: str, size: int, connections: int
) -> dict[str, object]:
    """Every source's bundles; a connection takes one source at a time, its bundles in order."""
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    pending = iter(sorted(sources, key=lambda s: -len(s.resources)))  # largest first

    def worker() -> Counter[str]:
        counts: Counter[str] = Counter()
        with httpx.Client(base_url=base, timeout=600) as http:
            while True:
                with lock:
                    source = next(pending, None)
                if source is None:
                    return counts
                for start in range(0, len(source.resources), size):
                    chunk = source.resources[start : start + size]
                    counts.update(push_bundle(http, source, mode, chunk))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for counts in pool.map(lambda _: worker(), range(connections)):
            statuses.update(counts)
    elapsed = time.perf_counter() - started
    total = sum(len(s.resources) for s in sources)
    return {
        "resources": total,
        "seconds": round(elapsed, 2),
        "resources_per_s": round(total / elapsed),
        "statuses": dict(sorted(statuses.items())),
    }


def push_bundle(
    http: httpx.Client, source: Source, mode: str, resources: list[dict[str, Any]]
) -> Counter[str]:
    bundle = {
        "resourceType": "Bundle",
        "type": mode,
        "entry": [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }
    body = orjson.dumps(bundle)
    for _ in range(2):
        if not source.token:
            source.token = sign_in(http, source)
        headers = {"Content-Type": FHIR_JSON, "Authorization": f"Bearer {source.token}"}
        response = http.post("/fhir", content=body, headers=headers)
        if response.status_code != 401:  # tokens last 5 minutes: sign in again once
            return entry_statuses(response, len(resources))
        source.token = ""
    raise RuntimeError(f"{source.ods}: refused a fresh token")


def entry_statuses(response: httpx.Response, entries: int) -> Counter[str]:
    """'201 Created', '200 OK', '200 OK suppressed', '422 ...'; a refused bundle counts whole."""
    if response.status_code != 200:
        return Counter({f"bundle {response.status_code}": entries})
    counts: Counter[str] = Counter()
    for entry in response.json()["entry"]:
        answer = entry["response"]
        suffix = " suppressed" if "outcome" in answer and answer["status"] == "200 OK" else ""
        counts[answer["status"] + suffix] += 1
    return counts


def sign_in(http: httpx.Client, source: Source) -> str:
    token_url = str(http.base_url.join("/fhir/token"))
    claims = {
        "iss": source.client_id,
        "sub": source.client_id,
        "aud": token_url,
        "exp": int(time.time()) + 240,
        "jti": str(uuid.uuid4()),
    }
    assertion = jwt.encode({"alg": "ES256", "kid": source.ods}, claims, source.key, ["ES256"])
    response = http.post(
        "/fhir/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": "system/*.write",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def report(engine: str, mode: str, figures: dict[str, object]) -> None:
    rate = figures["resources_per_s"]
    verdict = "meets" if isinstance(rate, int) and rate >= TARGET_PER_S else "misses"
    print(
        f"{engine} {mode}: {figures['resources']:,} resources in {figures['seconds']} s = "
        f"{rate:,} resources/s ({verdict} the {TARGET_PER_S:,}/s target); "
        f"entries {figures['statuses']}"
    )


if __name__ == "__main__":
    main()
