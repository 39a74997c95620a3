"""Load benchmark: summary views per second, and their latency, from a running `carerecord serve`.

Data: N synthetic people (default 2,000; `carerecord synth`'s generator, seed 1) with the
organisations loaded and every source's NDJSON ingested. Each GP practice gets one clinician,
trained a month ago, with a session made as a sign-in makes it; people who have objected to
sharing are left out (their page says so instead of showing a summary). Each remaining person
is opened by the clinician at their registered practice: a real legitimate relationship, so
each view makes the whole access decision and writes its audit entry and view record.

What is timed: `wrk` (an HTTP load tool in C; Debian package `wrk`) with 32 connections on 2
threads for 20 s, after a 3 s warm-up, against `carerecord serve --workers 1` and then
`--workers 2`, each started fresh on the same database, on SQLite and on PostgreSQL (a durable
cluster, fsync on). Every request is `GET /patients/{id}` (the summary) for the next person in
a shuffled list, each connection starting at its own place in it, so consecutive requests
never open the same record. From: wrk sending the request; to: the last byte of the response
(wrk's latency, measured per request on each connection: it does not correct for coordinated
omission, so the percentiles are of the requests made). Views/s counts only 200 responses;
any other status (a redirect to sign-in, a refusal, an error page), socket error or timeout
is counted and printed, and makes the run fail (exit 1). The audit entries written during the
run are counted and checked against the views (one `view-record` entry each, at least).

wrk, the server and the database share the machine: the figures are for all of them together.
Because a shared machine's wall-clock figures move with everything else running on it, the
CPU time the server's processes (and PostgreSQL's) used during the run, from /proc, is also
reported per view: `load.server_cpu_ms_per_view`, `load.database_cpu_ms_per_view`. On C cores,
C * 1000 / (their sum) is the most views/s this machine could reach with nothing else running
(wrk's own CPU left aside).

    python bench/load.py [--patients 2000] [--workers 1,2] [--engines sqlite,postgresql]
        [--connections 32] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import Figure, emit  # noqa: E402
from carerecord import nhs_number  # noqa: E402
from carerecord.ingest.pipeline import ingest_paths  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402
from tests.support.staff import add_staff, session_for  # noqa: E402

SCRIPT = Path(__file__).with_name("load.lua")
WARM_UP_SECONDS = 3
VIEWS_TARGET, P99_TARGET = ">= 200", "<= 250"
EXIT_NO_WRK = 2
STOP_SECONDS = 60


@dataclass(frozen=True)
class Run:
    engine: str
    workers: int
    connections: int
    views: int  # 200 responses
    seconds: float
    refused: int  # any other status
    socket_errors: int
    statuses: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    audited: int  # audit entries written during the run
    server_cpu_ms: float  # CPU time of the server's processes per view
    database_cpu_ms: float  # and of PostgreSQL's (0 on SQLite, which runs inside the server)
    stopped: bool  # the server exited 0 within STOP_SECONDS of SIGTERM

    @property
    def views_per_s(self) -> float:
        return self.views / self.seconds


def main() -> int:
    args = _arguments()
    if shutil.which("wrk") is None:
        print("bench/load.py needs wrk, an HTTP load tool: apt-get install -y wrk", flush=True)
        return EXIT_NO_WRK
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="carerecord-load-") as name:
        folder = Path(name)
        data = folder / "data"
        generate(args.patients, data, seed=1)
        for engine in args.engines.split(","):
            with database(engine, folder) as url:
                if url is None:
                    continue
                load(url, data)
                targets = write_targets(url, data, folder / f"targets-{engine}.txt")
                print(f"{engine}: {targets:,} people, each opened by a clinician at their GP")
                for workers in (int(w) for w in args.workers.split(",")):
                    run = measure(url, engine, workers, args, folder)
                    report(run)
                    runs.append(run)
    size = f"{args.patients:,} people"
    emit(*(f for run in runs for f in figures(run, size)))
    return 0 if all(_clean(run) for run in runs) else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    return parser.parse_args()


# The data


def load(url: str, data: Path) -> None:
    store = Store.open(url)
    try:
        upgrade(store.engine)
        for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
            store.save_organisation(organisation_from_json(entry, index))
        ingest_paths(store, [data / "fhir"])
        store.refresh_statistics()  # as `carerecord ingest` does after a load
    finally:
        store.close()


def write_targets(url: str, data: Path, out: Path) -> int:
    """One "path cookie" line per person, shuffled: the person's summary and the session of
    the clinician at their registered GP practice."""
    store = Store.open(url)
    try:
        now = datetime.now(UTC)
        objected = _objected(store)
        practices = {o.ods_code for o in store.organisations() if o.org_type == "gp"}
        sessions: dict[str, str] = {}
        lines = []
        for number, practice in sorted(_registrations(data).items()):
            patient_id = store.patient_id_for_nhs_number(number)
            if practice not in practices or patient_id is None or patient_id in objected:
                continue
            if practice not in sessions:
                username = f"load-{practice.lower()}"
                add_staff(store, username, practice, "clinician", now - timedelta(days=30), now)
                sessions[practice] = session_for(store, username, now)[0]
            lines.append(f"/patients/{patient_id} {sessions[practice]}\n")
    finally:
        store.close()
    random.Random(1).shuffle(lines)
    out.write_text("".join(lines))
    return len(lines)


def _registrations(data: Path) -> dict[str, str]:
    """Each person's NHS number and the GP practice their Patient resources name."""
    found: dict[str, str] = {}
    for path in sorted((data / "fhir").glob("*.ndjson")):
        with path.open("rb") as lines:
            for line in lines:
                if b'"generalPractitioner"' not in line or b'"Patient"' not in line:
                    continue
                patient = orjson.loads(line)
                number = _nhs_number(patient)
                for gp in patient.get("generalPractitioner", ()):
                    code = gp.get("identifier", {}).get("value")
                    if number and code:
                        found.setdefault(number, code)
    return found


def _nhs_number(patient: dict[str, Any]) -> str | None:
    for identifier in patient.get("identifier", ()):
        if identifier.get("system") == nhs_number.SYSTEM:
            return str(identifier["value"])
    return None


def _objected(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT patient_id FROM objections WHERE withdrawn_at IS NULL")
        return {str(row[0]) for row in rows}


def _audit_entries(url: str) -> int:
    store = Store.open(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar_one())
    finally:
        store.close()


@contextmanager
def database(engine: str, folder: Path) -> Iterator[str | None]:
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'load.db'}"
        return
    from tests.support.postgres import find_bin_dir, temporary_cluster

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("postgresql: skipped, no server binaries installed")
        yield None
        return
    with temporary_cluster(bin_dir, durable=True) as url:
        yield url


# The run


def measure(url: str, engine: str, workers: int, args: argparse.Namespace, folder: Path) -> Run:
    targets = folder / f"targets-{engine}.txt"
    stopped: dict[str, bool] = {}
    with serving(url, workers, folder / f"serve-{engine}-{workers}.log", stopped) as (base, server):
        _wrk(base, targets, args.connections, WARM_UP_SECONDS)
        postgres = engine == "postgresql"
        postmaster = _listener_of(urlsplit(url).port or 5432) if postgres else None
        before = _audit_entries(url)
        cpu_before = (_cpu_seconds(server), _cpu_seconds(postmaster))
        result = _wrk(base, targets, args.connections, args.seconds)
        cpu_after = (_cpu_seconds(server), _cpu_seconds(postmaster))
        audited = _audit_entries(url) - before
    refused, seconds = int(result["non200"]), result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    views = int(result["requests"]) - refused
    per_view = [1000 * (a - b) / max(1, views) for a, b in zip(cpu_after, cpu_before, strict=True)]
    return Run(
        engine=engine,
        workers=workers,
        connections=args.connections,
        views=views,
        seconds=seconds,
        refused=refused,
        socket_errors=int(errors),
        statuses=result["statuses"],
        p50_ms=result["p50_us"] / 1000,
        p95_ms=result["p95_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        audited=audited,
        server_cpu_ms=per_view[0],
        database_cpu_ms=per_view[1],
        stopped=stopped["clean"],
    )


def _wrk(base: str, targets: Path, connections: int, seconds: int) -> dict[str, Any]:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", str(SCRIPT), base]
    env = {**os.environ, "TARGETS": str(targets)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith('{"wrk": '):
            return dict(json.loads(line)["wrk"])
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def _cpu_seconds(root: int | None) -> float:
    """User and system CPU time of process `root` and all its descendants, from /proc."""
    if root is None:
        return 0.0
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, (parent, _) in stats.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(stats[pid][1] for pid in tree if pid in stats) / os.sysconf("SC_CLK_TCK")


def _listener_of(port: int) -> int | None:
    """The process listening on a TCP port (PostgreSQL's postmaster), from /proc."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if any(str(fd.readlink()) in inodes for fd in (entry / "fd").iterdir()):
                    return int(entry.name)
            except OSError:
                continue
    return None


@contextmanager
def serving(
    url: str, workers: int, log: Path, stopped: dict[str, bool]
) -> Iterator[tuple[str, int]]:
    """`carerecord serve --workers N` on a free port, until it answers /health; then SIGTERM.
    `stopped["clean"]` says whether it then exited 0 in time; if not it is killed, and the run
    is not clean (its figures are still reported)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARERECORD_")}
    env |= {"CARERECORD_DB": url}
    command = [sys.executable, "-m", "carerecord.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, process, workers, log)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code: int | None = process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
        stopped["clean"] = code == 0
        if code != 0:
            said = f"did not stop within {STOP_SECONDS} s of SIGTERM (killed)"
            if code is not None:
                said = f"exited with status {code} on SIGTERM"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            print(f"carerecord serve {said}; its log ends:\n{tail}", flush=True)


def _wait_for(base: str, process: subprocess.Popen[bytes], workers: int, log: Path) -> None:
    """Until /health has been answered by every worker (each says which it is)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"carerecord serve exited:\n{log.read_text()}")
        try:
            with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as client:
                for _ in range(8):
                    answer = client.get(f"{base}/health", timeout=5)
                    if answer.status_code == 200:
                        seen.add(answer.headers.get("carerecord-worker", "1"))
        except httpx.TransportError:
            pass
        if len(seen) >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"carerecord serve was not ready:\n{log.read_text()}")


# Results


def _clean(run: Run) -> bool:
    """Every request a view, and every view audited (the count may be higher: requests in
    flight when a wrk run starts or ends are audited but not counted)."""
    audited = run.audited >= run.views
    return run.refused == 0 and run.socket_errors == 0 and run.views > 0 and audited and run.stopped


def report(run: Run) -> None:
    print(
        f"{run.engine:10} {run.workers} worker(s), {run.connections} connections:"
        f" {run.views_per_s:6.1f} views/s  p50 {run.p50_ms:6.1f} ms  p95 {run.p95_ms:6.1f} ms"
        f"  p99 {run.p99_ms:6.1f} ms  ({run.views:,} views in {run.seconds:.1f} s,"
        f" {run.audited:,} audit entries; CPU per view: server {run.server_cpu_ms:.1f} ms,"
        f" PostgreSQL {run.database_cpu_ms:.1f} ms)",
        flush=True,
    )
    if not _clean(run):
        print(
            f"{run.engine:10} NOT CLEAN: {run.refused} responses other than 200"
            f" {run.statuses}, {run.socket_errors} socket errors or timeouts,"
            f" {run.audited:,} audit entries for {run.views:,} views"
            f"{'' if run.stopped else '; the server did not stop cleanly'}",
            flush=True,
        )


def figures(run: Run, size: str) -> list[Figure]:
    data_size = f"{size}, {run.workers} worker{'s' if run.workers > 1 else ''}, "
    data_size += f"{run.connections} connections"

    def figure(name: str, value: float, unit: str, target: str = "") -> Figure:
        return Figure(f"load.{name}", round(value, 1), unit, run.engine, data_size, target)

    return [
        figure("views_per_s", run.views_per_s, "views/s", VIEWS_TARGET),
        figure("p50_ms", run.p50_ms, "ms"),
        figure("p95_ms", run.p95_ms, "ms"),
        figure("p99_ms", run.p99_ms, "ms", P99_TARGET),
        figure("server_cpu_ms_per_view", run.server_cpu_ms, "ms"),
        *(
            [figure("database_cpu_ms_per_view", run.database_cpu_ms, "ms")]
            if run.engine == "postgresql"
            else []
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
