"""`carerecord exclusions purge` on SQLite and PostgreSQL: an item stored before its code was
listed has its content removed from the current row and every superseded version, its key
kept so a re-send is refused, and the purge audited by keys and counts only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from carerecord.cli import EXIT_OK, EXIT_USAGE
from carerecord.ingest.exclusions import load_exclusions
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.store.schema import exclusions, resource_versions, resources
from tests.factories import make_condition, make_org, make_patient, register, write_ndjson
from tests.ingest.test_exclusions import FERTILITY, snomed, write_sets
from tests.support.audit_log import entries
from tests.support.command_line import OPERATOR, Cli, command_line

MARKER = "MARKER-IVF-7731"  # only ever in the restricted item's text


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("CARERECORD_EXCLUSION_SETS", raising=False)
    return command_line(db_url, monkeypatch, capsys)


def stored_before_listing(store: Store, folder: Path) -> None:
    """The IVF item arrived (twice: a superseded version too) before its code was listed."""
    register(store, make_org("F83004", "gp"))
    first = make_condition(
        "p1", resource_id="c-ivf", code=snomed(FERTILITY), note=[{"text": f"{MARKER} cycle 1"}]
    )
    second = make_condition(
        "p1", resource_id="c-ivf", code=snomed(FERTILITY), note=[{"text": f"{MARKER} cycle 2"}],
        meta={"lastUpdated": "2026-10-02T09:00:00+00:00", "source": "urn:ods:F83004"},
    )  # fmt: skip
    ingest_paths(store, [write_ndjson(folder / "a.ndjson", make_patient("p1"), first)],
                 source="F83004")  # fmt: skip
    ingest_paths(store, [write_ndjson(folder / "b.ndjson", second)], source="F83004")


def anywhere(store: Store, text: str) -> list[str]:
    found = []
    with store.engine.connect() as conn:
        for table in (resources, resource_versions):
            for row in conn.execute(select(table)):
                if any(text in str(value) for value in row):
                    found.append(table.name)
    return found


def test_purging_removes_the_content_everywhere_and_keeps_the_key(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_before_listing(store, tmp_path)
    assert anywhere(store, MARKER) == ["resources", "resource_versions"]
    monkeypatch.setenv("CARERECORD_EXCLUSION_SETS", str(write_sets(tmp_path / "sets")))

    status, out, _ = cli("exclusions", "purge")

    assert status == EXIT_OK
    assert "1 current item(s) and 1 superseded version(s) purged" in out
    assert "assisted fertilisation" in out
    assert anywhere(store, MARKER) == []
    assert anywhere(store, FERTILITY) == []  # not even the code that says what it was
    with store.engine.connect() as conn:
        kept = conn.execute(
            select(resources.c.source_id, resources.c.hidden).where(
                resources.c.source_id == "c-ivf"
            )
        ).one()
        logged = conn.execute(select(exclusions.c.source_id, exclusions.c.category)).all()
    assert tuple(kept) == ("c-ivf", True)
    assert [tuple(row) for row in logged] == [("c-ivf", "assisted fertilisation")]
    [entry] = entries(store, "exclusions-purge")
    assert entry["actor"] == f"operator:{OPERATOR}"
    assert entry["detail"]["keys"] == ["F83004/Condition/c-ivf"]
    assert entry["detail"]["by_category"] == {"assisted fertilisation": 1}
    assert MARKER not in str(entry)

    # Sent again, it is refused as excluded, and nothing of it comes back.
    rules_sets = load_exclusions(tmp_path / "sets")
    again = make_condition("p1", resource_id="c-ivf", code=snomed(FERTILITY),
                           note=[{"text": f"{MARKER} again"}])  # fmt: skip
    from carerecord.ingest.rules import IntakeRules

    rules = IntakeRules({o.ods_code: o for o in store.organisations()}, rules_sets)
    counts = ingest_paths(store, [write_ndjson(tmp_path / "c.ndjson", again)], rules=rules)
    assert counts.excluded == 1
    assert anywhere(store, MARKER) == []


def test_a_dry_run_counts_and_changes_nothing(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_before_listing(store, tmp_path)
    monkeypatch.setenv("CARERECORD_EXCLUSION_SETS", str(write_sets(tmp_path / "sets")))

    status, out, _ = cli("exclusions", "purge", "--dry-run")

    assert status == EXIT_OK and "would be purged" in out
    assert anywhere(store, MARKER) == ["resources", "resource_versions"]
    assert entries(store, "exclusions-purge") == []


def test_purging_twice_finds_nothing_more(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_before_listing(store, tmp_path)
    monkeypatch.setenv("CARERECORD_EXCLUSION_SETS", str(write_sets(tmp_path / "sets")))
    cli("exclusions", "purge")
    status, out, _ = cli("exclusions", "purge")
    assert status == EXIT_OK and "0 current item(s) and 0 superseded version(s)" in out


def test_without_code_lists_there_is_nothing_to_purge_by(cli: Cli, store: Store) -> None:
    status, _, err = cli("exclusions", "purge")
    assert status == EXIT_USAGE and "CARERECORD_EXCLUSION_SETS" in err
