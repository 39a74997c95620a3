"""A restricted person's address, telephone numbers, email and registered GP practice (name and
ODS code) never appear: not on any page, for any role and relationship that may see them
(or only who they are), nor in any log line, nor in the audit log.

Every page is fetched: the summary, each section, the timeline, each document and the PDF's
bytes, a result's trend, search by NHS number, search by details with and without a postcode,
and the withheld page, with the declaration and override forms sent through the pages.
Log records are captured at DEBUG from every logger but SQLAlchemy's own statement echo
(off unless an operator turns it on, and by nature a copy of every row read).

SQLite only: what is checked here is shaped above the store (the gate's masking, the pages),
and the store's reads behind these pages run on both engines in test_permission_pages.py.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from carerecord.access.actors import SYSTEM
from carerecord.access.gate import RecordAccess
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import Role
from carerecord.app import create_app
from carerecord.fhir.sections import SECTIONS
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.records import Organisation
from tests.support.staff import add_staff, session_for
from tests.web import restricted_person as person
from tests.web.restricted_person import HIDDEN, NOW, RELATIONSHIPS, URGENT_CARE

RULES = load_rules()
RECORD_ROLES = [r for r in Role if RULES.for_role(r).records]


@dataclass(frozen=True)
class Scenario:
    role: Role
    how: str  # a relationship the record shows, "declared", an override kind, or "withheld"
    org: Organisation

    @property
    def username(self) -> str:
        return f"{self.role}-{self.how}"


SCENARIOS = [
    *(Scenario(role, how, org) for role in RECORD_ROLES for how, org in RELATIONSHIPS.items()),
    *(Scenario(role, "declared", URGENT_CARE) for role in RECORD_ROLES),
    *(
        Scenario(role, kind.value, URGENT_CARE)
        for role in RECORD_ROLES
        for kind in sorted(RULES.for_role(role).overrides)
    ),
    *(Scenario(role, "withheld", URGENT_CARE) for role in RECORD_ROLES),
]


@dataclass(frozen=True)
class Seeded:
    store: Store
    client: TestClient
    patient_id: str
    documents: list[int]


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("restricted")
    shutil.copy(sqlite_template, folder / "carerecord.db")
    store = Store.open(f"sqlite:///{folder / 'carerecord.db'}")
    person.seed(store, folder)
    patient_id = store.patient_id_for_nhs_number(person.NHS_NUMBER)
    assert patient_id is not None
    system = RecordAccess(store, SYSTEM, RULES, NOW)
    documents = [i.id for i in system.view(patient_id, ["documents"]).sections["documents"].items]
    for scenario in SCENARIOS:
        trained = NOW - timedelta(days=30)
        add_staff(store, scenario.username, scenario.org.ods_code, scenario.role, trained, NOW)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = lambda: NOW
    client = TestClient(
        app,
        base_url="https://testserver",
        client=("127.0.0.1", 50000),
        raise_server_exceptions=False,
    )
    with client:
        yield Seeded(store, client, patient_id, documents)
    store.close()


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if not name.startswith("sqlalchemy"):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.username for s in SCENARIOS])
def test_nothing_says_where_they_live_how_to_reach_them_or_who_their_gp_is(
    seeded: Seeded, scenario: Scenario, every_log_line: pytest.LogCaptureFixture
) -> None:
    before = _audit_ids(seeded.store)
    client = seeded.client
    token, csrf = session_for(seeded.store, scenario.username, NOW, stepped_up=True)
    client.cookies.set("carerecord_session", token)

    pages = [*_open_the_record(client, seeded, scenario, csrf), *_every_page(client, seeded)]
    pages += _searches(client, csrf)

    leaks = [leak for url, page in pages for leak in _leaks(url, page, scenario)]
    logged = "\n".join(_log_text(r) for r in every_log_line.records)
    leaks += [f"logged {h!r}" for h in HIDDEN if h in logged]
    for entry in _audit_since(seeded.store, before):
        leaks += [f"audit log: {h!r} in {entry}" for h in HIDDEN if h in entry]
    assert leaks == [], "\n".join(leaks)
    # The pages were the ones meant: the record opened (or was withheld) as the role may.
    record = [p for url, p in pages if url.startswith("/patients/") and "/content" not in url]
    opened = [
        page
        for page in record
        if page.status_code == 200 and 'data-role="withheld"' not in page.text
    ]
    assert all(person.FAMILY in page.text for page in record if page.status_code == 200)
    assert bool(opened) is (scenario.how != "withheld")


def _open_the_record(
    client: TestClient, seeded: Seeded, scenario: Scenario, csrf: str
) -> list[tuple[str, httpx.Response]]:
    """The record's first page; for a user without a relationship, the withheld page and then
    the form that opens the record."""
    record = f"/patients/{seeded.patient_id}"
    pages = [(record, client.get(record))]
    if scenario.how == "declared":
        form = {"reason": "unplanned-care", "detail": "urgent visit", "csrf_token": csrf}
        pages.append((f"{record}/declare", client.post(f"{record}/declare", data=form)))
    elif scenario.how in ("emergency", "safeguarding"):
        form = {"kind": scenario.how, "detail": "at risk now", "csrf_token": csrf}
        pages.append((f"{record}/override", client.post(f"{record}/override", data=form)))
    return pages


def _every_page(client: TestClient, seeded: Seeded) -> list[tuple[str, httpx.Response]]:
    record = f"/patients/{seeded.patient_id}"
    urls = [
        record,
        *(f"{record}/{s}" for s in SECTIONS if s != "demographics"),
        f"{record}/timeline",
        f"{record}/results/trend/2345-7",
        *(f"{record}/documents/{d}" for d in seeded.documents),
        *(f"{record}/documents/{d}/content" for d in seeded.documents),
    ]
    return [(url, client.get(url)) for url in urls]


def _searches(client: TestClient, csrf: str) -> list[tuple[str, httpx.Response]]:
    year, month, day = person.BORN.split("-")
    details = {"family": person.FAMILY, "dob[day]": day, "dob[month]": month, "dob[year]": year}
    asked = [
        ("/find", {"nhs_no": person.NHS_NUMBER}),
        ("/find/details", details),
        ("/find/details", {**details, "postcode": "N19"}),
        ("/find/details", {**details, "postcode": person.ADDRESS[2]}),
    ]
    return [(url, client.post(url, data={**form, "csrf_token": csrf})) for url, form in asked]


def _leaks(url: str, page: httpx.Response, scenario: Scenario) -> list[str]:
    if page.status_code >= 500:
        return [f"{url}: status {page.status_code}"]
    text = page.content.decode("latin-1")
    header = _header(text)
    body = text.replace(header, "")
    typed = set(re.findall(r'name="postcode"[^>]*value="([^"]*)"', body))  # the user's own words
    found = [h for h in HIDDEN if h in body and h not in typed]
    # The header names the user's own organisation, and nothing else of these.
    found += [h for h in HIDDEN if h in header and h != scenario.org.ods_code]
    return [f"{url}: {h!r}" for h in found]


def _header(html: str) -> str:
    found = re.search(r"<header\b.*?</header>", html, re.S)
    return found.group(0) if found else ""


def _log_text(record: logging.LogRecord) -> str:
    return " ".join([record.getMessage(), str(record.exc_info or ""), str(record.stack_info or "")])


def _audit_ids(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM audit_events").scalar_one()
        )


def _audit_since(store: Store, last: int) -> list[str]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT actor, action, detail FROM audit_events WHERE id > {int(last)}"
        ).all()
    # who the user is (their own organisation among it) is theirs to be logged under
    return [f"{actor} {action} {_json(_not_user(detail))}" for actor, action, detail in rows]


def _not_user(detail: object) -> object:
    """The entry less what the user brought: who they are, and the postcode they typed into a
    search (the log must say what was asked, as the page shows it back)."""
    held = orjson.loads(detail) if isinstance(detail, str) else detail
    if not isinstance(held, dict):
        return held
    asked = {k: v for k, v in held.get("detail", {}).items() if k != "postcode"}
    return {**{k: v for k, v in held.items() if k != "user"}, "detail": asked}


def _json(detail: object) -> str:
    return detail if isinstance(detail, str) else orjson.dumps(detail).decode()
