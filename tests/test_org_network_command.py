"""`carerecord org network` as an operator uses it, on SQLite and PostgreSQL: the networks an
organisation's users may reach the record from, checked, normalised and audited."""

from __future__ import annotations

import pytest

from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.command_line import OPERATOR, Cli, command_line


@pytest.fixture
def cli(
    store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    register(store, make_org("F83004", "gp"))
    return command_line(db_url, monkeypatch, capsys)


def test_networks_replace_those_held_normalised(cli: Cli, store: Store) -> None:
    status, out, _ = cli("org", "network", "f83004", "10.20.30.40/16", "192.168.1.7", "::1")

    assert status == EXIT_OK
    assert "F83004 users may reach the record from: 10.20.0.0/16, 192.168.1.7/32, ::1/128" in out
    assert cli("org", "network", "F83004", "172.16.0.0/12")[0] == EXIT_OK
    assert store.accounts.networks("F83004") == ["172.16.0.0/12"]
    assert "172.16.0.0/12" in cli("org", "network", "F83004")[1]  # none given: shows them


def test_clear_removes_every_network(cli: Cli, store: Store) -> None:
    cli("org", "network", "F83004", "10.0.0.0/8")
    status, out, _ = cli("org", "network", "F83004", "--clear")
    assert status == EXIT_OK and "its users cannot reach the record" in out
    assert store.accounts.networks("F83004") == []
    status, _, err = cli("org", "network", "F83004", "10.0.0.0/8", "--clear")
    assert status == EXIT_USAGE and "not both" in err


@pytest.mark.parametrize("anywhere", ["0.0.0.0/0", "::/0", "1.2.3.4/0"])
def test_every_address_at_once_needs_allow_any_and_is_warned_about(
    cli: Cli, store: Store, anywhere: str
) -> None:
    status, _, err = cli("org", "network", "F83004", anywhere)
    assert status == EXIT_USAGE and "lets every address in" in err
    assert store.accounts.networks("F83004") == []

    status, out, _ = cli("org", "network", "F83004", anywhere, "--allow-any")
    assert status == EXIT_OK and "warning:" in out and "every address is allowed" in out


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "banana", "10.0.0.0/8/8", "x" * 5000])
def test_a_bad_network_is_refused_and_the_held_ones_kept(cli: Cli, store: Store, bad: str) -> None:
    cli("org", "network", "F83004", "10.0.0.0/8")
    status, _, err = cli("org", "network", "F83004", "192.168.0.0/16", bad)
    assert status == EXIT_USAGE and "is not a network" in err
    assert len(err) < 400  # a huge value is not echoed whole
    assert store.accounts.networks("F83004") == ["10.0.0.0/8"]


def test_an_unregistered_organisation_is_named(cli: Cli) -> None:
    status, _, err = cli("org", "network", "ZZZ99", "10.0.0.0/8")
    assert status == EXIT_USAGE and "no organisation 'ZZZ99' is registered" in err


def test_changes_are_audited_as_the_operator(cli: Cli, store: Store) -> None:
    cli("org", "network", "F83004", "10.0.0.0/8")
    [entry] = audit_entries(store, "org-networks")
    assert entry.actor == f"operator:{OPERATOR}"
    assert entry.detail["networks"] == ["10.0.0.0/8"] and entry.detail["was"] == []
