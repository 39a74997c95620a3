"""What administrators type, checked: each value's clean form, or the words refusing it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.access import admin_input as check
from carerecord.access.vocabulary import Role

NOW = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)  # 2 October in UK time (BST)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-07-01 09:00", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),  # BST
        ("2026-12-01 09:00", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),  # GMT
        ("2026-07-01T09:00", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        ("2026-07-01", datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # the day's start
        ("01-Jul-2026 09:30", datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
        ("2026-07-01T09:00+02:00", datetime(2026, 7, 1, 7, 0, tzinfo=UTC)),
        ("2026-07-01T09:00Z", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
    ],
)
def test_moments_are_uk_time_unless_they_carry_an_offset(typed: str, meant: datetime) -> None:
    assert check.moment(typed, "starts") == meant


@pytest.mark.parametrize("typed", ["", "soon", "2026-02-30", "2026-07-01 25:00", "9" * 200])
def test_anything_else_is_not_a_moment(typed: str) -> None:
    with pytest.raises(check.InvalidValue):
        check.moment(typed, "starts")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("today", NOW),
        ("", NOW),
        ("2026-10-02", datetime(2026, 10, 1, 23, 0, tzinfo=UTC)),  # today in the UK already
        ("05-Jan-2026", datetime(2026, 1, 5, 0, 0, tzinfo=UTC)),
        ("05/01/2026", datetime(2026, 1, 5, 0, 0, tzinfo=UTC)),
    ],
)
def test_training_dates(typed: str, meant: datetime) -> None:
    assert check.trained_on(typed, NOW) == meant


def test_training_cannot_be_attested_for_tomorrow() -> None:
    with pytest.raises(check.InvalidValue, match="future"):
        check.trained_on("2026-10-03", NOW)


@pytest.mark.parametrize(
    ("typed", "secret"),
    [
        ("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        ("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        ("JBSWY3DPEHPK3PXPJBSWY3D", "JBSWY3DPEHPK3PXPJBSWY3D"),  # 23 characters: 112 bits
        ("JBSWY3DPEHPK3PXPJBSWY3DP========", "JBSWY3DPEHPK3PXPJBSWY3DP"),
    ],
)
def test_second_factor_secrets_are_normalised(typed: str, secret: str) -> None:
    assert check.totp_secret(typed) == secret


@pytest.mark.parametrize(
    "typed",
    ["", "JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXPJBSWY3", "JBSWY3DPEHPK3PXPJBSWY3D1", "A" * 65],
)
def test_short_or_malformed_secrets_are_refused(typed: str) -> None:
    with pytest.raises(check.InvalidValue):
        check.totp_secret(typed)


def test_networks_are_normalised_deduplicated_and_sorted() -> None:
    typed = [" 10.1.2.3/16", "10.1.0.0/16", "", "::1", "192.168.0.9"]
    assert check.networks(typed) == ["10.1.0.0/16", "192.168.0.9/32", "::1/128"]


@pytest.mark.parametrize("typed", ["0.0.0.0/0", "::/0", "10.0.0.0/0"])
def test_every_address_needs_allow_any(typed: str) -> None:
    with pytest.raises(check.InvalidValue, match="every address"):
        check.networks([typed])
    assert check.lets_anyone_in(check.networks([typed], allow_any=True))


@pytest.mark.parametrize("typed", ["a b", "", "-leading", "x" * 101, "tab\there", "née"])
def test_usernames_are_plain(typed: str) -> None:
    with pytest.raises(check.InvalidValue):
        check.username(typed)


def test_usernames_roles_and_names() -> None:
    assert check.username("  j.smith@ral01 ") == "j.smith@ral01"
    assert check.role("ig-officer") is Role.IG_OFFICER
    assert check.display_name("  Dr   Asha  Patel ") == "Dr Asha Patel"
    assert check.display_name("") is None
    with pytest.raises(check.InvalidValue):
        check.display_name("Dr\x00Evil")


def test_checks_gather_every_problem() -> None:
    checks = check.Checks()
    checks.run("username", check.username, "a b")
    checks.run("role", check.role, "root")
    assert checks.run("name", check.display_name, "Ok") == "Ok"
    with pytest.raises(check.InvalidInput) as refused:
        checks.done()
    assert set(refused.value.problems) == {"username", "role"}
