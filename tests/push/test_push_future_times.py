"""A pushed resource dated in the future is quarantined and reported, over a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from carerecord.store import Store
from tests.factories import make_patient
from tests.push.helpers import PushClient, SourceSystem, build_app, live_server, register_source
from tests.push.test_push_api import bundle, diagnostics, entry, held, statuses
from tests.support.http import http_client


@pytest.fixture
def push(store: Store, db_url: str) -> Iterator[PushClient]:
    gp: SourceSystem = register_source(store, "F83004")
    with (
        live_server(build_app(store, db_url)) as url,
        http_client(base_url=url, timeout=30) as http,
    ):
        yield PushClient(http).sign_in(gp)


def test_a_patient_dated_2099_is_quarantined_and_a_later_genuine_update_is_shown(
    push: PushClient, store: Store
) -> None:
    first = push.put(make_patient("pat-1", family="SMITH"), "pat-1")
    attack = push.post(
        bundle(
            "batch",
            entry(
                make_patient("pat-1", family="IMPOSTOR", last_updated="2099-01-01T12:00:00+00:00"),
                "PUT",
                "Patient/pat-1",
            ),
        )
    )
    kept = orjson.loads(held(store)[("Patient", "pat-1")]["body"])["name"][0]["family"]
    correction = push.put(
        make_patient("pat-1", family="SMITH-JONES", last_updated="2026-11-30T09:00:00+00:00"),
        "pat-1",
    )

    assert first.status_code in (200, 201)
    assert statuses(attack) == ["422 Unprocessable Entity"]
    reason = diagnostics(attack.json()["entry"][0]["response"]["outcome"])
    assert "meta.lastUpdated 2099-01-01T12:00:00+00:00 is in the future" in reason
    assert kept == "SMITH"
    assert correction.status_code == 200
    body = orjson.loads(held(store)[("Patient", "pat-1")]["body"])
    assert body["name"][0]["family"] == "SMITH-JONES"
    assert [q.reason_code for q in store.quarantine_entries()] == ["future-timestamp"]


def test_a_transaction_with_a_future_dated_entry_is_refused_with_the_reason(
    push: PushClient, store: Store
) -> None:
    patient = make_patient("pat-2", last_updated="2099-01-01T12:00:00+00:00")
    response = push.post(bundle("transaction", entry(patient, "PUT", "Patient/pat-2")))

    assert response.status_code == 400
    assert "in the future" in diagnostics(response.json())
    assert ("Patient", "pat-2") not in held(store)
