"""`carerecord sender add|list|revoke` as an operator uses it, on SQLite and PostgreSQL: who may
send HL7 v2 as whom, checked, audited, and printed without interpreting what a certificate
says of itself; and `carerecord serve` refusing a listener its settings do not allow."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from carerecord.cli import EXIT_OK, EXIT_UNUSABLE, EXIT_USAGE
from carerecord.ingest.senders import certificate_credential
from carerecord.store import Store
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.certificates import Authority
from tests.support.command_line import Cli, command_line


@pytest.fixture
def cli(
    store: Store,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    register(store, make_org("RAL", "acute"))
    return command_line(db_url, monkeypatch, capsys)


def test_an_address_range_is_registered_normalised_and_audited(cli: Cli, store: Store) -> None:
    status, out, _ = cli("sender", "add", "ral", "--address", "10.20.30.40/16")

    assert status == EXIT_OK
    assert "address 10.20.0.0/16 may send HL7 v2 as RAL" in out
    [held] = store.senders.all()
    assert (held.ods_code, held.kind, held.credential) == ("RAL", "address", "10.20.0.0/16")
    [entry] = audit_entries(store, "sender-add")
    assert entry.actor == f"operator:{getpass.getuser()}"
    assert entry.detail["credential"] == "10.20.0.0/16"


def test_a_certificate_is_registered_by_fingerprint_and_listed_as_text(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    issued = Authority(tmp_path).issue("[bold]PAS[/bold] \x1b]0;pwned\x07")
    fingerprint, _ = certificate_credential(issued.cert.read_bytes())

    assert cli("sender", "add", "RAL", "--cert", str(issued.cert))[0] == EXIT_OK
    status, out, _ = cli("sender", "list")

    assert status == EXIT_OK
    assert store.senders.all()[0].credential == fingerprint
    assert "[bold]PAS[/bold]" in out  # markup shown as typed, never applied
    assert "\x1b" not in out


def test_revoking_stops_a_sender_and_is_audited(cli: Cli, store: Store) -> None:
    cli("sender", "add", "RAL", "--address", "192.168.1.7")
    [held] = store.senders.all()

    status, out, _ = cli("sender", "revoke", str(held.id))

    assert status == EXIT_OK and "revoked sender" in out
    assert store.senders.all(active_only=True) == []
    assert [e.detail["sender"] for e in audit_entries(store, "sender-revoke")] == [held.id]
    assert cli("sender", "revoke", "999")[0] == EXIT_USAGE


@pytest.mark.parametrize(
    "argv",
    [
        ("sender", "add", "RAL", "--address", "0.0.0.0/0"),
        ("sender", "add", "RAL", "--address", "not-an-address"),
        ("sender", "add", "RXX", "--address", "10.0.0.1"),
        ("sender", "add", "RAL", "--cert", "/nonexistent.pem"),
    ],
)
def test_what_cannot_be_registered_is_refused(cli: Cli, store: Store, argv: tuple[str]) -> None:
    assert cli(*argv)[0] == EXIT_USAGE
    assert store.senders.all() == []


def test_a_sender_needs_an_address_or_a_certificate(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("sender", "add", "RAL")
    assert exited.value.code == EXIT_USAGE


def test_serve_refuses_plain_tcp_mllp_beyond_loopback(cli: Cli) -> None:
    status, _, err = cli("serve", "--mllp-host", "0.0.0.0", "--mllp-port", "2575")  # noqa: S104

    assert status == EXIT_UNUSABLE
    assert "refusing to listen for HL7 v2 over plain TCP on 0.0.0.0" in err
