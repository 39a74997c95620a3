"""`carerecord client grant|revoke` and the scopes of `client add|list`, on SQLite and
PostgreSQL: what a source system may do, changed by an operator, refused when misspelt, and
every change in the audit log as that operator."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from joserfc.jwk import ECKey

from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from tests.factories import make_org, register
from tests.support.audit_trail import audit_entries
from tests.support.command_line import OPERATOR, Cli, command_line

KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
READ = "system/AuditEvent.read"


@pytest.fixture
def cli(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    register(store, make_org("F83004"))
    return command_line(db_url, monkeypatch, capsys)


@pytest.fixture
def jwks(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_bytes(orjson.dumps({"keys": [KEY.as_dict(private=False)]}))
    return path


def added(cli: Cli, jwks: Path, *scopes: str) -> str:
    options = [option for scope in scopes for option in ("--scope", scope)]
    status, out, err = cli(
        "client", "add", "F83004", "--name", "SIEM", "--jwks", str(jwks), *options
    )
    assert status == EXIT_OK, err
    found = re.search(r"registered client (\S+) for F83004", out)
    assert found, out
    return found.group(1)


def test_a_new_client_may_push_and_its_registration_is_audited(
    cli: Cli, store: Store, jwks: Path
) -> None:
    client_id = added(cli, jwks)

    held = ClientRegistry(store).get(client_id)
    assert held is not None and held.scopes == ("system/*.cud", "system/*.write")
    [entry] = audit_entries(store, "client-add")
    assert entry.actor == f"operator:{OPERATOR}"
    assert entry.detail["granted"] == ["system/*.cud", "system/*.write"]
    assert "keys" not in str(entry.detail)


def test_grant_and_revoke_change_the_scopes_list_shows_them_and_each_is_audited(
    cli: Cli, store: Store, jwks: Path
) -> None:
    client_id = added(cli, jwks, READ)

    status, out, _ = cli("client", "grant", client_id, "system/*.write", READ)
    assert status == EXIT_OK
    assert f"granted system/*.write; client {client_id} now holds: system/*.write {READ}" in out
    status, out, _ = cli("client", "revoke", client_id, "system/*.write")
    assert status == EXIT_OK and f"now holds: {READ}" in out
    status, out, _ = cli("client", "list")
    assert READ in out and "system/*.write" not in out

    grants = audit_entries(store, "client-grant")
    revokes = audit_entries(store, "client-revoke")
    assert [e.detail["changed"] for e in grants] == [["system/*.write"]]  # READ was held
    assert [e.detail["changed"] for e in revokes] == [["system/*.write"]]
    assert revokes[0].detail["scopes"] == [READ]
    assert {e.actor for e in grants + revokes} == {f"operator:{OPERATOR}"}


def test_revoking_what_is_not_held_changes_nothing_but_is_recorded(
    cli: Cli, store: Store, jwks: Path
) -> None:
    client_id = added(cli, jwks, READ)

    status, out, _ = cli("client", "revoke", client_id, "system/*.cud")

    assert status == EXIT_OK and "revoked nothing (already as asked)" in out
    [entry] = audit_entries(store, "client-revoke")
    assert (entry.detail["asked"], entry.detail["changed"]) == (["system/*.cud"], [])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("grant", "{id}", "system/*.read"), "unknown scope system/*.read"),
        (("revoke", "{id}", "patient/*.read"), "unknown scope patient/*.read"),
        (("grant", "no-such-client", READ), "no client 'no-such-client'"),
        (("revoke", "no-such-client", READ), "no client 'no-such-client'"),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(
    cli: Cli, store: Store, jwks: Path, argv: tuple[str, ...], message: str
) -> None:
    client_id = added(cli, jwks)

    status, _, err = cli("client", *(arg.format(id=client_id) for arg in argv))

    assert status == EXIT_USAGE
    assert message in err
    held = ClientRegistry(store).get(client_id)
    assert held is not None and held.scopes == ("system/*.cud", "system/*.write")
    assert audit_entries(store, "client-grant") == audit_entries(store, "client-revoke") == []


def test_add_refuses_an_unknown_scope_before_registering(
    cli: Cli, store: Store, jwks: Path
) -> None:
    status, _, err = cli(
        "client", "add", "F83004", "--name", "X", "--jwks", str(jwks), "--scope", "system/*.*"
    )

    assert status == EXIT_USAGE and "unknown scope system/*.*" in err
    assert ClientRegistry(store).all() == []


def test_disabling_a_client_stops_it_and_is_audited(cli: Cli, store: Store, jwks: Path) -> None:
    client_id = added(cli, jwks)

    status, out, err = cli("client", "disable", client_id)

    assert status == EXIT_OK, err
    assert "its tokens no longer work" in " ".join(out.split())
    held = ClientRegistry(store).get(client_id)
    assert held is not None and held.disabled
    [entry] = audit_entries(store, "client-disable")
    assert entry.actor == f"operator:{OPERATOR}"
    assert entry.detail["client"] == client_id


def test_disabling_an_unknown_client_is_refused_and_audits_nothing(cli: Cli, store: Store) -> None:
    status, _, err = cli("client", "disable", "no-such-client")

    assert status == EXIT_USAGE
    assert "no client 'no-such-client'" in err
    assert audit_entries(store, "client-disable") == []


def test_client_ids_can_always_be_typed_as_command_arguments(store: Store) -> None:
    register(store, make_org("F83004"))
    registry = ClientRegistry(store)
    jwks = {"keys": [KEY.as_dict(private=False)]}
    ids = [registry.register("F83004", "EPR", jwks).client_id for _ in range(40)]
    assert all(re.fullmatch(r"[0-9a-f]{36}", client_id) for client_id in ids)
