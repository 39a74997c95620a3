"""What the audit log holds, read straight from its table (tests only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from carerecord.store import Store
from carerecord.store.schema import audit_events


@dataclass(frozen=True)
class Entry:
    actor: str
    action: str
    detail: dict[str, Any]


def audit_entries(store: Store, action: str | None = None) -> list[Entry]:
    """Every entry, oldest first; only those of one action when given."""
    e = audit_events.c
    query = select(e.actor, e.action, e.detail).order_by(e.id)
    if action is not None:
        query = query.where(e.action == action)
    with store.engine.connect() as conn:
        return [
            Entry(actor, act, detail.get("detail", detail))
            for actor, act, detail in conn.execute(query)
        ]
