"""Page tests: the real app over a seeded database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of this folder's `client` start from a database seeded once (by seed_pages) and
    copied, not seeded again for each of them."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.get("client") if info is not None else None
        if defs and getattr(defs[-1].func, "__module__", None) == __name__:
            item.add_marker(pytest.mark.seeded("pages", seed_pages))


@pytest.fixture
def client(store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    if request.node.get_closest_marker("seeded") is None:
        seed_pages(store, tmp_path)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = lambda: NOW
    with StaffClient(app, store, GP_CLINICIAN, NOW) as test_client:
        yield test_client


def patient_url(client: TestClient, nhs_number: str) -> str:
    """The opaque record address, found the way a user finds it: through the search form."""
    response = client.post("/find", data={"nhs_no": nhs_number}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])
