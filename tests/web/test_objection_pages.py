"""Recording and withdrawing a person's objection to sharing through the pages, on SQLite and
PostgreSQL: what users then see, who may do it, and what the forms refuse."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_org, register, write_ndjson
from tests.support.staff import StaffClient, add_staff, signed_in
from tests.web.conftest import NOW, patient_url
from tests.web.seed import JANE, PREFERRED, RESTRICTED, RESTRICTED_ADDRESS, RESTRICTED_PHONE

ATTORNEY = {
    "on_behalf": "lpa-health-welfare",
    "evidence_ref": "7000-1234-5678",
    "checked_by": "Sam Okafor",
    "note": "Her daughter, attorney for health and welfare, asked in clinic",
}


def record(client: TestClient, url: str, **form: str) -> httpx.Response:
    response: httpx.Response = client.post(f"{url}/objection", data=form, follow_redirects=False)
    return response


def withdraw_link(client: TestClient, url: str) -> str:
    page: str = client.get(f"{url}/objection").text
    start = page.index(f'href="{url.removeprefix("https://testserver")}/objection/')
    return page[start + 6 : page.index('"', start + 6)]


def test_recording_an_objection_leaves_only_the_banner(client: TestClient, store: Store) -> None:
    url = patient_url(client, JANE)
    assert "Royal Free London" in client.get(url).text  # shared before

    response = record(client, url, on_behalf="self", note="Asked at her review")

    assert response.status_code == 303
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-reason="objection"' in page.text
    assert "SMITH, Jane (Mrs)" in page.text  # who she is, so the user knows it is her
    for held in ("Royal Free London", "RAL01", "Penicillin", "penicillin"):
        assert held not in page.text  # nothing that says who holds data, nor any of it
    assert client.get(f"{url}/allergies").status_code == 200
    assert 'data-reason="objection"' in client.get(f"{url}/allergies").text
    [row] = store.consent.objections(url.rsplit("/", 1)[1])
    assert (row.on_behalf, row.recorded_by, row.recorded_org) == ("self", "Gp Clinician", "F83004")
    assert row.basis == "Asked at her review"


def test_the_objection_page_shows_the_state_and_whole_history(client: TestClient) -> None:
    url = patient_url(client, JANE)
    assert 'data-state="none"' in client.get(f"{url}/objection").text

    record(client, url, **ATTORNEY)
    page = client.get(f"{url}/objection").text

    assert 'data-state="in-force"' in page
    for shown in ("Gp Clinician, Camden Road Surgery (F83004)", "7000-1234-5678", "Sam Okafor"):
        assert shown in page
    assert "Their attorney, with a lasting power of attorney for health and welfare" in page
    assert "Recorded</dt>" in page and "02-Oct-2026 00:00" in page  # 23:00 UTC, midnight in London
    assert "Record the objection" not in page  # one in force is enough


def test_withdrawing_opens_the_record_again_and_keeps_the_history(
    client: TestClient, store: Store
) -> None:
    url = patient_url(client, JANE)
    record(client, url, on_behalf="self")
    link = withdraw_link(client, url)
    assert "Withdraw an objection to sharing" in client.get(link).text

    response = client.post(
        link, data={**ATTORNEY, "note": "She changed her mind"}, follow_redirects=False
    )

    assert response.status_code == 303
    assert "Royal Free London" in client.get(url).text
    page = client.get(f"{url}/objection").text
    assert 'data-state="none"' in page and 'data-in-force="no"' in page
    assert "She changed her mind" in page and "Withdrawn by" in page
    [row] = store.consent.objections(url.rsplit("/", 1)[1])
    assert (row.withdrawn_by, row.withdrawn_org) == ("Gp Clinician", "F83004")
    assert (row.withdrawn_on_behalf, row.withdrawal_evidence_ref) == (
        "lpa-health-welfare",
        "7000-1234-5678",
    )
    assert client.post(link, data={"on_behalf": "self"}).status_code == 404  # once only


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"on_behalf": "lpa-health-welfare"}, ["registration number", "who checked it"]),
        ({**ATTORNEY, "checked_by": "  "}, ["who checked it"]),
        ({}, ["Choose who is asking"]),
        ({"on_behalf": "the-neighbour"}, ["Choose who is asking"]),
        ({"on_behalf": "self", "note": "x" * 1001}, ["at most 1,000 characters"]),
        ({**ATTORNEY, "evidence_ref": "7" * 201}, ["at most 200 characters"]),
        ({**ATTORNEY, "checked_by": "S" * 101}, ["at most 100 characters"]),
    ],
)
def test_a_form_that_is_wrong_says_so_and_records_nothing(
    client: TestClient, store: Store, form: dict[str, str], errors: list[str]
) -> None:
    url = patient_url(client, JANE)

    response = record(client, url, **form)

    assert response.status_code == 422
    text = response.text
    assert "There is a problem" in text and "Error: " in text
    for message in errors:
        assert message.lower() in text.lower()
    assert store.consent.objections(url.rsplit("/", 1)[1]) == []


def test_withdrawing_for_an_attorney_needs_the_evidence_too(
    client: TestClient, store: Store
) -> None:
    url = patient_url(client, JANE)
    record(client, url, on_behalf="self")
    link = withdraw_link(client, url)

    response = client.post(link, data={"on_behalf": "lpa-health-welfare"})

    assert response.status_code == 422
    assert "registration number" in response.text
    [row] = store.consent.objections(url.rsplit("/", 1)[1])
    assert row.withdrawn_at is None


def test_a_post_without_the_sessions_form_token_is_refused(
    client: TestClient, store: Store
) -> None:
    url = patient_url(client, JANE)

    response = record(client, url, on_behalf="self", csrf_token="forged")  # noqa: S106 (a forged token)

    assert response.status_code == 403
    assert store.consent.objections(url.rsplit("/", 1)[1]) == []


def test_another_organisation_without_a_relationship_may_record_but_not_learn_who_else_did(
    client: TestClient, store: Store
) -> None:
    """Recording only ever hides, so any user who may find the person may record it; but the
    history names only their own organisation and the practice the banner shows."""
    register(store, make_org("RRV", "acute", name="University College Hospital"))
    url = patient_url(client, JANE)
    hospital = signed_in(client.app, store, NOW, "ward-nurse", "RAL01")
    elsewhere = signed_in(client.app, store, NOW, "ucl-doctor", "RRV")

    assert 'data-reason="no-relationship"' in hospital.get(url).text
    assert record(hospital, url, on_behalf="self", note="Said on the ward").status_code == 303

    own = hospital.get(f"{url}/objection").text
    assert "Ward Nurse, Royal Free London (RAL01)" in own and "Said on the ward" in own
    for page in (elsewhere.get(f"{url}/objection").text, client.get(f"{url}/objection").text):
        assert 'data-state="in-force"' in page
        assert "Another organisation: not named" in page
        for hidden in ("Royal Free", "RAL01", "Ward Nurse", "Said on the ward"):
            assert hidden not in page


@pytest.mark.parametrize("role", ["ig-officer", "system-admin"])
def test_roles_that_open_no_records_find_no_objection_page(
    client: TestClient, store: Store, role: str
) -> None:
    url = patient_url(client, JANE)
    other = signed_in(client.app, store, NOW, f"staff-{role}", "F83004", role)

    assert other.get(f"{url}/objection").status_code == 404
    assert record(other, url, on_behalf="self").status_code == 404
    assert store.consent.objections(url.rsplit("/", 1)[1]) == []


def test_an_unknown_person_or_objection_is_not_found(client: TestClient, store: Store) -> None:
    url = patient_url(client, JANE)
    record(client, url, on_behalf="self")
    [row] = store.consent.objections(url.rsplit("/", 1)[1])

    assert client.get("/patients/" + "0" * 32 + "/objection").status_code == 404
    assert record(client, "/patients/" + "0" * 32, on_behalf="self").status_code == 404
    for bad in ("abc", "-1", "9" * 40, str(row.id + 1)):
        assert client.get(f"{url}/objection/{bad}/withdraw").status_code == 404
        assert client.post(f"{url}/objection/{bad}/withdraw", data=ATTORNEY).status_code == 404


def test_a_user_whose_training_has_lapsed_is_told_why(client: TestClient, store: Store) -> None:
    url = patient_url(client, JANE)
    add_staff(store, "lapsed", "F83004", "clinician", NOW - timedelta(days=400), NOW)
    lapsed = StaffClient(client.app, store, "lapsed", NOW)

    assert lapsed.get(f"{url}/objection").status_code == 403
    assert record(lapsed, url, on_behalf="self").status_code == 403


def test_the_withheld_page_and_the_record_link_to_the_objection(client: TestClient) -> None:
    url = patient_url(client, JANE)
    assert f'href="{url.removeprefix("https://testserver")}/objection"' in client.get(url).text

    record(client, url, on_behalf="self")

    withheld = client.get(url).text
    assert "see or withdraw their objection" in withheld
    assert f'href="{url.removeprefix("https://testserver")}/objection"' in withheld


def opt_out(store: Store, folder: Path, source: str, patient: str) -> None:
    consent = {
        "resourceType": "Consent",
        "id": f"optout-{source}",
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "patient": {"reference": f"Patient/{patient}"},
        "provision": {"type": "deny"},
    }
    ingest_paths(store, [write_ndjson(folder / f"{source}.ndjson", consent)], source=source)


def test_an_opt_out_a_source_sent_is_withdrawn_only_there(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    url = patient_url(client, JANE)
    opt_out(store, tmp_path, "F83004", "p1")  # her practice, which the banner names anyway
    opt_out(store, tmp_path, "RAL01", "h1")

    page = client.get(f"{url}/objection").text

    assert page.count('data-role="sent-objection"') == 2
    assert "sent by Camden Road Surgery (F83004)" in page
    assert "sent by another organisation caring for the person" in page
    assert "Royal Free" not in page and "RAL01" not in page
    assert "Withdraw this objection" not in page
    for row in store.consent.objections(url.rsplit("/", 1)[1]):
        withdraw = f"{url}/objection/{row.id}/withdraw"
        assert client.post(withdraw, data={"on_behalf": "self"}).status_code == 404


def test_one_persons_objection_cannot_be_withdrawn_through_anothers_address(
    client: TestClient, store: Store
) -> None:
    jane, other = patient_url(client, JANE), patient_url(client, PREFERRED)
    record(client, jane, on_behalf="self")
    [row] = store.consent.objections(jane.rsplit("/", 1)[1])

    wrong = f"{other}/objection/{row.id}/withdraw"

    assert client.get(wrong).status_code == 404
    assert client.post(wrong, data={"on_behalf": "self"}).status_code == 404
    assert store.consent.objections(jane.rsplit("/", 1)[1])[0].withdrawn_at is None


def test_a_restricted_persons_objection_page_keeps_their_details_back(
    client: TestClient,
) -> None:
    url = patient_url(client, RESTRICTED)

    page = client.get(f"{url}/objection").text

    assert "Restricted record" in page
    assert RESTRICTED_ADDRESS not in page and RESTRICTED_PHONE not in page
