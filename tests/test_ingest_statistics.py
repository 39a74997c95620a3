"""After `carerecord ingest` has stored anything, the database's planner statistics are fresh:
record pages read right after a bulk load are planned for the data that is there."""

from __future__ import annotations

from collections.abc import Iterator
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
            text(
                "SELECT last_analyze FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND relname = 'resources'"
            )
        ).scalar_one()
        return last is not None


@pytest.fixture
def store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The database `carerecord ingest` writes to, with the GP practice registered."""
    monkeypatch.setenv("CARERECORD_DB", db_url)
    store = Store.open(db_url)
    register(store, make_org("F83004", "gp"))
    yield store
    store.close()


def test_an_ingest_that_stores_refreshes_the_statistics(store: Store, tmp_path: Path) -> None:
    clean = write_ndjson(tmp_path / "clean.ndjson", make_patient(), make_allergy())
    assert not analysed(store)

    assert main(["ingest", str(clean)]) == EXIT_OK

    assert analysed(store)


def test_an_ingest_that_changes_nothing_leaves_them_alone(store: Store, tmp_path: Path) -> None:
    orphan = write_ndjson(tmp_path / "orphan.ndjson", make_allergy(patient="nobody"))

    assert main(["ingest", str(orphan)]) == EXIT_QUARANTINED  # stores nothing

    assert not analysed(store)
