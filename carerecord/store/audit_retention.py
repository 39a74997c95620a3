"""Keeping audit entries for the retention period, and no longer: the period in force, what a
purge would remove, the purge itself, and where the kept chain starts afterwards.

The period is held in the database (`audit_policy`), whose triggers let it only rise and let
`audit_events` lose only entries older than it by the database's own clock. A purge removes a
whole leading stretch of the chain and records a checkpoint (the last entry removed, its hash),
so the entries kept are verified from there as they were from the beginning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from carerecord.audit import canonical
from carerecord.audit.entry import AuditRecord
from carerecord.audit.verify import Break
from carerecord.errors import RetentionShortened
from carerecord.store import audit as audit_log
from carerecord.store.schema import audit_checkpoints, audit_events, audit_policy, audit_reviews

PURGE_ACTION = "audit-purge"


@dataclass(frozen=True)
class Checkpoint:
    id: int
    purged_at: datetime
    last_id: int
    last_hash: str
    entries: int
    retention_years: int


@dataclass(frozen=True)
class Plan:
    """What a purge at `cutoff` removes: entries `first_id`..`last_id`, their alert reviews."""

    years: int
    cutoff: datetime
    entries: int = 0
    first_id: int | None = None
    first_at: datetime | None = None
    last_id: int | None = None
    last_at: datetime | None = None
    reviews: int = 0


def years_before(moment: datetime, years: int) -> datetime:
    """The same instant `years` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def stored_years(engine: Engine) -> int:
    with engine.connect() as conn:
        return _stored_years(conn)


def settle_policy(engine: Engine, years: int, now: datetime) -> int:
    """Raises the stored period to `years` if that is longer; refuses a shorter one (the
    stored period stays in force). Returns the period now in force."""
    writer = engine.execution_options(carerecord_write=True)
    with writer.begin() as conn:
        return _settle(conn, years, now)


def checkpoint(engine: Engine) -> Checkpoint | None:
    """The newest purge's checkpoint, or None when nothing was ever purged."""
    with engine.connect() as conn:
        row = conn.execute(
            select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)
        ).first()
    return None if row is None else Checkpoint(*row)


def chain_start(engine: Engine) -> tuple[int, str]:
    """Where the kept chain starts: after the newest checkpoint's entry, chained to its hash;
    the beginning (0, GENESIS) when nothing was purged."""
    newest = checkpoint(engine)
    return (0, canonical.GENESIS) if newest is None else (newest.last_id, newest.last_hash)


def plan(engine: Engine, now: datetime, years: int) -> Plan:
    """What `purge_expired(engine, now, years)` would remove; changes nothing."""
    with engine.connect() as conn:
        _refuse_shorter(conn, years)
        return _plan(conn, now, years)


def purge_expired(engine: Engine, now: datetime, years: int, actor: str = "system") -> Plan:
    """Removes the leading stretch of the chain older than `years` before `now`, records its
    checkpoint and an audit entry saying what went, in one transaction under the chain lock
    (so no entry is appended meanwhile)."""
    writer = engine.execution_options(carerecord_write=True)
    try:
        with writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": audit_log.CHAIN_LOCK}
                )
            years = _settle(conn, years, now)
            found = _plan(conn, now, years)
            detail = _described(found)
            if found.entries:
                detail["checkpoint"] = _remove(conn, found, now)
            audit_log.append(conn, AuditRecord(actor, PURGE_ACTION, "success", detail), now)
    except DBAPIError as error:
        if "append-only" not in str(error.orig):
            raise
        cutoff = years_before(now, years)
        raise RetentionShortened(
            f"the database refused to delete audit entries before {cutoff:%Y-%m-%d %H:%M} UTC: "
            f"by its clock they are not yet {years} years old (this clock may be ahead of the "
            "database's); nothing was purged"
        ) from None
    return found


def start_problem(engine: Engine) -> Break | None:
    """Whether the newest checkpoint can be trusted as the chain's start: it must agree with
    the purge entry that recorded it, and no entry it removed may be back in the log."""
    newest = checkpoint(engine)
    if newest is None:
        return None
    when = newest.purged_at.strftime("%d %B %Y %H:%M UTC")
    with engine.connect() as conn:
        low, high = conn.execute(
            select(func.min(audit_events.c.id), func.max(audit_events.c.id)).where(
                audit_events.c.id <= newest.last_id
            )
        ).one()
        recorded = _recording_entry(conn, newest)
    if low is not None:
        which = f"entry #{low} is" if low == high else f"entries #{low} to #{high} are"
        return Break(
            int(low),
            "inserted",
            f"{which} older than the purge of {when}, which removed every entry up to "
            f"#{newest.last_id}: put back or slipped in",
        )
    if recorded is None:
        return Break(
            newest.last_id,
            "checkpoint",
            f"the checkpoint of the purge of {when} (up to #{newest.last_id}) has no audit entry "
            "recording it: it was made up, or that entry was removed",
        )
    entry_id, said = recorded
    if (said.get("last_id"), said.get("last_hash")) != (newest.last_id, newest.last_hash):
        return Break(
            entry_id,
            "checkpoint",
            f"the checkpoint of the purge of {when} was altered: it no longer matches entry "
            f"#{entry_id}, which recorded it",
        )
    return None


def _stored_years(conn: Connection) -> int:
    years = conn.execute(
        select(audit_policy.c.retention_years).where(audit_policy.c.id == 1)
    ).scalar_one_or_none()
    if years is None:  # the migration writes the row and triggers keep it
        raise RetentionShortened("the audit retention policy is missing from the database")
    return int(years)


def _refuse_shorter(conn: Connection, years: int) -> int:
    stored = _stored_years(conn)
    if years < stored:
        raise RetentionShortened(
            f"CARERECORD_AUDIT_RETENTION_YEARS is {years}, but this database keeps audit "
            f"entries for {stored} years, and that period can only be raised: set it to "
            f"{stored} or more"
        )
    return stored


def _settle(conn: Connection, years: int, now: datetime) -> int:
    if years < 1:
        raise RetentionShortened(f"CARERECORD_AUDIT_RETENTION_YEARS must be 1 or more, not {years}")
    if years > _refuse_shorter(conn, years):
        conn.execute(
            update(audit_policy)
            .where(audit_policy.c.id == 1)
            .values(retention_years=years, changed_at=now)
        )
    return years


def _plan(conn: Connection, now: datetime, years: int) -> Plan:
    cutoff = years_before(now, years)
    after_id = conn.execute(select(func.max(audit_checkpoints.c.last_id))).scalar_one_or_none()
    kept = audit_events.c.id > (after_id or 0)
    boundary = conn.execute(
        select(func.min(audit_events.c.id)).where(kept, audit_events.c.occurred_at >= cutoff)
    ).scalar_one_or_none()
    gone = [kept] if boundary is None else [kept, audit_events.c.id < boundary]
    count, first_id, last_id = conn.execute(
        select(func.count(), func.min(audit_events.c.id), func.max(audit_events.c.id)).where(*gone)
    ).one()
    if not count:
        return Plan(years, cutoff)
    reviews = conn.execute(
        select(func.count())
        .select_from(audit_reviews)
        .where(audit_reviews.c.event_id.between(first_id, last_id))
    ).scalar_one()
    return Plan(
        years, cutoff, int(count), int(first_id), _time_of(conn, first_id), int(last_id),
        _time_of(conn, last_id), int(reviews),
    )  # fmt: skip


def _remove(conn: Connection, found: Plan, now: datetime) -> dict[str, object]:
    """Deletes the planned stretch (and the alert reviews of its entries) and records the
    checkpoint; what the purge's audit entry says of it."""
    stretch = audit_events.c.id.between(found.first_id, found.last_id)
    last_hash = conn.execute(
        select(audit_events.c.hash).where(audit_events.c.id == found.last_id)
    ).scalar_one()
    conn.execute(
        delete(audit_reviews).where(audit_reviews.c.event_id.between(found.first_id, found.last_id))
    )
    conn.execute(delete(audit_events).where(stretch))
    values = {
        "purged_at": now,
        "last_id": found.last_id,
        "last_hash": last_hash,
        "entries": found.entries,
        "retention_years": found.years,
    }
    made = conn.execute(
        insert(audit_checkpoints).values(**values).returning(audit_checkpoints.c.id)
    ).scalar_one()
    return {"id": int(made), "last_id": found.last_id, "last_hash": last_hash}


def _described(found: Plan) -> dict[str, object]:
    def at(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "retention_years": found.years,
        "cutoff": found.cutoff.isoformat(),
        "purged": found.entries,
        "first_id": found.first_id,
        "first_at": at(found.first_at),
        "last_id": found.last_id,
        "last_at": at(found.last_at),
        "reviews": found.reviews,
    }


def _time_of(conn: Connection, entry_id: int) -> datetime:
    return conn.execute(  # type: ignore[no-any-return]
        select(audit_events.c.occurred_at).where(audit_events.c.id == entry_id)
    ).scalar_one()


def _recording_entry(conn: Connection, newest: Checkpoint) -> tuple[int, dict[str, object]] | None:
    """The purge entry that recorded `newest` (by its id), and what it said of it."""
    rows = conn.execute(
        select(audit_events.c.id, audit_events.c.detail)
        .where(audit_events.c.action == PURGE_ACTION, audit_events.c.id > newest.last_id)
        .order_by(audit_events.c.id)
    ).all()
    for entry_id, context in rows:
        own = context.get("detail") if isinstance(context, dict) else None
        said = own.get("checkpoint") if isinstance(own, dict) else None
        if isinstance(said, dict) and said.get("id") == newest.id:
            return int(entry_id), said
    return None
