from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store


def test_health_reports_the_database(store: Store) -> None:
    client = TestClient(create_app(Settings(db="unused://", allowed_hosts="testserver"), store))

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": store.dialect, "version": "0.1.0"}


def test_health_is_503_when_the_database_is_gone(tmp_path: Path) -> None:
    missing = Store.open(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    client = TestClient(create_app(Settings(db="unused://", allowed_hosts="testserver"), missing))

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_a_request_for_another_host_is_refused(store: Store) -> None:
    client = TestClient(create_app(Settings(db="unused://"), store))  # answers 127.0.0.1 only

    page = client.get("/health", headers={"Host": "attacker.example"})
    fhir = client.get("/fhir/metadata", headers={"Host": "attacker.example"})
    local = client.get("/health", headers={"Host": "localhost:8000"})

    assert (page.status_code, page.headers["content-type"][:10]) == (400, "text/plain")
    assert (fhir.status_code, fhir.json()["resourceType"]) == (400, "OperationOutcome")
    assert local.status_code == 200
