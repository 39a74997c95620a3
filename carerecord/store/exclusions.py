"""The log of legally restricted items refused at ingest.

Only keys are kept (source, type, id and the category), never content: enough to refuse what
cites an excluded item later, and to hide what was stored before the exclusion was known.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select, tuple_

from carerecord.store.records import ExcludedItem, IncomingResource
from carerecord.store.schema import exclusions
from carerecord.store.upsert import insert_for
from carerecord.store.versions import hide_keys


def refuse_citing_excluded(
    conn: Connection, batch: Sequence[IncomingResource], excluded: list[ExcludedItem]
) -> list[IncomingResource]:
    """The batch without the items that go with an excluded one: those citing it (whether
    excluded earlier or in this delivery) and those it cites in this delivery (the encounter
    that existed for it). They are appended to `excluded` with its category."""
    going = {
        (e.source_ods, t, i): e.category for e in excluded for t, i in e.references
    }  # cited by an excluded item
    cited = {(r.source_ods, t, i) for r in batch for t, i in r.references}
    own = {r.key for r in batch if r.resource_type != "Patient"}
    known = {item.key: item.category for item in excluded}
    known.update(_logged(conn, (cited | own) - known.keys()))
    if not known and not going:
        return list(batch)
    kept: list[IncomingResource] = []
    for item in batch:
        if item.resource_type == "Patient":  # who the record is about never goes by citation
            kept.append(item)
            continue
        # Once excluded, a re-sent or updated version stays out too.
        category = (
            going.get(item.key)
            or known.get(item.key)
            or next(
                (
                    known[(item.source_ods, t, i)]
                    for t, i in item.references
                    if (item.source_ods, t, i) in known
                ),
                None,
            )
        )
        if category is None:
            kept.append(item)
        else:
            excluded.append(
                ExcludedItem(item.source_ods, item.resource_type, item.source_id, category)
            )
    return kept


def _logged(conn: Connection, keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], str]:
    if not keys or conn.execute(select(exclusions.c.id).limit(1)).first() is None:
        return {}
    column = tuple_(exclusions.c.source_ods, exclusions.c.resource_type, exclusions.c.source_id)
    rows = conn.execute(
        select(
            exclusions.c.source_ods,
            exclusions.c.resource_type,
            exclusions.c.source_id,
            exclusions.c.category,
        ).where(column.in_(sorted(keys)))
    )
    return {(r.source_ods, r.resource_type, r.source_id): r.category for r in rows}


def record(conn: Connection, excluded: Sequence[ExcludedItem], now: datetime) -> None:
    """Logs the refused items and hides anything already stored under their keys, or that they
    cite (an encounter that existed only for the restricted care goes with it)."""
    if not excluded:
        return
    rows: dict[tuple[str, str, str], dict[str, object]] = {}
    for item in excluded:
        linked = [(item.source_ods, t, i) for t, i in item.references if t != "Patient"]
        for key in (item.key, *linked):
            rows.setdefault(
                key,
                {
                    "source_ods": key[0][:12],
                    "resource_type": key[1][:40],
                    "source_id": key[2][:64],
                    "category": item.category[:60],
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "times_seen": 1,
                },
            )
    statement = insert_for(conn, exclusions)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["source_ods", "resource_type", "source_id"],
            set_={
                "last_seen_at": statement.excluded.last_seen_at,
                "times_seen": exclusions.c.times_seen + 1,
            },
        ),
        list(rows.values()),
    )
    hide_keys(conn, rows.keys(), now)
