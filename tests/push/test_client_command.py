"""`carerecord client add|list|disable` as an operator uses it: messages and exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from joserfc.jwk import ECKey

from carerecord.cli import EXIT_OK, EXIT_USAGE, main

KEY = ECKey.generate_key("P-384", parameters={"kid": "ec-1"})


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CARERECORD_DB", url)
    monkeypatch.setenv("COLUMNS", "200")  # the listing in one line per client, as in a terminal
    main(["db", "upgrade"])
    region = "North Central London"
    main(["org", "add", "F83004", "--name", "Camden Road", "--type", "gp", "--region", region])
    capsys.readouterr()
    return url


@pytest.fixture
def public_jwks(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_bytes(orjson.dumps({"keys": [KEY.as_dict(private=False)]}))
    return path


def add(ods: str, jwks: Path) -> int:
    return main(["client", "add", ods, "--name", "Camden GP system", "--jwks", str(jwks)])


def test_add_list_and_disable_a_client(
    db: str, public_jwks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add("f83004", public_jwks) == EXIT_OK
    out = capsys.readouterr().out
    found = re.search(r"registered client (\S+) for F83004 \(Camden GP system\), 1 public", out)
    assert found, out
    client_id = found.group(1)
    assert f"iss = sub = {client_id}" in out

    assert main(["client", "list"]) == EXIT_OK
    listing = capsys.readouterr().out
    assert client_id in listing and "enabled" in listing

    assert main(["client", "disable", client_id]) == EXIT_OK
    assert f"disabled client {client_id}" in capsys.readouterr().out
    main(["client", "list"])
    assert "disabled" in capsys.readouterr().out


def test_add_refuses_an_unregistered_organisation(
    db: str, public_jwks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add("X99999", public_jwks) == EXIT_USAGE
    assert "'X99999' is not registered" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the JWKS"),
        (b"{not json", "not valid JSON"),
        (orjson.dumps({"keys": [KEY.as_dict(private=True)]}), "private key material"),
        (orjson.dumps({"keys": []}), "no usable public signing key"),
    ],
)
def test_add_refuses_a_bad_jwks_file(
    db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / "keys.json"
    if content is not None:
        path.write_bytes(content)

    assert add("F83004", path) == EXIT_USAGE
    assert message in capsys.readouterr().err
    main(["client", "list"])
    assert "F83004" not in capsys.readouterr().out


def test_disable_names_an_unknown_client(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["client", "disable", "no-such-client"]) == EXIT_USAGE
    assert "no client 'no-such-client'" in capsys.readouterr().err
