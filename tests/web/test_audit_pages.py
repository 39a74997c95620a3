"""The privacy officer's audit log pages over HTTP, on SQLite and PostgreSQL: only an
ig-officer finds them; searches by user, organisation, person, dates and event type; who has
looked at a person's record; one entry in full; every use is itself in the log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carerecord.audit.entry import AuditRecord
from carerecord.store import Store
from tests.support.audit_entries import append, viewed
from tests.support.audit_log import entries
from tests.support.staff import StaffClient
from tests.web.conftest import NOW
from tests.web.officers import OFFICER, officer_app
from tests.web.seed import JANE, PREFERRED

DAY = datetime(2026, 9, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Any:
    return officer_app(store, tmp_path)


@pytest.fixture
def officer(app: Any, store: Store) -> Iterator[StaffClient]:
    with StaffClient(app, store, OFFICER, NOW, follow_redirects=False) as client:
        yield client


def patient(store: Store, nhs_number: str) -> str:
    found = store.patient_id_for_nhs_number(nhs_number)
    assert found is not None
    return found


def logged(store: Store) -> dict[str, int]:
    """Who viewed what: Jane by the GP twice and the hospital once, another person once."""
    jane, other = patient(store, JANE), patient(store, PREFERRED)
    ids = {}
    ids["gp-1"] = _append(store, viewed(jane), DAY)
    ids["gp-2"] = _append(
        store, viewed(jane, page="results", versions=((5, 3, "results"),)), DAY + timedelta(days=2)
    )
    ids["ward"] = _append(
        store,
        viewed(jane, "ward-nurse", "RAL01", "clinician", override="emergency", relationship=None),
        DAY + timedelta(days=3),
    )
    ids["other"] = _append(store, viewed(other, withheld={"objection": 2}), DAY + timedelta(days=4))
    ids["sign-in"] = _append(
        store, AuditRecord("gp-clinician", "sign-in", "success", {}), DAY - timedelta(hours=1)
    )
    return ids


def _append(store: Store, record: AuditRecord, at: datetime) -> int:
    append(store, record, at)
    return int(entries(store)[-1]["id"])


def listed(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-entry="(\d+)"', html)]


# Who finds the pages
@pytest.mark.parametrize("username", ["gp-clinician", "sys-admin"])
def test_anyone_but_a_privacy_officer_finds_nothing(app: Any, store: Store, username: str) -> None:
    ids = logged(store)
    before = len(entries(store))
    with StaffClient(app, store, username, NOW, follow_redirects=False) as client:
        for path in (
            "/audit",
            "/audit?user=gp-clinician",
            "/audit/who-viewed",
            f"/audit/events/{ids['gp-1']}",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
        assert client.post("/audit/who-viewed", data={"nhs_no": JANE}).status_code == 404
        assert client.post("/audit", data={"nhs_no": JANE}).status_code == 404
    assert len(entries(store)) == before


def test_the_header_links_the_officer_to_the_log(officer: StaffClient) -> None:
    assert 'href="/audit"' in officer.get("/").text
    page = officer.get("/audit")
    assert page.status_code == 200
    assert "Search the audit log" in page.text
    assert listed(page.text) == []  # the form alone until a search is made


# Searching
def test_a_search_by_user_lists_their_entries_newest_first(
    officer: StaffClient, store: Store
) -> None:
    ids = logged(store)
    page = officer.get("/audit?user=gp-clinician")
    assert page.status_code == 200
    assert listed(page.text) == [ids["other"], ids["gp-2"], ids["gp-1"], ids["sign-in"]]
    assert f'href="/audit/events/{ids["gp-1"]}"' in page.text
    (search,) = entries(store, "audit-search")
    assert search["actor"] == OFFICER
    assert search["detail"]["user"] == "gp-clinician"
    assert search["context"]["user"]["role"] == "ig-officer"


def test_a_search_by_organisation_event_type_and_days(officer: StaffClient, store: Store) -> None:
    ids = logged(store)
    assert listed(officer.get("/audit?org=RAL01").text) == [ids["ward"]]
    assert listed(officer.get("/audit?type=sign-in").text) == [ids["sign-in"]]
    # 20 and 22 September, both days included
    page = officer.get("/audit?from=2026-09-21&to=2026-09-22&type=view-record")
    assert listed(page.text) == [ids["gp-2"]]


def test_the_form_posts_dates_in_three_fields(officer: StaffClient, store: Store) -> None:
    ids = logged(store)
    form = {
        "from-day": "22",
        "from-month": "9",
        "from-year": "2026",
        "to-day": "23",
        "to-month": "9",
        "to-year": "2026",
    }
    posted = officer.post("/audit", data=form)
    assert posted.status_code == 303
    assert posted.headers["location"] == "/audit?from=2026-09-22&to=2026-09-23"
    assert listed(officer.get(posted.headers["location"]).text) == [ids["ward"], ids["gp-2"]]


def test_a_search_by_nhs_number_is_posted_and_the_number_never_reaches_an_address(
    officer: StaffClient, store: Store
) -> None:
    ids = logged(store)
    posted = officer.post("/audit", data={"nhs_no": "943 476 5919"})
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert JANE not in location
    assert location == f"/audit?patient={patient(store, JANE)}"
    page = officer.get(location)
    assert listed(page.text) == [ids["ward"], ids["gp-2"], ids["gp-1"]]
    assert entries(store, "audit-search")[-1]["detail"]["patient_id"] == patient(store, JANE)
    assert all(JANE not in str(entry["detail"]) for entry in entries(store, "audit-search"))


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"from-day": "31", "from-month": "2", "from-year": "2026"},
            "from",
            "From date must be a real date",
        ),
        (
            {
                "from-day": "2",
                "from-month": "10",
                "from-year": "2026",
                "to-day": "1",
                "to-month": "10",
                "to-year": "2026",
            },
            "to",
            "To date must be the same as or after",
        ),
        ({"nhs_no": "943 476 5918"}, "nhs-no", "This is not a valid NHS number"),
        ({"nhs_no": "900 000 0009"}, "nhs-no", "No record is held for this NHS number"),
        ({"org": "F8-3004"}, "org", "Enter an ODS code"),
        ({"type": "made-up"}, "type", "Choose an event type"),
        ({"user": "a b"}, "user", "Enter a username"),
    ],
)
def test_bad_values_are_form_errors(
    officer: StaffClient, store: Store, form: dict[str, str], field: str, message: str
) -> None:
    page = officer.post("/audit", data=form)
    assert page.status_code == 422
    assert message in page.text
    assert f'href="#{field}"' in page.text
    assert entries(store, "audit-search") == []


def test_bad_values_in_the_address_are_form_errors(officer: StaffClient, store: Store) -> None:
    for query in ("from=2026-02-31", "from=yesterday", "page=0", "page=x", "type=nope"):
        assert officer.get(f"/audit?{query}").status_code == 422, query
    assert entries(store, "audit-search") == []


def test_results_are_paged_by_fifty(officer: StaffClient, store: Store) -> None:
    jane = patient(store, JANE)
    for minute in range(60):
        append(store, viewed(jane, "locum", "F83004"), DAY + timedelta(minutes=minute))
    first = officer.get("/audit?user=locum")
    assert len(listed(first.text)) == 50
    assert 'href="/audit?user=locum&amp;page=2"' in first.text
    assert 'rel="prev"' not in first.text
    second = officer.get("/audit?user=locum&page=2")
    assert len(listed(second.text)) == 10
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert set(listed(first.text)).isdisjoint(listed(second.text))


# Who has looked at this person's record
def test_who_has_looked_lists_every_access_with_a_count(officer: StaffClient, store: Store) -> None:
    ids = logged(store)
    assert officer.get("/audit/who-viewed").status_code == 200
    page = officer.post("/audit/who-viewed", data={"nhs_no": "9434765919"})
    assert page.status_code == 200
    assert listed(page.text) == [ids["ward"], ids["gp-2"], ids["gp-1"]]
    assert "3 accesses" in page.text
    assert "Override: emergency" in page.text
    assert "Relationship: registered-gp" in page.text
    assert "RAL01" in page.text and "ward-nurse" in page.text
    (use,) = entries(store, "audit-who-viewed")
    assert use["patient_id"] == patient(store, JANE)
    assert use["detail"] == {"found": True, "count": 3}


def test_who_has_looked_refuses_a_bad_number_and_says_when_none_is_held(
    officer: StaffClient, store: Store
) -> None:
    bad = officer.post("/audit/who-viewed", data={"nhs_no": "123"})
    assert bad.status_code == 422
    assert "NHS number must be 10 digits" in bad.text
    unknown = officer.post("/audit/who-viewed", data={"nhs_no": "9000000009"})
    assert unknown.status_code == 200
    assert "No record found" in unknown.text
    assert [e["outcome"] for e in entries(store, "audit-who-viewed")] == ["failure"]


# One entry
def test_an_entry_is_shown_in_full(officer: StaffClient, store: Store) -> None:
    ids = logged(store)
    page = officer.get(f"/audit/events/{ids['other']}")
    assert page.status_code == 200
    text = page.text
    for expected in (
        "gp-clinician",
        "Gp Clinician",
        "F83004",
        "10.1.2.3",
        "direct-care",
        "registered-gp",
        "medications",
        "objection",
        "req-gp-clinician-medications",
    ):
        assert expected in text, expected
    versions = re.search(r'data-role="versions".*?</table>', text, re.S)
    assert versions is not None
    cells = re.findall(r'<td class="nhsuk-table__cell">([^<]*)</td>', versions.group(0))
    assert cells == ["11", "2", "medications", "12", "1", "medications"]
    held = entries(store)[[e["id"] for e in entries(store)].index(ids["other"])]
    assert held["hash"] in text and held["prev_hash"] in text
    assert f'href="/audit/events/{ids["other"]}/as-seen"' in text
    use = entries(store, "audit-entry")[-1]
    assert use["detail"] == {"entry_id": ids["other"]}


def test_a_sign_in_has_no_as_seen_link(officer: StaffClient, store: Store) -> None:
    ids = logged(store)
    page = officer.get(f"/audit/events/{ids['sign-in']}")
    assert page.status_code == 200
    assert "as-seen" not in page.text


def test_only_a_record_that_was_shown_offers_its_page_as_seen(
    officer: StaffClient, store: Store
) -> None:
    jane = patient(store, JANE)
    withheld = _append(store, viewed(jane, action="view-withheld"), DAY)
    refused = _append(store, replace(viewed(jane), outcome="refused"), DAY)
    for entry_id in (withheld, refused):
        page = officer.get(f"/audit/events/{entry_id}")
        assert page.status_code == 200
        assert "as-seen" not in page.text
        assert officer.get(f"/audit/events/{entry_id}/as-seen").status_code == 404


@pytest.mark.parametrize("entry_id", ["999999", "abc", "99999999999999999999", "-1"])
def test_an_entry_that_does_not_exist_is_not_found(officer: StaffClient, entry_id: str) -> None:
    assert officer.get(f"/audit/events/{entry_id}").status_code == 404
