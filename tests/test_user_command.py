"""`carerecord user ...` as an operator uses it, on SQLite and PostgreSQL: accounts that can
really sign in, clear refusals that change nothing, and every change in the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest

from carerecord.access.admin_input import UK
from carerecord.access.sign_in import Client, SignIn
from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.command_line import OPERATOR, Cli, command_line
from tests.support.staff import PASSWORD, TOTP_SECRET, add_staff, session_for

NEW_PASSWORD = "a long new password"  # noqa: S105 (the tests' password)
HERE = Client("127.0.0.1", "tests")
ADD = ("user", "add", "a.okafor", "--org", "F83004", "--role", "clinician")


@pytest.fixture
def cli(
    store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    run = command_line(db_url, monkeypatch, capsys)
    monkeypatch.setenv("CARERECORD_PASSWORD", NEW_PASSWORD)
    return run


def can_sign_in(store: Store, username: str, password: str, secret: str) -> bool:
    """Through the real two steps, now."""
    sign_in = SignIn(store, Settings())
    now = datetime.now(UTC)
    first = sign_in.password(username, password, HERE, now)
    if first.token is None:
        return False
    return sign_in.code(first.token, pyotp.TOTP(secret).now(), HERE, now).token is not None


def audited(store: Store, action: str) -> list[dict[str, Any]]:
    return [{"actor": e.actor, "detail": e.detail} for e in audit_entries(store, action)]


def printed_secret(out: str) -> str:
    found = re.search(r"second-factor secret \(shown only now\): ([A-Z2-7]+)", out)
    assert found, out
    return found.group(1)


# Adding
def test_add_creates_a_user_who_can_sign_in_with_the_secret_printed_once(
    cli: Cli, store: Store
) -> None:
    status, out, err = cli(*ADD, "--name", "Dr Amara Okafor", "--trained")

    assert (status, err) == (EXIT_OK, "")
    today = datetime.now(UK).date()
    assert f"added a.okafor: clinician at F83004, trained {today:%Y-%m-%d}" in out
    secret = printed_secret(out)
    assert f"otpauth://totp/carerecord:a.okafor?secret={secret}&issuer=carerecord" in out
    assert "changes every 30 seconds" in out
    account = store.accounts.user_by_name("a.okafor")
    assert account is not None and account.display_name == "Dr Amara Okafor"
    assert account.trained_at is not None and account.role == "clinician"
    assert can_sign_in(store, "a.okafor", NEW_PASSWORD, secret)
    [entry] = audited(store, "user-add")
    assert entry["actor"] == f"operator:{OPERATOR}"
    assert secret not in str(entry["detail"]) and NEW_PASSWORD not in str(entry["detail"])


def test_add_takes_a_given_secret_and_does_not_print_it(cli: Cli, store: Store) -> None:
    status, out, _ = cli(*ADD, "--totp-secret", "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp")

    assert status == EXIT_OK
    assert TOTP_SECRET not in out and "otpauth://" not in out
    assert store.accounts.user_by_name("a.okafor").totp_secret == TOTP_SECRET  # type: ignore[union-attr]
    assert can_sign_in(store, "a.okafor", NEW_PASSWORD, TOTP_SECRET)


def test_add_records_training_on_a_date(cli: Cli, store: Store) -> None:
    status, out, _ = cli(*ADD, "--trained", "2026-01-05")
    assert status == EXIT_OK and "trained 2026-01-05" in out
    account = store.accounts.user_by_name("a.okafor")
    assert account is not None
    assert account.trained_at == datetime(2026, 1, 5, tzinfo=UTC)  # the day's start, UK time


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (("--role", "doctor"), "Choose a role: one of clinician, care-professional"),
        (("--org", "ZZZ99"), "No organisation 'ZZZ99' is registered"),
        (("--totp-secret", "JBSWY3DPEHPK3PXP"), "at least 112 bits"),
        (("--totp-secret", "not base32!"), "is base32"),
        (("--trained", "2999-01-01"), "cannot be in the future"),
        (("--trained", "last week"), "real date"),
        (("--name", "x" * 201), "at most 200 characters"),
    ],
)
def test_add_refuses_bad_values_and_adds_nobody(
    cli: Cli, store: Store, argv: tuple[str, ...], problem: str
) -> None:
    status, _, err = cli(*ADD, *argv)
    assert status == EXIT_USAGE
    assert problem in err
    assert store.accounts.list_users() == []
    assert audited(store, "user-add") == []


def test_add_refuses_a_username_that_is_taken_or_malformed(cli: Cli, store: Store) -> None:
    assert cli(*ADD)[0] == EXIT_OK
    status, _, err = cli(*ADD)
    assert status == EXIT_USAGE and "The username 'a.okafor' is taken" in err
    status, _, err = cli("user", "add", "a okafor", "--org", "F83004", "--role", "clinician")
    assert status == EXIT_USAGE and "no spaces" in err
    assert len(store.accounts.list_users()) == 1


def test_add_refuses_a_short_password(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARERECORD_PASSWORD", "eleven char")
    status, _, err = cli(*ADD)
    assert status == EXIT_USAGE and "at least 12 characters" in err
    assert store.accounts.list_users() == []


def test_without_the_variable_the_password_is_asked_for_twice(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARERECORD_PASSWORD")
    typed = iter(["typed at the terminal", "typed at the terminal differently"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))

    status, _, err = cli(*ADD)

    assert status == EXIT_USAGE and "the two passwords differ" in err
    assert store.accounts.list_users() == []
    typed = iter(["typed at the terminal"] * 2)
    status, out, _ = cli(*ADD)
    assert status == EXIT_OK
    assert can_sign_in(store, "a.okafor", "typed at the terminal", printed_secret(out))


# Listing
def test_list_shows_each_account_and_never_a_secret(cli: Cli, store: Store) -> None:
    now = datetime.now(UTC)
    add_staff(store, "gp-clinician", "F83004", "clinician", now - timedelta(days=3), now)
    add_staff(store, "locked-out", "RAL01", "clinician", None, now)
    add_staff(store, "left", "RAL01", "care-home", now - timedelta(days=400), now)
    store.accounts.record_failure(user_id(store, "locked-out"), 1, now + timedelta(minutes=15))
    store.accounts.update_user(user_id(store, "left"), disabled=True)
    session_for(store, "gp-clinician", now)

    status, out, _ = cli("user", "list")

    assert status == EXIT_OK
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert "clinician" in lines["gp-clinician"] and "F83004" in lines["gp-clinician"]
    assert re.search(r"│\s*1\s*│\s*$", lines["gp-clinician"])  # one open session
    assert "locked" in lines["locked-out"] and "never" in lines["locked-out"]
    assert "disabled" in lines["left"] and "(expired)" in lines["left"]
    assert TOTP_SECRET not in out and "argon2" not in out


# Changing
def user_id(store: Store, username: str) -> int:
    account = store.accounts.user_by_name(username)
    assert account is not None
    return account.id


@pytest.fixture
def clinician(store: Store) -> int:
    now = datetime.now(UTC)
    return add_staff(store, "gp-clinician", "F83004", "clinician", None, now)


def test_reset_sets_a_new_password_and_secret_unlocks_and_ends_sessions(
    cli: Cli, store: Store, clinician: int
) -> None:
    now = datetime.now(UTC)
    session_for(store, "gp-clinician", now)
    store.accounts.record_failure(clinician, 1, now + timedelta(minutes=15))

    status, out, _ = cli("user", "reset", "gp-clinician")

    assert status == EXIT_OK and "unlocked; every session ended" in out
    secret = printed_secret(out)
    assert store.accounts.open_sessions(clinician, now) == 0
    assert not can_sign_in(store, "gp-clinician", PASSWORD, TOTP_SECRET)
    assert can_sign_in(store, "gp-clinician", NEW_PASSWORD, secret)
    [entry] = audited(store, "user-reset")
    assert entry["actor"] == f"operator:{OPERATOR}" and entry["detail"]["ended_sessions"] == 1


def test_unlock_disable_enable_and_end_sessions(cli: Cli, store: Store, clinician: int) -> None:
    now = datetime.now(UTC)
    store.accounts.record_failure(clinician, 1, now + timedelta(minutes=15))
    assert not can_sign_in(store, "gp-clinician", PASSWORD, TOTP_SECRET)
    assert cli("user", "unlock", "gp-clinician")[0] == EXIT_OK
    assert can_sign_in(store, "gp-clinician", PASSWORD, TOTP_SECRET)  # a full session now

    status, out, _ = cli("user", "end-sessions", "gp-clinician")
    assert status == EXIT_OK and "ended 1 session(s) of gp-clinician" in out
    assert store.accounts.open_sessions(clinician, now) == 0

    session_for(store, "gp-clinician", now)
    status, out, _ = cli("user", "disable", "gp-clinician")
    assert status == EXIT_OK and "1 session(s) ended" in out
    assert store.accounts.open_sessions(clinician, now) == 0
    assert not can_sign_in(store, "gp-clinician", PASSWORD, TOTP_SECRET)
    assert cli("user", "enable", "gp-clinician")[0] == EXIT_OK
    assert store.accounts.user(clinician).disabled is False  # type: ignore[union-attr]

    actions = ("user-unlock", "end-sessions", "user-disable", "user-enable")
    for action in actions:
        assert [e["actor"] for e in audited(store, action)] == [f"operator:{OPERATOR}"], action


def test_train_records_the_attestation(cli: Cli, store: Store, clinician: int) -> None:
    status, out, _ = cli("user", "train", "gp-clinician", "--on", "2026-03-02")
    assert status == EXIT_OK and "training on 2026-03-02" in out
    assert store.accounts.user(clinician).trained_at is not None  # type: ignore[union-attr]

    assert cli("user", "train", "gp-clinician")[0] == EXIT_OK  # today
    trained = store.accounts.user(clinician).trained_at  # type: ignore[union-attr]
    assert trained is not None and datetime.now(UTC) - trained < timedelta(minutes=1)
    status, _, err = cli("user", "train", "gp-clinician", "--on", "2999-01-01")
    assert status == EXIT_USAGE and "cannot be in the future" in err
    assert len(audited(store, "user-train")) == 2


@pytest.mark.parametrize(
    "command", ["reset", "unlock", "disable", "enable", "end-sessions", "train"]
)
def test_an_unknown_user_is_named_and_nothing_changes(cli: Cli, command: str) -> None:
    status, _, err = cli("user", command, "nobody")
    assert status == EXIT_USAGE
    assert "no user 'nobody': see `carerecord user list`" in err
