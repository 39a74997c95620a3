"""PostgreSQL databases reused from test to test, put back to their template's rows each time.

Copying a template (CREATE DATABASE) costs 0.06-0.35 s of the server's CPU for a schema this
size, and a thousand storage tests each wanted one. Instead, each test process keeps one
database per template and, before each test, ends every session still connected to it and puts
its rows back as they were: every table emptied and refilled from a copy kept in the schema
`pristine`, every sequence set back, the planner's statistics put back as the template had
them, the statistics counters cleared. Triggers are off for that
(session_replication_role = replica), so the audit tables' append-only guards do not refuse it.

A test that changed the schema itself (a migration run down, a trigger dropped, a table added)
leaves a catalogue that no longer matches the template's fingerprint: that database is dropped
and copied again, so such a test costs what every test used to and no test starts from
anything but its template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

# Everything in the public schema a test could change other than rows: relations (with their
# number of columns), triggers and whether they fire, constraints and functions.
_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
  SELECT 'r:' || c.relname || ':' || c.relkind::text || ':' || c.relnatts AS item
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
  UNION ALL
  SELECT 't:' || c.relname || ':' || t.tgname || ':' || t.tgenabled::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
  UNION ALL
  SELECT 'k:' || con.conname || ':' || con.contype::text
    FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
    WHERE n.nspname = 'public'
  UNION ALL
  SELECT 'f:' || p.proname || ':' || md5(p.prosrc)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
  UNION ALL
  SELECT 's:' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'
) AS catalogue
"""
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _quoted(name: str) -> str:
    assert _NAME.match(name), f"unexpected name in the test database: {name!r}"
    return f'"{name}"'


@dataclass
class _Held:
    engine: Engine  # the database's own engine, one connection at a time
    fingerprint: str
    reset_sql: str  # one script: empty and refill every table, set back every sequence


class ReusedDatabases:
    """One database per template in this test process, handed out put back to its rows."""

    def __init__(self, server_url: str, prefix: str) -> None:
        self.base = server_url.rsplit("/", 1)[0]
        self.prefix = prefix
        self.admin = _engine(server_url, autocommit=True)
        self.held: dict[str, _Held] = {}

    def url_for(self, template: str) -> str:
        """The URL of this process's database for `template`, holding only the template's rows."""
        name = self._name(template)
        held = self.held.get(template)
        if held is not None:
            with held.engine.connect() as conn:
                _end_other_sessions(conn)
                conn.exec_driver_sql(held.reset_sql)
                conn.commit()
                same = conn.execute(text(_FINGERPRINT)).scalar_one() == held.fingerprint
            if same:
                return f"{self.base}/{name}"
            held.engine.dispose()
            self._drop(name)
        self.held[template] = self._copy(template, name)
        return f"{self.base}/{name}"

    def close(self) -> None:
        for held in self.held.values():
            held.engine.dispose()
        self.admin.dispose()

    def _name(self, template: str) -> str:
        return self.prefix + "_" + re.sub(r"\W", "_", template)

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))

    def _copy(self, template: str, name: str) -> _Held:
        with self.admin.connect() as conn:
            newer = int(conn.execute(text("SHOW server_version_num")).scalar_one()) >= 150000
            strategy = " STRATEGY FILE_COPY" if newer else ""  # quicker for a database this small
            conn.execute(
                text(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(template)}{strategy}")
            )
        engine = _engine(f"{self.base}/{name}", autocommit=False)
        with engine.connect() as conn:
            reset_sql = _keep_pristine(conn)
            conn.commit()
            fingerprint = conn.execute(text(_FINGERPRINT)).scalar_one()
        return _Held(engine, fingerprint, reset_sql)


def _engine(url: str, autocommit: bool) -> Engine:
    options: dict[str, Any] = {"poolclass": NullPool}
    if autocommit:
        options["isolation_level"] = "AUTOCOMMIT"
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"), **options)


def _end_other_sessions(conn: Connection) -> None:
    # A test's own sessions may still be open (a pool not disposed, a thread): none may hold a
    # lock on a row the reset deletes. Waits up to 5 s for each to go.
    conn.exec_driver_sql(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    conn.commit()


def _keep_pristine(conn: Connection) -> str:
    """Copies every table's rows into the schema `pristine`; returns the script that puts
    them back."""
    tables = list(
        conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).scalars()
    )
    sequences = conn.exec_driver_sql(
        "SELECT sequencename, start_value, last_value FROM pg_sequences "
        "WHERE schemaname = 'public' ORDER BY sequencename"
    ).all()
    conn.exec_driver_sql("CREATE SCHEMA pristine")
    script = ["SET LOCAL session_replication_role = replica"]
    for table in tables:
        quoted = _quoted(table)
        conn.exec_driver_sql(f"CREATE TABLE pristine.{quoted} AS TABLE public.{quoted}")
        script.append(f"DELETE FROM public.{quoted}")
        rows = conn.exec_driver_sql(f"SELECT count(*) FROM pristine.{quoted}").scalar_one()
        if rows:
            script.append(
                f"INSERT INTO public.{quoted} OVERRIDING SYSTEM VALUE "
                f"SELECT * FROM pristine.{quoted}"
            )
    for name, start, last in sequences:
        value, called = (start, "false") if last is None else (last, "true")
        script.append(f"SELECT setval('public.{_quoted(name)}', {int(value)}, {called})")
    script += _planner_statistics(conn)
    script.append("SELECT pg_stat_reset()")  # last_analyze and the rest start empty too
    return "; ".join(script)


_PUBLIC = (
    "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public'"
)


def _planner_statistics(conn: Connection) -> list[str]:
    """Statements that put the planner's statistics back as the template had them: a test
    that ran ANALYZE (refresh_statistics does) must not change the plans the next one gets.
    Each relation's size estimates are restored; tables the template had analysed are
    analysed again (their rows are the template's), the others lose any statistics."""
    sizes = conn.exec_driver_sql(
        "SELECT c.oid::regclass::text, c.relpages, c.reltuples, c.relallvisible "
        f"FROM pg_class c WHERE c.oid IN ({_PUBLIC}) AND c.relkind IN ('r', 'i', 'p') "
        "ORDER BY 1"
    ).all()
    analysed = conn.exec_driver_sql(
        f"SELECT DISTINCT starelid::regclass::text FROM pg_statistic WHERE starelid IN ({_PUBLIC})"
        " ORDER BY 1"
    ).scalars()
    values = ", ".join(
        f"('{name}', {int(pages)}, {float(tuples)}::real, {int(visible)})"
        for name, pages, tuples, visible in sizes
        if "'" not in name
    )
    script = [f"DELETE FROM pg_statistic WHERE starelid IN ({_PUBLIC})"]
    if values:
        script.append(
            "UPDATE pg_class c SET relpages = v.pages, reltuples = v.tuples, "
            f"relallvisible = v.visible FROM (VALUES {values}) AS v(name, pages, tuples, visible) "
            "WHERE c.oid = v.name::regclass"
        )
    script += [f"ANALYZE {name}" for name in analysed]
    return script
