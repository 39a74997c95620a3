"""INSERT ... ON CONFLICT for whichever database is behind the connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Table) -> Any:
    """An insert that knows ON CONFLICT: the database's unique keys settle races, not lookups."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
