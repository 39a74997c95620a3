"""The notice under the banner of a record read on other grounds than its own evidence: an
override, a relationship the user declared, a national-emergency (COPI) period. The words as a
table, then on the pages themselves, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from carerecord.access.policy import Grant
from carerecord.access.vocabulary import Level, OverrideKind, RelationshipKind
from carerecord.app import create_app
from carerecord.audit.entry import AuditRecord
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import NewObjection
from carerecord.web.access_notice import access_notices, when
from tests.support.staff import StaffClient, add_staff, session_for
from tests.web.seed import JANE, PREFERRED, seed

NOW = datetime(2026, 10, 1, 13, 5, tzinfo=UTC)  # 14:05 in London (BST)
GP = "gp-clinician"  # Jane's registered practice
WARD = "ward-doctor"  # at the hospital: no relationship the record shows
OVERRIDE = "You are viewing this record under an emergency override."
LOGGED = "This access is logged and will be reviewed."
COPI = "A national emergency period is in force"


def granted(**fields: object) -> Grant:
    return Grant(Level.SECTIONS, "test", **fields)  # type: ignore[arg-type]


DECLARED = (NOW, NOW + timedelta(hours=24))


@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        (None, []),
        (granted(relationship=RelationshipKind.REGISTERED_GP), []),
        (granted(override=OverrideKind.EMERGENCY), [f"{OVERRIDE} {LOGGED}"]),
        (
            granted(override=OverrideKind.SAFEGUARDING),
            [f"You are viewing this record under a safeguarding override. {LOGGED}"],
        ),
        (
            granted(relationship=RelationshipKind.SELF_DECLARED, declared=DECLARED),
            [
                "You declared a relationship with this person at 14:05 today; "
                f"it lapses at 14:05 tomorrow. {LOGGED}"
            ],
        ),
        (
            granted(copi=True, relationship=RelationshipKind.REGISTERED_GP),
            [f"{COPI}: objections to sharing do not apply to direct care."],
        ),
        (
            granted(copi=True, objection=True, override=OverrideKind.COPI),
            [
                f"{COPI}: this person's objection to sharing does not apply to direct care "
                "while it lasts."
            ],
        ),
        (
            granted(override=OverrideKind.EMERGENCY, declared=DECLARED, copi=True),
            [
                f"{OVERRIDE} {LOGGED}",
                f"{COPI}: objections to sharing do not apply to direct care.",
            ],
        ),
    ],
    ids=[
        "no-grant",
        "evidence",
        "emergency",
        "safeguarding",
        "declared",
        "copi",
        "copi-objection",
        "override-and-copi",
    ],
)
def test_the_notices_for_each_kind_of_grant(grant: Grant | None, expected: list[str]) -> None:
    assert access_notices(grant, NOW) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (NOW, "at 14:05 today"),
        (NOW + timedelta(days=1), "at 14:05 tomorrow"),
        (NOW - timedelta(days=1), "at 14:05 yesterday"),
        (NOW + timedelta(days=2), "on 03-Oct-2026 at 14:05"),
        (datetime(2026, 10, 1, 23, 30, tzinfo=UTC), "at 00:30 tomorrow"),  # UK days, not UTC's
    ],
)
def test_times_are_said_as_a_clinician_would(moment: datetime, expected: str) -> None:
    assert when(moment, NOW) == expected


# On the pages


@pytest.fixture
def app(store: Store, tmp_path: Path) -> FastAPI:
    seed(store, tmp_path)
    add_staff(store, GP, "F83004", "clinician", NOW - timedelta(days=30), NOW)
    add_staff(store, WARD, "RAL01", "clinician", NOW - timedelta(days=30), NOW)
    # A national-emergency period declared mid-test takes effect on the next request.
    app = create_app(
        Settings(db="unused://", allowed_hosts="testserver", access_cache_seconds=0), store
    )
    app.state.web_clock = lambda: NOW
    return app


@pytest.fixture
def ward(app: FastAPI, store: Store) -> Iterator[StaffClient]:
    with StaffClient(app, store, WARD, NOW) as client:
        yield client


def record_of(client: StaffClient, nhs_number: str) -> str:
    found = client.post("/find", data={"nhs_no": nhs_number}, follow_redirects=False)
    return str(found.headers["location"])


def notice(html: str) -> str:
    """The notice's words as a reader hears them (empty when there is none)."""
    found = re.search(r'data-testid="access-notice">(.*?)</div>', html, re.S)
    if found is None:
        return ""
    text = re.sub(r"<[^>]+>", " ", found.group(1)).replace("&#39;", "'")
    return " ".join(text.split())


RECORD_PAGES = ["", "/allergies", "/problems", "/timeline"]


def test_a_record_shown_on_its_own_evidence_carries_no_notice(app: FastAPI, store: Store) -> None:
    with StaffClient(app, store, GP, NOW) as gp:
        record = record_of(gp, JANE)
        for page in RECORD_PAGES:
            response = gp.get(record + page)
            assert response.status_code == 200, page
            assert notice(response.text) == "", page


def test_every_page_read_under_a_declared_relationship_says_when_it_lapses(
    ward: StaffClient,
) -> None:
    record = record_of(ward, JANE)
    assert 'data-reason="no-relationship"' in ward.get(record).text
    form = {"reason": "unplanned-care", "detail": "seeing her in the emergency department"}
    assert ward.post(f"{record}/declare", data=form).status_code == 200

    for page in RECORD_PAGES:
        assert notice(ward.get(record + page).text) == (
            "Information: You declared a relationship with this person at 14:05 today; "
            f"it lapses at 14:05 tomorrow. {LOGGED}"
        ), page


def test_every_page_read_under_an_override_says_so(ward: StaffClient, store: Store) -> None:
    token, ward.csrf = session_for(store, WARD, NOW, stepped_up=True)
    ward.cookies.set("carerecord_session", token)
    record = record_of(ward, JANE)
    form = {"kind": "emergency", "detail": "collapsed in the waiting room"}
    assert ward.post(f"{record}/override", data=form).status_code == 200

    for page in RECORD_PAGES:
        assert notice(ward.get(record + page).text) == f"Information: {OVERRIDE} {LOGGED}", page


def test_a_national_emergency_is_noted_and_sets_an_objection_aside(
    app: FastAPI, store: Store
) -> None:
    jane = store.patient_id_for_nhs_number(JANE)
    assert jane is not None
    event = AuditRecord("privacy-officer", "test", "success", {}, jane)
    store.consent.add_objection(NewObjection(jane, "privacy-officer", "written"), NOW, event)
    with StaffClient(app, store, GP, NOW) as gp:
        record = record_of(gp, JANE)
        assert 'data-reason="objection"' in gp.get(record).text
        store.consent.declare_copi(
            NOW - timedelta(days=1), NOW + timedelta(days=30), "pandemic", "dsc", NOW, event
        )

        objected = notice(gp.get(record).text)
        other = notice(gp.get(record_of(gp, PREFERRED)).text)

    assert objected == (
        f"Information: {COPI}: this person's objection to sharing does not apply to direct "
        "care while it lasts."
    )
    assert other == f"Information: {COPI}: objections to sharing do not apply to direct care."


def test_a_national_emergency_is_noted_on_pages_outside_a_record_too(
    app: FastAPI, store: Store
) -> None:
    event = AuditRecord("dsc", "test", "success", {})
    with StaffClient(app, store, GP, NOW) as gp:
        assert 'data-testid="access-notice"' not in gp.get("/").text
        store.consent.declare_copi(
            NOW - timedelta(days=1), NOW + timedelta(days=30), "pandemic", "dsc", NOW, event
        )
        search = gp.get("/").text

    assert (
        notice(search) == f"Information: {COPI}: objections to sharing do not apply to direct care."
    )
