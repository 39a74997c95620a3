"""Shared fixtures: a real database for every storage test, SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from carerecord.store import Store
from carerecord.store.migrate import upgrade
from tests.support.postgres import find_bin_dir, temporary_cluster

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEMPLATE_DB = "carerecord_template"
_database_names = itertools.count(1)


def require(condition: bool, reason: str) -> None:
    """Skip loudly outside CI; under CI a missing prerequisite is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    bin_dir = find_bin_dir()
    require(bin_dir is not None, "PostgreSQL server binaries (Debian package postgresql) missing")
    assert bin_dir is not None
    with temporary_cluster(bin_dir) as url:
        engine = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
        engine.dispose()
        template = Store.open(url.rsplit("/", 1)[0] + "/" + TEMPLATE_DB)
        upgrade(template.engine)
        template.close()
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store.open(f"sqlite:///{path}")
    upgrade(store.engine)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def _fresh_postgres(server_url: str) -> Iterator[str]:
    name = f"test_{os.getpid()}_{next(_database_names)}"
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database: every storage test runs once on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "carerecord.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_postgres(request.getfixturevalue("postgres_server"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated, empty database shared by one module's tests, on each engine: for
    modules that seed once and then only read (each test asks about its own people)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "carerecord.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_postgres(request.getfixturevalue("postgres_server"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store.open(db_url)
    yield store
    store.close()
