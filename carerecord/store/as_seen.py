"""Reading resources back exactly at the versions an audit entry recorded: the current row
when it is still that version, else the copy kept in resource_versions. Hidden, superseded
or moved to another person since makes no difference: what was shown is what comes back."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select, tuple_

from carerecord.store.purge import is_tombstone
from carerecord.store.records import StoredResource
from carerecord.store.schema import resource_versions, resources

_FIELDS = list(StoredResource.__dataclass_fields__)
# columns a superseded version does not keep: taken from the resource's current row
_FROM_CURRENT = ("id", "source_ods", "resource_type", "source_id", "section", "clinical_date",
                 "code_system", "code")  # fmt: skip


def versions(engine: Engine, wanted: Sequence[tuple[int, int]]) -> list[StoredResource]:
    """The resources at these (id, version) pairs, in the order asked; any no longer held,
    or purged as legally restricted, are left out."""
    found: dict[tuple[int, int], StoredResource] = {}
    r, v = resources.c, resource_versions.c
    with engine.connect() as conn:
        for chunk in _chunks(list(dict.fromkeys(wanted))):
            current = select(*[r[name] for name in _FIELDS]).where(
                tuple_(r.id, r.version).in_(chunk)
            )
            for row in conn.execute(current):
                held = StoredResource(*row)
                found[(held.id, held.version)] = held
            missing = [pair for pair in chunk if pair not in found]
            if not missing:
                continue
            older = select(
                *[v[name] if name not in _FROM_CURRENT else r[name] for name in _FIELDS]
            ).select_from(resource_versions.join(resources, resources.c.id == v.resource_id))
            older = older.where(tuple_(v.resource_id, v.version).in_(missing))
            for row in conn.execute(older):
                held = StoredResource(*row)
                found[(held.id, held.version)] = held
    # a body purged as legally restricted since is not shown again, even as it was
    return [found[p] for p in wanted if p in found and not is_tombstone(found[p].body)]


def _chunks(pairs: list[tuple[int, int]], size: int = 400) -> list[list[tuple[int, int]]]:
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]
