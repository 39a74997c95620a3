"""A unit of work for one delivery from a source (an HL7 message, a pushed bundle).

It runs in one transaction: it can read the source's current version of a resource (HL7 events
such as a transfer change the encounter they belong to), write a submission all-or-nothing in
a savepoint, quarantine, and for an HL7 message record the acknowledgement so a re-send is
answered the same way and applied once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from carerecord.store.quarantine import quarantine_items
from carerecord.store.records import QuarantineItem, Submission, WriteCounts
from carerecord.store.schema import hl7_messages, resources
from carerecord.store.upsert import insert_for
from carerecord.store.writes import write_batch


@dataclass(frozen=True)
class MessageKey:
    """An HL7 v2 message's identity: its sender and control id (MSH-10)."""

    source_ods: str
    control_id: str
    message_type: str


class WriteUnit:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn, self.now = conn, now

    def current(self, source_ods: str, resource_type: str, source_id: str) -> dict[str, Any] | None:
        """The source's current version of a resource, locked until the unit ends (on
        PostgreSQL) so two messages about one encounter apply one after the other."""
        statement = select(resources.c.body).where(
            resources.c.source_ods == source_ods,
            resources.c.resource_type == resource_type,
            resources.c.source_id == source_id,
        )
        if self.conn.dialect.name == "postgresql":
            statement = statement.with_for_update()
        body = self.conn.execute(statement).scalar()
        if body is None:
            return None
        value = orjson.loads(body)
        return value if isinstance(value, dict) else None

    def write(self, submission: Submission, all_or_nothing: bool = True) -> WriteCounts:
        """Writes the submission; all-or-nothing raises SubmissionRefused, having written
        nothing of it (a savepoint is rolled back), and the unit carries on."""
        if not all_or_nothing:
            return write_batch(self.conn, submission, self.now)
        with self.conn.begin_nested():
            return write_batch(self.conn, submission, self.now, all_or_nothing=True)

    def quarantine(self, items: Sequence[QuarantineItem]) -> None:
        quarantine_items(self.conn, items, self.now)


class MessageUnit(WriteUnit):
    def __init__(self, conn: Connection, now: datetime, key: MessageKey) -> None:
        super().__init__(conn, now)
        self.key = key
        self.replayed = self._claim()

    def _claim(self) -> str | None:
        """Claims the control id for this transaction, or returns the acknowledgement given
        when it was applied before. The primary key settles concurrent re-sends: the second
        waits for the first to commit, then finds its acknowledgement."""
        claimed = self.conn.execute(
            insert_for(self.conn, hl7_messages)
            .values(
                source_ods=self.key.source_ods,
                control_id=self.key.control_id,
                message_type=self.key.message_type[:20],
                received_at=self.now,
                ack_code="",
                ack="",
            )
            .on_conflict_do_nothing(index_elements=["source_ods", "control_id"])
            .returning(hl7_messages.c.control_id)  # rowcount is not reliable here on psycopg
        ).first()
        if claimed is not None:
            return None
        ack = self.conn.execute(
            select(hl7_messages.c.ack).where(
                hl7_messages.c.source_ods == self.key.source_ods,
                hl7_messages.c.control_id == self.key.control_id,
            )
        ).scalar()
        return str(ack or "")

    def acknowledge(self, code: str, ack: str) -> None:
        self.conn.execute(
            hl7_messages.update()
            .where(
                hl7_messages.c.source_ods == self.key.source_ods,
                hl7_messages.c.control_id == self.key.control_id,
            )
            .values(ack_code=code, ack=ack)
        )
