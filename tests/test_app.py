from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store


def test_health_reports_the_database(store: Store) -> None:
    client = TestClient(create_app(Settings(db="unused://"), store))

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": store.dialect, "version": "0.1.0"}


def test_health_is_503_when_the_database_is_gone(tmp_path: Path) -> None:
    missing = Store.open(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    client = TestClient(create_app(Settings(db="unused://"), missing))

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
