"""What an administrator may type, checked: usernames, passwords, second-factor secrets, dates,
networks and national-emergency periods. Pure: each check returns the clean value or raises
InvalidValue saying, in words the administrator can act on, what is wrong."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from carerecord.access.sign_in import MAX_PASSWORD
from carerecord.access.vocabulary import Role
from carerecord.errors import UsageError
from carerecord.organisations import STATUSES

T = TypeVar("T")

UK = ZoneInfo("Europe/London")
MIN_PASSWORD = 12
MAX_USERNAME = 100
MAX_NAME = 200
MAX_REASON = 1000
MAX_NETWORKS = 50
MAX_TEXT = 100  # a date, a time, a CIDR, a secret: anything longer is not one
MIN_SECRET_BITS = 112  # the least a second-factor secret may hold
MIN_SECRET = 23  # base32 characters that hold 112 bits
GOOD_SECRET = 32  # 160 bits, as RFC 4226 recommends
MAX_SECRET = 64  # the column's width
MAX_COPI = timedelta(days=366)

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
_BASE32 = re.compile(r"^[A-Z2-7]+=*$")
_DAY_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d/%m/%Y")
_TIME_FORMATS = ("%H:%M", "%H:%M:%S")
_ANYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


class InvalidValue(UsageError):
    """One value an administrator gave that cannot be used."""


class InvalidInput(UsageError):
    """Values that cannot be used, each field with its problem; nothing was changed."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class Checks:
    """Runs several checks and gathers every problem, so a form can show them all at once."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def run(self, name: str, check: Callable[..., T], *args: object) -> T | None:
        try:
            return check(*args)
        except InvalidValue as problem:
            self.problems[name] = str(problem)
            return None

    def done(self) -> None:
        if self.problems:
            raise InvalidInput(dict(self.problems))


def username(text: str) -> str:
    name = text.strip()
    if not name:
        raise InvalidValue("Enter a username")
    if len(name) > MAX_USERNAME:
        raise InvalidValue(f"A username is at most {MAX_USERNAME} characters")
    if not _USERNAME.match(name):
        raise InvalidValue(
            "A username is letters, digits and the characters . _ @ - (no spaces), "
            "starting with a letter or digit"
        )
    return name


def password(text: str) -> str:
    if len(text) < MIN_PASSWORD:
        raise InvalidValue(f"A password must be at least {MIN_PASSWORD} characters")
    if len(text) > MAX_PASSWORD:
        raise InvalidValue(f"A password is at most {MAX_PASSWORD} characters")
    return text


def display_name(text: str | None) -> str | None:
    name = " ".join((text or "").split())
    if len(name) > MAX_NAME:
        raise InvalidValue(f"A name is at most {MAX_NAME} characters")
    if _has_control(name):
        raise InvalidValue("A name cannot hold control characters")
    return name or None


def role(text: str) -> Role:
    try:
        return Role(text.strip())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidValue(f"Choose a role: one of {allowed}") from None


def status(text: str) -> str:
    if text not in STATUSES:
        raise InvalidValue(f"Choose a rollout status: one of {', '.join(STATUSES)}")
    return text


def totp_secret(text: str) -> str:
    """The secret, upper case without spaces or padding: base32 of at least 112 bits (NIST
    SP 800-63B-4's floor, which the one-time-code library enforces), 160 recommended."""
    secret = "".join(text.split()).upper()
    if len(secret) > MAX_SECRET or not _BASE32.match(secret):
        raise InvalidValue(
            "A second-factor secret is base32: the letters A to Z and the digits 2 to 7, "
            f"at most {MAX_SECRET} characters"
        )
    secret = secret.rstrip("=")
    try:
        decoded = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except binascii.Error:
        decoded = None
    if decoded is None or len(decoded) * 8 < MIN_SECRET_BITS:
        raise InvalidValue(
            f"A second-factor secret needs at least {MIN_SECRET_BITS} bits: "
            f"{MIN_SECRET} or more base32 characters ({GOOD_SECRET}, 160 bits, is recommended)"
        )
    return secret


def day(text: str, what: str = "date") -> date:
    """A date as 2026-10-01, 01-Oct-2026 or 01/10/2026."""
    cleaned = text.strip()
    if len(cleaned) <= MAX_TEXT:
        for layout in _DAY_FORMATS:
            try:
                return datetime.strptime(cleaned, layout).date()
            except ValueError:
                continue
    raise InvalidValue(f"Enter the {what} as a real date, for example 2026-10-01 or 01-Oct-2026")


def trained_on(text: str, now: datetime) -> datetime:
    """When training was completed: a date no later than today (UK time), as the start of that
    day in UK time; `today` means now."""
    if text.strip().lower() in ("", "today"):
        return now
    when = day(text, "training date")
    if when > now.astimezone(UK).date():
        raise InvalidValue("The training date cannot be in the future")
    return datetime.combine(when, time(0), tzinfo=UK).astimezone(UTC)


def moment(text: str, what: str) -> datetime:
    """A date with an optional time (`2026-03-01 09:00`, `2026-03-01T09:00`, `01-Mar-2026`),
    in UK time unless it says its own offset; a date alone is the start of that day."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidValue(f"Enter when the period {what}")
    if len(cleaned) <= MAX_TEXT:
        parsed = _moment(cleaned)
        if parsed is not None:
            return parsed.astimezone(UTC)
    raise InvalidValue(
        f"Enter when the period {what} as a date and time, for example 2026-03-01 09:00"
    )


def _moment(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None:
        parts = text.split()
        try:
            found = day(parts[0])
        except InvalidValue:
            return None
        at = _time(parts[1]) if len(parts) == 2 else time(0) if len(parts) == 1 else None
        if at is None:
            return None
        parsed = datetime.combine(found, at)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UK)


def _time(text: str) -> time | None:
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(text, layout).time()
        except ValueError:
            continue
    return None


def copi_period(starts: str, ends: str, why: str, now: datetime) -> tuple[datetime, datetime, str]:
    checks = Checks()
    start = checks.run("starts", moment, starts, "starts")
    end = checks.run("ends", moment, ends, "ends")
    reason = checks.run("reason", copi_reason, why)
    if start is not None and end is not None and "ends" not in checks.problems:
        if end <= start:
            checks.problems["ends"] = "The period must end after it starts"
        elif end - start > MAX_COPI:
            checks.problems["ends"] = "A period can last at most 366 days: declare another after"
        elif end <= now:
            checks.problems["ends"] = "This period has already ended"
    checks.done()
    assert start is not None and end is not None and reason is not None
    return start, end, reason


def copi_reason(text: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise InvalidValue("Say why the period is declared, for example the instruction given")
    if len(reason) > MAX_REASON:
        raise InvalidValue(f"Use at most {MAX_REASON} characters")
    if _has_control(reason):
        raise InvalidValue("The reason cannot hold control characters")
    return reason


def networks(entries: Iterable[str], allow_any: bool = False) -> list[str]:
    """Each entry as a network (`10.1.0.0/16`, `2001:db8::/32`, one address), normalised;
    every address at once only with allow_any."""
    given = [entry.strip() for entry in entries if entry.strip()]
    if len(given) > MAX_NETWORKS:
        raise InvalidValue(f"At most {MAX_NETWORKS} networks per organisation")
    found: list[str] = []
    for entry in given:
        try:
            network = ipaddress.ip_network(entry[:MAX_TEXT], strict=False)
        except ValueError:
            shown = entry if len(entry) <= MAX_TEXT else entry[:MAX_TEXT] + "…"
            raise InvalidValue(
                f"{shown!r} is not a network: write it as 10.1.0.0/16, 2001:db8::/32 "
                "or a single address"
            ) from None
        if network in _ANYWHERE and not allow_any:
            raise InvalidValue(
                f"{network} lets every address in: register the organisation's own networks"
            )
        if str(network) not in found:
            found.append(str(network))
    return sorted(found)


def lets_anyone_in(cidrs: Iterable[str]) -> bool:
    return any(ipaddress.ip_network(cidr, strict=False) in _ANYWHERE for cidr in cidrs)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char).startswith("C") for char in text)
