"""Users, their sessions and their organisations' networks. Decisions live in access/;
this only reads and writes rows, each call its own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from carerecord.store.account_records import NewUser, SessionRow, UserAccount
from carerecord.store.schema import org_networks, sessions, users

_USER_COLUMNS = [users.c[name] for name in UserAccount.__dataclass_fields__]
_SESSION_COLUMNS = [sessions.c[name] for name in SessionRow.__dataclass_fields__]


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # writes take SQLite's write lock up front (see engine.py): a writer never reads a
        # state another commits under it — the audit chain's previous hash above all
        self._writer = engine.execution_options(carerecord_write=True)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    # Users
    def add_user(self, user: NewUser, now: datetime) -> int | None:
        """The new user's id; None when the username (or external identity) is taken."""
        values = {**user.__dict__, "created_at": now, "failed_attempts": 0}
        try:
            with self._write() as conn:
                key = conn.execute(insert(users).values(**values)).inserted_primary_key
                return int(key[0])  # type: ignore[index]
        except IntegrityError:
            return None

    def user(self, user_id: int) -> UserAccount | None:
        return self._one(users.c.id == user_id)

    def user_by_name(self, username: str) -> UserAccount | None:
        return self._one(users.c.username == username)

    def user_by_external(self, issuer: str, subject: str) -> UserAccount | None:
        return self._one(
            and_(users.c.external_issuer == issuer, users.c.external_subject == subject)
        )

    def list_users(self) -> list[UserAccount]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(*_USER_COLUMNS).order_by(users.c.username))
            return [UserAccount(*row) for row in rows]

    def update_user(self, user_id: int, **values: Any) -> bool:
        with self._write() as conn:
            done = conn.execute(update(users).where(users.c.id == user_id).values(**values))
            return done.rowcount == 1

    def record_failure(self, user_id: int, limit: int, lock_until: datetime) -> int:
        """Counts a failed attempt in the database (so concurrent attempts all count) and
        locks the account once `limit` is reached; returns the new count."""
        with self._write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(failed_attempts=users.c.failed_attempts + 1)
            )
            count = int(
                conn.execute(
                    select(users.c.failed_attempts).where(users.c.id == user_id)
                ).scalar_one()
            )
            if count >= limit:
                conn.execute(
                    update(users).where(users.c.id == user_id).values(locked_until=lock_until)
                )
            return count

    def claim_totp_step(self, user_id: int, step: int) -> bool:
        """Marks a one-time code's time step used; False if it (or a later one) was used."""
        with self._write() as conn:
            done = conn.execute(
                update(users)
                .where(
                    users.c.id == user_id,
                    or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step),
                )
                .values(totp_last_step=step)
            )
            return done.rowcount == 1

    def _one(self, condition: Any) -> UserAccount | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(*_USER_COLUMNS).where(condition)).first()
        return None if row is None else UserAccount(*row)

    # Sessions
    def add_session(self, row: SessionRow) -> None:
        with self._write() as conn:
            conn.execute(insert(sessions).values(**row.__dict__))

    def session(self, token_hash: str) -> tuple[SessionRow, UserAccount] | None:
        query = (
            select(*_SESSION_COLUMNS, *_USER_COLUMNS)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == token_hash)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        split = len(_SESSION_COLUMNS)
        return SessionRow(*row[:split]), UserAccount(*row[split:])

    def update_session(self, token_hash: str, **values: Any) -> None:
        with self._write() as conn:
            conn.execute(
                update(sessions).where(sessions.c.token_hash == token_hash).values(**values)
            )

    def replace_session(self, old_hash: str, row: SessionRow, now: datetime) -> None:
        """A new token for a session that moved on a stage (no fixation): the old one ends."""
        with self._write() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == old_hash)
                .values(ended_at=now, end_reason="replaced")
            )
            conn.execute(insert(sessions).values(**row.__dict__))

    def end_sessions(self, user_id: int, now: datetime, reason: str) -> int:
        """Ends every open session of a user; how many were open."""
        with self._write() as conn:
            done = conn.execute(
                update(sessions)
                .where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason)
            )
            return int(done.rowcount)

    def open_sessions(self, user_id: int, now: datetime) -> int:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(sessions.c.token_hash).where(
                    sessions.c.user_id == user_id,
                    sessions.c.ended_at.is_(None),
                    sessions.c.expires_at > now,
                )
            )
            return len(rows.all())

    # Networks
    def networks(self, ods_code: str) -> list[str]:
        with self._engine.connect() as conn:
            query = select(org_networks.c.cidr).where(org_networks.c.ods_code == ods_code)
            return sorted(conn.execute(query).scalars())

    def all_networks(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self._engine.connect() as conn:
            for ods, cidr in conn.execute(select(org_networks.c.ods_code, org_networks.c.cidr)):
                found.setdefault(ods, []).append(cidr)
        return found

    def set_networks(self, ods_code: str, cidrs: list[str]) -> None:
        with self._write() as conn:
            conn.execute(delete(org_networks).where(org_networks.c.ods_code == ods_code))
            for cidr in sorted(set(cidrs)):
                conn.execute(insert(org_networks).values(ods_code=ods_code, cidr=cidr))
