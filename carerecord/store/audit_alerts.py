"""What the privacy officer's alerts read and write: audit entries of some actions in a time
window, what stored Patient resources say of the people opened, and the alerts' reviews
(audit_reviews), each written in one transaction with the audit entry that records it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, not_, select

from carerecord.audit.alerts import Person, Review, person_from
from carerecord.audit.entry import AuditRecord, StoredEntry
from carerecord.store import audit
from carerecord.store.schema import audit_events, audit_reviews, patient_search, resources

_BATCH = 2_000


def entries_between(
    engine: Engine, start: datetime, end: datetime, actions: Iterable[str]
) -> Iterator[StoredEntry]:
    """Entries of these actions with start <= occurred_at < end, in log order, in batches."""
    wanted = sorted(actions)
    after_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(*audit.COLUMNS)  # in StoredEntry's order, which the table's is not
                .where(
                    audit_events.c.occurred_at >= start,
                    audit_events.c.occurred_at < end,
                    audit_events.c.action.in_(wanted),
                    audit_events.c.id > after_id,
                )
                .order_by(audit_events.c.id)
                .limit(_BATCH)
            ).all()
        yield from (audit.stored(row) for row in rows)  # type: ignore[arg-type]
        if len(rows) < _BATCH:
            return
        after_id = rows[-1].id


def entry(engine: Engine, event_id: int) -> StoredEntry | None:
    return audit.entry(engine, event_id)


class StoredRecordFacts:
    """RecordFacts read from the store: each person's current Patient resources (from every
    source), and the sources' search keys for who lives where. Remembers what it has read,
    so build one per computation of alerts."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._people: dict[str, Person | None] = {}

    def person(self, patient_id: str) -> Person | None:
        if patient_id not in self._people:
            with self._engine.connect() as conn:
                bodies = list(
                    conn.execute(
                        select(resources.c.body).where(
                            resources.c.patient_id == patient_id,
                            resources.c.resource_type == "Patient",
                            not_(resources.c.hidden),
                        )
                    ).scalars()
                )
            self._people[patient_id] = person_from(patient_id, bodies) if bodies else None
        return self._people[patient_id]

    def residents(self, family: str, postcodes: frozenset[str]) -> Sequence[Person]:
        search = patient_search.c
        with self._engine.connect() as conn:
            ids = conn.execute(
                select(search.patient_id)
                .where(search.family == family[:100], search.postcode.in_(sorted(postcodes)))
                .distinct()
                .order_by(search.patient_id)
                .limit(50)  # a household, not a town: more would say nothing more
            ).scalars()
            found = list(ids)
        return [p for p in (self.person(pid) for pid in found) if p is not None]


def add_review(engine: Engine, review: Review, event: AuditRecord) -> None:
    """A review of an alert, and the audit entry saying so, in one transaction."""
    with engine.begin() as conn:
        conn.execute(
            insert(audit_reviews).values(
                rule=review.rule,
                event_id=review.event_id,
                outcome=review.outcome,
                note=review.note,
                reviewed_by=review.reviewed_by[:100],
                reviewed_at=review.reviewed_at,
            )
        )
        audit.append(conn, event, review.reviewed_at)


def reviews(engine: Engine, event_ids: Iterable[int]) -> list[Review]:
    """Every review of alerts anchored on these entries, oldest first."""
    wanted = sorted(set(event_ids))
    found: list[Review] = []
    r = audit_reviews.c
    for at in range(0, len(wanted), 500):
        with engine.connect() as conn:
            rows = conn.execute(
                select(r.rule, r.event_id, r.outcome, r.note, r.reviewed_by, r.reviewed_at)
                .where(r.event_id.in_(wanted[at : at + 500]))
                .order_by(r.id)
            ).all()
        found.extend(_review(row._mapping) for row in rows)
    return sorted(found, key=lambda rv: rv.reviewed_at)


def _review(row: Any) -> Review:
    return Review(**row)
