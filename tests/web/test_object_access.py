"""Object-level authorisation: every route that takes a person's or an item's id, found by
walking the app's routes (a new one without a way to fill its ids here fails the first test),
asked with ids that are not the user's to use. Nothing of anyone else's may come back.

The user is a clinician at the GP practice of persons A and B, so may open both records, and
has no relationship with person C. Each route is asked with A's items under B's address,
unknown and malformed ids, and C's address and items; the answer is the 404 page (or C's
withheld page, with who C is and nothing else) and holds no marker of A's or C's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.fhir.sections import SECTIONS
from carerecord.settings import Settings
from carerecord.store import Store
from tests.web import permission_world as world
from tests.web.permission_people import NOW, markers_in, trend_code
from tests.web.permission_world import Row

CLINICIAN = {
    "role": "clinician",
    "status": "live",
    "training": "current",
    "objection": "none",
    "override": "none",
    "restricted": "no",
}
A, B, C = range(3)  # the rows: A and B registered at the user's practice, C not

# Routes whose path parameters are not a person's or an item's id, and why.
_OBJECTIONS = "asked across people in tests/web/test_objection_pages.py (unknown, another's)"
_AUDIT = "an audit entry, the privacy officer's alone: tests/web/test_as_seen.py, "
_AUDIT += "test_audit_pages.py and the alert pages' tests"
_ADMIN = "an administrator's user, organisation or period, not anyone's record: every /admin "
_ADMIN += "page is not found to all but system administrators (tests/web/test_admin_pages.py)"
_AUDIT_EVENT = "an audit entry as FHIR, for system/AuditEvent.read and ig-officers alone "
_AUDIT_EVENT += "(a clinician is refused, 403): tests/api/test_audit_events.py"
NOT_RECORD_IDS = {
    ("GET", "/fhir/AuditEvent/{entry_id}"): _AUDIT_EVENT,
    ("PUT", "/fhir/{resource_type}/{resource_id}"): "a source's own id, written as that source",
    ("DELETE", "/fhir/{resource_type}/{resource_id}"): "a source's own id, written as that source",
    ("GET", "/patients/{patient_id}/objection"): _OBJECTIONS,
    ("POST", "/patients/{patient_id}/objection"): _OBJECTIONS,
    ("GET", "/patients/{patient_id}/objection/{objection_id}/withdraw"): _OBJECTIONS,
    ("POST", "/patients/{patient_id}/objection/{objection_id}/withdraw"): _OBJECTIONS,
    ("GET", "/admin/organisations/{ods}"): _ADMIN,
    ("GET", "/admin/users/{user_id}"): _ADMIN,
    ("POST", "/admin/emergency-periods/{period_id}/cancel"): _ADMIN,
    ("POST", "/admin/organisations/{ods}/networks"): _ADMIN,
    ("POST", "/admin/organisations/{ods}/status"): _ADMIN,
    ("GET", "/audit/events/{entry_id}/as-seen"): _AUDIT,
    ("GET", "/audit/events/{entry_id}"): _AUDIT,
    ("GET", "/audit/alerts/{rule}/{event_id}"): _AUDIT,
    ("POST", "/audit/alerts/{rule}/{event_id}"): _AUDIT,
    **{
        ("POST", f"/admin/users/{{user_id}}/{action}"): _ADMIN
        for action in ("disable", "enable", "end-sessions", "reset", "train", "unlock")
    },
}


@dataclass(frozen=True)
class People:
    rows: list[Row]
    client: TestClient
    store: Store

    def marked(self, row: int, text: str) -> set[str]:
        """The markers of one person found in a response."""
        return {m for m in markers_in(text) if m.endswith(f"-{self.rows[row].person.n:05d}")}


@pytest.fixture(scope="module")
def people(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[People]:
    store = Store.open(module_db_url)
    combinations = [
        {**CLINICIAN, "relationship": "registered-gp"},
        {**CLINICIAN, "relationship": "registered-gp"},
        {**CLINICIAN, "relationship": "none"},
    ]
    rows = world.build(store, tmp_path_factory.mktemp("objects"), combinations)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = lambda: NOW
    client = TestClient(
        app,
        base_url="https://testserver",
        client=("127.0.0.1", 50000),
        raise_server_exceptions=False,
    )
    with client:
        client.cookies.set("carerecord_session", rows[A].session_token)
        yield People(rows, client, store)
    store.close()


def routes_with_ids() -> set[tuple[str, str]]:
    """Every (method, path) of the app whose path takes a parameter."""
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), Store.open("sqlite://"))
    found = set()
    for route in iter_route_contexts(app.routes):
        if route.path and "{" in route.path and route.methods:
            found |= {(method, route.path) for method in route.methods if method != "HEAD"}
    return found


# -- What to ask each route with -------------------------------------------------------------


def fillings(people: People, path: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The addresses to ask: (who the patient is, the parameters), for every crossing of a
    person's address with ids that are not theirs, or no one's."""
    rows = people.rows
    a, b, c = rows[A], rows[B], rows[C]
    pools: dict[str, dict[str, str]] = {
        "patient_id": {"B": b.patient_id, "C": c.patient_id, "unknown": "0" * 32, "odd": "x%2F.."},
        "item_id": {
            "A's letter": str(a.letter_id),
            "A's scan": str(a.scan_id),
            "C's letter": str(c.letter_id),
            "C's scan": str(c.scan_id),
            "unknown": "999999999",
            "huge": "9" * 40,
            "negative": "-1",
            "word": "letter",
        },
        "code": {"A's": trend_code(a.person.n), "C's": trend_code(c.person.n), "unknown": "1-1"},
        "section": {
            **{s: s for s in SECTIONS if s != "demographics"},
            "A's letter": str(a.letter_id),
            "unknown": "secrets",
        },
    }
    names = re.findall(r"{(\w+)}", path)
    unknown = [name for name in names if name not in pools]
    assert not unknown, f"{path} takes {unknown[0]}: say here how to fill it"
    for values in itertools.product(*(pools[name].items() for name in names)):
        chosen = dict(zip(names, values, strict=True))
        who = chosen["patient_id"][0]
        crossing = who != "B" or any(label.startswith("A's") for label, _ in values)
        if crossing:
            yield who, {name: value for name, (_, value) in chosen.items()}


def own_address(people: People, path: str) -> str:
    """The route asked with A's own ids: the control that shows the ids are real."""
    a = people.rows[A]
    own = {
        "patient_id": a.patient_id,
        "item_id": str(a.scan_id if path.endswith("/content") else a.letter_id),
        "code": trend_code(a.person.n),
        "section": "allergies",
    }
    return path.format(**{name: own[name] for name in re.findall(r"{(\w+)}", path)})


# -- The tests -------------------------------------------------------------------------------

GET_ROUTES = {
    "/patients/{patient_id}",
    "/patients/{patient_id}/{section}",
    "/patients/{patient_id}/timeline",
    "/patients/{patient_id}/results/trend/{code}",
    "/patients/{patient_id}/documents/{item_id}",
    "/patients/{patient_id}/documents/{item_id}/content",
}
POST_ROUTES = {"/patients/{patient_id}/declare", "/patients/{patient_id}/override"}


def test_every_route_that_takes_an_id_is_asked_here() -> None:
    tested = {("GET", path) for path in GET_ROUTES} | {("POST", path) for path in POST_ROUTES}

    assert routes_with_ids() == tested | set(NOT_RECORD_IDS)


@pytest.mark.parametrize("path", sorted(GET_ROUTES))
def test_a_route_asked_with_ids_not_the_users_gives_nothing_of_anyone_elses(
    people: People, path: str
) -> None:
    own = people.client.get(own_address(people, path))
    assert own.status_code == 200 and people.marked(A, own.text), "the control found nothing"

    asked = 0
    for who, params in fillings(people, path):
        page = people.client.get(path.format(**params))
        asked += 1
        where = f"{path} with {params}"
        assert people.marked(A, page.text) == set(), where
        assert people.marked(C, page.text) == set(), where
        if who == "C" and page.status_code == 200:
            assert 'data-role="withheld"' in page.text, where
            assert people.rows[C].person.family in page.text, where
        else:
            assert page.status_code == 404, where
            assert people.rows[C].person.family not in page.text, where
    assert asked > 0


@pytest.mark.parametrize("path", sorted(POST_ROUTES))
def test_a_form_posted_to_an_id_not_the_users_changes_nothing(people: People, path: str) -> None:
    before = _declarations(people.store)
    for who, params in fillings(people, path):
        if who == "B":
            continue  # the user may open B's record: declaring for B is no crossing
        # Empty forms: refused before anything is written, whoever the person.
        page = people.client.post(
            path.format(**params), data={"csrf_token": _csrf(people)}, follow_redirects=False
        )
        where = f"{path} with {params}"
        assert people.marked(A, page.text) == set(), where
        assert people.marked(C, page.text) == set(), where
        if who == "C":
            assert page.status_code == 422 and 'data-role="withheld"' in page.text, where
        else:
            assert page.status_code == 404, where
        filled = {
            "reason": "unplanned-care",
            "kind": "emergency",
            "detail": "test",
            "code": "000000",
        }
        if who != "C":
            page = people.client.post(
                path.format(**params),
                data={"csrf_token": _csrf(people), **filled},
                follow_redirects=False,
            )
            assert page.status_code == 404, where
    assert _declarations(people.store) == before


def _csrf(people: People) -> str:
    page = people.client.get(f"/patients/{people.rows[C].patient_id}")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _declarations(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM access_declarations").scalar_one())
