"""The FHIR push API: what a source sends, what it is told, and what the store then holds.

The app is called in process (the transport adds nothing to these answers); one test sends a
transaction through a real HTTP server, as do the push tests of limits, merges, future times
and concurrency."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from carerecord.store import Store
from carerecord.store.schema import patient_links, quarantine, resource_versions, resources
from tests.factories import make_condition, make_patient
from tests.push.helpers import (
    PushClient,
    SourceSystem,
    build_app,
    live_server,
    register_source,
    row_count,
)
from tests.support.audit_log import entries
from tests.support.http import http_client

NHS = "9434765919"
EXCLUDED_CODE = "86406008"  # stands in for a legally restricted SNOMED CT code


def make_encounter(patient: str, resource_id: str | None = None, **extra: Any) -> dict[str, Any]:
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
        },
        "subject": {"reference": patient},
        "period": {"start": "2026-09-30T10:00:00+00:00", "end": "2026-09-30T10:20:00+00:00"},
        **extra,
    }
    if resource_id is not None:
        encounter["id"] = resource_id
    return encounter


def entry(resource: dict[str, Any], method: str = "POST", url: str | None = None) -> dict[str, Any]:
    full_url = f"urn:uuid:{resource.get('id') or uuid.uuid4()}"
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": method, "url": url or resource["resourceType"]},
    }


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def visit_bundle(kind: str = "transaction") -> dict[str, Any]:
    """A Patient (id from its PUT url), and a Condition and an Encounter citing it by fullUrl,
    the Condition citing the Encounter by fullUrl too."""
    patient_url, encounter_url = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    patient = {k: v for k, v in make_patient().items() if k != "id"}
    condition = {
        k: v for k, v in make_condition(encounter={"reference": encounter_url}).items() if k != "id"
    }
    condition["subject"] = {"reference": patient_url}
    return bundle(
        kind,
        {
            "fullUrl": patient_url,
            "resource": patient,
            "request": {"method": "PUT", "url": "Patient/pat-1"},
        },
        {
            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
            "resource": condition,
            "request": {"method": "POST", "url": "Condition"},
        },
        {
            "fullUrl": encounter_url,
            "resource": make_encounter(patient_url),
            "request": {"method": "POST", "url": "Encounter"},
        },
    )


def statuses(response: httpx.Response) -> list[str]:
    return [e["response"]["status"] for e in response.json()["entry"]]


def held(store: Store) -> dict[tuple[str, str], Any]:
    """Every stored resource row, by (type, source id)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(resources)).mappings().all()
    return {(row["resource_type"], row["source_id"]): row for row in rows}


def diagnostics(body: dict[str, Any]) -> str:
    assert body["resourceType"] == "OperationOutcome"
    return " ".join(issue["diagnostics"] for issue in body["issue"])


@pytest.fixture
def gp(store: Store) -> SourceSystem:
    return register_source(store, "F83004")


@pytest.fixture
def http(store: Store, db_url: str, gp: SourceSystem) -> httpx.Client:
    """The app in process, answering as the server would: an error is a response, not raised."""
    return TestClient(build_app(store, db_url), raise_server_exceptions=False)


@pytest.fixture
def push(http: httpx.Client, gp: SourceSystem) -> PushClient:
    return PushClient(http).sign_in(gp)


# Transactions


@pytest.fixture(params=["in process", "over HTTP"])
def either_way(
    request: pytest.FixtureRequest, store: Store, db_url: str, gp: SourceSystem
) -> Iterator[PushClient]:
    """The push API called in process, and through a real server on 127.0.0.1."""
    app = build_app(store, db_url)
    if request.param == "in process":
        yield PushClient(TestClient(app, raise_server_exceptions=False)).sign_in(gp)
        return
    with live_server(app) as url, http_client(base_url=url, timeout=30) as http:
        yield PushClient(http).sign_in(gp)


def test_a_transaction_stores_every_entry_under_the_person_it_names(
    either_way: PushClient, store: Store
) -> None:
    sent = visit_bundle()

    response = either_way.post(sent)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.json()["type"] == "transaction-response"
    assert statuses(response) == ["201 Created"] * 3
    condition_id = sent["entry"][1]["fullUrl"].removeprefix("urn:uuid:")
    encounter_id = sent["entry"][2]["fullUrl"].removeprefix("urn:uuid:")
    locations = [e["response"]["location"] for e in response.json()["entry"]]
    assert locations == ["Patient/pat-1", f"Condition/{condition_id}", f"Encounter/{encounter_id}"]
    person = store.patient_id_for_nhs_number(NHS)
    assert person is not None
    stored = {(r.resource_type, r.source_id) for r in store.patient_resources(person)}
    assert stored == {
        ("Patient", "pat-1"),
        ("Condition", condition_id),
        ("Encounter", encounter_id),
    }
    assert row_count(store, "patient_links", local_id="pat-1", patient_id=person) == 1


def test_the_same_transaction_again_is_answered_200_and_doubles_nothing(
    push: PushClient, store: Store
) -> None:
    sent = visit_bundle()
    push.post(sent)
    before = store.counts()

    again = push.post(sent)

    assert again.status_code == 200
    assert statuses(again) == ["200 OK"] * 3
    after = store.counts()
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # the call, logged
    assert after == before
    assert {row["version"] for row in held(store).values()} == {1}


# Batches


def test_a_batch_stores_what_it_can_and_refuses_an_entry_about_an_unknown_patient(
    push: PushClient, store: Store
) -> None:
    orphan = make_condition(patient="nobody-we-know", resource_id="orphan-1")
    sent = bundle(
        "batch",
        entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"),
        entry(orphan),
        entry(make_condition(patient="pat-1", resource_id="cond-1")),
    )

    response = push.post(sent)

    assert response.status_code == 200
    assert response.json()["type"] == "batch-response"
    assert statuses(response) == ["201 Created", "422 Unprocessable Entity", "201 Created"]
    refusal = response.json()["entry"][1]["response"]["outcome"]
    assert "nobody-we-know" in diagnostics(refusal)
    assert set(held(store)) == {("Patient", "pat-1"), ("Condition", "cond-1")}
    kept = store.quarantine_entries()
    assert [(q.resource_type, q.source_id, q.reason_code) for q in kept] == [
        ("Condition", "orphan-1", "unknown-patient")
    ]


def test_a_batch_entry_without_a_usable_request_is_refused_and_kept(
    push: PushClient, store: Store
) -> None:
    sent = bundle(
        "batch",
        {"resource": make_patient(local_id="pat-1"), "request": {"method": "PATCH"}},
        entry(make_patient(local_id="pat-2", nhs="9000000009"), "PUT", "Patient/pat-2"),
    )

    response = push.post(sent)

    assert statuses(response) == ["422 Unprocessable Entity", "201 Created"]
    assert "PATCH" in diagnostics(response.json()["entry"][0]["response"]["outcome"])
    assert set(held(store)) == {("Patient", "pat-2")}
    assert row_count(store, "quarantine") == 1


# A transaction that cannot be stored whole


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (make_condition(patient="nobody-we-know", resource_id="orphan-1"), "nobody-we-know"),
        (make_condition(patient="pat-1", resource_id="not a valid id!"), "no valid id"),
    ],
    ids=["unknown-patient", "invalid-id"],
)
def test_a_transaction_with_one_bad_entry_stores_nothing_and_quarantines_the_bundle_once(
    push: PushClient, store: Store, bad: dict[str, Any], reason: str
) -> None:
    sent = bundle(
        "transaction",
        entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"),
        entry(make_condition(patient="pat-1", resource_id="cond-1")),
        entry(bad),
    )

    first, second = push.post(sent), push.post(sent)

    for response in (first, second):
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/fhir+json"
        text = diagnostics(response.json())
        assert text.startswith("entry[2]: ")
        assert reason in text
    assert held(store) == {}
    assert store.patient_id_for_nhs_number(NHS) is None
    with store.engine.connect() as conn:
        kept = conn.execute(select(quarantine)).mappings().all()
    assert [(q["resource_type"], q["reason_code"], q["times_seen"]) for q in kept] == [
        ("Bundle", "transaction-refused", 2)
    ]
    assert orjson.loads(kept[0]["raw"]) == sent


@pytest.mark.parametrize(
    "second",
    [
        entry({**make_condition(patient="pat-1", resource_id="cond-1"), "onsetDateTime": "2016"}),
        entry(make_condition(patient="pat-1", resource_id="cond-1"), "PUT", "Condition/cond-1"),
        {"request": {"method": "DELETE", "url": "Condition/cond-1"}},
    ],
    ids=["changed", "same", "delete"],
)
def test_two_entries_about_one_resource_refuse_the_later_one(
    push: PushClient, store: Store, second: dict[str, Any]
) -> None:
    entries = [
        entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"),
        entry(make_condition(patient="pat-1", resource_id="cond-1")),
        second,
    ]

    transaction = push.post(bundle("transaction", *entries))
    assert held(store) == {}
    batch = push.post(bundle("batch", *entries))

    assert transaction.status_code == 400
    assert diagnostics(transaction.json()) == (
        "entry[2]: Condition/cond-1 is already in entry[1]: a bundle may hold one entry per "
        "resource"
    )
    assert statuses(batch) == ["201 Created", "201 Created", "422 Unprocessable Entity"]
    assert held(store)[("Condition", "cond-1")]["version"] == 1
    assert not held(store)[("Condition", "cond-1")]["hidden"]


# PUT and DELETE of one resource


def test_put_creates_then_updates_keeping_every_version(push: PushClient, store: Store) -> None:
    assert push.put(make_patient(local_id="pat-1"), "pat-1").status_code == 201
    first = make_condition(patient="pat-1", resource_id="cond-1")
    changed = {**first, "onsetDateTime": "2016-01-01"}

    created = push.put(first)
    updated = push.put(changed)

    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.headers["location"] == "Condition/cond-1"
    assert updated.json() == changed
    row = held(store)[("Condition", "cond-1")]
    assert row["version"] == 2
    assert orjson.loads(row["body"])["onsetDateTime"] == "2016-01-01"
    with store.engine.connect() as conn:
        versions = conn.execute(
            select(resource_versions.c.version, resource_versions.c.body)
            .where(resource_versions.c.resource_id == row["id"])
            .order_by(resource_versions.c.version)
        ).all()
    # resources holds the current version; resource_versions what it superseded
    assert [(v, orjson.loads(b)["onsetDateTime"]) for v, b in versions] == [(1, "2015-06-01")]


def test_put_without_an_id_takes_the_urls(push: PushClient, store: Store) -> None:
    patient = {k: v for k, v in make_patient().items() if k != "id"}

    assert push.put(patient, "pat-9").status_code == 201
    assert ("Patient", "pat-9") in held(store)


@pytest.mark.parametrize(
    ("url_id", "body"),
    [
        ("pat-2", make_patient(local_id="pat-1")),
        ("pat-1", make_condition(resource_id="pat-1")),
        ("pat-1", ["not", "a", "resource"]),
    ],
    ids=["id-differs", "type-differs", "not-an-object"],
)
def test_put_of_a_body_that_is_not_the_urls_resource_is_400(
    push: PushClient, store: Store, url_id: str, body: Any
) -> None:
    response = push.http.put(
        f"/fhir/Patient/{url_id}", content=orjson.dumps(body), headers=push.headers()
    )

    assert response.status_code == 400
    assert diagnostics(response.json())
    assert held(store) == {}


def test_delete_hides_the_resource_and_keeps_its_history(push: PushClient, store: Store) -> None:
    push.put(make_patient(local_id="pat-1"))
    push.put(make_condition(patient="pat-1", resource_id="cond-1"))
    person = store.patient_id_for_nhs_number(NHS)
    assert person is not None

    response = push.delete("Condition", "cond-1")

    assert response.status_code == 204
    assert response.content == b""
    assert [r.resource_type for r in store.patient_resources(person)] == ["Patient"]
    row = held(store)[("Condition", "cond-1")]
    assert row["hidden"]
    assert row_count(store, "resource_versions", resource_id=row["id"]) >= 1


def test_deleting_what_is_not_there_is_204(push: PushClient) -> None:
    assert push.delete("Condition", "never-sent").status_code == 204


@pytest.mark.parametrize(
    "path", ["/fhir/condition/cond-1", "/fhir/C/cond-1", "/fhir/Condition2/cond-1"]
)
def test_put_and_delete_of_something_that_is_not_a_resource_type_are_404(
    push: PushClient, store: Store, path: str
) -> None:
    body = orjson.dumps(make_condition(patient="pat-1", resource_id="cond-1"))

    put = push.http.put(path, content=body, headers=push.headers())
    delete = push.http.delete(path, headers=push.headers())

    for response in (put, delete):
        assert response.status_code == 404
        assert response.json()["issue"][0]["code"] == "not-found"
    assert held(store) == {}


@pytest.mark.parametrize("resource_id", ["x" * 65, "not valid!"])
def test_put_and_delete_with_an_id_fhir_does_not_allow_are_refused(
    push: PushClient, store: Store, resource_id: str
) -> None:
    patient = make_patient(local_id=resource_id)

    put = push.put(patient, resource_id)
    delete = push.delete("Patient", resource_id)

    assert put.status_code in (400, 422)
    assert "id" in diagnostics(put.json())
    assert delete.status_code == 400
    assert held(store) == {}


def test_a_put_marking_entered_in_error_hides_the_item(push: PushClient, store: Store) -> None:
    push.put(make_patient(local_id="pat-1"))
    condition = make_condition(patient="pat-1", resource_id="cond-1")
    push.put(condition)
    retracted = {
        **condition,
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "entered-in-error",
                }
            ]
        },
    }

    assert push.put(retracted).status_code == 200

    person = store.patient_id_for_nhs_number(NHS)
    assert person is not None
    assert [r.resource_type for r in store.patient_resources(person)] == ["Patient"]
    assert held(store)[("Condition", "cond-1")]["version"] == 2


# Attribution


def test_meta_source_naming_another_organisation_is_ignored(push: PushClient, store: Store) -> None:
    register_source(store, "RAL", "acute")
    patient = make_patient(local_id="pat-1", source="RAL")
    condition = make_condition(patient="pat-1", source="RAL", resource_id="cond-1")

    response = push.post(bundle("batch", entry(patient, "PUT", "Patient/pat-1"), entry(condition)))

    assert statuses(response) == ["201 Created", "201 Created"]
    assert {row["source_ods"] for row in held(store).values()} == {"F83004"}
    with store.engine.connect() as conn:
        linked = conn.execute(select(patient_links.c.source_ods)).scalars().all()
    assert linked == ["F83004"]


# Refusals of the whole request


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer"]
)
def test_push_without_a_valid_token_is_401_operation_outcome(
    http: httpx.Client, store: Store, authorization: str | None
) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    if authorization is not None:
        headers["Authorization"] = authorization

    responses = [
        http.post("/fhir", content=orjson.dumps(visit_bundle()), headers=headers),
        http.put("/fhir/Patient/pat-1", content=orjson.dumps(make_patient()), headers=headers),
        http.delete("/fhir/Patient/pat-1", headers=headers),
    ]

    for response in responses:
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/fhir+json"
        assert response.headers["www-authenticate"].startswith("Bearer ")
        assert response.json()["issue"][0]["code"] == "login"
    assert held(store) == {}


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/fhir+xml"])
def test_anything_but_fhir_json_is_415(push: PushClient, content_type: str) -> None:
    response = push.post_raw(orjson.dumps(visit_bundle()), content_type)

    assert response.status_code == 415
    assert response.json()["issue"][0]["code"] == "not-supported"


def test_plain_application_json_is_accepted(push: PushClient) -> None:
    assert push.post_raw(orjson.dumps(visit_bundle()), "application/json").status_code == 200


@pytest.mark.parametrize("content", [b"{", b"", b"\xff\xfe", b'{"resourceType": "Bundle",}'])
def test_a_body_that_is_not_json_is_400(push: PushClient, content: bytes) -> None:
    response = push.post_raw(content)

    assert response.status_code == 400
    assert "not valid JSON" in diagnostics(response.json())


@pytest.mark.parametrize(
    "body",
    [
        make_patient(),
        [visit_bundle()],
        "Bundle",
        {"resourceType": "Bundle", "type": "collection", "entry": []},
        {"resourceType": "Bundle", "type": "searchset", "entry": []},
        {"resourceType": "Bundle", "entry": []},
        {"resourceType": "Bundle", "type": "batch", "entry": {"not": "a list"}},
    ],
    ids=["patient", "list", "string", "collection", "searchset", "no-type", "entry-not-list"],
)
def test_anything_but_a_transaction_or_batch_bundle_is_400(
    push: PushClient, store: Store, body: Any
) -> None:
    response = push.post(body)

    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "invalid"
    assert held(store) == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/fhir/Patient"), ("GET", "/fhir/Patient/pat-1"), ("PATCH", "/fhir/Patient/p")],
)
def test_a_fhir_request_the_api_does_not_serve_is_answered_with_an_operation_outcome(
    push: PushClient, method: str, path: str
) -> None:
    response = push.http.request(method, path, content=b"{}", headers=push.headers())

    assert response.status_code in (404, 405)
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.json()["resourceType"] == "OperationOutcome"


# What a source may send


@pytest.fixture
def ward(store: Store) -> SourceSystem:
    """A hospital system registered to share encounters only."""
    return register_source(store, "RAL", "acute", sections=("encounters",))


def test_an_entry_in_a_section_the_organisation_does_not_share_is_refused_with_the_reason(
    http: httpx.Client, store: Store, ward: SourceSystem
) -> None:
    push = PushClient(http).sign_in(ward)
    sent = bundle(
        "batch",
        entry(make_patient(local_id="pat-1", source="RAL"), "PUT", "Patient/pat-1"),
        entry(make_condition(patient="pat-1", resource_id="cond-1")),
        entry(make_encounter("Patient/pat-1", "enc-1")),
    )

    response = push.post(sent)
    as_transaction = push.post({**sent, "type": "transaction"})

    assert statuses(response) == ["201 Created", "422 Unprocessable Entity", "201 Created"]
    reason = diagnostics(response.json()["entry"][1]["response"]["outcome"])
    assert "RAL is not configured to share" in reason
    assert "Condition" in reason
    assert ("Condition", "cond-1") not in held(store)
    assert as_transaction.status_code == 400
    assert "entry[1]: RAL is not configured to share" in diagnostics(as_transaction.json())


@pytest.fixture
def exclusion_sets(tmp_path: Path) -> Path:
    folder = tmp_path / "exclusions"
    folder.mkdir()
    value_set = {
        "resourceType": "ValueSet",
        "title": "Test restricted conditions VS",
        "compose": {
            "include": [{"system": "http://snomed.info/sct", "concept": [{"code": EXCLUDED_CODE}]}]
        },
    }
    (folder / "restricted.json").write_bytes(orjson.dumps(value_set))
    return folder


@pytest.fixture
def restricting(
    store: Store, db_url: str, gp: SourceSystem, exclusion_sets: Path
) -> Iterator[PushClient]:
    """The push API of a server that loads the exclusion code lists."""
    app = build_app(store, db_url, str(exclusion_sets))
    yield PushClient(TestClient(app, raise_server_exceptions=False)).sign_in(gp)


def restricted_condition(resource_id: str) -> dict[str, Any]:
    coding = {"system": "http://snomed.info/sct", "code": EXCLUDED_CODE, "display": "Restricted"}
    return make_condition(patient="pat-1", resource_id=resource_id, code={"coding": [coding]})


@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_a_legally_restricted_entry_is_answered_suppressed_and_not_stored(
    restricting: PushClient, store: Store, kind: str
) -> None:
    sent = bundle(
        kind,
        entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"),
        entry(restricted_condition("secret-1")),
        entry(make_condition(patient="pat-1", resource_id="cond-1")),
    )

    response = restricting.post(sent)

    assert response.status_code == 200
    assert statuses(response) == ["201 Created", "200 OK", "201 Created"]
    issue = response.json()["entry"][1]["response"]["outcome"]["issue"][0]
    assert (issue["severity"], issue["code"]) == ("warning", "suppressed")
    assert "legally restricted" in issue["diagnostics"]
    assert set(held(store)) == {("Patient", "pat-1"), ("Condition", "cond-1")}
    assert row_count(store, "exclusions", source_id="secret-1") == 1


def test_a_legally_restricted_put_is_answered_suppressed_and_not_stored(
    restricting: PushClient, store: Store
) -> None:
    restricting.put(make_patient(local_id="pat-1"))

    response = restricting.put(restricted_condition("secret-1"))

    assert response.status_code == 200
    assert response.json()["issue"][0]["code"] == "suppressed"
    assert ("Condition", "secret-1") not in held(store)


def test_a_refused_transaction_is_kept_without_its_restricted_entries(
    restricting: PushClient, store: Store
) -> None:
    sent = bundle(
        "transaction",
        entry(make_patient(local_id="pat-1"), "PUT", "Patient/pat-1"),
        entry(restricted_condition("secret-1")),
        entry(make_condition(patient="nobody", resource_id="cond-1")),  # unknown patient
    )

    response = restricting.post(sent)

    assert response.status_code == 400
    assert held(store) == {}
    [kept] = store.quarantine_entries(reason_code="transaction-refused")
    assert "cond-1" in kept.raw
    assert "secret-1" not in kept.raw and EXCLUDED_CODE not in kept.raw
    assert row_count(store, "exclusions", source_id="secret-1") == 1


def test_a_restricted_resource_that_is_also_malformed_is_excluded_not_quarantined(
    restricting: PushClient, store: Store
) -> None:
    broken = {**restricted_condition("secret-1"), "id": "not a valid id!"}

    response = restricting.post(bundle("batch", entry(broken)))

    assert statuses(response) == ["200 OK"]
    assert store.quarantine_entries(status=None) == []


def test_every_push_is_in_the_audit_log_after_its_work(push: PushClient, store: Store) -> None:
    push.post(visit_bundle())

    [entry] = entries(store, "fhir-push")

    assert entry["actor"].startswith("client:") and entry["outcome"] == "success"
    assert entry["detail"]["entries"] == 3 and entry["detail"]["status"] == 200
    assert entry["detail"]["type"] == "transaction"


@pytest.mark.parametrize(
    "field", [{"link": True}, {"link": "replaced-by"}, {"name": 5}, {"address": True}], ids=repr
)
def test_a_patient_with_a_scalar_where_fhir_has_a_list_is_answered_not_a_server_error(
    push: PushClient, store: Store, field: dict[str, Any]
) -> None:
    """Found by the push fuzz test: `"link": true` failed the merge check with a TypeError."""
    patient = {**make_patient(local_id="pat-1"), **field}

    response = push.post(bundle("transaction", entry(patient, "PUT", "Patient/pat-1")))

    assert response.status_code == 200, response.text
    assert statuses(response) == ["201 Created"]
    assert store.patient_id_for_nhs_number(NHS) is not None
