"""Store: the database behind one explicit object, created once in the composition root."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from carerecord.identity.same_person import HeldIdentity
from carerecord.store import links, organisations, quarantine, reads
from carerecord.store.accounts import AccountStore
from carerecord.store.consent import ConsentStore
from carerecord.store.engine import create_engine_for
from carerecord.store.records import (
    Merge,
    Organisation,
    QuarantinedEntry,
    QuarantineItem,
    SectionTally,
    StoredResource,
    Submission,
    WriteCounts,
)
from carerecord.store.senders import SenderStore
from carerecord.store.units import Arrival, MessageGroup, MessageKey, WriteUnit

T = TypeVar("T")

_WRITE_ATTEMPTS = 3


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.accounts = AccountStore(engine)  # users, sessions, networks
        self.consent = ConsentStore(engine)  # declarations, objections, COPI, views, audit
        self.senders = SenderStore(engine)  # network peers allowed to send HL7 v2

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(create_engine_for(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends without an exception."""
        with self.engine.connect() as connection:
            connection.execution_options(carerecord_write=True)
            with connection.begin():
                yield connection

    def ping(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True

    def refresh_statistics(self) -> None:
        """Fresh planner statistics after a bulk load. Without them PostgreSQL planned record
        pages for a near-empty database until autovacuum caught up: the first minutes after
        loading 2,000 people served 2.6 views/s instead of 23. Both engines sample a bounded
        number of rows per table, so this takes seconds on any size of database."""
        with self.transaction() as conn:  # a writer: ANALYZE stores what it found
            if self.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")

    def close(self) -> None:
        self.engine.dispose()

    # Organisations
    def save_organisation(self, org: Organisation) -> bool:
        with self.transaction() as conn:
            return organisations.save_organisation(conn, org)

    def organisation(self, ods_code: str) -> Organisation | None:
        with self.engine.connect() as conn:
            return organisations.load_organisation(conn, ods_code)

    def organisations(self) -> list[Organisation]:
        with self.engine.connect() as conn:
            return organisations.load_organisations(conn)

    # Ingest: each call is one transaction, committed before it returns.
    def write(self, submission: Submission) -> WriteCounts:
        """Stores a submission, quarantining what cannot be stored, in one transaction.

        Two writers racing on the same new record both pass the lookup; the database's unique
        key stops the second, whose whole batch is then retried and finds the row in place.
        """
        return self.apply(lambda unit: unit.write(submission, all_or_nothing=False))

    def apply(self, handle: Callable[[WriteUnit], T]) -> T:
        """Runs `handle` in one transaction (retried whole if a concurrent writer won a race)."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with self.transaction() as conn:
                    return handle(WriteUnit(conn, datetime.now(UTC)))
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def apply_messages(
        self,
        keys: Sequence[MessageKey],
        handle: Callable[[MessageGroup], dict[MessageKey, tuple[str, str]]],
        arrivals: Mapping[MessageKey, Arrival],
    ) -> dict[MessageKey, str]:
        """Applies several HL7 messages (distinct keys) in one transaction: `handle` answers
        the new ones and those reusing a control id with different content; those seen before
        with the same content get their recorded ack back unapplied."""
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with self.transaction() as conn:
                    group = MessageGroup(conn, datetime.now(UTC), keys, arrivals)
                    answers = handle(group) if group.claimed or group.reused else {}
                    group.acknowledge(answers)
                    return {**group.replayed, **{k: text for k, (_, text) in answers.items()}}
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def quarantine(self, items: Sequence[QuarantineItem]) -> None:
        with self.transaction() as conn:
            quarantine.quarantine_items(conn, items, datetime.now(UTC))

    def quarantine_entries(
        self,
        status: str | None = "open",
        reason_code: str | None = None,
        source_ods: str | None = None,
        limit: int = 100,
    ) -> list[QuarantinedEntry]:
        with self.engine.connect() as conn:
            return quarantine.entries(conn, status, reason_code, source_ods, limit)

    def quarantine_entry(self, entry_id: int) -> QuarantinedEntry | None:
        with self.engine.connect() as conn:
            return quarantine.entry(conn, entry_id)

    def resolve_quarantined(self, entry_id: int, resolution: str) -> None:
        with self.transaction() as conn:
            quarantine.resolve(conn, entry_id, resolution, datetime.now(UTC))

    def link_patient(self, source_ods: str, local_id: str, nhs_number: str) -> bool:
        """Links a source's local patient id to the person with this NHS number, by hand.
        False when carerecord holds nobody with that NHS number."""
        with self.transaction() as conn:
            return links.link_by_hand(conn, source_ods, local_id, nhs_number, datetime.now(UTC))

    def confirm_merge(self, merge: Merge) -> int | None:
        """Applies a source's merge of two of its local ids that a person has confirmed are one
        person: how many items moved, or None when the surviving id is not held."""
        with self.transaction() as conn:
            return links.confirm_merge(conn, merge, datetime.now(UTC))

    def merge_identities(self, merge: Merge) -> tuple[HeldIdentity, HeldIdentity]:
        """What the record holds for a merge's prior and surviving local ids."""
        with self.engine.connect() as conn:
            return links.held_identities(conn, merge)

    # Reading one patient's record
    def patient_id_for_nhs_number(self, nhs_number: str) -> str | None:
        with self.engine.connect() as conn:
            return reads.patient_id_for_nhs_number(conn, nhs_number)

    def patient_id_for_local_id(self, source_ods: str, local_id: str) -> str | None:
        """The person a source's own patient id is linked to, if it is."""
        with self.engine.connect() as conn:
            return reads.patient_id_for_local_id(conn, source_ods, local_id)

    def find_by_details(
        self, family: str, birth_date: date, postcode: str | None, limit: int | None
    ) -> list[str]:
        with self.engine.connect() as conn:
            return reads.find_by_details(conn, family, birth_date, postcode, limit)

    def patient_resource(self, patient_id: str, resource_id: int) -> StoredResource | None:
        with self.engine.connect() as conn:
            return reads.patient_resource(conn, patient_id, resource_id)

    def directory_entries(self, wanted: Iterable[tuple[str, str, str]]) -> list[StoredResource]:
        """Practitioners and their roles that a patient's items cite (reads.directory_entries)."""
        with self.engine.connect() as conn:
            return reads.directory_entries(conn, wanted)

    def patient_resources(
        self,
        patient_id: str,
        sections: Sequence[str] | None = None,
        newest: Mapping[str, int] | None = None,
    ) -> list[StoredResource]:
        with self.engine.connect() as conn:
            return reads.patient_resources(conn, patient_id, sections, newest)

    def section_tallies(self, patient_id: str, sections: Sequence[str]) -> list[SectionTally]:
        with self.engine.connect() as conn:
            return reads.section_tallies(conn, patient_id, sections)

    def sample_nhs_numbers(self, limit: int) -> list[str]:
        with self.engine.connect() as conn:
            return reads.sample_nhs_numbers(conn, limit)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return reads.table_counts(conn)
