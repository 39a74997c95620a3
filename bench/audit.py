"""Audit log benchmark: what auditing costs, on SQLite and PostgreSQL.

1. The extra cost of auditing one record view: the view's own write ("new since your last
   view") in one transaction, with and without appending a view-sized entry (a summary of a
   1,000-item person records about 300 resource versions, its sources table and the user);
   p50/p99 of each and of the difference (target: at most 2 ms extra at p99).
2. Write throughput: entries/s appended by 1 and by 4 concurrent writers, each with its own
   connection pool as separate server processes would have; the chain is verified afterwards.
3. `audit verify` over 1,000,000 entries (target: at most 30 s): the entries are made fast (a
   precomputed chain inserted in batches), then walked and every hash recomputed, as the
   command does.

    python bench/audit.py [--views 500] [--writes 2000] [--entries 1000000]
        [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402

from bench.figures import Figure, emit  # noqa: E402
from carerecord.audit import canonical  # noqa: E402
from carerecord.audit.entry import (  # noqa: E402
    AuditRecord,
    Requester,
    Shown,
    ShownVersion,
    StoredEntry,
    context_of,
)
from carerecord.audit.verify import verify  # noqa: E402
from carerecord.cli import main as cli_main  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store import audit as audit_log  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.store.schema import audit_events, record_views  # noqa: E402
from tests.factories import make_org, make_patient, register  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECTIONS = ("allergies", "alerts", "medications", "problems", "results", "encounters",
            "documents", "care-plans", "care-team")  # fmt: skip


def view_entry(n: int, patient_id: str = "p" * 32) -> AuditRecord:
    """An entry as large as a summary of the heavy person's record writes."""
    requester = Requester(
        42, "dr.okafor", "Dr Amara Okafor", "clinician", "RAL01", "acute",
        "North Central London", "AAL2", "10.20.30.40",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        f"{n:032x}",
    )  # fmt: skip
    versions = tuple(ShownVersion(100_000 + i, 1 + i % 3, SECTIONS[i % 9]) for i in range(300))
    tallies = tuple(
        (f"ODS{s:02}", SECTIONS[t], 40 + t, "2026-11-30T09:00:00+00:00",
         "2026-11-30T09:05:00.123456+00:00")
        for s in range(6) for t in range(9)
    )  # fmt: skip
    shown = Shown("overview", SECTIONS, versions, {}, tallies, NOW - timedelta(days=3))
    detail = {"level": "sections", "reason": "relationship: recent-encounter", "redactions": [],
              "objection": False, "copi": False, "flagged": False}  # fmt: skip
    return AuditRecord(
        "dr.okafor", "view-record", "success", detail, patient_id, requester,
        purpose="direct-care", relationship="recent-encounter", shown=shown,
        withheld={"not-for-role": 2},
    )  # fmt: skip


def _percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], 3),
    }


def view_cost(url: str, views: int) -> dict[str, Any]:
    """The view's own transaction (its record_views row), without and with the entry."""
    store = Store.open(url)
    register(store, make_org("RAL01", "acute"))
    user_id = store.accounts.add_user(_user(), NOW)
    patient_id = _patient(store)
    writer = store.engine.execution_options(carerecord_write=True)
    with writer.begin() as conn:
        conn.execute(insert(record_views).values(
            user_id=user_id, patient_id=patient_id, last_viewed_at=NOW, session_hash="s",
            previous_viewed_at=None,
        ))  # fmt: skip
    entry = view_entry(0, patient_id)

    def note(with_audit: bool) -> float:
        started = time.perf_counter()
        with writer.begin() as conn:
            conn.execute(
                update(record_views)
                .where(record_views.c.user_id == user_id)
                .values(last_viewed_at=datetime.now(UTC))
            )
            if with_audit:
                audit_log.append(conn, entry, datetime.now(UTC))
        return (time.perf_counter() - started) * 1000

    for _ in range(20):  # warm the pool and caches
        note(True)
        note(False)
    without, with_entry = [], []
    for _ in range(views):  # interleaved, so drift affects both alike
        without.append(note(False))
        with_entry.append(note(True))
    size = len(canonical.serialise(canonical.storable(context_of(entry))))  # type: ignore[arg-type]
    store.close()
    plain, audited = _percentiles(without), _percentiles(with_entry)
    return {
        "view_write": plain,
        "view_write_audited": audited,
        "extra_p50_ms": round(audited["p50_ms"] - plain["p50_ms"], 3),
        "extra_p99_ms": round(audited["p99_ms"] - plain["p99_ms"], 3),
        "entry_bytes": size,
    }


def throughput(url: str, writes: int, writers: int) -> dict[str, Any]:
    stores = [Store.open(url) for _ in range(writers)]
    before = audit_log.count(stores[0].engine)
    each = writes // writers
    failures: list[BaseException] = []

    def write(store: Store, offset: int) -> None:
        try:
            for n in range(each):
                store.consent.audit(view_entry(offset + n), datetime.now(UTC))
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(s, i * each)) for i, s in enumerate(stores)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    engine = stores[0].engine
    report = verify(audit_log.entries(engine), audit_log.StoredChain(engine))
    written = audit_log.count(engine) - before
    for store in stores:
        store.close()
    if failures:
        raise failures[0]
    return {
        "writers": writers,
        "entries_per_s": round(written / seconds),
        "chain_valid": report.ok,
        "written": written,
    }


def verify_time(url: str, entries: int) -> dict[str, Any]:
    """`carerecord audit verify` as an operator runs it: one process, then the default."""
    store = Store.open(url)
    _bulk_chain(store, entries)
    store.close()
    timed = {}
    for label, jobs in (("one_process", ["--jobs", "1"]), ("default", [])):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            status = cli_main(["audit", "verify", *jobs, "--db", url])
        timed[label] = round(time.perf_counter() - started, 1)
        assert status == 0 and "chain intact" in printed.getvalue(), printed.getvalue()
    return {"entries": entries, "seconds": timed["default"],
            "one_process_seconds": timed["one_process"],
            "entries_per_s": round(entries / timed["default"])}  # fmt: skip


def _bulk_chain(store: Store, count: int, batch: int = 10_000) -> None:
    """`count` chained entries of a search's size (most entries are not summaries), inserted
    in batches; hashes made exactly as append makes them."""
    head = audit_log.head(store.engine)
    prev, next_id = (head.hash, head.id + 1) if head else (canonical.GENESIS, 1)
    requester = view_entry(0).requester
    rows: list[dict[str, Any]] = []
    for n in range(count):
        record = AuditRecord(
            "dr.okafor", "search-nhs-number", "success", {"query": f"{n:010}", "found": 1},
            f"{n:032x}", requester,
        )  # fmt: skip
        values = {
            "occurred_at": NOW + timedelta(milliseconds=n),
            "format": canonical.FORMAT,
            "actor": record.actor,
            "action": record.action,
            "outcome": record.outcome,
            "patient_id": record.patient_id,
            "organisation": "RAL01",
            "user_id": 42,
            "role": "clinician",
            "request_id": f"{n:032x}",
            "detail": canonical.storable(context_of(record)),
        }
        entry = StoredEntry(id=next_id + n, prev_hash=prev, hash="", **values)
        digest = canonical.link(prev, canonical.fields_of(entry))
        rows.append({**values, "id": next_id + n, "prev_hash": prev, "hash": digest})
        prev = digest
        if len(rows) == batch:
            _insert(store, rows)
            rows = []
    if rows:
        _insert(store, rows)
    if store.dialect == "postgresql":  # ids were given: new entries must carry on after them
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), "
                "(SELECT max(id) FROM audit_events))"
            )


def _insert(store: Store, rows: list[dict[str, Any]]) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(audit_events), rows)


def _user() -> Any:
    from carerecord.store.account_records import NewUser

    return NewUser("dr.okafor", "RAL01", "clinician", None, None, display_name="Dr Amara Okafor")


def _patient(store: Store) -> str:
    from carerecord.ingest.pipeline import ingest_paths
    from tests.factories import write_ndjson

    with tempfile.TemporaryDirectory() as folder:
        path = write_ndjson(Path(folder) / "p.ndjson", make_patient("p1", "9434765919"))
        ingest_paths(store, [path], source="RAL01")
    found = store.patient_id_for_nhs_number("9434765919")
    assert found is not None
    return found


@contextmanager
def database(engine: str, folder: Path, name: str) -> Iterator[str | None]:
    if engine == "sqlite":
        url = f"sqlite:///{folder / (name + '.db')}"
        store = Store.open(url)
        upgrade(store.engine)
        store.close()
        yield url
        return
    from tests.support.postgres import find_bin_dir, temporary_cluster

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("postgresql: skipped, no server binaries installed")
        yield None
        return
    with temporary_cluster(bin_dir, durable=True) as url:
        store = Store.open(url)
        upgrade(store.engine)
        store.close()
        yield url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=500, help="views timed for (1)")
    parser.add_argument("--writes", type=int, default=2000, help="entries appended for (2)")
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries verified (3)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="carerecord-audit-") as name:
        folder = Path(name)
        for engine in args.engines.split(","):
            with database(engine, folder, "cost") as url:
                if url is None:
                    continue
                cost = view_cost(url, args.views)
                print(
                    f"{engine:10} view write            p50 {cost['view_write']['p50_ms']:7} ms"
                    f"  p99 {cost['view_write']['p99_ms']:7} ms"
                )
                print(
                    f"{engine:10} view write + entry    p50 "
                    f"{cost['view_write_audited']['p50_ms']:7} ms"
                    f"  p99 {cost['view_write_audited']['p99_ms']:7} ms"
                    f"  extra {cost['extra_p50_ms']:+} / {cost['extra_p99_ms']:+} ms"
                    f"  ({cost['entry_bytes']:,} bytes an entry)"
                )
                size = f"view entry of {cost['entry_bytes']:,} bytes, {args.views} views"
                figures.append(Figure("audit.view_extra_p50_ms", cost["extra_p50_ms"], "ms",
                                      engine, size))  # fmt: skip
                figures.append(Figure("audit.view_extra_p99_ms", cost["extra_p99_ms"], "ms",
                                      engine, size, "<= 2"))  # fmt: skip
                for writers in (1, 4):
                    rate = throughput(url, args.writes, writers)
                    print(
                        f"{engine:10} appends, {writers} writer(s)  {rate['entries_per_s']:7,}"
                        f" entries/s  chain valid: {rate['chain_valid']}"
                    )
                    figures.append(Figure(f"audit.appends_{writers}_writers_per_s",
                                          rate["entries_per_s"], "entries/s", engine,
                                          f"{args.writes:,} entries"))  # fmt: skip
            with database(engine, folder, "verify") as url:
                if url is None:
                    continue
                walked = verify_time(url, args.entries)
                print(
                    f"{engine:10} verify {walked['entries']:,} entries  {walked['seconds']} s"
                    f"  ({walked['entries_per_s']:,} entries/s; one process"
                    f" {walked['one_process_seconds']} s)"
                )
                figures.append(Figure("audit.verify_s", walked["seconds"], "s", engine,
                                      f"{walked['entries']:,} entries", "<= 30"))  # fmt: skip
    emit(*figures)


if __name__ == "__main__":
    main()
