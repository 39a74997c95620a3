"""Page tests: the real app over a seeded database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from tests.support.staff import StaffClient, add_staff
from tests.web.seed import seed

GP_CLINICIAN = "gp-clinician"  # the seeded people's registered practice: sees their records

# A fixed clock: Jane (born 14-Mar-1957) is 69y, and sources updated 01-Oct-2026 are 14 hr old.
NOW = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)


def seed_pages(store: Store, folder: Path) -> None:
    """What every test of the `client` fixture starts from: the seeded people and their GP."""
    seed(store, folder)
    add_staff(store, GP_CLINICIAN, "F83004", "clinician", NOW - timedelta(days=30), NOW)


Seeder = Callable[[Store, Path], object]
# (module, fixture) -> (template, seeder): a test using that fixture starts from a database
# seeded once per session and engine by the seeder, and copied; the fixture seeds nothing more.
_SEEDED: dict[tuple[str, str], tuple[str, Seeder]] = {}


def seed_once(module: str, fixture: str, template: str, seeder: Seeder) -> None:
    """Registers a fixture whose seeding is done once, in a template. A seeder for a fixture
    that uses `client` must include seed_pages."""
    _SEEDED[(module, fixture)] = (template, seeder)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test with the template of the most specific registered fixture it uses
    (any other before `client`)."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("seeded") is not None:
            continue
        found = []
        for name, defs in info.name2fixturedefs.items():
            module = getattr(defs[-1].func, "__module__", None) if defs else None
            if (module, name) in _SEEDED:
                found.append((name == "client", _SEEDED[(module, name)]))
        specific = [entry for is_client, entry in found if not is_client]
        assert len(specific) <= 1, f"{item.nodeid}: more than one seeded fixture"
        chosen = specific or [entry for _, entry in found]
        if chosen:
            item.add_marker(pytest.mark.seeded(*chosen[0]))


def seeded(request: pytest.FixtureRequest) -> bool:
    """Whether this test's database started from a seeded template."""
    return request.node.get_closest_marker("seeded") is not None


@pytest.fixture
def client(store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    if not seeded(request):
        seed_pages(store, tmp_path)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = lambda: NOW
    with StaffClient(app, store, GP_CLINICIAN, NOW) as test_client:
        yield test_client


seed_once(__name__, "client", "pages", seed_pages)


def patient_url(client: TestClient, nhs_number: str) -> str:
    """The opaque record address, found the way a user finds it: through the search form."""
    response = client.post("/find", data={"nhs_no": nhs_number}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])
