"""Which network peers may send HL7 v2 as which organisations: client certificates (by SHA-256
fingerprint) and, for plain TCP, source address ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from carerecord.store.schema import hl7_senders
from carerecord.store.upsert import insert_for

CERTIFICATE, ADDRESS = "certificate", "address"


@dataclass(frozen=True, slots=True)
class RegisteredSender:
    id: int
    ods_code: str
    kind: str  # CERTIFICATE or ADDRESS
    credential: str  # fingerprint (lower-case hex) or CIDR
    subject: str  # the certificate's subject, for people to read ("" for an address)
    added_at: datetime
    added_by: str
    revoked_at: datetime | None


class SenderStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # writes take SQLite's write lock up front (see engine.py): a writer never reads a
        # state another commits under it — the audit chain's previous hash above all
        self._writer = engine.execution_options(carerecord_write=True)

    def add(
        self, ods_code: str, kind: str, credential: str, subject: str, by: str, now: datetime
    ) -> RegisteredSender:
        """Registers (or re-registers, if it was revoked) a peer for an organisation."""
        values = {"subject": subject[:400], "added_at": now, "added_by": by[:100]}
        with self._writer.begin() as conn:
            statement = insert_for(conn, hl7_senders).values(
                ods_code=ods_code, kind=kind, credential=credential, revoked_at=None, **values
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["kind", "credential", "ods_code"],
                    set_={**values, "revoked_at": None},
                )
            )
            row = conn.execute(
                select(hl7_senders).where(
                    hl7_senders.c.kind == kind,
                    hl7_senders.c.credential == credential,
                    hl7_senders.c.ods_code == ods_code,
                )
            ).one()
        return _sender(row._mapping)

    def all(self, *, active_only: bool = False) -> list[RegisteredSender]:
        query = select(hl7_senders).order_by(hl7_senders.c.ods_code, hl7_senders.c.id)
        if active_only:
            query = query.where(hl7_senders.c.revoked_at.is_(None))
        with self._engine.connect() as conn:
            return [_sender(row._mapping) for row in conn.execute(query)]

    def revoke(self, sender_id: int, now: datetime) -> RegisteredSender | None:
        """Revokes a registration; None when there is no such id."""
        with self._writer.begin() as conn:
            conn.execute(
                update(hl7_senders)
                .where(hl7_senders.c.id == sender_id, hl7_senders.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(select(hl7_senders).where(hl7_senders.c.id == sender_id)).first()
        return None if row is None else _sender(row._mapping)


def _sender(row: Any) -> RegisteredSender:
    return RegisteredSender(**{name: row[name] for name in RegisteredSender.__slots__})
