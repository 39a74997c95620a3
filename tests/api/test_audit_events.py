"""GET /fhir/AuditEvent over HTTP, on SQLite and PostgreSQL: who may read the log (a system
with system/AuditEvent.read, a signed-in ig-officer), each search parameter, paging that holds
still while entries arrive, bad parameters refused by name, and every reading itself logged
before anything is returned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.audit.entry import AuditRecord
from carerecord.scopes import Scope
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from tests.api.audit_readers import DAY, audit_system, bearer, logged, token_response
from tests.factories import make_org, register
from tests.support.audit_entries import append
from tests.support.audit_log import entries, refuse_audit_writes
from tests.support.staff import StaffClient, add_staff
from tests.web.conftest import NOW
from tests.web.seed import JANE, PREFERRED, seed

OFFICER = "ig-lead"
NHS = "https://fhir.nhs.uk/Id/nhs-number"


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Any:
    seed(store, tmp_path)
    add_staff(store, OFFICER, "RAL01", "ig-officer", NOW - timedelta(days=30), NOW)
    add_staff(store, "gp-clinician", "F83004", "clinician", NOW - timedelta(days=30), NOW)
    application = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    application.state.web_clock = lambda: NOW
    return application


@pytest.fixture
def http(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def ids(store: Store) -> dict[str, int]:
    return logged(store, patient(store, JANE), patient(store, PREFERRED))


@pytest.fixture
def system(http: TestClient, store: Store) -> dict[str, str]:
    return bearer(http, audit_system(store))


def patient(store: Store, nhs_number: str) -> str:
    found = store.patient_id_for_nhs_number(nhs_number)
    assert found is not None
    return found


def search(http: TestClient, headers: dict[str, str], query: str = "") -> Any:
    response = http.get(f"/fhir/AuditEvent{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    return response.json()


def listed(bundle: dict[str, Any]) -> list[int]:
    return [int(entry["resource"]["id"]) for entry in bundle.get("entry", [])]


def reads(store: Store) -> list[dict[str, Any]]:
    return entries(store, "audit-fhir-read")


# Who may read


def test_a_system_with_the_read_scope_gets_a_searchset_of_audit_events(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str]
) -> None:
    held = [int(entry["id"]) for entry in entries(store)]  # granting the scope is there too
    bundle = search(http, system)

    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "searchset")
    assert listed(bundle) == held[::-1]  # newest first
    assert {"client-grant", "client-revoke"} <= {e["action"] for e in entries(store)}
    first = bundle["entry"][0]
    assert first["resource"]["resourceType"] == "AuditEvent"
    assert first["fullUrl"] == f"http://127.0.0.1:8000/fhir/AuditEvent/{held[-1]}"
    assert first["search"] == {"mode": "match"}
    assert [link["relation"] for link in bundle["link"]] == ["self"]


def test_a_token_without_the_read_scope_is_refused_403(
    http: TestClient, store: Store, ids: dict[str, int]
) -> None:
    pusher = audit_system(store, (Scope.PUSH_WRITE,))
    response = http.get("/fhir/AuditEvent", headers=bearer(http, pusher, Scope.PUSH_WRITE))

    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"
    assert "system/AuditEvent.read" in response.json()["issue"][0]["diagnostics"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    [refused] = reads(store)  # the attempt is written, and nothing was read
    assert refused["actor"] == f"client:{pusher.client_id}" and refused["outcome"] == "refused"
    assert refused["detail"]["reason"] == "scope"


def test_a_client_cannot_ask_for_a_scope_it_is_not_granted(http: TestClient, store: Store) -> None:
    pusher = audit_system(store, (Scope.PUSH_WRITE,))
    response = token_response(http, pusher, Scope.AUDIT_READ)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "not granted system/AuditEvent.read" in response.json()["error_description"]


def test_a_reader_cannot_push(http: TestClient, store: Store, system: dict[str, str]) -> None:
    response = http.post(
        "/fhir",
        content=b'{"resourceType": "Bundle", "type": "batch", "entry": []}',
        headers={**system, "Content-Type": "application/fhir+json"},
    )

    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "system/*.write or system/*.cud" in response.json()["issue"][0]["diagnostics"]
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="system/*.write system/*.cud"'
    )
    assert entries(store, "fhir-push") == []


def test_revoking_the_scope_stops_a_token_already_issued(
    http: TestClient, store: Store, ids: dict[str, int]
) -> None:
    reader = audit_system(store)
    headers = bearer(http, reader)
    assert http.get("/fhir/AuditEvent", headers=headers).status_code == 200

    ClientRegistry(store).revoke(reader.client_id, [Scope.AUDIT_READ], "operator:tests")

    assert http.get("/fhir/AuditEvent", headers=headers).status_code == 403
    assert [e["outcome"] for e in reads(store)] == ["success", "refused"]


def test_no_credentials_get_401(http: TestClient, ids: dict[str, int]) -> None:
    for path in ("/fhir/AuditEvent", f"/fhir/AuditEvent/{ids['gp-1']}"):
        response = http.get(path)
        assert response.status_code == 401, path
        assert response.json()["issue"][0]["code"] == "login"
    assert http.get("/fhir/AuditEvent", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_privacy_officer_signed_in_reads_it_and_a_clinician_is_refused(
    app: Any, store: Store, ids: dict[str, int]
) -> None:
    with StaffClient(app, store, OFFICER, NOW) as officer:
        assert listed(search(officer, {})) == sorted(ids.values(), reverse=True)
    with StaffClient(app, store, "gp-clinician", NOW) as clinician:
        refused = clinician.get("/fhir/AuditEvent")
        refused_one = clinician.get(f"/fhir/AuditEvent/{ids['gp-1']}")

    assert refused.status_code == refused_one.status_code == 403
    assert refused.json()["issue"][0]["diagnostics"] == (
        "reading the audit log needs the ig-officer role"
    )
    officers, clinicians = reads(store)[:1], reads(store)[1:]
    assert [(e["actor"], e["outcome"]) for e in officers] == [(OFFICER, "success")]
    assert [(e["actor"], e["outcome"]) for e in clinicians] == [("gp-clinician", "refused")] * 2
    assert clinicians[0]["detail"]["reason"] == "role"
    assert (clinicians[0]["organisation"], clinicians[0]["role"]) == ("F83004", "clinician")


def test_a_privacy_officer_off_their_organisations_network_is_refused_and_that_is_written(
    app: Any, store: Store, ids: dict[str, int]
) -> None:
    register(store, make_org("RAP01", "acute"))
    trained = NOW - timedelta(days=30)
    add_staff(store, "remote-ig", "RAP01", "ig-officer", trained, NOW, networks=["10.0.0.0/8"])
    with StaffClient(app, store, "remote-ig", NOW) as remote:
        response = remote.get("/fhir/AuditEvent")

    assert response.status_code == 403
    [refused] = reads(store)
    assert (refused["actor"], refused["outcome"]) == ("remote-ig", "refused")
    assert refused["detail"]["reason"] == response.json()["issue"][0]["diagnostics"]
    assert "not on a network registered for your organisation" in refused["detail"]["reason"]


# Search parameters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?date=2026-09-20", ["gp-1", "sign-in"]),  # a UK day: 09:00 UTC is 10:00 BST
        ("?date=ge2026-09-22&date=le2026-09-23", ["gp-2", "ward"]),
        ("?date=gt2026-09-22&date=lt2026-09-25", ["ward", "other"]),
        ("?date=lt2026-09-20T10:00:00Z", ["sign-in"]),
        ("?date=ge2026-09-20T10:00:00%2B00:00&date=le2026-09-20T10:00:00Z", ["gp-1"]),
        ("?date=2026-09", ["gp-1", "gp-2", "ward", "other", "refused", "sign-in"]),
        ("?date=2025", []),
        (f"?patient={NHS}|{JANE}", ["gp-1", "gp-2", "ward"]),
        (f"?patient=Patient?identifier={NHS}|{JANE}", ["gp-1", "gp-2", "ward"]),
        (f"?patient:identifier={NHS}|{PREFERRED}", ["other"]),
        (f"?patient={NHS}|9000000009", []),  # a valid number no one here holds
        ("?agent=ward-nurse", ["ward", "refused"]),
        (
            "?agent:identifier=urn:carerecord:username|gp-clinician",
            ["gp-1", "gp-2", "other", "sign-in"],
        ),
        ("?subtype=view-record&agent=ward-nurse", ["ward"]),
        ("?subtype=urn:carerecord:audit-action|sign-in", ["sign-in", "refused"]),
        ("?subtype=http://dicom.nema.org/resources/ontology/DCM|110122", ["sign-in", "refused"]),
        ("?type=rest", ["gp-1", "gp-2", "ward", "other"]),
        ("?type=110114,rest&outcome=4", ["refused"]),
        ("?outcome=0&agent=ward-nurse", ["ward"]),
    ],
)
def test_search_parameters_choose_entries(
    http: TestClient,
    store: Store,
    ids: dict[str, int],
    system: dict[str, str],
    query: str,
    expected: list[str],
) -> None:
    found = listed(search(http, system, query))

    assert found == sorted((ids[name] for name in expected), reverse=True)


def test_the_default_type_finds_actions_without_a_type_of_their_own(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str]
) -> None:
    append(store, AuditRecord("client:x", "fhir-push", "success", {}), DAY)
    pushed = int(entries(store)[-1]["id"])

    assert listed(search(http, system, "?type=110100")) == [pushed]
    assert listed(search(http, system, "?subtype=fhir-push&type=110100")) == [pushed]
    assert listed(search(http, system, "?subtype=fhir-push&type=rest")) == []


# Paging


def test_next_links_page_through_and_hold_still_while_entries_arrive(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str]
) -> None:
    pages, query = [], "?_count=2&date=le2026-09-30"  # the log's grants are December's
    while True:
        bundle = search(http, system, query)
        pages.append(listed(bundle))
        # A new entry between pages comes before the first page: it never shifts the rest.
        append(store, AuditRecord("gp-clinician", "sign-in", "success", {}), DAY)
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            break
        url = urlsplit(following[0])
        assert url.path == "/fhir/AuditEvent" and "_count=2" in url.query
        query = "?" + url.query

    newest_first = sorted(ids.values(), reverse=True)
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:6]]


def test_count_is_bounded(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str]
) -> None:
    assert len(listed(search(http, system, "?_count=200"))) == len(entries(store)) - 1
    response = http.get("/fhir/AuditEvent?_count=201", headers=system)
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"] == "_count: a whole number from 1 to 200"


# Bad parameters


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("?_sort=date", "_sort: not a search parameter"),
        ("?name=SMITH", "name: not a search parameter"),
        ("?date=yesterday", "date: the prefix 'ye' is not supported"),
        ("?date=2026-02-30", "date: '2026-02-30' is not a date"),
        ("?date=ne2026-09-20", "date: the prefix 'ne' is not supported"),
        ("?date=2026-09-20T10:00:00", "date: '2026-09-20T10:00:00' is not a FHIR date"),
        (f"?patient={NHS}|9434765918", "patient: not a valid NHS number"),
        ("?patient=9434765919", "patient: give https://fhir.nhs.uk/Id/nhs-number|"),
        ("?patient=Patient/%3Cx%3E", "patient: Patient/ must be followed by a resource id"),
        ("?agent=a&agent=b", "agent: give it once"),
        ("?agent:identifier=elsewhere|x", "agent:identifier: give urn:carerecord:username|"),
        ("?type=elsewhere|rest", "type: give a code, or one of"),
        ("?outcome=2", "outcome: '2' is not one of 0, 4, 8, 12"),
        ("?_count=0", "_count: a whole number from 1 to 200"),
        ("?_count=ten", "_count: a whole number from 1 to 200"),
        ("?_before=-1", "_before: a whole number"),
        ("?outcome=", "outcome: has no value"),
    ],
)
def test_bad_parameters_are_refused_by_name_and_read_nothing(
    http: TestClient,
    store: Store,
    ids: dict[str, int],
    system: dict[str, str],
    query: str,
    names: str,
) -> None:
    response = http.get(f"/fhir/AuditEvent{query}", headers=system)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/fhir+json"
    [issue] = response.json()["issue"]
    assert (issue["severity"], issue["code"]) == ("error", "invalid")
    assert issue["diagnostics"].startswith(names)
    assert reads(store) == []


# One entry


def test_one_audit_event_by_id(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str]
) -> None:
    response = http.get(f"/fhir/AuditEvent/{ids['ward']}", headers=system)

    assert response.status_code == 200
    event = response.json()
    assert (event["resourceType"], event["id"]) == ("AuditEvent", str(ids["ward"]))
    assert event["entity"][0]["what"] == {"reference": f"Patient/{patient(store, JANE)}"}
    for missing in ("999999", "abc", "9" * 30):
        refused = http.get(f"/fhir/AuditEvent/{missing}", headers=system)
        assert refused.status_code == 404, missing
        assert refused.json()["issue"][0]["code"] == "not-found"
    assert [entry["detail"]["count"] for entry in reads(store)] == [1, 0]


# Reading is itself logged


def test_each_search_writes_one_entry_naming_who_what_and_how_many(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str]
) -> None:
    search(http, system, f"?patient={NHS}|{JANE}&_count=2")

    [entry] = reads(store)
    jane = patient(store, JANE)
    assert entry["actor"].startswith("client:")
    assert entry["patient_id"] == jane
    assert entry["detail"]["parameters"] == [["patient", f"Patient/{jane}"], ["_count", "2"]]
    assert (entry["detail"]["count"], entry["detail"]["more"]) == (2, True)
    assert JANE not in str(entry["detail"])  # the person by their opaque id only
    assert entry["context"]["purpose"] == "audit"


def test_an_officers_search_is_logged_as_the_officer(
    app: Any, store: Store, ids: dict[str, int]
) -> None:
    with StaffClient(app, store, OFFICER, NOW) as officer:
        search(officer, {}, "?agent=ward-nurse")

    [entry] = reads(store)
    assert (entry["actor"], entry["role"], entry["organisation"]) == (
        OFFICER,
        "ig-officer",
        "RAL01",
    )
    assert entry["detail"]["parameters"] == [["agent", "ward-nurse"]]
    assert entry["detail"]["count"] == 2


@pytest.fixture
def audit_refused(store: Store) -> None:
    """From here on, the database refuses every new audit entry."""
    refuse_audit_writes(store)


def test_when_the_reading_cannot_be_logged_nothing_is_returned(
    http: TestClient, store: Store, ids: dict[str, int], system: dict[str, str], audit_refused: None
) -> None:
    for path in ("/fhir/AuditEvent", f"/fhir/AuditEvent/{ids['gp-1']}"):
        response = http.get(path, headers=system)
        assert response.status_code == 503, path
        body = response.json()
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == "transient"
        assert "AuditEvent" not in response.text and "gp-clinician" not in response.text
