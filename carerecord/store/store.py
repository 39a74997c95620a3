"""Store: the database behind one explicit object, created once in the composition root."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from carerecord.store import organisations, quarantine, reads, writes
from carerecord.store.engine import create_engine_for
from carerecord.store.records import (
    IncomingResource,
    Organisation,
    QuarantineItem,
    SectionTally,
    StoredResource,
    WriteCounts,
)

_WRITE_ATTEMPTS = 3


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
    def write(
        self, batch: Sequence[IncomingResource], rejected: Sequence[QuarantineItem] = ()
    ) -> WriteCounts:
        """Stores a batch and quarantines what was rejected before it, in one transaction.

        Two writers racing on the same new record both pass the lookup; the database's unique
        key stops the second, whose whole batch is then retried and finds the row in place.
        """
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with self.transaction() as conn:
                    return writes.write_batch(conn, batch, datetime.now(UTC), rejected)
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def quarantine(self, items: Sequence[QuarantineItem]) -> None:
        with self.transaction() as conn:
            quarantine.quarantine_items(conn, items, datetime.now(UTC))

    def quarantined(self, limit: int = 1000) -> list[QuarantineItem]:
        with self.engine.connect() as conn:
            return reads.quarantined(conn, limit)

    # Reading one patient's record
    def patient_id_for_nhs_number(self, nhs_number: str) -> str | None:
        with self.engine.connect() as conn:
            return reads.patient_id_for_nhs_number(conn, nhs_number)

    def find_by_details(
        self, family: str, birth_date: date, postcode: str | None, limit: int
    ) -> list[str]:
        with self.engine.connect() as conn:
            return reads.find_by_details(conn, family, birth_date, postcode, limit)

    def patient_resource(self, patient_id: str, resource_id: int) -> StoredResource | None:
        with self.engine.connect() as conn:
            return reads.patient_resource(conn, patient_id, resource_id)

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
