"""SignIn, driven directly with explicit times: password and one-time code, lockout, the
one-time code's window and replay, timeouts, sign-out, and the audit entry of every outcome.
On both databases; nothing sleeps."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from carerecord.access import sign_in
from carerecord.access.sign_in import Client, SignIn
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import UserAccount
from carerecord.store.schema import audit_events, sessions
from tests.factories import make_org, register
from tests.support.audit_log import entries
from tests.support.sign_in import add_quick_staff, code_at
from tests.support.staff import PASSWORD

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # the start of a 30-second code step
CLIENT = Client("127.0.0.1", "tests")
USER = "ward-nurse"
WRONG = "The username or password is not right"
WRONG_CODE = "The code is not right: enter the current code from your authenticator app"
LOCKED = "Your account is locked after too many attempts: ask your administrator"
EXPIRED = "Your sign-in has expired: enter your username and password again"


def add_user(store: Store, username: str = USER) -> None:
    add_quick_staff(store, username, "F83004", "clinician", NOW - timedelta(days=30), NOW)


@pytest.fixture
def service(store: Store) -> SignIn:
    register(store, make_org("F83004", "gp"))
    add_user(store)
    return SignIn(store, Settings())


def with_settings(store: Store, **settings: Any) -> SignIn:
    register(store, make_org("F83004", "gp"))
    add_user(store)
    return SignIn(store, Settings(**settings))


def account(store: Store, username: str = USER) -> UserAccount:
    found = store.accounts.user_by_name(username)
    assert found is not None
    return found


def half_session(service: SignIn, now: datetime = NOW) -> str:
    attempt = service.password(USER, PASSWORD, CLIENT, now)
    assert attempt.token is not None, attempt.problem
    return attempt.token


def full_session(service: SignIn, now: datetime = NOW) -> str:
    attempt = service.code(half_session(service, now), code_at(now), CLIENT, now)
    assert attempt.token is not None, attempt.problem
    return attempt.token


def sign_in_failures(store: Store) -> list[str]:
    return [e["detail"]["reason"] for e in entries(store, "sign-in") if e["outcome"] == "failure"]


# The right password, then the right code


def test_the_right_password_and_code_give_a_full_session(service: SignIn) -> None:
    half = half_session(service)
    attempt = service.code(half, code_at(NOW), CLIENT, NOW)

    assert attempt.token is not None and attempt.problem is None
    user = service.resolve(attempt.token, CLIENT, NOW + timedelta(minutes=1))
    assert user is not None
    assert (user.username, user.org_ods, user.role, user.assurance) == (
        USER,
        "F83004",
        "clinician",
        "AAL2",
    )


def test_a_code_may_be_typed_with_a_space_in_the_middle(service: SignIn) -> None:
    code = code_at(NOW)
    attempt = service.code(half_session(service), f"{code[:3]} {code[3:]}", CLIENT, NOW)

    assert attempt.token is not None


# Wrong password, unknown user, disabled account, no second factor


def test_a_wrong_password_is_refused_and_counted(store: Store, service: SignIn) -> None:
    attempt = service.password(USER, "not the password", CLIENT, NOW)

    assert (attempt.token, attempt.problem) == (None, WRONG)
    assert account(store).failed_attempts == 1
    assert sign_in_failures(store) == ["password-wrong"]


def test_an_unknown_user_gets_the_same_words_and_the_same_work(
    store: Store, service: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified = spy_on_verify(monkeypatch)

    unknown = service.password("nobody-here", PASSWORD, CLIENT, NOW)
    wrong = service.password(USER, "not the password", CLIENT, NOW)

    assert unknown.problem == wrong.problem == WRONG
    # A name nobody holds still costs one argon2 verification, against a hash of nothing.
    assert verified == [sign_in._DUMMY_HASH, account(store).password_hash]
    assert sign_in_failures(store) == ["unknown-user", "password-wrong"]


def spy_on_verify(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes sign-in verifies passwords against, in order (the real check still runs)."""
    seen: list[str] = []
    real: Callable[[str, str], bool] = sign_in._verify

    def verify(hashed: str, password: str) -> bool:
        seen.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(sign_in, "_verify", verify)
    return seen


def test_a_disabled_account_is_refused_and_says_so_only_to_its_password(
    store: Store, service: SignIn
) -> None:
    store.accounts.update_user(account(store).id, disabled=True)

    assert service.password(USER, "not the password", CLIENT, NOW).problem == WRONG
    right = service.password(USER, PASSWORD, CLIENT, NOW)

    assert right.token is None
    assert right.problem == "Your account is disabled: ask your administrator"
    assert sign_in_failures(store) == ["disabled", "disabled"]


def test_a_disabled_accounts_session_ends_at_once(store: Store, service: SignIn) -> None:
    token = full_session(service)
    store.accounts.update_user(account(store).id, disabled=True)

    assert service.resolve(token, CLIENT, NOW + timedelta(minutes=1)) is None


def test_an_account_without_a_second_factor_cannot_sign_in(store: Store, service: SignIn) -> None:
    store.accounts.update_user(account(store).id, totp_secret=None)

    attempt = service.password(USER, PASSWORD, CLIENT, NOW)

    assert attempt.token is None
    assert attempt.problem == "Your account has no second factor set up: ask your administrator"
    assert sign_in_failures(store) == ["no-second-factor"]


@pytest.mark.parametrize("password", ["", "x" * (sign_in.MAX_PASSWORD + 1), "x" * 1_000_000])
def test_an_empty_or_huge_password_is_refused_without_hashing_it(
    store: Store, service: SignIn, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    verified = spy_on_verify(monkeypatch)

    assert service.password(USER, password, CLIENT, NOW).problem == WRONG
    assert verified == []
    assert sign_in_failures(store) == ["password-invalid"]


# Lockout


def test_five_wrong_passwords_lock_the_account_and_the_lockout_is_audited(
    store: Store, service: SignIn
) -> None:
    problems = [service.password(USER, f"guess {n}", CLIENT, NOW).problem for n in range(5)]

    assert problems == [WRONG] * 4 + [LOCKED]  # the attempt that locks it says so
    assert service.password(USER, PASSWORD, CLIENT, NOW).problem == LOCKED
    lockouts = entries(store, "lockout")
    assert [(e["actor"], e["outcome"]) for e in lockouts] == [(USER, "success")]
    assert lockouts[0]["detail"]["client_address"] == "127.0.0.1"


def test_wrong_codes_count_with_wrong_passwords_towards_the_lock(
    store: Store, service: SignIn
) -> None:
    for n in range(3):
        service.password(USER, f"guess {n}", CLIENT, NOW)
    half = half_session(service)
    service.code(half, "000000", CLIENT, NOW)
    last = service.code(half, "000001", CLIENT, NOW)

    assert last.problem == LOCKED
    assert service.code(half, code_at(NOW), CLIENT, NOW).token is None  # even the right code
    assert len(entries(store, "lockout")) == 1


def test_the_lock_lifts_after_the_lockout_minutes_with_a_fresh_count(
    store: Store, service: SignIn
) -> None:
    for n in range(5):
        service.password(USER, f"guess {n}", CLIENT, NOW)
    almost = NOW + timedelta(minutes=15) - timedelta(seconds=1)
    lifted = NOW + timedelta(minutes=15)

    assert service.password(USER, PASSWORD, CLIENT, almost).problem == LOCKED
    assert service.password(USER, "one more guess", CLIENT, lifted).problem == WRONG
    assert service.password(USER, PASSWORD, CLIENT, lifted).token is not None
    assert len(entries(store, "lockout")) == 1


def test_signing_in_resets_the_count(store: Store, service: SignIn) -> None:
    for n in range(4):
        service.password(USER, f"guess {n}", CLIENT, NOW)
    full_session(service)

    assert account(store).failed_attempts == 0
    assert service.password(USER, "a typo", CLIENT, NOW).problem == WRONG


def test_the_attempts_allowed_are_a_setting(store: Store) -> None:
    strict = with_settings(store, sign_in_attempts=2, lockout_minutes=1)

    assert strict.password(USER, "guess", CLIENT, NOW).problem == WRONG
    assert strict.password(USER, "guess", CLIENT, NOW).problem == LOCKED
    assert strict.password(USER, PASSWORD, CLIENT, NOW + timedelta(minutes=1)).token


# The one-time code


def test_a_code_is_accepted_once_only(store: Store, service: SignIn) -> None:
    code = code_at(NOW)
    assert service.code(half_session(service), code, CLIENT, NOW).token is not None

    later = NOW + timedelta(seconds=10)  # the same code is still on the user's screen
    replayed = service.code(half_session(service, later), code, CLIENT, later)

    assert (replayed.token, replayed.problem) == (None, WRONG_CODE)
    assert sign_in_failures(store) == ["code-wrong"]


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_a_code_one_step_either_side_is_accepted(service: SignIn, steps: int) -> None:
    assert service.code(half_session(service), code_at(NOW, steps), CLIENT, NOW).token


@pytest.mark.parametrize("steps", [-2, 2, -10])
def test_a_code_two_steps_away_is_refused(store: Store, service: SignIn, steps: int) -> None:
    attempt = service.code(half_session(service), code_at(NOW, steps), CLIENT, NOW)

    assert (attempt.token, attempt.problem) == (None, WRONG_CODE)
    assert account(store).failed_attempts == 1


def test_an_older_code_is_refused_once_a_newer_one_was_used(service: SignIn) -> None:
    assert service.code(half_session(service), code_at(NOW, 1), CLIENT, NOW).token
    assert service.code(half_session(service), code_at(NOW), CLIENT, NOW).token is None


@pytest.mark.parametrize(
    "code", ["12345", "abcdef", "1234567", "1" * 10_000, "", "١٢٣٤٥٦", "12345\x00"]
)
def test_a_malformed_code_is_only_a_failed_attempt(
    store: Store, service: SignIn, code: str
) -> None:
    half = half_session(service)

    attempt = service.code(half, code, CLIENT, NOW)

    assert (attempt.token, attempt.problem) == (None, WRONG_CODE)
    held = account(store)
    assert (held.failed_attempts, held.totp_last_step) == (1, None)
    assert sign_in_failures(store) == ["code-wrong"]
    assert service.code(half, code_at(NOW), CLIENT, NOW).token  # the sign-in goes on


# Timeouts


def test_fifteen_idle_minutes_end_the_session_and_the_timeout_is_audited(
    store: Store, service: SignIn
) -> None:
    assert Settings().session_idle_minutes == 15
    token = full_session(service)
    busy = NOW + timedelta(minutes=14)

    assert service.resolve(token, CLIENT, busy) is not None  # a request keeps it alive
    assert service.resolve(token, CLIENT, busy + timedelta(minutes=14)) is not None
    idle = busy + timedelta(minutes=14 + 15)  # fifteen minutes after the last request
    assert service.resolve(token, CLIENT, idle) is None
    assert service.resolve(token, CLIENT, idle + timedelta(minutes=1)) is None  # ended for good

    ended = entries(store, "session-timeout")
    assert [(e["actor"], e["detail"]["reason"]) for e in ended] == [(USER, "idle-timeout")]
    assert ended[0]["occurred_at"] == idle


def test_the_absolute_limit_ends_even_a_busy_session(store: Store) -> None:
    service = with_settings(store, session_absolute_minutes=60)
    token = full_session(service)

    for minute in range(10, 60, 10):
        assert service.resolve(token, CLIENT, NOW + timedelta(minutes=minute)) is not None
    assert service.resolve(token, CLIENT, NOW + timedelta(minutes=60)) is None

    ended = entries(store, "session-timeout")
    assert [(e["actor"], e["detail"]["reason"]) for e in ended] == [(USER, "absolute-timeout")]


def test_the_absolute_limit_is_twelve_hours_by_default(service: SignIn) -> None:
    token = full_session(service)
    for minute in range(10, 720, 10):
        assert service.resolve(token, CLIENT, NOW + timedelta(minutes=minute)) is not None
    assert service.resolve(token, CLIENT, NOW + timedelta(hours=12)) is None


# The half-signed-in session


def test_the_half_session_cannot_read_pages(service: SignIn) -> None:
    assert service.resolve(half_session(service), CLIENT, NOW) is None


def test_the_half_session_lasts_five_minutes(store: Store, service: SignIn) -> None:
    late = NOW + timedelta(minutes=5)
    just_in_time = late - timedelta(seconds=1)

    assert service.code(half_session(service), code_at(late), CLIENT, late).problem == EXPIRED
    assert service.code(half_session(service), code_at(just_in_time), CLIENT, just_in_time).token


def test_the_full_session_has_a_new_token_and_the_half_one_ends(
    store: Store, service: SignIn
) -> None:
    half = half_session(service)
    full = service.code(half, code_at(NOW), CLIENT, NOW).token

    assert full is not None and full != half
    later = NOW + timedelta(seconds=40)
    assert service.code(half, code_at(later), CLIENT, later).problem == EXPIRED
    with store.engine.connect() as conn:
        rows = conn.execute(select(sessions.c.stage, sessions.c.end_reason)).all()
    assert sorted(rows, key=str) == sorted([("password", "replaced"), ("full", None)], key=str)


def test_tokens_are_kept_only_as_their_sha256(store: Store, service: SignIn) -> None:
    half = half_session(service)
    full = service.code(half, code_at(NOW), CLIENT, NOW).token
    assert full is not None

    with store.engine.connect() as conn:
        held = [dict(row._mapping) for row in conn.execute(select(sessions))]
        log = [str(dict(row._mapping)) for row in conn.execute(select(audit_events))]
    assert {row["token_hash"] for row in held} == {
        hashlib.sha256(token.encode()).hexdigest() for token in (half, full)
    }
    written = " ".join([*map(str, held), *log])
    assert half not in written and full not in written


# Step-up: a fresh code before an override


def test_a_fresh_code_steps_the_session_up_and_is_audited(store: Store, service: SignIn) -> None:
    token = full_session(service)
    later = NOW + timedelta(minutes=10)
    user = service.resolve(token, CLIENT, later)
    assert user is not None and user.stepped_up_at == NOW  # the sign-in code counts, then

    assert service.step_up(user, code_at(later), CLIENT, later) is None

    again = service.resolve(token, CLIENT, later)
    assert again is not None and again.stepped_up_at == later
    assert [(e["actor"], e["outcome"]) for e in entries(store, "step-up")] == [(USER, "success")]


def test_a_wrong_or_replayed_step_up_code_is_refused_and_counted(
    store: Store, service: SignIn
) -> None:
    token = full_session(service)
    user = service.resolve(token, CLIENT, NOW)
    assert user is not None

    assert service.step_up(user, code_at(NOW), CLIENT, NOW) == WRONG_CODE  # used at sign-in
    assert service.step_up(user, "12345", CLIENT, NOW) == WRONG_CODE
    for n in range(3):
        service.step_up(user, f"00000{n}", CLIENT, NOW)

    assert account(store).failed_attempts == 5
    assert service.step_up(user, code_at(NOW, 1), CLIENT, NOW) == LOCKED
    failures = [e["detail"]["reason"] for e in entries(store, "step-up")]
    assert failures == ["code-wrong"] * 5 + ["locked"]
    assert len(entries(store, "lockout")) == 1


# Signing out


def test_sign_out_ends_the_session_on_the_server(store: Store, service: SignIn) -> None:
    token = full_session(service)
    later = NOW + timedelta(minutes=2)

    service.sign_out(token, CLIENT, later)

    assert service.resolve(token, CLIENT, later) is None
    signed_out = entries(store, "sign-out")
    assert [(e["actor"], e["occurred_at"]) for e in signed_out] == [(USER, later)]
    service.sign_out(token, CLIENT, later)  # again: nothing more happens
    assert len(entries(store, "sign-out")) == 1


def test_end_all_ends_every_session_of_that_user_only(store: Store, service: SignIn) -> None:
    add_user(store, "other-nurse")
    desk, ward = full_session(service), full_session(service, NOW + timedelta(minutes=1))
    other = service.password("other-nurse", PASSWORD, CLIENT, NOW).token
    assert other is not None
    other = service.code(other, code_at(NOW), CLIENT, NOW).token
    later = NOW + timedelta(minutes=3)

    assert service.end_all(account(store).id, "it-admin", later) == 2

    assert service.resolve(desk, CLIENT, later) is None
    assert service.resolve(ward, CLIENT, later) is None
    assert other is not None and service.resolve(other, CLIENT, later) is not None
    ended = entries(store, "end-sessions")
    assert [(e["actor"], e["detail"]["user"], e["detail"]["ended"]) for e in ended] == [
        ("it-admin", USER, 2)
    ]


# The audit log


def test_every_outcome_is_audited_with_who_when_where_and_how_it_went(
    store: Store, service: SignIn
) -> None:
    steps: list[tuple[str, str, str]] = []  # (action, actor, outcome) expected, in order

    def at(minute: int, address: str) -> tuple[datetime, Client]:
        return NOW + timedelta(minutes=minute), Client(address, "browser")

    when, client = at(0, "10.0.0.1")
    service.password("nobody-here", PASSWORD, client, when)
    steps.append(("sign-in", "unknown", "failure"))
    when, client = at(1, "10.0.0.2")
    service.password(USER, "wrong", client, when)
    steps.append(("sign-in", USER, "failure"))
    when, client = at(2, "10.0.0.3")
    half = service.password(USER, PASSWORD, client, when).token or ""
    steps.append(("sign-in-password", USER, "success"))
    when, client = at(3, "10.0.0.4")
    service.code(half, "000000", client, when)
    steps.append(("sign-in", USER, "failure"))
    when, client = at(4, "10.0.0.5")
    full = service.code(half, code_at(when), client, when).token or ""
    steps.append(("sign-in", USER, "success"))
    when, client = at(5, "10.0.0.6")
    service.sign_out(full, client, when)
    steps.append(("sign-out", USER, "success"))

    log = entries(store)
    assert [(e["action"], e["actor"], e["outcome"]) for e in log] == steps
    assert [e["occurred_at"] for e in log] == [NOW + timedelta(minutes=m) for m in range(6)]
    assert [e["detail"]["client_address"] for e in log] == [f"10.0.0.{n}" for n in range(1, 7)]
    assert log[0]["detail"]["username_given"] == "nobody-here"
    assert log[4]["detail"]["assurance"] == "AAL2"
