"""What administration hands back and raises: accounts as an administrator sees them (never a
secret), credentials shown once, organisations with their networks, emergency periods with
their state."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp

from carerecord.access.vocabulary import Role
from carerecord.errors import UsageError
from carerecord.organisations import Organisation
from carerecord.store.account_records import CopiPeriod

ISSUER = "carerecord"  # how authenticator apps label the account
# Generated passwords use nothing easily misread: no l, 1, o or 0.
_PASSWORD_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet, not a password)


class NotAdministrator(UsageError):
    """The user may not administer; pages answer as if there were nothing here."""


class UnknownAccount(UsageError):
    """No user by that name or id."""


class UnknownPeriod(UsageError):
    """No national-emergency period with that id."""


@dataclass(frozen=True)
class Operator:
    """Someone running carerecord's commands at the server, as this operating-system user."""

    login: str


@dataclass(frozen=True)
class Account:
    """What an administrator sees of a user: never their password or second-factor secret."""

    id: int
    username: str
    name: str | None
    org_ods: str
    role: Role
    trained_at: datetime | None
    training_current: bool
    locked: bool
    disabled: bool
    open_sessions: int
    external: bool  # signs in through an identity provider: no password here


@dataclass(frozen=True)
class Credentials:
    """A new password and second factor, to hand to the user once: they are never shown again."""

    username: str
    password: str | None  # None when the administrator chose it
    totp_secret: str
    provisioning_uri: str  # otpauth://, for an authenticator app (as text or a QR code)


@dataclass(frozen=True)
class RegisteredOrganisation:
    organisation: Organisation
    networks: tuple[str, ...]


@dataclass(frozen=True)
class EmergencyPeriod:
    period: CopiPeriod
    state: str  # planned, in force, ended, cancelled


def new_password_text() -> str:
    """A generated password: four groups of four letters and digits, 79 bits."""
    groups = ("".join(secrets.choice(_PASSWORD_LETTERS) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def credentials(username: str, password: str | None, secret: str) -> Credentials:
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Credentials(username, password, secret, uri)
