"""Many rows at once, past SQLAlchemy's per-row work: COPY on PostgreSQL, one prepared
executemany on SQLite; and the current version of many resources in one lookup per type.

Values arrive as the database holds them (see `stamp`, `json_text`): the statements are
built once per dialect and the rows are plain tuples, so nothing is converted twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.exc import IntegrityError

from carerecord.store.schema import resources

Row = tuple[Any, ...]


def stamp(value: datetime | None, dialect: str) -> Any:
    """A timestamp as stored (naive UTC; fixed-width text on SQLite), as UTCDateTime does."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    naive = value.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(sep=" ", timespec="microseconds") if dialect == "sqlite" else naive


def json_text(value: Any) -> str:
    """A JSON column's value as the engine's serialiser writes it."""
    return orjson.dumps(value).decode()


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
    """Inserts new rows. A row whose unique key another writer holds fails the statement with
    IntegrityError, as a plain INSERT would, and the caller's transaction is retried whole.

    COPY cannot say ON CONFLICT, and needs none here: the caller has looked the keys up in
    this transaction, so a conflict can only come from a concurrent writer, and the unique
    key refusing the whole batch is exactly what an INSERT without ON CONFLICT did.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
        rows,
    )


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.IntegrityError as error:
        raise IntegrityError(statement, None, error) from error


CURRENT_COLUMNS = (
    "source_ods",
    "resource_type",
    "source_id",
    "id",
    "version",
    "content_hash",
    "last_updated_at_source",
    "hidden",
)


def current_rows(conn: Connection, keys: Collection[tuple[str, str, str]]) -> list[Row]:
    """The held rows (CURRENT_COLUMNS, timestamps aware) of these (source, type, id) keys.

    The keys go as array parameters, so the statement is the same for every batch and
    nothing renders a thousand placeholders: on PostgreSQL one statement joins them to the
    unique index; on SQLite (no round trips to save) one index lookup per type, for all of
    its sources and ids at once, keeping only the keys asked for."""
    if not keys:
        return []
    wanted = ", ".join(f"r.{name}" for name in CURRENT_COLUMNS)
    if conn.dialect.name == "postgresql":
        sources, types, ids = (list(column) for column in zip(*sorted(keys), strict=True))
        found = list(
            conn.exec_driver_sql(
                f"SELECT {wanted} FROM unnest(%s::text[], %s::text[], %s::text[])"  # noqa: S608
                f" AS k(source_ods, resource_type, source_id) JOIN {resources.name} r"
                " USING (source_ods, resource_type, source_id)",
                (sources, types, ids),
            )
        )
    else:
        found = [row for part in _by_type(keys) for row in _sqlite_rows(conn, wanted, *part)]
    return [(*row[:6], _aware(row[6]), bool(row[7])) for row in found if tuple(row[:3]) in keys]


def _by_type(keys: Iterable[tuple[str, str, str]]) -> Iterator[tuple[str, list[str], list[str]]]:
    groups: dict[str, tuple[set[str], set[str]]] = {}
    for source, resource_type, source_id in keys:
        sources, ids = groups.setdefault(resource_type, (set(), set()))
        sources.add(source)
        ids.add(source_id)
    for resource_type, (sources, ids) in groups.items():
        yield resource_type, sorted(sources), sorted(ids)


def _sqlite_rows(
    conn: Connection, wanted: str, resource_type: str, sources: list[str], ids: list[str]
) -> Iterable[Any]:
    return conn.exec_driver_sql(
        f"SELECT {wanted} FROM {resources.name} r WHERE r.resource_type = ?"  # noqa: S608
        " AND r.source_ods IN (SELECT value FROM json_each(?))"
        " AND r.source_id IN (SELECT value FROM json_each(?))",
        (resource_type, json_text(sources), json_text(ids)),
    )


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC)
