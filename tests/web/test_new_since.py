"""New since your last view: items that arrived after a user last opened a person's record
are tagged "New" on the summary and on section pages, and counted at the top of the summary.
Through HTTP, on SQLite and PostgreSQL.

The store stamps what it receives with the real clock, so the pages get a clock of their own,
set to the real time after each delivery: earlier deliveries are then before each view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from carerecord.app import create_app
from carerecord.audit.entry import AuditRecord
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.web.formatting import day_time
from tests.factories import (
    make_allergy,
    make_condition,
    make_org,
    make_patient,
    register,
    write_ndjson,
)
from tests.support.staff import StaffClient, add_staff
from tests.web.browser import ARTIFACTS, BROWSER_USER, browsing, violations
from tests.web.test_pages import text_of

DOCTOR, NURSE = "gp-doctor", "gp-nurse"  # both at Jane's registered practice
FIRST_TIME = "First time you have opened this record"
ASTHMA = {
    "coding": [{"system": "http://snomed.info/sct", "code": "195967001", "display": "Asthma"}]
}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def catch_up(self) -> datetime:
        """The real time: after everything received so far."""
        self.now = datetime.now(UTC)
        return self.now


@dataclass
class Pages:
    store: Store
    app: FastAPI
    clock: Clock
    folder: Path
    patient_id: str = ""
    deliveries: int = 0

    def session(self, username: str) -> StaffClient:
        """A new session (as after signing in again) at the pages' clock."""
        return StaffClient(self.app, self.store, username, self.clock.now)

    def deliver(self, *resources: dict[str, Any]) -> None:
        self.deliveries += 1
        path = write_ndjson(self.folder / f"gp-{self.deliveries}.ndjson", *resources)
        ingest_paths(self.store, [path], source="F83004")


@pytest.fixture
def pages(store: Store, tmp_path: Path) -> Iterator[Pages]:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    clock = Clock()
    for username in (DOCTOR, NURSE):
        add_staff(store, username, "F83004", "clinician", clock.now - timedelta(days=30), clock.now)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = clock
    held = Pages(store, app, clock, tmp_path)
    held.deliver(
        make_patient("p1"),
        make_allergy("p1", resource_id="a-penicillin"),
        make_condition("p1", resource_id="c-diabetes"),
    )
    held.patient_id = store.patient_id_for_nhs_number("9434765919") or ""
    clock.catch_up()
    yield held


def new_rows(html: str) -> list[str]:
    """The text of each row tagged New, as a reader meets it."""
    rows = re.findall(r"<(tr|li)[^>]*>((?:(?!</\1>).)*?data-testid=\"new\".*?)</\1>", html, re.S)
    return [text_of(row) for _, row in rows]


def tags(html: str) -> list[str]:
    return [
        text_of(t) for t in re.findall(r'<strong[^>]*data-testid="new".*?</strong>', html, re.S)
    ]


def notice(html: str) -> str | None:
    found = re.search(r'<p[^>]*data-testid="new-since"[^>]*>(.*?)</p>', html, re.S)
    return text_of(found.group(1)).replace(" ,", ",") if found else None  # no space after links


def test_a_first_view_marks_nothing_and_says_it_is_the_first(pages: Pages) -> None:
    doctor = pages.session(DOCTOR)

    summary = doctor.get(f"/patients/{pages.patient_id}")
    allergies = doctor.get(f"/patients/{pages.patient_id}/allergies")

    for page in (summary, allergies):
        assert page.status_code == 200, page.text
        assert tags(page.text) == []
        assert notice(page.text) == FIRST_TIME


def test_items_received_since_the_last_session_are_tagged_and_counted(pages: Pages) -> None:
    first_view = pages.clock.now
    assert pages.session(DOCTOR).get(f"/patients/{pages.patient_id}").status_code == 200
    pages.deliver(
        make_allergy("p1", resource_id="a-peanut", code="91935009", display="Allergy to peanut"),
        make_condition("p1", resource_id="c-asthma", code=ASTHMA),
    )
    pages.clock.catch_up()

    summary = pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")

    since = day_time(first_view)
    assert notice(summary.text) == (
        f"2 items new since you last viewed this record on {since}: "
        "Allergies (1), Problems and diagnoses (1)"
    )
    rows = new_rows(summary.text)
    assert len(rows) == 2
    assert any("Allergy to peanut" in row for row in rows)
    assert any("Asthma" in row for row in rows)
    assert not any("penicillin" in row or "Diabetes" in row for row in rows)
    assert tags(summary.text) == [f"New since you last viewed this record on {since}"] * 2
    assert 'class="nhsuk-tag nhsuk-tag--blue cr-new"' in summary.text
    assert '<span class="nhsuk-u-visually-hidden"> since you last viewed' in summary.text


def test_section_pages_tag_the_same_items(pages: Pages) -> None:
    first_view = pages.clock.now
    pages.session(DOCTOR).get(f"/patients/{pages.patient_id}/problems")
    pages.deliver(make_condition("p1", resource_id="c-asthma", code=ASTHMA))
    pages.clock.catch_up()
    doctor = pages.session(DOCTOR)

    problems = doctor.get(f"/patients/{pages.patient_id}/problems")
    allergies = doctor.get(f"/patients/{pages.patient_id}/allergies")

    since = day_time(first_view)
    assert notice(problems.text) == (
        f"1 item in this section new since you last viewed this record on {since}"
    )
    [row] = new_rows(problems.text)
    assert "Asthma" in row and "Diabetes" not in row
    assert (tags(allergies.text), notice(allergies.text)) == ([], None)


def test_an_updated_item_is_new_and_one_sent_again_unchanged_is_not(pages: Pages) -> None:
    pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")
    pages.deliver(
        make_allergy("p1", resource_id="a-penicillin"),  # the same content again
        make_condition(
            "p1", resource_id="c-diabetes", note=[{"text": "Reviewed"}], meta=_updated_meta()
        ),
    )
    pages.clock.catch_up()

    summary = pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")

    [row] = new_rows(summary.text)
    assert "Diabetes" in row
    assert (notice(summary.text) or "").startswith("1 item new since")


def test_reloading_within_the_same_session_keeps_the_marks(pages: Pages) -> None:
    pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")
    pages.deliver(make_condition("p1", resource_id="c-asthma", code=ASTHMA))
    pages.clock.catch_up()
    doctor = pages.session(DOCTOR)
    first = doctor.get(f"/patients/{pages.patient_id}")

    pages.clock.now += timedelta(minutes=2)
    doctor.get(f"/patients/{pages.patient_id}/problems")
    again = doctor.get(f"/patients/{pages.patient_id}")

    assert len(new_rows(first.text)) == 1
    assert new_rows(again.text) == new_rows(first.text)
    assert notice(again.text) == notice(first.text)


def test_a_session_after_that_one_finds_nothing_new(pages: Pages) -> None:
    pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")
    pages.deliver(make_condition("p1", resource_id="c-asthma", code=ASTHMA))
    pages.clock.catch_up()
    pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")
    seen = pages.clock.now
    pages.clock.now += timedelta(hours=1)

    summary = pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")

    assert tags(summary.text) == []
    assert notice(summary.text) == (
        f"Nothing new since you last viewed this record on {day_time(seen)}"
    )


def test_another_users_views_do_not_change_what_is_new_to_this_one(pages: Pages) -> None:
    first_view = pages.clock.now
    pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")
    pages.deliver(make_condition("p1", resource_id="c-asthma", code=ASTHMA))
    pages.clock.catch_up()

    nurse = pages.session(NURSE).get(f"/patients/{pages.patient_id}")
    pages.clock.now += timedelta(minutes=5)
    doctor = pages.session(DOCTOR).get(f"/patients/{pages.patient_id}")

    assert (tags(nurse.text), notice(nurse.text)) == ([], FIRST_TIME)
    [row] = new_rows(doctor.text)
    assert "Asthma" in row
    assert f"on {day_time(first_view)}" in (notice(doctor.text) or "")


# -- In a real browser at 1366 x 768 -----------------------------------------------------------


def seed_seen_then_more(store: Store, folder: Path) -> None:
    """The browser's clinician viewed Jane's record in an earlier session; since then her
    practice sent a new allergy and a new problem."""
    now = datetime.now(UTC)
    add_staff(store, BROWSER_USER, "F83004", "clinician", now - timedelta(days=30), now)
    account = store.accounts.user_by_name(BROWSER_USER)
    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert account is not None and patient_id is not None
    seen = AuditRecord(BROWSER_USER, "view-record", "success", {}, patient_id)
    store.consent.note_view(account.id, patient_id, "an earlier session", now, lambda _: seen)
    more = write_ndjson(
        folder / "more.ndjson",
        make_allergy("p1", resource_id="a-peanut", code="91935009", display="Allergy to peanut"),
        make_condition("p1", resource_id="c-asthma", code=ASTHMA),
    )
    ingest_paths(store, [more], source="F83004")


@pytest.fixture(scope="module")
def summary_with_new(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Page]:
    later = datetime.now(UTC) + timedelta(minutes=5)  # the pages' clock: after the seeding
    folder = tmp_path_factory.mktemp("new-since")
    with browsing(sqlite_template, folder, later, seed_seen_then_more) as page:
        page.goto("/")
        page.get_by_label("NHS number").fill("9434765919")
        page.get_by_role("button", name="Find record").click()
        page.wait_for_url(re.compile(r"/patients/[0-9a-f]{32}$"))
        yield page


@pytest.mark.browser
def test_the_new_tags_read_as_words_and_pass_axe(summary_with_new: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    summary_with_new.screenshot(path=str(ARTIFACTS / "summary-new-since.png"))
    new = summary_with_new.get_by_test_id("new")
    assert new.count() == 2
    expect(new.first).to_have_text(re.compile(r"^New since you last viewed this record on "))
    hidden = new.first.locator(".nhsuk-u-visually-hidden").bounding_box()
    assert hidden is not None and hidden["width"] <= 1  # the date is for screen readers only
    assert violations(summary_with_new) == []


@pytest.mark.browser
def test_a_section_page_with_new_items_passes_axe(summary_with_new: Page) -> None:
    summary_with_new.get_by_role("link", name="Problems and diagnoses (1)").click()
    summary_with_new.wait_for_url(re.compile(r"/problems$"))
    summary_with_new.screenshot(path=str(ARTIFACTS / "problems-new-since.png"))
    expect(summary_with_new.get_by_test_id("new")).to_have_count(1)
    assert violations(summary_with_new) == []


def _updated_meta() -> dict[str, str]:
    return {"lastUpdated": "2026-11-20T09:00:00+00:00", "source": "urn:ods:F83004"}
