"""Signing in with a local account: password (argon2), then a one-time code (TOTP), into a
server-side session. Lockout, timeouts, step-up and sign-out live here too; every outcome is
written to the audit log. The cookie carries a random token; the database keeps its SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from carerecord.access.actors import User
from carerecord.access.vocabulary import Role
from carerecord.audit.entry import AuditRecord, Requester
from carerecord.errors import SignInRefused
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import NewUser, SessionRow, UserAccount

_HASHER = PasswordHasher()
# Verified when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
TOTP_DIGITS = 6
MAX_PASSWORD = 1024  # argon2 takes any length; refusing megabytes keeps sign-in cheap
STAGE_PASSWORD = "password"  # noqa: S105 (a stage of signing in, not a secret)
STAGE_FULL = "full"

# What the pages say about a failed step, by the reason the audit log records.
WRONG_PASSWORD = "The username or password is not right"  # noqa: S105 (words, not a secret)
LOCKED = "Your account is locked after too many attempts: ask your administrator"
_PROBLEMS = {
    "locked": LOCKED,
    "disabled": "Your account is disabled: ask your administrator",
    "no-second-factor": "Your account has no second factor set up: ask your administrator",
    "code-wrong": "The code is not right: enter the current code from your authenticator app",
}


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def is_code(digits: str) -> bool:
    """Six ASCII digits (str.isdigit alone also takes other scripts' digits, and superscripts)."""
    return len(digits) == TOTP_DIGITS and digits.isascii() and digits.isdigit()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ExternalIdentityLike(Protocol):
    """Who an identity provider says signed in (see access/oidc_claims.py)."""

    issuer: str
    subject: str
    name: str
    org_ods: str
    role: Role
    assurance: str


@dataclass(frozen=True)
class Client:
    """Where a request came from (for the audit log and the network check)."""

    address: str
    user_agent: str


@dataclass(frozen=True)
class Attempt:
    """The outcome of one step of signing in, in words the page can show as they are."""

    token: str | None  # the session token to set in the cookie, when the step succeeded
    problem: str | None = None


class SignIn:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._accounts = store.accounts
        self._consent = store.consent
        self._settings = settings

    # Step one: username and password
    def password(self, username: str, password: str, client: Client, now: datetime) -> Attempt:
        account = self._password_checked(username, password, client, now)
        if isinstance(account, Attempt):
            return account
        if account.totp_secret is None:
            return self._fail(account, client, now, "no-second-factor", count=False)
        token = self._open_session(account, STAGE_PASSWORD, "AAL1", client, now)
        self._audit(account, "sign-in-password", "success", client, now)
        return Attempt(token)

    def _password_checked(
        self, username: str, password: str, client: Client, now: datetime
    ) -> UserAccount | Attempt:
        """The enabled, unlocked account whose password this is; or the refusal, audited
        (a wrong password counts towards locking the account)."""
        account = self._accounts.user_by_name(username[:100]) if username else None
        if len(password) > MAX_PASSWORD or not password:
            return self._fail(account, client, now, "password-invalid")
        if account is None or account.password_hash is None:
            _verify(_DUMMY_HASH, password)
            given = username[:100]
            self._audit(
                None, "sign-in", "failure", client, now, reason="unknown-user", username_given=given
            )
            return Attempt(None, WRONG_PASSWORD)
        if account.disabled:  # said only to the right password: the name alone learns nothing
            right = _verify(account.password_hash, password)
            return self._fail(account, client, now, "disabled", count=False, tell=right)
        if _locked(account, now):
            _verify(_DUMMY_HASH, password)
            return self._fail(account, client, now, "locked", count=False)
        if not _verify(account.password_hash, password):
            return self._fail(account, client, now, "password-wrong")
        return account

    # Operator commands (raw input, the quarantine): a system administrator's password
    def operator(self, username: str, password: str, client: Client, now: datetime) -> UserAccount:
        """The enabled `system-admin` account this password belongs to, checked exactly as at
        the sign-in page (failures audited, a wrong password counting towards lockout);
        SignInRefused, saying why, otherwise."""
        account = self._password_checked(username, password, client, now)
        if isinstance(account, Attempt):
            problem = account.problem or "the username or password is not right"
            raise SignInRefused(
                f"operator {username!r} refused: {problem[:1].lower()}{problem[1:]}"
            )
        if account.role != Role.SYSTEM_ADMIN:
            self._audit(account, "sign-in", "failure", client, now, reason="not-operator")
            raise SignInRefused(
                f"operator {username!r} refused: only a {Role.SYSTEM_ADMIN} account may do this"
            )
        return account

    # Step two: the one-time code, which turns the half session into a full one
    def code(self, token: str, code: str, client: Client, now: datetime) -> Attempt:
        found = self._accounts.session(token_hash(token))
        if found is None or not self._live(found[0], now) or found[0].stage != STAGE_PASSWORD:
            return Attempt(None, "Your sign-in has expired: enter your username and password again")
        session, account = found
        if _locked(account, now) or account.disabled:
            return self._fail(account, client, now, "locked", count=False)
        if not self._code_ok(account, code, now):
            return self._fail(account, client, now, "code-wrong")
        self._accounts.update_user(account.id, failed_attempts=0, locked_until=None)
        new = secrets.token_urlsafe(32)
        self._accounts.replace_session(
            session.token_hash, self._row(account, new, STAGE_FULL, "AAL2", client, now, now), now
        )
        self._audit(account, "sign-in", "success", client, now, assurance="AAL2")
        return Attempt(new)

    # Or: the identity provider vouches for the user (OpenID Connect)
    def sign_in_external(
        self, identity: ExternalIdentityLike, client_address: str, user_agent: str, now: datetime
    ) -> str:
        """A full session for a user the provider signed in; the account is provisioned on
        first sign-in and keeps the organisation, role and name the provider last gave."""
        client = Client(client_address, user_agent)
        if self._store.organisation(identity.org_ods) is None:
            raise SignInRefused(
                f"your organisation ({identity.org_ods}) is not registered with carerecord: "
                "ask your administrator"
            )
        org, role, name = identity.org_ods, str(identity.role), identity.name[:200]
        account = self._accounts.user_by_external(identity.issuer, identity.subject)
        if account is None:
            username = f"{identity.subject[:60]}@{_host(identity.issuer)}"[:100]
            self._accounts.add_user(
                NewUser(
                    username=username,
                    password_hash=None,
                    totp_secret=None,
                    external_issuer=identity.issuer,
                    external_subject=identity.subject,
                    org_ods=org,
                    role=role,
                    display_name=name,
                ),
                now,
            )
        else:
            self._accounts.update_user(account.id, org_ods=org, role=role, display_name=name)
        account = self._accounts.user_by_external(identity.issuer, identity.subject)
        if account is None or account.disabled:
            raise SignInRefused("this account is disabled: ask your administrator")
        token = self._open_session(account, STAGE_FULL, identity.assurance, client, now)
        self._audit(account, "sign-in", "success", client, now, assurance=identity.assurance)
        return token

    def step_up(self, user: User, code: str, client: Client, now: datetime) -> str | None:
        """A fresh second-factor check (before an override); the problem, or None when done."""
        account = self._accounts.user(user.id)
        if account is None:
            return LOCKED
        if _locked(account, now):
            return self._fail(account, client, now, "locked", count=False, action="step-up").problem
        if not self._code_ok(account, code, now):
            return self._fail(account, client, now, "code-wrong", action="step-up").problem
        self._accounts.update_user(account.id, failed_attempts=0)
        self._accounts.update_session(user.session_hash, stepped_up_at=now)
        self._audit(account, "step-up", "success", client, now)
        return None

    # Every request: who the cookie belongs to, if anyone
    def resolve(self, token: str, client: Client, now: datetime) -> User | None:
        if not token or len(token) > 100:
            return None
        found = self._accounts.session(token_hash(token))
        if found is None:
            return None
        session, account = found
        if session.stage != STAGE_FULL or account.disabled:
            return None
        if not self._live(session, now):
            if session.ended_at is None:
                reason = "absolute-timeout" if now >= session.expires_at else "idle-timeout"
                self._accounts.update_session(session.token_hash, ended_at=now, end_reason=reason)
                self._audit(account, "session-timeout", "success", client, now, reason=reason)
            return None
        if now - session.last_seen_at > timedelta(seconds=30):  # one write a minute, not a request
            self._accounts.update_session(session.token_hash, last_seen_at=now)
        return _user(account, session)

    def sign_out(self, token: str, client: Client, now: datetime) -> None:
        found = self._accounts.session(token_hash(token)) if token else None
        if found is None or found[0].ended_at is not None:
            return
        self._accounts.update_session(found[0].token_hash, ended_at=now, end_reason="sign-out")
        self._audit(found[1], "sign-out", "success", client, now)

    def end_all(self, user_id: int, by: str, now: datetime) -> int:
        ended = self._accounts.end_sessions(user_id, now, "ended-by-administrator")
        account = self._accounts.user(user_id)
        self._consent.audit(
            AuditRecord(
                by,
                "end-sessions",
                "success",
                {"user": account.username if account else user_id, "ended": ended},
            ),
            now,
        )
        return ended

    def pending_csrf(self, token: str, now: datetime) -> str | None:
        """The form token of a half-signed-in session (the one-time code form)."""
        found = self._accounts.session(token_hash(token)) if token else None
        if found is None or found[0].stage != STAGE_PASSWORD or not self._live(found[0], now):
            return None
        return found[0].csrf_token

    # Pieces
    def _live(self, session: SessionRow, now: datetime) -> bool:
        idle = timedelta(minutes=self._settings.session_idle_minutes)
        return (
            session.ended_at is None
            and now < session.expires_at
            and now - session.last_seen_at < idle
        )

    def _code_ok(self, account: UserAccount, code: str, now: datetime) -> bool:
        digits = code.replace(" ", "")
        if account.totp_secret is None or not is_code(digits):
            return False
        totp = pyotp.TOTP(account.totp_secret)
        for offset in (0, -1, 1):  # one step of clock drift either way
            step = int(now.timestamp()) // totp.interval + offset
            if hmac.compare_digest(totp.at(step * totp.interval), digits):
                return self._accounts.claim_totp_step(account.id, step)  # each code once
        return False

    def _open_session(
        self, account: UserAccount, stage: str, assurance: str, client: Client, now: datetime
    ) -> str:
        token = secrets.token_urlsafe(32)
        self._accounts.add_session(self._row(account, token, stage, assurance, client, now, None))
        return token

    def _row(
        self,
        account: UserAccount,
        token: str,
        stage: str,
        assurance: str,
        client: Client,
        now: datetime,
        stepped_up_at: datetime | None,
    ) -> SessionRow:
        limit = timedelta(
            minutes=5 if stage == STAGE_PASSWORD else self._settings.session_absolute_minutes
        )
        return SessionRow(
            token_hash=token_hash(token),
            user_id=account.id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
            expires_at=now + limit,
            ended_at=None,
            end_reason=None,
            csrf_token=secrets.token_urlsafe(32),
            assurance=assurance,
            stepped_up_at=stepped_up_at,
            client_address=client.address[:64],
            user_agent=client.user_agent[:300],
        )

    def _fail(
        self,
        account: UserAccount | None,
        client: Client,
        now: datetime,
        reason: str,
        count: bool = True,
        tell: bool = True,
        action: str = "sign-in",
    ) -> Attempt:
        """Audits a failed step and, when `count`, counts it towards the lock; the words for
        the page (the reason itself only when `tell`, else that the password is not right)."""
        locked = False
        if account is not None and count:
            if account.locked_until is not None and not _locked(account, now):
                self._accounts.update_user(account.id, failed_attempts=0, locked_until=None)
            limit = self._settings.sign_in_attempts
            lock = now + timedelta(minutes=self._settings.lockout_minutes)
            failures = self._accounts.record_failure(account.id, limit, lock)
            if failures == limit:
                self._audit(account, "lockout", "success", client, now)
            locked = failures >= limit
        self._audit(account, action, "failure", client, now, reason=reason)
        if locked:
            return Attempt(None, LOCKED)
        return Attempt(None, _PROBLEMS.get(reason, WRONG_PASSWORD) if tell else WRONG_PASSWORD)

    def _audit(
        self,
        account: UserAccount | None,
        action: str,
        outcome: str,
        client: Client,
        now: datetime,
        **detail: object,
    ) -> None:
        actor = account.username if account else "unknown"
        requester = None
        if account is not None:
            org = self._store.organisation(account.org_ods)
            requester = Requester(
                user_id=account.id,
                username=account.username,
                name=account.display_name or account.username,
                role=str(account.role),
                organisation=account.org_ods,
                org_type=org.org_type if org else "unknown",
                region=org.region if org else "unknown",
                assurance=str(detail.get("assurance", "")),
                client_address=client.address,
                user_agent=client.user_agent[:300],
            )
        self._consent.audit(
            AuditRecord(
                actor,
                action,
                outcome,
                {
                    **detail,
                    "organisation": account.org_ods if account else None,
                    "role": account.role if account else None,
                    "client_address": client.address,
                    "user_agent": client.user_agent[:300],
                },
                requester=requester,
            ),
            now,
        )


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked(account: UserAccount, now: datetime) -> bool:
    return account.locked_until is not None and now < account.locked_until


def _user(account: UserAccount, session: SessionRow) -> User:
    return User(
        id=account.id,
        username=account.username,
        name=account.display_name or account.username,
        org_ods=account.org_ods,
        role=Role(account.role),
        trained_at=account.trained_at,
        assurance=session.assurance,
        session_hash=session.token_hash,
        csrf_token=session.csrf_token,
        stepped_up_at=session.stepped_up_at,
    )


def _host(issuer: str) -> str:
    return urlsplit(issuer).hostname or "idp"
