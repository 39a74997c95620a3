"""Resource history: the version about to be replaced is copied aside first, so none is lost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select, tuple_, update

from carerecord.store.schema import resource_versions, resources


def keep_history(conn: Connection, resource_ids: list[int]) -> None:
    """Copies the current versions of these resources into resource_versions."""
    if not resource_ids:
        return
    columns = [c.name for c in resource_versions.c if c.name != "resource_id"]
    source = select(resources.c.id, *[resources.c[c] for c in columns]).where(
        resources.c.id.in_(resource_ids)
    )
    conn.execute(insert(resource_versions).from_select(["resource_id", *columns], source))


def hide_keys(conn: Connection, keys: Iterable[tuple[str, str, str]], now: datetime) -> int:
    """Hides the current resources with these (source, type, id) keys from the view, as a new
    version, keeping the old one in history. Returns how many were visible before."""
    keys = sorted(set(keys))
    if not keys:
        return 0
    column = tuple_(resources.c.source_ods, resources.c.resource_type, resources.c.source_id)
    visible = [
        row.id
        for row in conn.execute(
            select(resources.c.id).where(column.in_(keys), resources.c.hidden.is_(False))
        )
    ]
    if not visible:
        return 0
    keep_history(conn, visible)
    conn.execute(
        update(resources)
        .where(resources.c.id.in_(visible))
        .values(hidden=True, version=resources.c.version + 1, received_at=now)
    )
    return len(visible)
