"""`carerecord audit verify` and `audit head` as an operator runs them, on SQLite and
PostgreSQL: exit codes, the broken entry named, heads printed plain or signed, and a head
kept elsewhere checked later."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jwk, jws

from carerecord.cli import EXIT_OK, EXIT_UNUSABLE, EXIT_USAGE
from carerecord.store import Store
from tests.audit.tamper import edit, remove, write_entries
from tests.support.audit_log import entries
from tests.support.command_line import OPERATOR, Cli, command_line

EXIT_BROKEN = 1


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("CARERECORD_AUDIT_SIGNING_KEY", raising=False)
    return command_line(db_url, monkeypatch, capsys)


def private_key(tmp_path: Path) -> Path:
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "audit-head.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_verify_says_ok_with_the_count_and_head(cli: Cli, store: Store) -> None:
    ids = write_entries(store, 12)

    status, out, _ = cli("audit", "verify")

    assert status == EXIT_OK
    assert "ok: 12 entries, chain intact" in out
    assert f"head #{ids[-1]}" in out
    [done] = entries(store, "audit-verify")  # the check itself is in the log, after the walk
    assert done["actor"] == f"operator:{OPERATOR}" and done["detail"]["checked"] == 12


def test_verify_names_the_altered_entry_and_exits_non_zero(cli: Cli, store: Store) -> None:
    ids = write_entries(store, 12)
    edit(store, ids[7], patient_id="someone-else")

    status, out, _ = cli("audit", "verify")

    assert status == EXIT_BROKEN
    assert f"BROKEN: entry #{ids[7]} was altered" in out
    assert "7 entries checked before it" in out
    [done] = entries(store, "audit-verify")
    assert done["outcome"] == "failure" and done["detail"]["broken_at"] == ids[7]


def test_head_prints_the_newest_entry_for_keeping(cli: Cli, store: Store) -> None:
    ids = write_entries(store, 3)

    status, out, _ = cli("audit", "head")

    assert status == EXIT_OK
    document = orjson.loads(out)
    assert document["type"] == "carerecord-audit-head"
    assert (document["entry"], document["entries"]) == (ids[-1], 3)
    assert document["hash"] == entries(store)[2]["hash"]


def test_a_kept_head_shows_entries_cut_from_the_end(cli: Cli, store: Store, tmp_path: Path) -> None:
    ids = write_entries(store, 5)
    kept = tmp_path / "head.json"
    kept.write_text(cli("audit", "head")[1])
    for entry in entries(store):  # the kept head's entry and everything after it cut off
        if entry["id"] >= ids[-1]:
            remove(store, entry["id"])

    status, out, _ = cli("audit", "verify", "--head", str(kept))

    assert status == EXIT_BROKEN
    assert f"entry #{ids[-1]}, the head kept outside, is no longer in the log" in out


def test_a_kept_head_still_in_the_chain_verifies(cli: Cli, store: Store, tmp_path: Path) -> None:
    write_entries(store, 5)
    kept = tmp_path / "head.json"
    kept.write_text(cli("audit", "head")[1])

    status, out, _ = cli("audit", "verify", "--head", str(kept))

    assert status == EXIT_OK, out
    assert "signature was not checked" in out


def test_a_signed_head_is_a_jws_the_public_key_verifies(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_entries(store, 4)
    pem = private_key(tmp_path)
    monkeypatch.setenv("CARERECORD_AUDIT_SIGNING_KEY", str(pem))

    status, out, _ = cli("audit", "head", "--signed")

    assert status == EXIT_OK
    token = out.strip()
    public = jwk.import_key(pem.read_bytes(), "OKP").as_dict(private=False)
    held = jwk.import_key(public, "OKP")  # what the outside party keeps: the public half
    claims = orjson.loads(jws.deserialize_compact(token, held, algorithms=["Ed25519"]).payload)
    assert claims["entries"] == 4
    kept = tmp_path / "head.jws"
    kept.write_text(token)
    status, out, _ = cli("audit", "verify", "--head", str(kept))
    assert status == EXIT_OK and "signature was not checked" not in out


def test_a_forged_signed_head_is_refused(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_entries(store, 2)
    monkeypatch.setenv("CARERECORD_AUDIT_SIGNING_KEY", str(private_key(tmp_path)))
    token = cli("audit", "head", "--signed")[1].strip()
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("CARERECORD_AUDIT_SIGNING_KEY", str(private_key(other)))
    kept = tmp_path / "head.jws"
    kept.write_text(token)

    status, _, err = cli("audit", "verify", "--head", str(kept))

    assert status == EXIT_USAGE
    assert "signature does not match" in err


def test_signing_without_a_key_or_with_a_bad_one_is_a_clear_error(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = cli("audit", "head", "--signed")
    assert status == EXIT_USAGE and "CARERECORD_AUDIT_SIGNING_KEY" in err

    bad = tmp_path / "not-a-key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("CARERECORD_AUDIT_SIGNING_KEY", str(bad))
    status, _, err = cli("audit", "head", "--signed")
    assert status == EXIT_UNUSABLE and "is not a PEM private key" in err


@pytest.mark.parametrize("text", ["", "not json", '{"type": "something-else"}', "a.b.c"], ids=repr)
def test_an_unreadable_head_file_is_refused(
    cli: Cli, store: Store, tmp_path: Path, text: str
) -> None:
    kept = tmp_path / "head.json"
    kept.write_text(text)
    status, _, err = cli("audit", "verify", "--head", str(kept))
    assert status == EXIT_USAGE and "error:" in err


def test_a_missing_head_file_is_refused(cli: Cli, store: Store, tmp_path: Path) -> None:
    status, _, err = cli("audit", "verify", "--head", str(tmp_path / "nowhere.json"))
    assert status == EXIT_USAGE and "cannot read the head" in err


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_several_processes_agree_with_one_and_a_break_is_still_named(
    cli: Cli, store: Store, jobs: str
) -> None:
    ids = write_entries(store, 40)

    status, out, _ = cli("audit", "verify", "--jobs", jobs)
    assert status == EXIT_OK and "ok: 40 entries" in out and f"head #{ids[-1]}" in out

    edit(store, ids[22], actor="someone.else")  # in the middle of the second stretch
    status, out, _ = cli("audit", "verify", "--jobs", jobs)
    assert status == EXIT_BROKEN and f"BROKEN: entry #{ids[22]} was altered" in out
