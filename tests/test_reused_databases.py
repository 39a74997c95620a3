"""The PostgreSQL databases tests reuse are handed out as the template left them: rows,
sequences and the planner's statistics (a test that ran ANALYZE must not change the plans the
next test gets). tests/support/reused_postgres.py."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import TEMPLATE_DB
from tests.support.reused_postgres import ReusedDatabases

STATISTICS = (
    "SELECT count(*) FROM pg_statistic WHERE starelid = 'resources'::regclass",
    "SELECT reltuples FROM pg_class WHERE oid = 'resources'::regclass",
)


def planner_view(url: str) -> tuple[int, float]:
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"), poolclass=NullPool
    )
    try:
        with engine.connect() as conn:
            stats, tuples = (conn.execute(text(q)).scalar_one() for q in STATISTICS)
            return int(stats), float(tuples)
    finally:
        engine.dispose()


def test_a_reused_database_forgets_the_statistics_a_test_gathered(postgres_server: str) -> None:
    databases = ReusedDatabases(postgres_server, f"reuse_check_{os.getpid()}")
    try:
        url = databases.url_for(TEMPLATE_DB)
        before = planner_view(url)
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:  # what a test that loads and analyses leaves behind
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no FK checks
            conn.execute(
                text(
                    "INSERT INTO resources (source_ods, resource_type, source_id, section,"
                    " version, received_at, codes, body, content_hash)"
                    " SELECT 'X', 'Observation', 'o' || n, 'results', 1, now(), '[]', '{}', 'h'"
                    " FROM generate_series(1, 500) AS n"
                )
            )
            conn.execute(text("ANALYZE resources"))
        engine.dispose()
        assert planner_view(url) != before
        assert databases.url_for(TEMPLATE_DB) == url  # the same database, put back
        assert planner_view(url) == before
    finally:
        databases.close()
        for name in databases.held:
            databases._drop(databases._name(name))
