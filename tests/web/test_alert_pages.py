"""The privacy officer's alert pages over HTTP, on SQLite and PostgreSQL: only an ig-officer
finds them; the list shows the alerts the rules raise from planted entries, each alert its
entry and review history; a review is recorded with each outcome, refused with a form error
when incomplete, and is itself in the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carerecord.store import Store
from carerecord.store.schema import audit_reviews
from tests.support.audit_log import entries
from tests.support.staff import StaffClient
from tests.web.alert_cases import patient, planted
from tests.web.conftest import NOW
from tests.web.officers import OFFICER, officer_app
from tests.web.seed import JANE


@pytest.fixture
def app(store: Store, tmp_path: Path) -> Any:
    return officer_app(store, tmp_path)


@pytest.fixture
def officer(app: Any, store: Store) -> Iterator[StaffClient]:
    with StaffClient(app, store, OFFICER, NOW, follow_redirects=False) as client:
        yield client


def listed(html: str) -> list[str]:
    return re.findall(r'data-alert="([^"]+)"', html)


def reviews_held(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_reviews)).scalar_one())


def review_form(outcome: str = "justified", note: str = "Asked the ward: patient in resus") -> dict:
    return {"outcome": outcome, "note": note}


# Who finds the pages
@pytest.mark.parametrize("username", ["gp-clinician", "sys-admin"])
def test_anyone_but_a_privacy_officer_finds_nothing(app: Any, store: Store, username: str) -> None:
    ids = planted(store)
    before = len(entries(store))
    with StaffClient(app, store, username, NOW, follow_redirects=False) as client:
        for path in ("/audit/alerts", f"/audit/alerts/override/{ids['override']}"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
        posted = client.post(f"/audit/alerts/override/{ids['override']}", data=review_form())
        assert posted.status_code == 404
        # without the form token too: the answer does not tell an outsider the form is real
        bare = client.post(f"/audit/alerts/override/{ids['override']}", data={"csrf_token": ""})
        assert bare.status_code == 404
    assert len(entries(store)) == before
    assert reviews_held(store) == 0


def test_a_signed_out_browser_is_sent_to_sign_in(app: Any, store: Store) -> None:
    ids = planted(store)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as http:
        for path in ("/audit/alerts", f"/audit/alerts/override/{ids['override']}"):
            response = http.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == f"/sign-in?next={path}"
        posted = http.post(f"/audit/alerts/override/{ids['override']}", data=review_form())
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/sign-in")
    assert reviews_held(store) == 0


def test_the_header_links_the_officer_to_the_alerts(officer: StaffClient) -> None:
    assert 'href="/audit/alerts"' in officer.get("/audit").text


# The list
def test_the_list_shows_each_planted_alert_and_is_audited(
    officer: StaffClient, store: Store
) -> None:
    ids = planted(store)
    page = officer.get("/audit/alerts")
    assert page.status_code == 200
    assert listed(page.text) == [  # all unreviewed: newest first
        f"out-of-hours-no-relationship/{ids['night']}",
        f"sensitive-record/{ids['sensitive']}",
        f"declared-relationship/{ids['declared']}",
        f"override/{ids['override']}",
    ]
    assert "5 alerts" not in page.text and "4 alerts, 2026-09-26 to 2026-10-02" in page.text
    assert "unconscious in A&amp;E" in page.text  # the reason the nurse gave
    assert "SMITH, Jane" in page.text and "HIDDEN, Alex" in page.text
    assert f'href="/audit/alerts/override/{ids["override"]}"' in page.text
    assert page.text.count("Not reviewed") >= 4
    (use,) = entries(store, "audit-alerts")
    assert use["actor"] == OFFICER
    assert use["detail"] == {
        "first": "2026-09-26",
        "last": "2026-10-02",
        "rule": "",
        "state": "",
        "found": 4,
    }


def test_the_list_is_chosen_by_rule_days_and_review_state(
    officer: StaffClient, store: Store
) -> None:
    ids = planted(store)
    assert listed(officer.get("/audit/alerts?rule=override").text) == [
        f"override/{ids['override']}"
    ]
    only_monday = officer.get("/audit/alerts?first=2026-09-28&last=2026-09-28")
    assert len(listed(only_monday.text)) == 3  # not the night of the 29th
    none = officer.get("/audit/alerts?first=2026-09-01&last=2026-09-07")
    assert listed(none.text) == [] and "No alerts from 2026-09-01 to 2026-09-07" in none.text
    officer.post(f"/audit/alerts/override/{ids['override']}", data=review_form())
    reviewed = officer.get("/audit/alerts?state=justified")
    assert listed(reviewed.text) == [f"override/{ids['override']}"]
    unreviewed = officer.get("/audit/alerts?state=unreviewed")
    assert f"override/{ids['override']}" not in listed(unreviewed.text)
    assert len(listed(unreviewed.text)) == 3


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("first=2026-02-31", "first", "Enter a real date"),
        ("last=yesterday", "last", "Enter a real date"),
        ("first=2026-10-02&last=2026-10-01", "first", "The first day must be on or before"),
        ("first=2026-01-01&last=2026-10-01", "first", "Choose at most 92 days"),
        ("rule=made-up", "rule", "Choose a rule from the list"),
        ("state=maybe", "state", "Choose a review state from the list"),
    ],
)
def test_bad_choices_are_form_errors(
    officer: StaffClient, store: Store, query: str, field: str, message: str
) -> None:
    planted(store)
    page = officer.get(f"/audit/alerts?{query}")
    assert page.status_code == 422
    assert "There is a problem" in page.text and message in page.text
    assert f'href="#{field}"' in page.text and f'id="{field}"' in page.text
    assert page.text.startswith("<!DOCTYPE html>")
    assert "<title>Error: Alerts" in page.text
    assert listed(page.text) == []
    assert entries(store, "audit-alerts") == []


# One alert
def test_an_alert_shows_why_and_the_entry(officer: StaffClient, store: Store) -> None:
    ids = planted(store)
    page = officer.get(f"/audit/alerts/override/{ids['override']}")
    assert page.status_code == 200
    for expected in (
        "Override: emergency. Reason given: unconscious in A&amp;E",
        "SMITH, Jane",
        "Sam Ward (ward-nurse)",
        "RAL01 acute",
        "10.20.0.7",
        "Not reviewed yet.",
        'name="outcome" type="radio" value="not-justified"',
    ):
        assert expected in page.text, expected
    (use,) = entries(store, "audit-alerts")
    assert use["detail"] == {"rule": "override", "event_id": ids["override"]}
    assert use["patient_id"] == patient(store, JANE)


@pytest.mark.parametrize(
    ("outcome", "words"),
    [("justified", "Justified"), ("not-justified", "Not justified"), ("escalated", "Escalated")],
)
def test_a_review_is_recorded_audited_and_shown(
    officer: StaffClient, store: Store, outcome: str, words: str
) -> None:
    ids = planted(store)
    address = f"/audit/alerts/declared-relationship/{ids['declared']}"
    posted = officer.post(address, data=review_form(outcome, "  Spoke to the ward sister.  "))
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{address}?done=reviewed"
    (use,) = entries(store, "alert-review")
    assert use["actor"] == OFFICER and use["outcome"] == "success"
    assert use["patient_id"] == patient(store, JANE)
    assert use["detail"] == {
        "rule": "declared-relationship",
        "event_id": ids["declared"],
        "outcome": outcome,
    }
    assert use["context"]["user"]["role"] == "ig-officer"
    page = officer.get(posted.headers["location"])
    assert "The review is recorded." in page.text
    history = re.search(r'<ol class="nhsuk-list" data-role="history".*?</ol>', page.text, re.S)
    assert history is not None
    assert f"<strong>{words}</strong>" in history.group(0)
    assert "Spoke to the ward sister." in history.group(0) and OFFICER in history.group(0)
    row = re.search(
        rf'data-alert="declared-relationship/{ids["declared"]}"[^>]*>',
        officer.get("/audit/alerts").text,
    )
    assert row is not None and f'data-state="{outcome}"' in row.group(0)


def test_a_later_review_supersedes_and_both_are_kept(officer: StaffClient, store: Store) -> None:
    ids = planted(store)
    address = f"/audit/alerts/override/{ids['override']}"
    officer.post(address, data=review_form("escalated", "Asked the line manager."))
    officer.post(address, data=review_form("justified", "Manager confirmed the shift."))
    page = officer.get(address).text
    assert "Review again" in page
    history = re.findall(r'data-outcome="([^"]+)"', page)
    assert history == ["Justified", "Escalated"]  # newest first
    assert page.count("(superseded)") == 1
    assert reviews_held(store) == 2
    assert [e["detail"]["outcome"] for e in entries(store, "alert-review")] == [
        "escalated",
        "justified",
    ]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"note": "Looked into it."}, "outcome", "Choose whether the access was justified"),
        ({"outcome": "maybe", "note": "x"}, "outcome", "Choose whether the access was justified"),
        ({"outcome": "justified"}, "note", "Enter a note saying what you found"),
        ({"outcome": "justified", "note": "   "}, "note", "Enter a note saying what you found"),
        (
            {"outcome": "justified", "note": "n" * 2001},
            "note",
            "The note must be 2,000 characters or fewer",
        ),
    ],
)
def test_an_incomplete_review_is_a_form_error_and_stores_nothing(
    officer: StaffClient, store: Store, form: dict[str, str], field: str, message: str
) -> None:
    ids = planted(store)
    page = officer.post(f"/audit/alerts/override/{ids['override']}", data=form)
    assert page.status_code == 422
    assert "There is a problem" in page.text and "<title>Error: Override alert" in page.text
    assert re.search(rf'<a href="#{field}">\s*{re.escape(message)}\s*</a>', page.text)
    assert f'id="{field}"' in page.text  # the link leads to the field itself
    beside = rf'id="{field}-error">\s*<span[^>]*>Error: </span>{re.escape(message)}'
    assert re.search(beside, page.text)  # and the message is beside it
    assert reviews_held(store) == 0
    assert entries(store, "alert-review") == []


def test_a_note_written_before_an_error_is_kept_in_the_form(
    officer: StaffClient, store: Store
) -> None:
    ids = planted(store)
    page = officer.post(
        f"/audit/alerts/override/{ids['override']}", data={"note": "Half <b>written</b>"}
    )
    assert page.status_code == 422
    assert "Half &lt;b&gt;written&lt;/b&gt;" in page.text


@pytest.mark.parametrize("token", ["", "not-the-token", "x" * 43])
def test_a_review_without_the_sessions_form_token_is_refused(
    officer: StaffClient, store: Store, token: str
) -> None:
    ids = planted(store)
    refused = officer.post(
        f"/audit/alerts/override/{ids['override']}", data={**review_form(), "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "did not come from this service" in refused.text
    assert reviews_held(store) == 0
    assert entries(store, "alert-review") == []


# Addresses that name no alert
@pytest.mark.parametrize(
    "address",
    [
        "/audit/alerts/made-up/{override}",
        "/audit/alerts/override/abc",
        "/audit/alerts/override/-1",
        "/audit/alerts/override/1.5",
        "/audit/alerts/override/99999999999999999999",
        "/audit/alerts/override/999999",
        "/audit/alerts/sensitive-record/{override}",  # an entry, but not of this rule
        "/audit/alerts/override/{ordinary}",  # an entry no rule raises
    ],
)
def test_an_address_naming_no_alert_is_the_not_found_page(
    officer: StaffClient, store: Store, address: str
) -> None:
    url = address.format(**planted(store))
    for response in (officer.get(url), officer.post(url, data=review_form())):
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")
        assert response.text.startswith("<!DOCTYPE html>")  # the site's own page, not JSON
        assert "<h1>Page not found</h1>" in response.text
    assert reviews_held(store) == 0
    assert entries(store, "audit-alerts") == entries(store, "alert-review") == []


def test_a_form_that_is_not_text_is_refused_as_a_page(officer: StaffClient, store: Store) -> None:
    ids = planted(store)
    sent = officer.post(
        f"/audit/alerts/override/{ids['override']}",
        data={"outcome": "justified", "csrf_token": officer.csrf},
        files={"note": ("note.txt", b"a file, not a note", "text/plain")},
    )
    assert sent.status_code == 400
    assert sent.text.startswith("<!DOCTYPE html>") and "a file, not a note" not in sent.text
    assert reviews_held(store) == 0 and entries(store, "alert-review") == []
