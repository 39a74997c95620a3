"""The organisation registry: who may send data, and which sections each shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from carerecord.store.records import Organisation
from carerecord.store.schema import organisations
from carerecord.store.upsert import insert_for


def save_organisation(conn: Connection, org: Organisation) -> bool:
    """Registers or updates an organisation; True when it was new."""
    values = {
        "name": org.name,
        "org_type": org.org_type,
        "region": org.region,
        "status": org.status,
        "sections": list(org.sections),
    }
    existed = conn.execute(
        select(organisations.c.ods_code).where(organisations.c.ods_code == org.ods_code)
    ).first()
    statement = insert_for(conn, organisations).values(
        ods_code=org.ods_code, registered_at=datetime.now(UTC), **values
    )
    conn.execute(statement.on_conflict_do_update(index_elements=["ods_code"], set_=values))
    return existed is None


def load_organisation(conn: Connection, ods_code: str) -> Organisation | None:
    row = conn.execute(select(organisations).where(organisations.c.ods_code == ods_code)).first()
    return None if row is None else _organisation(row._mapping)


def load_organisations(conn: Connection) -> list[Organisation]:
    rows = conn.execute(select(organisations).order_by(organisations.c.ods_code))
    return [_organisation(row._mapping) for row in rows]


def _organisation(row: Any) -> Organisation:
    return Organisation(
        ods_code=row["ods_code"],
        name=row["name"],
        org_type=row["org_type"],
        region=row["region"],
        status=row["status"],
        sections=tuple(row["sections"]),
        registered_at=row["registered_at"],
        last_received_at=row["last_received_at"],
    )
