"""The permission matrix on the rendered pages: rows of tests/access/matrix.toml set up for real
in the database (see permission_world.py), each checked on every page of the person's record.

The rows are a pairwise covering array over every factor, joined by one over the users who
pass every gate (so that relationships, objections, overrides and restriction meet each other
with the record open, not only behind a refusal), and by an example of any rule of the matrix
those leave out. Rows past the gates run on SQLite and PostgreSQL, rows the gates stop on
SQLite only (see GATED). CARERECORD_FULL_MATRIX=1 also checks every combination of the full
product on the pages, on a database of its own; that takes hours, not seconds.

What each outcome must look like, on every page:
- not found, with a gate: the refusal page (403) saying why, and nothing about the person;
- not found: the 404 page, and nothing about the person;
- banner only: the withheld page with the banner's identity and the ways on the matrix
  offers, and no organisation, no contact details and no clinical text of the person;
- sections: exactly the role's sections; every page free of the other sections' markers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from carerecord.access.rules import AccessRules, load_rules
from carerecord.access.vocabulary import Role
from carerecord.app import create_app
from carerecord.fhir.sections import SECTIONS
from carerecord.settings import Settings
from carerecord.store import Store
from tests.access import matrix
from tests.access.matrix import BANNER, NOT_FOUND, Expected
from tests.access.matrix import SECTIONS as OPEN
from tests.access.pairwise import covering_array
from tests.web import permission_world as world
from tests.web.permission_people import HOSPITAL, NOW, PRACTICE, markers_in
from tests.web.permission_world import COPI_NOW, Row

MATRIX = matrix.load()
RULES = load_rules()
RECORD_SECTIONS = [s for s in SECTIONS if s != "demographics"]
FULL = os.environ.get("CARERECORD_FULL_MATRIX") == "1"


def open_space() -> dict[str, tuple[str, ...]]:
    """The factors among users who pass every gate."""
    records = tuple(r.value for r in Role if RULES.for_role(r).records)
    return {
        **MATRIX.factors,
        "role": records,
        "status": ("live", "pilot"),
        "training": ("current",),
    }


def covering_rows() -> list[dict[str, str]]:
    """Pairwise over every factor, then over the users who pass the gates, then the first
    combination of any rule of the matrix neither reaches."""
    rows = covering_array(MATRIX.factors)
    rows += [r for r in covering_array(open_space()) if r not in rows]
    reached = {MATRIX.expected(r).rule for r in rows}
    for combination, expected in MATRIX.expand():
        if expected.rule not in reached:
            rows.append(combination)
            reached.add(expected.rule)
    return rows


ROWS = covering_rows()
# Rows the gates stop (training, rollout, a role that opens no records) are decided before
# anything about the person is read from the database: SQLite alone checks their pages. The
# rest read the person's evidence, declarations, objections and COPI periods: both engines.
GATED = [r for r in ROWS if MATRIX.expected(r).outcome == NOT_FOUND]
PAST_THE_GATES = [r for r in ROWS if r not in GATED]


def row_id(combination: Mapping[str, str]) -> str:
    return "-".join(combination.values())


@dataclass(frozen=True)
class Seeded:
    rows: dict[str, Row]  # by row_id
    clients: Mapping[datetime, TestClient]  # by the time the row's user asks at


@pytest.fixture(scope="module")
def seeded(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    store = Store.open(module_db_url)
    wanted = ROWS if module_db_url.startswith("sqlite") else PAST_THE_GATES
    rows = world.build(store, tmp_path_factory.mktemp("matrix"), wanted)
    with clients_for(store) as clients:
        yield Seeded({row_id(row.combination): row for row in rows}, clients)
    store.close()


@contextmanager
def clients_for(store: Store) -> Iterator[dict[datetime, TestClient]]:
    """A client for each clock: ordinary time, and within the national-emergency period."""
    with ExitStack() as stack:
        clients = {}
        for now in (NOW, COPI_NOW):
            app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
            app.state.web_clock = lambda now=now: now
            client = TestClient(
                app,
                base_url="https://testserver",
                client=("127.0.0.1", 50000),
                raise_server_exceptions=False,
            )
            clients[now] = stack.enter_context(client)
        yield clients


@pytest.mark.parametrize("combination", PAST_THE_GATES, ids=row_id)
def test_each_row_past_the_gates_shows_exactly_what_the_matrix_states(
    seeded: Seeded, combination: dict[str, str]
) -> None:
    _check(seeded, combination)


@pytest.mark.parametrize("module_db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("combination", GATED, ids=row_id)
def test_each_row_stopped_at_the_gates_shows_nothing_of_the_person(
    seeded: Seeded, combination: dict[str, str]
) -> None:
    _check(seeded, combination)


def _check(seeded: Seeded, combination: dict[str, str]) -> None:
    row = seeded.rows[row_id(combination)]
    problems = check_row(seeded.clients[row.now], row, RULES)

    assert problems == [], f"{combination}: {MATRIX.expected(combination)}"


def test_the_covering_array_reaches_every_rule_of_the_matrix() -> None:
    rules = {MATRIX.expected(c).rule for c in ROWS}

    assert rules == {rule.number for rule in MATRIX.rules}
    assert len(ROWS) < 100  # pairwise: a page test of seconds, not of the full product


@pytest.mark.skipif(not FULL, reason="the full product on the pages: set CARERECORD_FULL_MATRIX=1")
def test_every_combination_of_the_full_product_on_the_pages(store: Store, tmp_path: Path) -> None:
    rows = world.build(store, tmp_path, list(MATRIX.combinations()))
    wrong = []
    with clients_for(store) as clients:
        for row in rows:
            problems = check_row(clients[row.now], row, RULES)
            if problems:
                wrong.append(f"{dict(row.combination)}: {problems[:3]}")

    assert wrong == [], f"{len(wrong)} of {len(rows)} rows differ, the first: {wrong[0]}"


# -- Checking one row ------------------------------------------------------------------------


def check_row(client: TestClient, row: Row, rules: AccessRules) -> list[str]:
    """Every page of the row's person, as the row's user: what differs from the matrix."""
    client.cookies.set("carerecord_session", row.session_token)
    expected = MATRIX.expected(row.combination)
    role = rules.for_role(Role(row.combination["role"]))
    shown = world.visible_markers(row, rules, expected.outcome == OPEN)
    base = f"/patients/{row.patient_id}"
    problems: list[str] = []
    for name, url, allowed in [
        ("summary", base, True),
        *((section, f"{base}/{section}", section in role.sections) for section in RECORD_SECTIONS),
        ("timeline", f"{base}/timeline", True),
        ("document", f"{base}/documents/{row.letter_id}", "documents" in role.sections),
    ]:
        page = client.get(url)
        problems += [f"{name}: {p}" for p in check_page(row, expected, name, page, allowed, shown)]
    return problems


def check_page(
    row: Row, expected: Expected, name: str, page: httpx.Response, allowed: bool, shown: set[str]
) -> list[str]:
    status, text = page.status_code, page.text
    problems = [f"shows {m}" for m in sorted(markers_in(text) - shown)]
    main = _main(text)
    if row.restricted:
        problems += [f"shows {v!r}" for v in _contact(row) if v in text]
    if expected.outcome == NOT_FOUND:
        want = 403 if expected.gate else 404
        problems += _status(status, want)
        problems += [f"names the person ({v})" for v in _identity(row) if v in text]
        if expected.gate and _refusal(row) not in _words(main):
            problems.append(f"does not say {_refusal(row)!r}")
        return problems
    if expected.outcome == BANNER:
        problems += _status(status, 404 if name == "document" else 200)
        return problems + ([] if name == "document" else _withheld(row, expected, main))
    problems += _status(status, 200 if allowed else 404)
    if status == 200:
        problems += _open_page(row, name, main, shown)
    return problems


def _withheld(row: Row, expected: Expected, main: str) -> list[str]:
    problems = []
    if 'data-role="withheld"' not in main or row.person.family not in main:
        problems.append("is not the withheld page with the person's banner")
    for org in (HOSPITAL, PRACTICE, row.org):
        problems += [f"names {v!r}" for v in (org.name, org.ods_code) if v in main]
    problems += [f"shows {v!r}" for v in _contact(row) if v in main]
    declare = f'action="/patients/{row.patient_id}/declare"' in main
    if declare is not expected.may_declare:
        problems.append(f"offers to declare a relationship: {declare}")
    offered = set(re.findall(r'name="kind"[^>]*value="([a-z-]+)"', main))
    offered |= set(re.findall(r'value="([a-z-]+)"[^>]*name="kind"', main))
    if offered != set(expected.overrides_offered):
        problems.append(f"offers overrides {sorted(offered)}")
    return problems


def _open_page(row: Row, name: str, main: str, shown: set[str]) -> list[str]:
    """A page of an open record: its own section's markers are there, and the banner shows
    contact details only for a person whose record is not restricted."""
    problems = []
    inside = {row.person.marker("letter"), row.person.marker("pdf")}  # on their own pages only
    own = {m.text for m in row.person.markers if m.section == name and m.text in shown} - inside
    if name == "document":
        own = {row.person.marker("letter")}
    if name == "timeline":
        own = shown - inside
    problems += [f"lacks {m}" for m in sorted(own - markers_in(main))]
    practice = row.practice()
    if row.restricted:
        if "Restricted record" not in main:
            problems.append("does not say the record is restricted")
        problems += [f"names {v!r}" for v in (practice.name, practice.ods_code) if v in main]
    elif name == "summary" and row.person.address not in main:
        problems.append("lacks the address of a person who is not restricted")
    return problems


def _refusal(row: Row) -> str:
    """Why the gates stop the row's user, as the refusal page says it."""
    if row.combination["status"] == "onboarding":
        return "Your organisation is onboarding, not yet live in the rollout."
    if row.combination["training"] == "none":
        return "No access-rules training is recorded for you."
    return "Your access-rules training has expired."


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _status(status: int, want: int) -> list[str]:
    return [] if status == want else [f"status {status}, not {want}"]


def _main(html: str) -> str:
    found = re.search(r"<main\b.*</main>", html, re.S)
    return found.group(0) if found else ""


def _identity(row: Row) -> tuple[str, ...]:
    spaced = f"{row.person.nhs_number[:3]} {row.person.nhs_number[3:6]} {row.person.nhs_number[6:]}"
    return (row.person.family, row.person.nhs_number, spaced, *_contact(row))


def _contact(row: Row) -> tuple[str, ...]:
    return (row.person.address, row.person.telephone)
