"""Every door to a record writes its audit entry, field by field, on SQLite and PostgreSQL:
searches, the summary, each section (with its filters), the timeline, a document, a record
withheld, a person not found; and if the entry cannot be written, nothing is shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from carerecord.store import Store
from carerecord.store.schema import record_views, resources
from tests.support.audit_log import entries, refuse_audit_writes
from tests.support.staff import signed_in
from tests.web.conftest import GP_CLINICIAN, NOW, patient_url
from tests.web.factories_results import seed_results_and_documents
from tests.web.seed import JANE, NOBODY


def last(store: Store, action: str) -> dict[str, Any]:
    found = entries(store, action)
    assert found, f"no {action} entry"
    return found[-1]


def current_versions(store: Store, patient_id: str, sections: set[str]) -> set[tuple[int, int]]:
    r = resources.c
    query = select(r.id, r.version).where(
        r.patient_id == patient_id, r.section.in_(sections), r.hidden.is_(False)
    )
    with store.engine.connect() as conn:
        return {(row.id, row.version) for row in conn.execute(query)}


def test_a_search_by_nhs_number_records_the_query_and_who_asked(
    client: TestClient, store: Store
) -> None:
    response = client.post("/find", data={"nhs_no": "943 476 5919"}, follow_redirects=False)
    patient_id = response.headers["location"].rsplit("/", 1)[-1]

    entry = last(store, "search-nhs-number")

    assert (entry["actor"], entry["outcome"], entry["patient_id"]) == (
        GP_CLINICIAN, "success", patient_id,
    )  # fmt: skip
    assert entry["detail"] == {"query": JANE, "found": 1}
    user = entry["context"]["user"]
    assert (user["username"], user["role"], user["organisation"], user["org_type"]) == (
        GP_CLINICIAN, "clinician", "F83004", "gp",
    )  # fmt: skip
    assert user["assurance"] == "AAL2" and user["id"] == entry["user_id"]
    assert (entry["organisation"], entry["role"]) == ("F83004", "clinician")
    assert entry["context"]["client"] == {"address": "127.0.0.1", "user_agent": "testclient"}
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["format"] == 2


def test_a_search_that_finds_nobody_is_recorded_too(client: TestClient, store: Store) -> None:
    client.post("/find", data={"nhs_no": NOBODY})
    entry = last(store, "search-nhs-number")
    assert entry["patient_id"] is None and entry["detail"] == {"query": NOBODY, "found": 0}


def test_a_search_by_details_records_what_was_typed_and_who_was_offered(
    client: TestClient, store: Store
) -> None:
    jane_id = patient_url(client, JANE).rsplit("/", 1)[-1]
    client.post(
        "/find/details",
        data={"family": "Smith", "dob[day]": "14", "dob[month]": "3", "dob[year]": "1957"},
    )
    entry = last(store, "search-details")
    assert entry["detail"] == {
        "family": "Smith", "birth_date": "1957-03-14", "postcode": "", "found": 1,
        "matches": [jane_id],
    }  # fmt: skip


def test_the_summary_records_exactly_the_versions_it_showed(
    client: TestClient, store: Store
) -> None:
    url = patient_url(client, JANE)
    patient_id = url.rsplit("/", 1)[-1]
    page = client.get(url)
    assert page.status_code == 200

    entry = last(store, "view-record")
    shown = entry["context"]["shown"]

    assert entry["patient_id"] == patient_id and entry["outcome"] == "success"
    assert shown["page"] == "overview"
    assert {"allergies", "problems", "medications"} <= set(shown["sections"])
    held = current_versions(store, patient_id, set(shown["sections"]) | {"demographics"})
    assert {(i, v) for i, v, _ in shown["versions"]} == held
    assert entry["context"]["purpose"] == "direct-care"
    assert entry["context"]["relationship"] == "registered-gp"
    assert "override" not in entry["context"]
    assert {t[0] for t in shown["tallies"]} == {"F83004", "RAL01"}
    assert shown["new_since"] is None  # the first view
    assert entry["request_id"] == page.headers["x-request-id"]


def test_a_section_page_records_its_filters(client: TestClient, store: Store) -> None:
    url = patient_url(client, JANE)
    client.get(f"{url}/problems?status=active&sort=date")
    shown = last(store, "view-record")["context"]["shown"]
    assert shown["page"] == "problems"
    assert shown["params"] == {"status": "active", "sort": "date"}
    assert shown["sections"][0] == "problems"


def test_the_timeline_and_a_document_are_recorded(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    seed_results_and_documents(store, tmp_path)
    url = patient_url(client, JANE)
    client.get(f"{url}/timeline")
    assert last(store, "view-timeline")["context"]["shown"]["page"] == "timeline"

    links = re.findall(
        r'href="(/patients/[^"/]+/documents/(\d+))"', client.get(f"{url}/documents").text
    )
    href, item_id = links[0]
    assert client.get(href).status_code == 200
    entry = last(store, "view-document")
    shown = entry["context"]["shown"]
    assert entry["detail"]["item"] == int(item_id)
    assert shown["page"] == "document" and shown["versions"][0][:1] == [int(item_id)]
    assert shown["versions"][0][2] == "documents"


def test_a_person_not_found_is_recorded_as_a_failure(client: TestClient, store: Store) -> None:
    assert client.get("/patients/0123456789abcdef0123456789abcdef").status_code == 404
    entry = last(store, "view-record")
    assert (entry["outcome"], entry["patient_id"], entry["detail"]) == (
        "failure", None, {"reason": "not-found"},
    )  # fmt: skip


def test_a_record_withheld_records_that_only_identity_was_shown(
    client: TestClient, store: Store
) -> None:
    url = patient_url(client, JANE)
    with signed_in(client.app, store, NOW, "ward-doctor", "RAL01") as ward:
        page = ward.get(url)
    assert page.status_code == 200 and "declare" in page.text.lower()
    entry = last(store, "view-withheld")
    assert entry["actor"] == "ward-doctor"
    assert entry["context"]["shown"]["sections"] == ["demographics"]
    assert "relationship" not in entry["context"]


# -- Audit or nothing -------------------------------------------------------------------------


@pytest.fixture
def audit_refused(store: Store) -> Iterator[None]:
    """From here on, the database refuses every new audit entry."""
    refuse_audit_writes(store)
    yield


PATIENT_TEXT = ("SMITH", "Jane", "943 476 5919", "Agar Grove", "Penicillin", "Asthma")


def test_when_the_audit_log_cannot_be_written_no_page_shows_any_patient_data(
    client: TestClient, store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    seed_results_and_documents(store, tmp_path)
    url = patient_url(client, JANE)
    documents = client.get(f"{url}/documents").text
    document = re.findall(r'href="(/patients/[^"/]+/documents/\d+)"', documents)[0]
    with store.engine.connect() as conn:
        views_before = conn.execute(select(record_views)).all()
    request.getfixturevalue("audit_refused")

    asked = [
        client.get(url),
        *(client.get(f"{url}/{s}") for s in ("medications", "problems", "results", "documents")),
        client.get(f"{url}/timeline"),
        client.get(document),
        client.get(f"{document}/content"),
        client.post("/find", data={"nhs_no": JANE}),
        client.post(
            "/find/details",
            data={"family": "Smith", "dob[day]": "14", "dob[month]": "3", "dob[year]": "1957"},
        ),
    ]

    for page in asked:
        assert page.status_code == 503, page.url
        assert "written to the audit log first" in page.text.replace("\n", " ")
        shown = [text for text in PATIENT_TEXT if text in page.text]
        assert shown == [], f"{page.url}: {shown}"
    with store.engine.connect() as conn:
        assert conn.execute(select(record_views)).all() == views_before  # rolled back too
