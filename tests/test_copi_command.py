"""`carerecord copi declare|list|cancel` as an operator uses it, on SQLite and PostgreSQL: a
declared period is what the access policy then finds in force; bad periods change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from carerecord.access.admin_input import UK
from carerecord.access.gate import RecordAccess
from carerecord.access.rules import load_rules
from carerecord.access.sign_in import Client, SignIn
from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.command_line import OPERATOR, Cli, command_line
from tests.support.staff import add_staff, session_for


@pytest.fixture
def cli(
    store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    return command_line(db_url, monkeypatch, capsys)


def uk(days: int, hour: int = 9) -> str:
    """A date and time `days` from today, as an operator types it in UK time."""
    day = datetime.now(UK).date() + timedelta(days=days)
    return f"{day:%Y-%m-%d} {hour:02d}:00"


def copi_in_force_for_a_user(store: Store) -> bool:
    """What the access gate finds for a signed-in user now."""
    register(store, make_org("F83004", "gp"))
    now = datetime.now(UTC)
    add_staff(store, "gp-clinician", "F83004", "clinician", now, now)
    token, _ = session_for(store, "gp-clinician", now)
    user = SignIn(store, Settings()).resolve(token, Client("127.0.0.1", "tests"), now)
    assert user is not None
    circumstances = RecordAccess(store, user, load_rules(), now, "127.0.0.1").circumstances
    assert circumstances is not None
    return circumstances.copi


def test_a_declared_period_is_in_force_until_it_is_cancelled(cli: Cli, store: Store) -> None:
    status, out, err = cli(
        "copi", "declare", "--from", uk(-1), "--to", uk(30), "--reason", "Notice under reg 3(4)"
    )

    assert (status, err) == (EXIT_OK, "")
    assert "declared national-emergency period" in out and "in force" in out
    [period] = store.consent.copi_periods()
    assert period.declared_by == f"operator:{OPERATOR}" and period.reason == "Notice under reg 3(4)"
    assert copi_in_force_for_a_user(store)

    status, out, _ = cli("copi", "list")
    assert status == EXIT_OK
    assert uk(-1) in out and "in force" in out and "Notice under reg 3(4)" in out

    status, out, _ = cli("copi", "cancel", str(period.id))
    assert status == EXIT_OK and f"cancelled national-emergency period {period.id}" in out
    assert not copi_in_force_for_a_user(store)
    assert "cancelled" in cli("copi", "list")[1]


def test_times_are_uk_time_unless_they_say_otherwise(cli: Cli, store: Store) -> None:
    day = datetime.now(UK).date() + timedelta(days=1)
    cli("copi", "declare", "--from", f"{day} 09:00", "--to", uk(9), "--reason", "local")
    cli("copi", "declare", "--from", f"{day}T09:00+00:00", "--to", uk(9), "--reason", "utc")
    by_reason = {p.reason: p for p in store.consent.copi_periods()}
    in_uk = datetime.combine(day, time(9), tzinfo=UK)
    assert by_reason["local"].starts_at == in_uk.astimezone(UTC)
    assert by_reason["utc"].starts_at == datetime.combine(day, time(9), tzinfo=UTC)


@pytest.mark.parametrize(
    ("starts", "ends", "reason", "problem"),
    [
        (uk(5), uk(2), "notice", "The period must end after it starts"),
        (uk(1), uk(1), "notice", "The period must end after it starts"),
        (uk(0), uk(367), "notice", "at most 366 days"),
        (uk(-10), uk(-2), "notice", "This period has already ended"),
        ("next tuesday", uk(2), "notice", "as a date and time"),
        (uk(0), "2026-02-30 09:00", "notice", "as a date and time"),
        (uk(0), uk(2), "   ", "Say why the period is declared"),
        (uk(0), uk(2), "x" * 1001, "at most 1000 characters"),
    ],
)
def test_a_bad_period_is_refused_and_nothing_is_declared(
    cli: Cli, store: Store, starts: str, ends: str, reason: str, problem: str
) -> None:
    status, _, err = cli("copi", "declare", "--from", starts, "--to", ends, "--reason", reason)
    assert status == EXIT_USAGE
    assert problem in err
    assert store.consent.copi_periods() == []


def test_cancelling_needs_a_period_that_is_held_and_not_cancelled(cli: Cli, store: Store) -> None:
    cli("copi", "declare", "--from", uk(0), "--to", uk(3), "--reason", "notice")
    [period] = store.consent.copi_periods()
    assert cli("copi", "cancel", str(period.id))[0] == EXIT_OK

    status, _, err = cli("copi", "cancel", str(period.id))
    assert status == EXIT_USAGE and "already cancelled" in err
    status, _, err = cli("copi", "cancel", "999")
    assert status == EXIT_USAGE and "no national-emergency period 999" in err
    status, _, err = cli("copi", "cancel", "one")
    assert status == EXIT_USAGE and "is not a period id" in err


def test_declaring_and_cancelling_are_audited_as_the_operator(cli: Cli, store: Store) -> None:
    cli("copi", "declare", "--from", uk(0), "--to", uk(3), "--reason", "notice")
    [period] = store.consent.copi_periods()
    cli("copi", "cancel", str(period.id))
    entries = audit_entries(store)
    assert [(e.actor, e.action) for e in entries if e.action.startswith("copi-")] == [
        (f"operator:{OPERATOR}", "copi-declare"),
        (f"operator:{OPERATOR}", "copi-cancel"),
    ]
