"""Creating an engine: the URL decides SQLite or PostgreSQL; per-connection pragmas for SQLite."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from carerecord.errors import ConfigurationError


def create_engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            hide_parameters=True,
            json_serializer=_json_text,
            json_deserializer=orjson.loads,
        )
        turn = WriteTurn(BUSY_TIMEOUT_S)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", turn.begin)
        event.listen(engine, "commit", turn.end)
        event.listen(engine, "rollback", turn.end)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(
            parsed,
            hide_parameters=True,  # errors would otherwise quote personal data
            pool_pre_ping=True,
            json_serializer=_json_text,
            json_deserializer=orjson.loads,
        )
    raise ConfigurationError(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://"
    )


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


BUSY_TIMEOUT_S = 10


class WriteTurn:
    """SQLite has one writer per database. Writers take its write lock up front (BEGIN
    IMMEDIATE), so a second writer waits instead of failing when its read lock cannot be
    upgraded; and the threads of one process queue for their turn on a lock here first.
    Left to SQLite's busy handler they would poll with growing sleeps (up to 100 ms apart),
    so under load a writer could wait its whole timeout while others came and went: a record
    view then failed with 503 because its audit entry could not be written. Writers in other
    processes still meet at SQLite's lock, through busy_timeout."""

    def __init__(self, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self._timeout_s = timeout_s

    def begin(self, conn: Connection) -> None:
        if not conn.get_execution_options().get("carerecord_write", False):
            conn.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=self._timeout_s):
            busy = sqlite3.OperationalError(f"no write turn within {self._timeout_s} s")
            raise OperationalError("BEGIN IMMEDIATE", None, busy)
        conn.info["write_turn"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Connection) -> None:
        """At commit or rollback (just before the database's own, which SQLite finishes in
        well under the 1 ms the next writer's busy handler first waits)."""
        if conn.info.pop("write_turn", False):
            self._lock.release()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()
