"""`carerecord audit export` as an operator runs it, on SQLite and PostgreSQL: every line is an
AuditEvent, the days are UK days with --to included, bad dates are refused, and the export is
itself in the log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.store import Store
from tests.support.audit_entries import append, viewed
from tests.support.audit_trail import audit_entries
from tests.support.command_line import OPERATOR, Cli, command_line


@pytest.fixture
def cli(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    return command_line(db_url, monkeypatch, capsys)


def seed_views(store: Store) -> None:
    # 23:30 UTC on 30 Sep is 00:30 on 1 Oct in London (BST): it belongs to 1 Oct.
    append(
        store,
        viewed("p-early", page="overview", versions=()),
        datetime(2026, 9, 30, 22, 30, tzinfo=UTC),
    )
    append(store, viewed("p-1"), datetime(2026, 9, 30, 23, 30, tzinfo=UTC))
    append(
        store,
        viewed("p-2", versions=((40, 3, "results"),)),
        datetime(2026, 10, 2, 12, 0, tzinfo=UTC),
    )
    append(store, viewed("p-late"), datetime(2026, 10, 2, 23, 0, tzinfo=UTC))  # 3 Oct in London


def lines(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in text.splitlines()]


def test_exported_lines_are_audit_events_of_the_days_asked_for(store: Store, cli: Cli) -> None:
    seed_views(store)
    status, out, _ = cli("audit", "export", "--from", "2026-10-01", "--to", "2026-10-02")
    assert status == EXIT_OK
    events = lines(out)
    assert [e["entity"][0]["what"] for e in events] == [  # type: ignore[index]
        {"reference": "Patient/p-1"},
        {"reference": "Patient/p-2"},
    ]
    for event in events:
        assert event["resourceType"] == "AuditEvent"
        assert event["action"] == "R"
    shown = [
        (e["what"]["identifier"]["value"], e["detail"][0]["valueString"])  # type: ignore[index]
        for e in events[1]["entity"]  # type: ignore[attr-defined]
        if e.get("what", {}).get("identifier", {}).get("system") == "urn:carerecord:resource"
    ]
    assert shown == [("40", "3")]
    (export,) = audit_entries(store, "audit-export")
    assert export.actor == f"operator:{OPERATOR}"
    assert export.detail == {"from": "2026-10-01", "to": "2026-10-02", "count": 2}


def test_the_export_can_go_to_a_file(store: Store, cli: Cli, tmp_path: Path) -> None:
    seed_views(store)
    target = tmp_path / "audit.ndjson"
    status, out, _ = cli(
        "audit", "export", "--from", "2026-09-30", "--to", "2026-10-03", "--out", str(target)
    )
    assert status == EXIT_OK
    assert "wrote 4 audit events" in out
    assert len(lines(target.read_text())) == 4


def test_a_day_with_nothing_exports_nothing_and_says_so_in_the_log(store: Store, cli: Cli) -> None:
    status, out, _ = cli("audit", "export", "--from", "2026-01-01", "--to", "2026-01-01")
    assert (status, out) == (EXIT_OK, "")
    assert audit_entries(store, "audit-export")[0].detail["count"] == 0


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-13-01", "2026-10-02", "--from '2026-13-01' is not a date"),
        ("2026-10-01", "02/10/2026", "--to '02/10/2026' is not a date"),
        ("2026-10-03", "2026-10-02", "--from 2026-10-03 is after --to 2026-10-02"),
    ],
)
def test_bad_dates_are_refused(store: Store, cli: Cli, first: str, last: str, message: str) -> None:
    status, out, err = cli("audit", "export", "--from", first, "--to", last)
    assert status == EXIT_USAGE
    assert message in err
    assert out == ""
    assert audit_entries(store, "audit-export") == []
