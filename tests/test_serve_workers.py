"""`carerecord serve --workers 2` as an operator runs it: a real command in its own processes
on SQLite and PostgreSQL, answered by both workers, one sign-in good on either, the HL7 v2
listener bound by one process only, and every process gone after SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from carerecord.cli import main
from carerecord.store import Store
from tests.factories import make_org, register
from tests.ingest.listener import HOST, adt_a01, register_loopback, send
from tests.support.http import http_client, http_get
from tests.support.postgres import free_port
from tests.support.signing_in import sign_in
from tests.support.staff import PASSWORD, TOTP_SECRET, add_staff

pytestmark = pytest.mark.slow
WORKER = "carerecord-worker"
CLINICIAN = "ward-clinician"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    web: str
    web_port: int
    mllp_port: int
    log: Path

    def workers(self) -> list[int]:
        """The worker processes (the supervisor's children that listen on the web port)."""
        return [pid for pid in children(self.process.pid) if self.web_port in listening(pid)]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended while we looked
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def listening(pid: int) -> set[int]:
    """The TCP ports process `pid` has a listening socket on (from /proc, as `ss -ltnp` does)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended, only not been reaped


def fresh() -> httpx.Client:
    """A client opening a new connection for every request, so any worker may answer it."""
    return http_client(limits=httpx.Limits(max_keepalive_connections=0), timeout=30)


def health_of_many(web: str, count: int) -> list[httpx.Response]:
    def one(_: int) -> httpx.Response:
        with fresh() as client:
            return client.get(f"{web}/health")

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def wait_until_both_answer(served: Served, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert served.process.poll() is None, served.log.read_text()
        if len(served.workers()) == 2 and answers(served.web):
            return
        time.sleep(0.2)
    raise AssertionError(f"not serving within {timeout} s:\n{served.log.read_text()}")


def answers(web: str) -> bool:
    try:
        return http_get(f"{web}/health", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def start(db_url: str, folder: Path) -> Served:
    web_port, mllp_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARERECORD_")}
    env |= {"CARERECORD_DB": db_url, "CARERECORD_HOST": HOST}
    command = [sys.executable, "-m", "carerecord.cli", "serve", "--workers", "2"]
    command += ["--port", str(web_port), "--mllp-port", str(mllp_port)]
    log = folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    served = Served(process, f"http://{HOST}:{web_port}", web_port, mllp_port, log)
    try:
        wait_until_both_answer(served)
    except BaseException:
        served.stop()
        raise
    return served


def prepare(url: str) -> None:
    store = Store.open(url)
    try:
        register(store, make_org("F83004", "gp"), make_org("RAL", "acute"))
        register_loopback(store, "RAL")
        now = datetime.now(UTC)
        add_staff(store, CLINICIAN, "F83004", "clinician", now - timedelta(days=30), now)
    finally:
        store.close()


@pytest.fixture(scope="module")
def served(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server per engine for the module's tests, which only read from it and add to it."""
    prepare(module_db_url)
    running = start(module_db_url, tmp_path_factory.mktemp("serve"))
    yield running
    running.stop()


def test_both_workers_answer_requests(served: Served) -> None:
    responses = health_of_many(served.web, 60)

    assert {r.status_code for r in responses} == {200}
    assert {r.headers[WORKER] for r in responses} == {"1", "2"}
    assert len(set(served.workers())) == 2


def test_several_workers_on_sqlite_are_warned_about(served: Served, module_db_url: str) -> None:
    warned = "more than one worker adds contention" in " ".join(served.log.read_text().split())
    assert warned == module_db_url.startswith("sqlite")


def test_a_sign_in_made_on_one_worker_is_good_on_the_other(served: Served) -> None:
    with fresh() as browser:
        browser.base_url = httpx.URL(served.web)
        now = datetime.now(UTC)
        assert sign_in(browser, CLINICIAN, PASSWORD, TOTP_SECRET, now)  # type: ignore[arg-type]
        signed_in_by = browser.get("/").headers[WORKER]
        pages = [browser.get("/", follow_redirects=False) for _ in range(40)]

    by_worker = {page.headers[WORKER]: page for page in pages if page.status_code == 200}
    assert [p.status_code for p in pages] == [200] * 40  # never sent back to sign in
    assert set(by_worker) == {"1", "2"}
    other = next(w for w in by_worker if w != signed_in_by)
    assert CLINICIAN.replace("-", " ").title() in by_worker[other].text


def test_the_hl7_listener_is_bound_once_by_the_supervisor(served: Served) -> None:
    [answer] = send(served.mllp_port, adt_a01("WORKERS-1"))

    assert answer.code == "AA"
    assert served.mllp_port in listening(served.process.pid)
    assert [served.mllp_port in listening(pid) for pid in served.workers()] == [False, False]
    assert served.web_port not in listening(served.process.pid)  # the workers take every request


def test_sigterm_stops_the_supervisor_and_every_worker(served: Served) -> None:
    """The module's server, stopped: this is the last test to use it (pytest keeps a module's
    tests in file order within each engine), and the fixture's own stop then finds it ended."""
    workers = served.workers()

    code = served.stop()

    assert code == 0, served.log.read_text()
    assert [alive(pid) for pid in workers] == [False, False]
    assert not answers(served.web)


def test_a_worker_that_dies_stops_the_others_and_the_command_fails(
    db_url: str, tmp_path: Path
) -> None:
    prepare(db_url)
    running = start(db_url, tmp_path)
    first, second = running.workers()

    os.kill(first, signal.SIGKILL)
    code = running.process.wait(timeout=60)

    assert code == 3  # the database, the audit log or a file could not be used: see the log
    assert "ended unexpectedly: all are stopped" in running.log.read_text()
    assert not alive(second)


def test_workers_must_be_at_least_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--workers", "0"])

    assert stopped.value.code == 2
    assert "must be a whole number of at least 1, not '0'" in capsys.readouterr().err
