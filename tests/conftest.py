"""Shared fixtures: a real database for every storage test, SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from carerecord.store import Store
from carerecord.store.migrate import upgrade
from tests.support.postgres import find_bin_dir, temporary_cluster
from tests.support.reused_postgres import ReusedDatabases

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


def _admin(server_url: str) -> Any:
    return create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )


def _fresh_postgres(server_url: str, template: str = TEMPLATE_DB) -> Iterator[str]:
    name = f"test_{os.getpid()}_{next(_database_names)}"
    admin = _admin(server_url)
    with admin.connect() as conn:
        # A plain file copy is quicker than WAL_LOG (15's default) for a database this small.
        newer = int(conn.execute(text("SHOW server_version_num")).scalar_one()) >= 150000
        strategy = " STRATEGY FILE_COPY" if newer else ""
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}{strategy}"))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


Seeder = Callable[[Store, Path], object]


class SeededTemplates:
    """Databases seeded once per session and engine, copied for each test that asks: the
    test still gets a database of its own to change, without paying for the seeding again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[tuple[str, str], str] = {}  # (engine, name) -> template file or db

    def sqlite_copy(self, name: str, seeder: Seeder, empty: Path, target: Path) -> str:
        key = ("sqlite", name)
        if key not in self.made:
            path = self.folder / f"{name}.db"
            shutil.copy(empty, path)
            self._seed(f"sqlite:///{path}", seeder, name)
            self.made[key] = str(path)
        shutil.copy(self.made[key], target)
        return f"sqlite:///{target}"

    def postgres_template(self, server_url: str, name: str, seeder: Seeder) -> str:
        key = ("postgresql", name)
        if key not in self.made:
            database = "seeded_" + re.sub(r"\W", "_", name)
            admin = _admin(server_url)
            try:
                with admin.connect() as conn:
                    conn.execute(text(f"CREATE DATABASE {database} TEMPLATE {TEMPLATE_DB}"))
            finally:
                admin.dispose()
            self._seed(server_url.rsplit("/", 1)[0] + "/" + database, seeder, name)
            self.made[key] = database
        return self.made[key]

    def _seed(self, url: str, seeder: Seeder, name: str) -> None:
        files = self.folder / f"{name}-{url.split(':', 1)[0]}-files"
        files.mkdir()
        store = Store.open(url)
        try:
            seeder(store, files)
            if store.dialect == "sqlite":
                with store.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.close()  # a template must have no one connected


@pytest.fixture(scope="session")
def seeded_templates(tmp_path_factory: pytest.TempPathFactory) -> SeededTemplates:
    return SeededTemplates(tmp_path_factory.mktemp("seeded"))


@pytest.fixture(scope="session")
def reused_databases(postgres_server: str) -> Iterator[ReusedDatabases]:
    databases = ReusedDatabases(postgres_server, f"reused_{os.getpid()}")
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database: every storage test runs once on each engine. A test
    marked `seeded(name, seeder)` gets one already holding what `seeder` writes, seeded once
    per session and copied (SQLite) or put back to those rows (PostgreSQL)."""
    marker = request.node.get_closest_marker("seeded")
    if request.param == "sqlite":
        empty = request.getfixturevalue("sqlite_template")
        path = tmp_path / "carerecord.db"
        if marker is None:
            shutil.copy(empty, path)
            yield f"sqlite:///{path}"
        else:
            templates = request.getfixturevalue("seeded_templates")
            yield templates.sqlite_copy(*marker.args, empty, path)
        return
    # PostgreSQL: this process's database for the template, put back to the template's rows
    # (tests/support/reused_postgres.py) instead of a fresh copy, which costs ten times more.
    template = TEMPLATE_DB
    if marker is not None:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("seeded_templates").postgres_template(
            server, *marker.args
        )
    yield request.getfixturevalue("reused_databases").url_for(template)


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
