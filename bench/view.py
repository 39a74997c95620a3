"""Record view benchmark: server-side time to build each page of one heavy record.

A database of N synthetic patients (default 10,000) plus one heavy person with 1,000 resources
from 6 sources, the same at every N (bench/heavy_person.py: copied from a small population of
their own seed, never from the measured one; the resources per section are printed); every
page of that person's record is requested in-process many times by a
signed-in clinician with a relationship to the person, and the p50/p95/p99 are printed per
page, on SQLite and PostgreSQL, then one JSON line.

What signing in and the access decision add to every page is measured too: the session check
(`SignIn.resolve`), the decision (`RecordAccess.grant`: the user's organisation, networks and
national-emergency periods, the relationship evidence, declarations and objections, then
`decide`), recording the view (for "new since your last view"), and each page's total against
the same page read by the system reader with no session to check (as pages were before
sign-in). The target is at most 2 ms extra at p99.

    python bench/view.py [--patients 10000] [--repeat 50] [--access-repeat 1000]
        [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from fastapi.testclient import TestClient  # noqa: E402

from bench.figures import Figure, emit  # noqa: E402
from bench.heavy_person import HEAVY_RESOURCES, write_heavy_patient  # noqa: E402
from carerecord.access.actors import SYSTEM  # noqa: E402
from carerecord.access.gate import RecordAccess  # noqa: E402
from carerecord.access.sign_in import Client  # noqa: E402
from carerecord.app import create_app  # noqa: E402
from carerecord.audit.entry import AuditRecord  # noqa: E402
from carerecord.commands.collector import tune_for_serving  # noqa: E402
from carerecord.fhir.sections import SECTIONS  # noqa: E402
from carerecord.ingest.pipeline import ingest_paths  # noqa: E402
from carerecord.ingest.rules import RulesSource  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.settings import Settings  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.synth import generate  # noqa: E402
from tests.support.staff import StaffClient, add_staff  # noqa: E402

CLINICIAN = "bench-clinician"  # at the heavy person's registered GP practice
BENCH_CLIENT = Client("127.0.0.1", "bench")
ACCESS_LABELS = {
    "resolve": "sign-in check (resolve)",
    "grant": "access decision (grant)",
    "system_grant": "system reader's grant",
    "note_view": "recording the view",
}
TARGET_MS = "<= 50"  # every page of the record, at p99


def load(url: str, data: Path, heavy: Path) -> None:
    store = Store.open(url)
    upgrade(store.engine)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        store.save_organisation(organisation_from_json(entry, index))
    ingest_paths(store, [data / "fhir", heavy])
    store.refresh_statistics()  # as `carerecord ingest` does after a load
    store.close()


def measure(url: str, number: str, repeat: int, access_repeat: int) -> dict[str, Any]:
    """Every page, signed in and as the system reader, and the access checks one by one."""
    store = Store.open(url)
    now = datetime.now(UTC)
    patient_id = store.patient_id_for_nhs_number(number)
    assert patient_id is not None
    practice = _practice_of(store, patient_id)
    add_staff(store, CLINICIAN, practice, "clinician", now - timedelta(days=30), now)
    app = create_app(Settings(db=url, allowed_hosts="testserver"), store)
    tune_for_serving()  # the collector as `carerecord serve` runs it
    signed_in = StaffClient(app, store, CLINICIAN, now)
    found = signed_in.post("/find", data={"nhs_no": number}, follow_redirects=False)
    assert found.status_code == 303, (found.status_code, found.text[:3000])
    record = found.headers["location"]
    assert record == f"/patients/{patient_id}", record
    user = app.state.sign_in.resolve(
        signed_in.cookies["carerecord_session"], BENCH_CLIENT, datetime.now(UTC)
    )
    assert user is not None
    system = TestClient(_as_system_reader(app, store, user), base_url="https://testserver")
    pages = {"overview": record}
    pages.update({s: f"{record}/{s}" for s in SECTIONS if s != "demographics"})
    figures = {name: _page_figures(signed_in, system, path, repeat) for name, path in pages.items()}
    access = _access_figures(app, store, user, patient_id, signed_in, access_repeat)
    store.close()
    return {"pages": figures, "access": access}


def _practice_of(store: Store, patient_id: str) -> str:
    """The person's registered GP practice: the clinician's organisation."""
    for row in store.patient_resources(patient_id, ["demographics"]):
        for gp in orjson.loads(row.body).get("generalPractitioner", ()):
            return str(gp["identifier"]["value"])
    raise RuntimeError("the heavy record names no GP practice")


def _as_system_reader(app: Any, store: Store, user: Any) -> Any:
    """The same app as pages were before sign-in: nobody's session is looked up (the user is
    taken as known) and every record is read by the system reader, with no decision about the
    user's relationship to the person and no view recorded."""
    rules, exclusions = app.state.access_rules, RulesSource(store, app.state.settings).exclusions

    def system_reader(
        actor: Any, now: datetime, client_address: str, **request: str
    ) -> RecordAccess:
        return RecordAccess(
            store,
            SYSTEM,
            rules,
            now,
            client_address,
            exclusions,
            user_agent=request.get("user_agent", ""),
            request_id=request.get("request_id", ""),
        )

    reader_app = create_app(app.state.settings, store)
    reader_app.state.open_record = system_reader

    async def known_user(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["user"] = user
        await reader_app(scope, receive, send)

    return known_user


def _page_figures(
    signed_in: TestClient, system: TestClient, path: str, repeat: int
) -> dict[str, float]:
    """Requests taken in turns, so both readers see the same machine."""
    for client in (signed_in, system):
        assert client.get(path).status_code == 200, path  # warm caches and compiled templates
    signed_times: list[float] = []
    system_times: list[float] = []
    for _ in range(repeat):
        for client, times in ((signed_in, signed_times), (system, system_times)):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    signed, before = _percentiles(signed_times), _percentiles(system_times)
    return {
        **signed,
        "kb": round(len(response.content) / 1024, 1),
        "system_p50_ms": before["p50_ms"],
        "system_p99_ms": before["p99_ms"],
        "extra_p50_ms": round(signed["p50_ms"] - before["p50_ms"], 2),
        "extra_p99_ms": round(signed["p99_ms"] - before["p99_ms"], 2),
    }


def _access_figures(
    app: Any, store: Store, user: Any, patient_id: str, client: StaffClient, repeat: int
) -> dict[str, dict[str, float]]:
    """Each check a record page makes for a signed-in user, timed alone."""
    token = client.cookies["carerecord_session"]
    open_record = app.state.open_record

    def resolve() -> None:
        assert app.state.sign_in.resolve(token, BENCH_CLIENT, datetime.now(UTC)) is not None

    def grant() -> None:
        access = open_record(user, datetime.now(UTC), BENCH_CLIENT.address)
        assert access.refusal() is None, access.refusal()
        assert access.grant(patient_id).allowed, access.grant(patient_id)

    def system_grant() -> None:
        assert open_record(SYSTEM, datetime.now(UTC), "").grant(patient_id).allowed

    def note_view() -> None:
        seen = AuditRecord(user.username, "view-record", "success", {}, patient_id)
        now = datetime.now(UTC)
        store.consent.note_view(user.id, patient_id, user.session_hash, now, lambda _: seen)

    checks = {"resolve": resolve, "grant": grant, "system_grant": system_grant}
    figures = {name: _timed(check, repeat) for name, check in checks.items()}
    figures["note_view"] = _timed(note_view, max(1, repeat // 5))  # a write: fewer of them
    return figures


def _timed(check: Callable[[], None], repeat: int) -> dict[str, float]:
    check()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        check()
        times.append((time.perf_counter() - started) * 1000)
    return _percentiles(times, digits=2)


def _percentiles(times: list[float], digits: int = 1) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), digits),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], digits),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], digits),
    }


def report(engine: str, measured: dict[str, Any], size: str) -> None:
    for page, f in measured["pages"].items():
        print(
            f"{engine:10} {page:12} p50 {f['p50_ms']:6} ms  p95 {f['p95_ms']:6} ms"
            f"  p99 {f['p99_ms']:6} ms  {f['kb']} KB"
            f"  (system reader p50 {f['system_p50_ms']} p99 {f['system_p99_ms']} ms:"
            f" extra {f['extra_p50_ms']:+} / {f['extra_p99_ms']:+} ms)"
        )
    for name, label in ACCESS_LABELS.items():
        f = measured["access"][name]
        print(
            f"{engine:10} {label:30} p50 {f['p50_ms']:6} ms  p95 {f['p95_ms']:6} ms"
            f"  p99 {f['p99_ms']:6} ms"
        )
    emit(*figures(engine, measured, size))


def figures(engine: str, measured: dict[str, Any], size: str) -> list[Figure]:
    """Each page's p50, p99 (the target) and size; the access checks' cost on the summary."""
    found = []
    for page, f in measured["pages"].items():
        found += [
            Figure(f"view.{page}_p50_ms", f["p50_ms"], "ms", engine, size),
            Figure(f"view.{page}_p99_ms", f["p99_ms"], "ms", engine, size, TARGET_MS),
            Figure(f"view.{page}_kb", f["kb"], "KB", engine, size),
        ]
    extra = measured["pages"]["overview"]["extra_p99_ms"]
    found.append(Figure("view.overview_access_extra_p99_ms", extra, "ms", engine, size, "<= 2"))
    return found


def describe(patients: int, sections: Counter[str]) -> str:
    held = ", ".join(f"{section} {count}" for section, count in sorted(sections.items()))
    print(f"heavy person: {sum(sections.values())} resources ({held})")
    return f"{patients:,} people + heavy person ({sum(sections.values()):,} resources)"


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
    parser.add_argument("--access-repeat", type=int, default=1000, help="runs of each check")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict[str, Any] = {"patients": args.patients, "heavy_resources": HEAVY_RESOURCES}
    with tempfile.TemporaryDirectory(prefix="carerecord-view-") as name:
        folder = Path(name)
        data, heavy = folder / "data", folder / "heavy"
        heavy.mkdir()
        generate(args.patients, data, seed=1)
        number, sections = write_heavy_patient(heavy)
        size = describe(args.patients, sections)
        for engine in args.engines.split(","):
            with database(engine, folder) as url:
                if url is None:
                    continue
                load(url, data, heavy)
                measured = measure(url, number, args.repeat, args.access_repeat)
                results[engine] = measured["pages"]
                results.setdefault("access", {})[engine] = measured["access"]
                report(engine, measured, size)
    print(json.dumps({"bench": "view", **results}))


if __name__ == "__main__":
    main()
