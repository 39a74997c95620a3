"""Exactly one row: many writers sending the same record at the same moment, each on its own
connection, over HTTP and MLLP. PostgreSQL is where these races really happen."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from carerecord.ingest.mllp_client import MLLPClient
from carerecord.store import Store
from carerecord.store.schema import resources
from tests.factories import make_condition, make_patient
from tests.ingest.listener import HOST, adt_a01, parse_ack
from tests.push.helpers import (
    PushClient,
    SourceSystem,
    build_app,
    live_server,
    register_source,
    row_count,
)
from tests.support.http import http_client

T = TypeVar("T")
WRITERS = [8, 32, 64]


def all_at_once(writers: int, attempt: Callable[[], T]) -> list[T]:
    """`attempt` on `writers` threads, released together once every one is ready."""
    start = threading.Barrier(writers)

    def one(_: int) -> T:
        start.wait(timeout=60)
        return attempt()

    with ThreadPoolExecutor(writers) as pool:
        return list(pool.map(one, range(writers)))


def rows_per_key(store: Store) -> dict[tuple[str, str, str], int]:
    key = (resources.c.source_ods, resources.c.resource_type, resources.c.source_id)
    with store.engine.connect() as conn:
        rows = conn.execute(select(*key, func.count()).group_by(*key)).all()
    return {(ods, kind, source_id): count for ods, kind, source_id, count in rows}


def the_same_visit() -> dict[str, Any]:
    patient_url = "urn:uuid:6f1c2f3e-0d7a-4c1e-9d61-3b0c1f2a9e01"
    condition = make_condition(resource_id="cond-1")
    condition["subject"] = {"reference": patient_url}
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient_url,
                "resource": make_patient(local_id="pat-1"),
                "request": {"method": "PUT", "url": "Patient/pat-1"},
            },
            {
                "fullUrl": "urn:uuid:cond-1",
                "resource": condition,
                "request": {"method": "PUT", "url": "Condition/cond-1"},
            },
        ],
    }


@pytest.fixture
def gp(store: Store) -> SourceSystem:
    return register_source(store, "F83004")


@pytest.fixture
def server(store: Store, db_url: str, gp: SourceSystem) -> Iterator[str]:
    with live_server(build_app(store, db_url)) as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("writers", WRITERS)
def test_the_same_transaction_pushed_at_once_is_stored_once(
    store: Store, server: str, gp: SourceSystem, writers: int
) -> None:
    with http_client(base_url=server, timeout=60) as http:
        token = PushClient(http).sign_in(gp).token
    bundle = the_same_visit()

    def push() -> tuple[int, list[str]]:
        with http_client(base_url=server, timeout=120) as http:
            response = PushClient(http, token).post(bundle)
        entries = response.json().get("entry", [])
        return response.status_code, [e["response"]["status"] for e in entries]

    answers = all_at_once(writers, push)

    assert {status for status, _ in answers} == {200}
    firsts = [entries for _, entries in answers if entries == ["201 Created"] * 2]
    assert len(firsts) == 1
    assert all(e in (["201 Created"] * 2, ["200 OK"] * 2) for _, e in answers)
    assert rows_per_key(store) == {
        ("F83004", "Patient", "pat-1"): 1,
        ("F83004", "Condition", "cond-1"): 1,
    }
    assert row_count(store, "patients") == 1
    assert row_count(store, "patient_links") == 1
    assert row_count(store, "resource_versions") <= 2


def send_once(port: int, message: bytes) -> str:
    with MLLPClient(HOST, port, timeout=120) as client:
        return parse_ack(client.send(message)).code


def assert_one_admission(store: Store) -> None:
    assert rows_per_key(store) == {
        ("RAL", "Patient", "L1"): 1,
        ("RAL", "Encounter", "V100"): 1,
    }
    assert row_count(store, "patients") == 1
    assert row_count(store, "patient_links") == 1


@pytest.mark.slow
@pytest.mark.parametrize("writers", WRITERS)
def test_the_same_hl7_message_sent_at_once_is_applied_once(
    hospital: Store, port: int, writers: int
) -> None:
    codes = all_at_once(writers, lambda: send_once(port, adt_a01("ADM-1")))

    assert codes == ["AA"] * writers
    assert_one_admission(hospital)
    assert row_count(hospital, "resource_versions") == 0
    assert row_count(hospital, "hl7_messages") == 1


@pytest.mark.slow
@pytest.mark.parametrize("writers", WRITERS)
def test_the_same_visit_under_different_control_ids_at_once_is_stored_once(
    hospital: Store, port: int, writers: int
) -> None:
    control_ids = iter(range(writers))
    lock = threading.Lock()

    def send_own() -> str:
        with lock:
            control_id = f"ADM-{next(control_ids)}"
        return send_once(port, adt_a01(control_id))

    codes = all_at_once(writers, send_own)

    assert codes == ["AA"] * writers
    assert_one_admission(hospital)
    assert row_count(hospital, "hl7_messages") == writers
