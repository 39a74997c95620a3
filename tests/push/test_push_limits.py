"""Resources and bodies built to cost the server: each is refused through the real push API,
kept in the quarantine only as an excerpt, and never stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from carerecord.ingest.limits import EXCERPT_BYTES
from carerecord.store import Store
from tests.factories import make_condition, make_patient
from tests.push.helpers import PushClient, SourceSystem, build_app, live_server
from tests.push.helpers import register_source as register
from tests.push.test_push_api import (
    bundle,
    entry,
    exclusion_sets,  # noqa: F401 (a fixture)
    held,
    restricted_condition,
    statuses,
)
from tests.support.http import http_client


@pytest.fixture
def gp(store: Store) -> SourceSystem:
    return register(store, "F83004")


@contextmanager
def _client(store: Store, db_url: str, gp: SourceSystem, **settings: Any) -> Iterator[PushClient]:
    with (
        live_server(build_app(store, db_url, **settings)) as url,
        http_client(base_url=url, timeout=60) as http,
    ):
        yield PushClient(http).sign_in(gp)


@pytest.fixture
def push(store: Store, db_url: str, gp: SourceSystem) -> Iterator[PushClient]:
    with _client(store, db_url, gp) as client:
        yield client


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def serialised(body: Any, extra: Any) -> bytes:
    """The body with `extra` in place of the marker: written by hand when nested deeper than
    orjson writes."""
    raw = extra if isinstance(extra, bytes) else orjson.dumps(extra)
    return orjson.dumps(body).replace(b'"__EXTRA__"', raw)


def bomb() -> list[Any]:
    """Nested empty arrays: many values in few bytes."""
    return [[[], [[]]] for _ in range(30_000)]


def condition_with(extra: Any, resource_id: str) -> dict[str, Any]:
    return make_condition(
        patient="pat-1", resource_id=resource_id, note=[{"text": "x", "x": extra}]
    )


def batch_of(condition: dict[str, Any]) -> dict[str, Any]:
    return bundle(
        "batch", entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"), entry(condition)
    )


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (bomb(), "too-many-elements"),
        (nested(255), "too-deep"),
        (nested(1_015), "too-deep"),  # with the bundle around it, 1,020 levels
        ("x" * (1024 * 1024 + 1), "too-large"),
    ],
    ids=["element-bomb", "depth-255", "depth-1020", "over-1-MiB"],
)
def test_an_entry_over_a_limit_is_refused_and_kept_as_an_excerpt(
    push: PushClient, store: Store, extra: Any, code: str
) -> None:
    response = push.post_raw(serialised(batch_of(condition_with("__EXTRA__", "big-1")), extra))

    assert response.status_code == 200
    assert statuses(response) == ["201 Created", "422 Unprocessable Entity"]
    assert set(held(store)) == {("Patient", "pat-1")}
    [kept] = store.quarantine_entries()
    assert (kept.reason_code, kept.source_id) == (code, "big-1")
    assert len(kept.raw) <= EXCERPT_BYTES


def test_json_nested_past_what_orjson_reads_is_a_4xx_outcome(push: PushClient) -> None:
    deep = b"[" * 5_000 + b"]" * 5_000

    response = push.post_raw(deep)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_body_over_push_max_bytes_is_413_before_it_is_read(
    store: Store, db_url: str, gp: SourceSystem
) -> None:
    with _client(store, db_url, gp, push_max_bytes=10_000) as push:
        body = orjson.dumps(batch_of(condition_with("x" * 20_000, "c-1")))
        declared = push.post_raw(body)

        # A generator sends no Content-Length: the server must count as it reads.
        streamed = push.http.post("/fhir", content=iter([body]), headers=push.headers())

        for response in (declared, streamed):
            assert response.status_code == 413
            assert response.json()["resourceType"] == "OperationOutcome"
        assert "content-length" not in streamed.request.headers
        assert store.quarantine_entries() == []


def test_a_body_with_too_many_values_is_413(store: Store, db_url: str, gp: SourceSystem) -> None:
    with _client(store, db_url, gp, push_max_elements=50_000) as push:
        response = push.post(batch_of(condition_with(bomb(), "c-1")))

        assert response.status_code == 413
        assert "JSON values" in response.json()["issue"][0]["diagnostics"]
        assert held(store) == {}


def test_a_restricted_entry_beside_an_oversized_one_is_kept_nowhere(
    store: Store,
    db_url: str,
    gp: SourceSystem,
    exclusion_sets: Path,  # noqa: F811
) -> None:
    with _client(store, db_url, gp, exclusion_sets=str(exclusion_sets)) as push:
        sent = bundle(
            "transaction",
            entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"),
            entry(restricted_condition("secret-1")),
            entry(condition_with("x" * (1024 * 1024 + 1), "big-1")),
        )

        response = push.post(sent)

        assert response.status_code == 400
        assert held(store) == {}
        [kept] = store.quarantine_entries()
        assert kept.reason_code == "transaction-refused"
        assert "secret-1" not in kept.raw and "86406008" not in kept.raw
        assert len(kept.raw) < 10_000  # the oversized resource went too
        assert "too-large" not in kept.raw and "over the limit" in kept.reason


def test_a_put_nested_too_deep_is_422_and_quarantined(push: PushClient, store: Store) -> None:
    push.put(make_patient(local_id="pat-1"))
    body = serialised(condition_with("__EXTRA__", "deep-1"), nested(300))

    response = push.http.put("/fhir/Condition/deep-1", content=body, headers=push.headers())

    assert response.status_code == 422
    assert [q.reason_code for q in store.quarantine_entries()] == ["too-deep"]
