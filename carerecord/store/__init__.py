"""The only package that talks to the database (SQLAlchemy Core, SQLite or PostgreSQL)."""

from carerecord.store.engine import create_engine_for
from carerecord.store.store import Store

__all__ = ["Store", "create_engine_for"]
