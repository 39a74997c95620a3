"""`carerecord quarantine list|show|retry|link` as an operator uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carerecord.cli import EXIT_OK, EXIT_QUARANTINED, EXIT_USAGE, main
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.store.records import QuarantinedEntry
from tests.factories import (
    make_allergy,
    make_condition,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)

Cli = Callable[..., tuple[int, str, str]]  # argv → (exit code, stdout, stderr)
NHS = "9434765919"
REGISTER_GP = [
    *("org", "add", "F83004", "--name", "Camden Road Surgery", "--type", "gp"),
    *("--region", "North Central London"),
]


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The command on the test database, whatever the environment names."""
    monkeypatch.delenv("CARERECORD_EXCLUSION_SETS", raising=False)
    monkeypatch.delenv("CARERECORD_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # tables whole on one line each

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*argv, "--db", db_url])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def ingest(
    store: Store, tmp_path: Path, *resources: dict[str, Any], source: str | None = None
) -> None:
    ingest_paths(store, [write_ndjson(tmp_path / "in.ndjson", *resources)], source)


def only_entry(store: Store, status: str | None = "open") -> QuarantinedEntry:
    [entry] = store.quarantine_entries(status)
    return entry


def shown(store: Store, nhs: str = NHS) -> list[str]:
    patient_id = store.patient_id_for_nhs_number(nhs)
    assert patient_id is not None
    return sorted(f"{r.resource_type}/{r.source_id}" for r in store.patient_resources(patient_id))


def test_list_shows_open_items_and_filters_them(cli: Cli, store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_patient(), make_allergy(patient="nobody", resource_id="a9"))
    ingest_paths(store, [write_ndjson(tmp_path / "x.ndjson", make_patient())], source="RAL")

    status, out, _ = cli("quarantine", "list")
    assert status == EXIT_OK
    assert "AllergyIntolerance/a9" in out and "unknown-patient" in out
    assert "unknown-source" in out
    assert "2 item(s) shown" in out

    status, out, _ = cli("quarantine", "list", "--reason", "unknown-source", "--source", "ral")
    assert (status, "1 item(s) shown" in out, "a9" in out) == (EXIT_OK, True, False)


def test_show_prints_the_reason_and_the_raw_input(cli: Cli, store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_allergy(patient="nobody", resource_id="a9"))
    entry = only_entry(store)

    status, out, _ = cli("quarantine", "show", str(entry.id))

    assert status == EXIT_OK
    assert f"id: {entry.id}" in out
    assert "reason: unknown-patient: AllergyIntolerance/a9 refers to Patient/nobody" in out
    assert '"reference":"Patient/nobody"' in out


def test_an_unknown_item_is_a_usage_error(cli: Cli) -> None:
    for command in (("show", "999"), ("retry", "999"), ("link", "999", "--nhs-number", NHS)):
        status, _, err = cli("quarantine", *command)
        assert (status, "no quarantined item #999" in err) == (EXIT_USAGE, True), command


def test_retry_needs_ids_or_all_but_not_both(cli: Cli) -> None:
    for command in (("retry",), ("retry", "1", "--all")):
        status, _, err = cli("quarantine", *command)
        assert status == EXIT_USAGE
        assert "name the items to retry, or use --all (not both)" in err


def test_retry_filters_go_with_all_not_with_named_items(cli: Cli) -> None:
    for flag in ("--reason", "--source"):
        status, _, err = cli("quarantine", "retry", "1", flag, "X")
        assert status == EXIT_USAGE
        assert "choose items for --all; not with named items" in err


def test_an_item_from_an_unregistered_source_is_resolved_by_a_retry_after_org_add(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    ingest(store, tmp_path, make_patient(), source="F83004")
    entry = only_entry(store)
    assert entry.reason_code == "unknown-source"

    assert cli(*REGISTER_GP)[0] == EXIT_OK
    status, out, _ = cli("quarantine", "retry", "--all")

    assert status == EXIT_OK
    assert f"#{entry.id}: retried: stored" in out and "1 of 1 resolved" in out
    assert shown(store) == ["Patient/p1"]
    assert only_entry(store, "resolved").id == entry.id


def test_a_retry_that_still_fails_exits_1_and_leaves_the_item_open(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_condition(patient="nobody", resource_id="c1"))
    entry = only_entry(store)

    status, out, _ = cli("quarantine", "retry", str(entry.id))

    assert status == EXIT_QUARANTINED
    assert "still not storable" in out and "0 of 1 resolved" in out
    assert only_entry(store).id == entry.id


def test_link_joins_an_unknown_patient_to_a_person_and_stores_the_item(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_patient(), make_condition(patient="p-old", resource_id="c1"))
    entry = only_entry(store)
    assert entry.reason_code == "unknown-patient"

    status, out, _ = cli("quarantine", "link", str(entry.id), "--nhs-number", "943 476 5919")

    assert status == EXIT_OK
    assert f"linked F83004 patient p-old to NHS number {NHS}" in out
    assert f"#{entry.id}: retried: stored" in out
    assert shown(store) == ["Condition/c1", "Patient/p1"]
    assert store.quarantine_entries() == []


def test_link_refuses_an_invalid_nhs_number_and_one_nobody_holds(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_patient(), make_condition(patient="p-old", resource_id="c1"))
    entry = only_entry(store)

    status, _, err = cli("quarantine", "link", str(entry.id), "--nhs-number", "1234567890")
    assert (status, "1234567890 is not a valid NHS number" in err) == (EXIT_USAGE, True)

    nobody = valid_nhs_number(5)
    status, _, err = cli("quarantine", "link", str(entry.id), "--nhs-number", nobody)
    assert (status, f"holds nobody with NHS number {nobody}" in err) == (EXIT_USAGE, True)
    assert only_entry(store).id == entry.id
