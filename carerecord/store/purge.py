"""Purging legally restricted items that were stored before their code was listed: their
content is removed, not just hidden — from the current row and from every superseded version
that carries a listed code — leaving the key (source, type, id) in the exclusions log, so a
re-send is still recognised and refused, and an audit entry that names keys and counts only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, tuple_, update

from carerecord.audit.entry import AuditRecord
from carerecord.fhir.extract import all_codes
from carerecord.store import audit as audit_log
from carerecord.store import exclusions as exclusion_log
from carerecord.store.records import ExcludedItem
from carerecord.store.schema import resource_versions, resources

PURGED_TAG = "purged-legally-restricted"
PURGED_SYSTEM = "urn:carerecord:tag"
_BATCH = 2_000

Match = Callable[[Iterable[str]], str | None]  # "system|code"s → the category listing one


@dataclass
class Found:
    """What a purge removes (or, in a dry run, would)."""

    current: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)  # id → key+cat
    versions: dict[tuple[int, int], str] = field(default_factory=dict)  # (id, version) → cat

    @property
    def by_category(self) -> dict[str, int]:
        keys = {rid: cat for rid, (*_, cat) in self.current.items()}
        keys.update({rid: cat for (rid, _), cat in self.versions.items() if rid not in keys})
        return dict(Counter(keys.values()))


def find(engine: Engine, match: Match) -> Found:
    """Every stored body carrying a listed code: current rows by their `codes`, superseded
    versions by reading their bodies (they keep no codes column)."""
    found = Found()
    for row in _current(engine):
        if is_tombstone(row.body):
            continue
        category = match(row.codes or ())
        if category is not None:
            found.current[row.id] = (row.source_ods, row.resource_type, row.source_id, category)
    for old in _superseded(engine):
        if is_tombstone(old.body):
            continue
        try:
            body = orjson.loads(old.body)
        except orjson.JSONDecodeError:
            continue
        category = match(all_codes(body))
        if category is not None:
            found.versions[(old.resource_id, old.version)] = category
    return found


def purge(engine: Engine, match: Match, now: datetime, actor: str) -> Found:
    """Finds and removes, in one transaction with its audit entry."""
    found = find(engine, match)
    writer = engine.execution_options(carerecord_write=True)
    with writer.begin() as conn:
        for rid, (_, kind, source_id, _) in found.current.items():
            stone = tombstone(kind, source_id)
            conn.execute(
                update(resources)
                .where(resources.c.id == rid)
                .values(body=stone, content_hash=_hash(stone), hidden=True, codes=[],
                        code=None, code_system=None)
            )  # fmt: skip
        kinds = _kinds(conn, {rid for rid, _ in found.versions})
        for (rid, version), _category in found.versions.items():
            stone = tombstone(*kinds[rid])
            conn.execute(
                update(resource_versions)
                .where(
                    resource_versions.c.resource_id == rid, resource_versions.c.version == version
                )
                .values(body=stone, content_hash=_hash(stone))
            )
        exclusion_log.record(
            conn,
            [ExcludedItem(s, t, i, c) for s, t, i, c in found.current.values()],
            now,
        )
        detail = {
            "by_category": found.by_category,
            "current": len(found.current),
            "versions": len(found.versions),
            "keys": sorted(f"{s}/{t}/{i}" for s, t, i, _ in found.current.values())[:1000],
        }
        audit_log.append(conn, AuditRecord(actor, "exclusions-purge", "success", detail), now)
    return found


def tombstone(resource_type: str, source_id: str) -> str:
    """What stands in a purged body's place: its type and id, and a tag saying why."""
    return orjson.dumps(
        {
            "resourceType": resource_type,
            "id": source_id,
            "meta": {"tag": [{"system": PURGED_SYSTEM, "code": PURGED_TAG}]},
        }
    ).decode()


def is_tombstone(body: str) -> bool:
    return len(body) < 400 and PURGED_TAG in body


def _kinds(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = conn.execute(
            select(resources.c.id, resources.c.resource_type, resources.c.source_id).where(
                resources.c.id.in_(chunk)
            )
        )
        found.update({row.id: (row.resource_type, row.source_id) for row in rows})
    return found


def _current(engine: Engine) -> Iterator[Any]:
    """Every current row, in batches by id (bounded memory, any table size)."""
    r = resources.c
    last = 0
    while True:
        query = (
            select(r.id, r.source_ods, r.resource_type, r.source_id, r.codes, r.body)
            .where(r.id > last)
            .order_by(r.id)
            .limit(_BATCH)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        yield from rows
        if len(rows) < _BATCH:
            return
        last = rows[-1].id


def _superseded(engine: Engine) -> Iterator[Any]:
    """Every superseded version, in batches by (resource, version)."""
    v = resource_versions.c
    last = (0, 0)
    while True:
        query = (
            select(v.resource_id, v.version, v.body)
            .where(tuple_(v.resource_id, v.version) > tuple_(*last))
            .order_by(v.resource_id, v.version)
            .limit(_BATCH)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        yield from rows
        if len(rows) < _BATCH:
            return
        last = (rows[-1].resource_id, rows[-1].version)


def _hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()
