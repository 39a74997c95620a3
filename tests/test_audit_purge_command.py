"""`carerecord audit purge-expired` as an operator runs it, on SQLite and PostgreSQL: a dry run
changes nothing, a run removes the old entries and records itself, a shorter configured period
is refused, and `audit verify` then checks the kept chain from the checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import update

from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.store import Store
from carerecord.store import audit_retention as retention
from carerecord.store.schema import audit_checkpoints
from tests.audit.tamper import edit
from tests.support.aged_audit import OLD, RECENT, append_at, remaining
from tests.support.audit_log import entries
from tests.support.command_line import OPERATOR, Cli, command_line

EXIT_BROKEN = 1


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("CARERECORD_AUDIT_RETENTION_YEARS", raising=False)
    return command_line(db_url, monkeypatch, capsys)


def test_a_dry_run_says_what_would_go_and_changes_nothing(cli: Cli, store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)

    status, out, _ = cli("audit", "purge-expired", "--dry-run")

    assert status == EXIT_OK
    assert "retention 8 years" in out
    assert f"2 would be purged, #{ids[0]} (2011-03-01) to #{ids[1]} (2011-03-02)" in out
    assert remaining(store) == ids and entries(store, "audit-purge") == []


def test_a_run_purges_the_old_entries_and_records_itself(cli: Cli, store: Store) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)

    status, out, _ = cli("audit", "purge-expired")

    assert status == EXIT_OK
    assert f"2 purged, #{ids[0]} (2011-03-01) to #{ids[1]} (2011-03-02)" in out
    assert remaining(store)[0] == ids[2]
    [said] = entries(store, "audit-purge")
    assert said["actor"] == f"operator:{OPERATOR}"
    assert (said["detail"]["purged"], said["detail"]["last_id"]) == (2, ids[1])


def test_nothing_due_says_so(cli: Cli, store: Store) -> None:
    append_at(store, RECENT)

    status, out, _ = cli("audit", "purge-expired")

    assert status == EXIT_OK and "none to purge" in out


def test_a_longer_configured_period_is_kept_from_then_on(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = append_at(store, OLD, RECENT)  # OLD is about 16 years ago
    monkeypatch.setenv("CARERECORD_AUDIT_RETENTION_YEARS", "20")

    status, out, _ = cli("audit", "purge-expired")

    assert status == EXIT_OK and "retention 20 years" in out and "none to purge" in out
    assert remaining(store)[:2] == ids
    assert retention.stored_years(store.engine) == 20


def test_a_shorter_configured_period_is_refused(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_years_ago = datetime.now(UTC) - timedelta(days=5 * 366)
    ids = append_at(store, five_years_ago, RECENT)
    monkeypatch.setenv("CARERECORD_AUDIT_RETENTION_YEARS", "3")

    for argv in (("audit", "purge-expired"), ("audit", "purge-expired", "--dry-run")):
        status, _, err = cli(*argv)
        assert status == EXIT_USAGE
        assert "CARERECORD_AUDIT_RETENTION_YEARS is 3" in err
        assert "keeps audit entries for 8 years" in err
    assert remaining(store) == ids and retention.stored_years(store.engine) == 8


def test_db_upgrade_raises_the_stored_period_and_refuses_a_shorter_one(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARERECORD_AUDIT_RETENTION_YEARS", "10")
    status, out, _ = cli("db", "upgrade")
    assert status == EXIT_OK and "audit entries are kept for 10 years" in out

    monkeypatch.setenv("CARERECORD_AUDIT_RETENTION_YEARS", "8")
    status, _, err = cli("db", "upgrade")
    assert status == EXIT_USAGE and "keeps audit entries for 10 years" in err
    assert retention.stored_years(store.engine) == 10


def test_verify_checks_the_kept_chain_after_a_purge(cli: Cli, store: Store) -> None:
    ids = append_at(store, OLD, RECENT, RECENT + timedelta(hours=1))
    cli("audit", "purge-expired")

    status, out, _ = cli("audit", "verify")

    assert status == EXIT_OK
    assert "ok: 3 entries, chain intact" in out  # two kept, and the purge's entry

    edit(store, ids[2], actor="someone.else")
    status, out, _ = cli("audit", "verify")

    assert status == EXIT_BROKEN
    assert f"BROKEN: entry #{ids[2]} was altered" in out


def test_verify_names_an_altered_checkpoint(cli: Cli, store: Store) -> None:
    append_at(store, OLD, RECENT)
    cli("audit", "purge-expired")
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_checkpoints_no_update")
        conn.execute(update(audit_checkpoints).values(last_hash="e" * 64))

    status, out, _ = cli("audit", "verify")

    assert status == EXIT_BROKEN
    assert "BROKEN: the checkpoint of the purge of" in out and "was altered" in out
    [done] = entries(store, "audit-verify")
    assert done["outcome"] == "failure" and done["detail"]["kind"] == "checkpoint"


def test_a_head_kept_from_before_a_purge_is_checked_as_far_as_it_can_be(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    ids = append_at(store, OLD, OLD + timedelta(days=1), RECENT)
    template = orjson.loads(cli("audit", "head")[1])
    hashes = [entry["hash"] for entry in entries(store)]
    cli("audit", "purge-expired")

    def verified(entry_id: int, digest: str) -> tuple[int, str]:
        path = tmp_path / "head.json"
        path.write_bytes(orjson.dumps({**template, "entry": entry_id, "hash": digest}))
        status, out, _ = cli("audit", "verify", "--head", str(path))
        return status, out

    status, out = verified(ids[0], hashes[0])  # purged before the last one: gone
    assert status == EXIT_OK and f"the head #{ids[0]} was purged" in out
    status, out = verified(ids[1], hashes[1])  # the last one purged: its hash is the checkpoint's
    assert status == EXIT_OK and "ok: " in out
    status, out = verified(ids[1], "d" * 64)
    assert status == EXIT_BROKEN and "was the last purged, but the checkpoint holds" in out
    status, out = verified(ids[2], hashes[2])  # kept: checked in the chain as before
    assert status == EXIT_OK and "ok: " in out
