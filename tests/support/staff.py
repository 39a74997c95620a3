"""Staff for tests: accounts of every role, their organisations' networks, and sessions.

Page tests get a session written straight into the store; the sign-in tests go through the
real password-and-code flow instead.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from carerecord.access.sign_in import hash_password, token_hash
from carerecord.audit.entry import AuditRecord
from carerecord.store import Store
from carerecord.store.account_records import NewUser, SessionRow

PASSWORD = "correct horse battery staple"  # noqa: S105 (the test accounts' password)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (test accounts only)
LOOPBACK = ["127.0.0.0/8", "::1/128"]
_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash the test password once


def add_staff(
    store: Store,
    username: str,
    org_ods: str,
    role: str,
    trained_at: datetime | None,
    now: datetime,
    networks: list[str] | None = None,
) -> int:
    """A user with the test password and TOTP secret; their organisation reachable from
    `networks` (loopback by default). Adding the same username again changes nothing."""
    held_user = store.accounts.user_by_name(username)
    if held_user is not None:
        return held_user.id
    user_id = store.accounts.add_user(
        NewUser(
            username=username,
            org_ods=org_ods,
            role=role,
            password_hash=_HASH,
            totp_secret=TOTP_SECRET,
            trained_at=trained_at,
            display_name=username.replace("-", " ").title(),
        ),
        now,
    )
    assert user_id is not None, f"{username} exists already"
    held = store.accounts.networks(org_ods)
    store.accounts.set_networks(org_ods, [*held, *(LOOPBACK if networks is None else networks)])
    return user_id


def session_for(
    store: Store, username: str, now: datetime, stepped_up: bool = False
) -> tuple[str, str]:
    """A signed-in session for this user, as if they had just signed in: the cookie's value
    and the session's form token."""
    account = store.accounts.user_by_name(username)
    assert account is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.accounts.add_session(
        SessionRow(
            token_hash=token_hash(token),
            user_id=account.id,
            stage="full",
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=12),
            ended_at=None,
            end_reason=None,
            csrf_token=csrf,
            assurance="AAL2",
            stepped_up_at=now if stepped_up else None,
            client_address="127.0.0.1",
            user_agent="tests",
        )
    )
    return token, csrf


class StaffClient(TestClient):
    """A TestClient signed in as one user over HTTPS from 127.0.0.1, whose form posts carry
    the session's form token as the pages' own forms do."""

    def __init__(self, app: Any, store: Store, username: str, now: datetime, **kw: Any) -> None:
        super().__init__(
            app,
            base_url="https://testserver",
            client=("127.0.0.1", 50000),
            raise_server_exceptions=False,
            **kw,
        )
        token, self.csrf = session_for(store, username, now)
        self.cookies.set("carerecord_session", token)

    def post(self, url: Any, *args: Any, **kw: Any) -> Any:  # type: ignore[override]
        data = kw.get("data")
        if isinstance(data, dict) and "csrf_token" not in data:
            kw["data"] = {**data, "csrf_token": self.csrf}
        return super().post(url, *args, **kw)


def declared_for(store: Store, username: str, patient_id: str, now: datetime) -> None:
    """The user declares a relationship with the person (as the page's form would), for tests
    over people no seeded evidence links them to."""
    account = store.accounts.user_by_name(username)
    assert account is not None
    store.consent.declare(
        account.id,
        patient_id,
        "relationship",
        "unplanned-care",
        "test: reading the record",
        now,
        now + timedelta(days=1),
        None,
        AuditRecord(username, "declare-relationship", "success", {}, patient_id),
    )


def signed_in(
    app: Any,
    store: Store,
    now: datetime,
    username: str = "gp-clinician",
    org_ods: str = "F83004",
    role: str = "clinician",
) -> StaffClient:
    """A client signed in as `username` (added, trained a month ago, if not held yet)."""
    add_staff(store, username, org_ods, role, now - timedelta(days=30), now)
    return StaffClient(app, store, username, now)


def declared_for_everyone(store: Store, username: str, now: datetime) -> None:
    """The user declares a relationship with every person held (page tests over many)."""
    with store.engine.connect() as conn:
        ids = list(conn.exec_driver_sql("SELECT id FROM patients").scalars())
    for patient_id in ids:
        declared_for(store, username, patient_id, now)


def any_org(store: Store, preferred: str = "F83004") -> str:
    """The preferred organisation if registered, else the first one that is."""
    codes = [org.ods_code for org in store.organisations()]
    return preferred if preferred in codes or not codes else codes[0]
