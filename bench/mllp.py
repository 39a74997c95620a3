"""MLLP benchmark: HL7 v2 messages per second, end to end, new and re-sent.

Data: `carerecord synth` for N people (default 2,000; seed 1) gives each trust's HL7 v2 feed
(ADT A01/A02/A03/A04 and ORU^R01). Every organisation is registered, and 127.0.0.1 as a sender
for each. Method: `carerecord serve --mllp-port` runs in a child process on a fresh database
(SQLite file, or a temporary PostgreSQL cluster with fsync on); one connection per trust sends
its feed in file order, all trusts at once, with up to `--window` messages awaiting an ACK on
each connection. Timed from the first send to the last ACK, in the sending process: first every
message new (`mllp.new_messages_per_s`, target 1,000/s), then all of them again, each a replay
answered with its recorded ACK (`mllp.replays_per_s`). Every ACK is counted by code (AA, AE,
AR); the synthetic feeds hold some legally restricted results, answered AE.

    python bench/mllp.py [--patients 2000] [--engines sqlite,postgresql] [--window 8]
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import Figure, emit  # noqa: E402
from carerecord.ingest.hl7v2.parse import normalise, split_messages  # noqa: E402
from carerecord.ingest.mllp_client import MLLPClient  # noqa: E402
from carerecord.organisations import organisation_from_json  # noqa: E402
from carerecord.store import Store  # noqa: E402
from carerecord.store.migrate import upgrade  # noqa: E402
from carerecord.store.senders import ADDRESS  # noqa: E402
from carerecord.synth import generate  # noqa: E402
from tests.support.postgres import find_bin_dir, free_port, temporary_cluster  # noqa: E402

CARERECORD = str(Path(sys.executable).parent / "carerecord")
TARGET_PER_S = 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--window", type=int, default=8, help="messages in flight per connection")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="carerecord-bench-") as folder:
        data = Path(folder) / "data"
        started = time.perf_counter()
        summary = generate(args.patients, data, seed=1)
        synth_s = time.perf_counter() - started
        feeds = load_feeds(data / "hl7")
        print(
            f"synthesised {summary.patients:,} patients, {summary.hl7_messages:,} HL7 v2 messages "
            f"from {len(feeds)} trusts in {synth_s:.1f} s; window {args.window}"
        )
        results: dict[str, object] = {
            "patients": args.patients,
            "messages": sum(len(f) for f in feeds.values()),
            "connections": len(feeds),
            "window": args.window,
            "synth_seconds": round(synth_s, 1),
        }
        for engine in args.engines.split(","):
            with database(engine, Path(folder)) as url:
                if url is None:
                    print("postgresql: skipped, no server binaries installed")
                    results[engine] = {}
                    continue
                size = (
                    f"{summary.patients:,} people, {results['messages']:,} messages "
                    f"from {len(feeds)} trusts, window {args.window}"
                )
                results[engine] = run_engine(
                    engine, url, data, feeds, args.window, Path(folder), size
                )
    print(json.dumps({"bench": "mllp", **results}))


def load_feeds(folder: Path) -> dict[str, list[bytes]]:
    """Each trust's messages in file order, as MLLP payloads (segments separated by CR)."""
    return {
        path.stem: [m.encode("utf-8") for m in split_messages(normalise(path.read_bytes()))]
        for path in sorted(folder.glob("*.hl7"))
    }


@contextmanager
def database(engine: str, folder: Path) -> Iterator[str | None]:
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'bench-mllp.db'}"
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        yield None
        return
    with temporary_cluster(bin_dir, durable=True) as url:
        yield url


def run_engine(
    engine: str,
    url: str,
    data: Path,
    feeds: dict[str, list[bytes]],
    window: int,
    folder: Path,
    size: str,
) -> dict[str, object]:
    store = Store.open(url)  # in-process: each CLI start takes seconds on a busy machine
    upgrade(store.engine)
    now = datetime.now(UTC)
    for index, entry in enumerate(json.loads((data / "organisations.json").read_text())):
        org = organisation_from_json(entry, index)
        store.save_organisation(org)
        # The feeds connect from 127.0.0.1: registered to send as every organisation.
        store.senders.add(org.ods_code, ADDRESS, "127.0.0.1/32", "", "bench", now)
    store.close()
    with server(url, folder / f"serve-{engine}.log") as mllp_port:
        first = send_all(mllp_port, feeds, window)
        again = send_all(mllp_port, feeds, window)
    report(engine, "first", first)
    report(engine, "re-send (replays)", again)
    emit(
        Figure("mllp.new_messages_per_s", rate(first), "messages/s", engine, size, ">= 1000"),
        Figure("mllp.replays_per_s", rate(again), "messages/s", engine, size),
    )
    return {"first": first, "resend": again}


def rate(figures: dict[str, object]) -> float:
    value = figures["messages_per_s"]
    assert isinstance(value, int | float)
    return float(value)


@contextmanager
def server(url: str, log: Path) -> Iterator[int]:
    """`carerecord serve` in a child process; yields its MLLP port once both ports answer."""
    web_port, mllp_port = free_port(), free_port()
    argv = [CARERECORD, "serve", "--db", url, "--port", str(web_port)]
    with log.open("wb") as out:
        child = subprocess.Popen([*argv, "--mllp-port", str(mllp_port)], stdout=out, stderr=out)
        try:
            wait_for_ports(child, (web_port, mllp_port))
            yield mllp_port
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_for_ports(child: subprocess.Popen[bytes], ports: tuple[int, ...]) -> None:
    deadline = time.monotonic() + 60
    for port in ports:
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"carerecord serve exited with code {child.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"carerecord serve did not open port {port}") from None
                time.sleep(0.1)


def send_all(port: int, feeds: dict[str, list[bytes]], window: int) -> dict[str, object]:
    """Every trust's feed on its own connection at once; ACK codes counted by message type."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(feeds)) as pool:
        answered = list(pool.map(lambda f: send_feed(port, f, window), feeds.values()))
    elapsed = time.perf_counter() - started
    codes: Counter[str] = Counter()
    for feed, replies in zip(feeds.values(), answered, strict=True):
        for message, reply in zip(feed, replies, strict=True):
            codes[f"{message_type(message)} {ack_code(reply)}"] += 1
    total = sum(codes.values())
    by_type: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    for key, count in codes.items():
        kind, code = key.split(" ")
        by_type[kind] += count
        by_code[code] += count
    return {
        "messages": total,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(total / elapsed),
        "by_type": dict(sorted(by_type.items())),
        "by_type_per_s": {k: round(v / elapsed) for k, v in sorted(by_type.items())},
        "acks": dict(sorted(by_code.items())),
        "acks_by_type": dict(sorted(codes.items())),
    }


def send_feed(port: int, feed: list[bytes], window: int) -> list[bytes]:
    with MLLPClient("127.0.0.1", port, timeout=120) as client:
        return client.send_many(feed, window=window)


def message_type(message: bytes) -> str:
    """MSH-9 message code (ADT, ORU)."""
    fields = message.split(b"\r", 1)[0].split(b"|")
    return fields[8].split(b"^")[0].decode() if len(fields) > 8 else "?"


def ack_code(reply: bytes) -> str:
    """MSA-1 of an acknowledgement (AA, AE, AR)."""
    for segment in reply.split(b"\r"):
        if segment.startswith(b"MSA|"):
            return segment.split(b"|")[1].decode()
    return "none"


def report(engine: str, label: str, figures: dict[str, object]) -> None:
    rate = figures["messages_per_s"]
    verdict = "meets" if isinstance(rate, int) and rate >= TARGET_PER_S else "misses"
    print(
        f"{engine} {label}: {figures['messages']:,} messages in {figures['seconds']} s = "
        f"{rate:,} messages/s ({verdict} the {TARGET_PER_S:,}/s target); "
        f"by type {figures['by_type']}; ACKs {figures['acks']}"
    )


if __name__ == "__main__":
    main()
