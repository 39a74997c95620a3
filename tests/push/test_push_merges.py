"""A pushed Patient.link replaced-by that would merge two different people: refused (422),
kept for a person to confirm, nothing moved; on SQLite and PostgreSQL, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carerecord.ingest.confirm_merge import confirm, pending_merge
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_allergy, make_patient, valid_nhs_number
from tests.push.helpers import PushClient, SourceSystem, build_app, live_server, register_source
from tests.support.http import http_client

NHS = "9434765919"
OTHER = valid_nhs_number(1)


@pytest.fixture
def push(store: Store, db_url: str) -> Iterator[PushClient]:
    gp: SourceSystem = register_source(store, "F83004")
    with (
        live_server(build_app(store, db_url)) as url,
        http_client(base_url=url, timeout=30) as http,
    ):
        yield PushClient(http).sign_in(gp)


def shown(store: Store, nhs: str) -> list[str]:
    patient_id = store.patient_id_for_nhs_number(nhs) or ""
    return sorted(f"{r.resource_type}/{r.source_id}" for r in store.patient_resources(patient_id))


def test_a_put_merging_two_people_is_refused_until_a_person_confirms_it(
    push: PushClient, store: Store
) -> None:
    push.put(make_patient("old", nhs=OTHER, birth_date="1980-01-01"))
    push.put(make_allergy(patient="old", resource_id="a-old"))
    push.put(make_patient("new", nhs=NHS))
    retired = make_patient(
        "old",
        nhs=OTHER,
        birth_date="1980-01-01",
        last_updated="2026-10-02T09:00:00+00:00",
        link=[{"other": {"reference": "Patient/new"}, "type": "replaced-by"}],
    )

    response = push.put(retired)

    assert response.status_code == 422
    assert "not merged until a person confirms" in response.text
    assert OTHER not in response.text
    assert shown(store, OTHER) == ["AllergyIntolerance/a-old", "Patient/old"]
    [entry] = store.quarantine_entries()
    assert entry.reason_code == "merge-needs-confirmation"

    rules = RulesSource(store, Settings()).current()
    done = confirm(store, rules, entry, pending_merge(entry, rules), "ops-on-call")

    assert (done.resolved, done.moved) == (True, 1)
    assert shown(store, NHS) == ["AllergyIntolerance/a-old", "Patient/new"]
