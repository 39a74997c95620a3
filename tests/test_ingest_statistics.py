"""After `carerecord ingest` has stored anything, the database's planner statistics are fresh:
record pages read right after a bulk load are planned for the data that is there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from carerecord.cli import EXIT_OK, EXIT_QUARANTINED, main
from carerecord.store import Store
from tests.factories import make_allergy, make_org, make_patient, register, write_ndjson


def analysed(store: Store) -> bool:
    """Whether the resources table has statistics from an ANALYZE."""
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            found = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).first()
            if found is None:
                return False
            query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'resources'"
            return bool(conn.execute(text(query)).scalar_one())
        last = conn.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'resources'")
        ).scalar_one()
        return last is not None


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write_ndjson(tmp_path / "clean.ndjson", make_patient(), make_allergy())


def test_an_ingest_that_stores_refreshes_the_statistics(
    db_url: str, clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARERECORD_DB", db_url)
    store = Store.open(db_url)
    try:
        register(store, make_org("F83004", "gp"))
        assert not analysed(store)

        assert main(["ingest", str(clean)]) == EXIT_OK

        assert analysed(store)
    finally:
        store.close()


def test_an_ingest_that_changes_nothing_leaves_them_alone(
    db_url: str, clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARERECORD_DB", db_url)
    store = Store.open(db_url)
    try:
        register(store, make_org("F83004", "gp"))
        orphan = write_ndjson(clean.parent / "orphan.ndjson", make_allergy(patient="nobody"))
        assert main(["ingest", str(orphan)]) == EXIT_QUARANTINED  # stores nothing
        assert not analysed(store)
    finally:
        store.close()
