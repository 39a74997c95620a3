"""A unit of work for one delivery from a source (a pushed bundle, HL7 messages).

It runs in one transaction: it can read the source's current version of a resource (HL7 events
such as a transfer change the encounter they belong to), write a submission all-or-nothing in
a savepoint, quarantine, and for an HL7 message record the acknowledgement so a re-send is
answered the same way and applied once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select, tuple_

from carerecord.store.quarantine import quarantine_items
from carerecord.store.records import QuarantineItem, Submission, WriteCounts
from carerecord.store.schema import hl7_messages, resources
from carerecord.store.upsert import insert_for
from carerecord.store.writes import write_batch

# Built once: a message's resources are looked up and acknowledged many times a second.
_CURRENT = select(resources.c.body).where(
    resources.c.source_ods == bindparam("source_ods"),
    resources.c.resource_type == bindparam("resource_type"),
    resources.c.source_id == bindparam("source_id"),
)
_CURRENT_LOCKED = _CURRENT.with_for_update()
_ACKNOWLEDGE = (
    hl7_messages.update()
    .where(
        hl7_messages.c.source_ods == bindparam("key_source"),
        hl7_messages.c.control_id == bindparam("key_control"),
    )
    .values(ack_code=bindparam("code"), ack=bindparam("text"))
)


@dataclass(frozen=True)
class MessageKey:
    """An HL7 v2 message's identity: its sender and control id (MSH-10)."""

    source_ods: str
    control_id: str
    message_type: str


@dataclass(frozen=True)
class Arrival:
    """What the message log records of a message beside its key."""

    content_hash: str  # SHA-256 of its normalised text
    peer: str  # who sent it: the network peer, or the file


class WriteUnit:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn, self.now = conn, now

    def current(self, source_ods: str, resource_type: str, source_id: str) -> dict[str, Any] | None:
        """The source's current version of a resource, locked until the unit ends (on
        PostgreSQL) so two messages about one encounter apply one after the other."""
        statement = _CURRENT_LOCKED if self.conn.dialect.name == "postgresql" else _CURRENT
        key = {"source_ods": source_ods, "resource_type": resource_type, "source_id": source_id}
        body = self.conn.execute(statement, key).scalar()
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


class MessageGroup(WriteUnit):
    """Several HL7 messages (from different connections) applied in one transaction, so the
    statements they need are shared. Each is still recorded, and answered, on its own."""

    def __init__(
        self,
        conn: Connection,
        now: datetime,
        keys: Sequence[MessageKey],
        arrivals: Mapping[MessageKey, Arrival],
    ) -> None:
        super().__init__(conn, now)
        self.replayed: dict[MessageKey, str] = {}  # seen before with the same content: its ack
        self.reused: list[MessageKey] = []  # seen before with different content
        self._claim(keys, arrivals)
        self.claimed = [k for k in keys if k not in self.replayed and k not in self.reused]

    def _claim(self, keys: Sequence[MessageKey], arrivals: Mapping[MessageKey, Arrival]) -> None:
        """Claims every new control id in one statement; sorts those seen before into replays
        (same content, or recorded before content was: answered with their first ack) and
        reuses (different content). The primary key settles races with other writers."""
        rows = [
            {
                "source_ods": key.source_ods,
                "control_id": key.control_id,
                "message_type": key.message_type[:20],
                "received_at": self.now,
                "ack_code": "",
                "ack": "",
                "content_hash": arrivals[key].content_hash,
                "peer": arrivals[key].peer[:300],
            }
            # in key order, so two writers claiming overlapping groups cannot deadlock
            for key in sorted(keys, key=lambda k: (k.source_ods, k.control_id))
        ]
        claimed = {
            (row.source_ods, row.control_id)
            for row in self.conn.execute(
                insert_for(self.conn, hl7_messages)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["source_ods", "control_id"])
                .returning(hl7_messages.c.source_ods, hl7_messages.c.control_id)
            )
        }
        known = [key for key in keys if (key.source_ods, key.control_id) not in claimed]
        if not known:
            return
        column = tuple_(hl7_messages.c.source_ods, hl7_messages.c.control_id)
        held = {
            (row.source_ods, row.control_id): (str(row.ack or ""), row.content_hash)
            for row in self.conn.execute(
                select(
                    hl7_messages.c.source_ods,
                    hl7_messages.c.control_id,
                    hl7_messages.c.ack,
                    hl7_messages.c.content_hash,
                ).where(column.in_([(k.source_ods, k.control_id) for k in known]))
            )
        }
        for key in known:
            ack, content_hash = held.get((key.source_ods, key.control_id), ("", None))
            if content_hash is None or content_hash == arrivals[key].content_hash:
                self.replayed[key] = ack
            else:
                self.reused.append(key)

    def acknowledge(self, answers: dict[MessageKey, tuple[str, str]]) -> None:
        """Records the answers to the messages claimed (a reuse's answer is not recorded: the
        control id keeps its first message's)."""
        answers = {key: answer for key, answer in answers.items() if key in self.claimed}
        if not answers:
            return
        self.conn.execute(
            _ACKNOWLEDGE,
            [
                {
                    "key_source": key.source_ods,
                    "key_control": key.control_id,
                    "code": code,
                    "text": text,
                }
                for key, (code, text) in answers.items()
            ],
        )
