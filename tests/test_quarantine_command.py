"""`carerecord quarantine list|show|retry|link` as an operator uses it, on SQLite and PostgreSQL.

Every one of them is run by a named operator (a system-admin account, its password checked) and
recorded in the audit log before it prints anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from carerecord.cli import EXIT_OK, EXIT_QUARANTINED, EXIT_UNUSABLE, EXIT_USAGE, main
from carerecord.commands.terminal import plain
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
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
from tests.support.audit_log import entries as log_entries
from tests.support.audit_log import refuse_audit_writes
from tests.support.staff import PASSWORD, add_staff

Cli = Callable[..., tuple[int, str, str]]  # argv → (exit code, stdout, stderr)
NHS = "9434765919"
OPERATOR = "ops-on-call"  # a system-admin account; its password is in CARERECORD_PASSWORD
OPS = ("--operator", OPERATOR)
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


@pytest.fixture(autouse=True)
def operator(store: Store, monkeypatch: pytest.MonkeyPatch) -> int:
    now = datetime.now(UTC)
    monkeypatch.setenv("CARERECORD_PASSWORD", PASSWORD)
    register(store, make_org("OPS01", "community", name="Record operations"))
    return add_staff(store, OPERATOR, "OPS01", "system-admin", None, now, networks=[])


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

    status, out, _ = cli("quarantine", "list", *OPS)
    assert status == EXIT_OK
    assert "AllergyIntolerance/a9" in out and "unknown-patient" in out
    assert "unknown-source" in out
    assert "2 item(s) shown" in out

    status, out, _ = cli(
        "quarantine", "list", "--reason", "unknown-source", "--source", "ral", *OPS
    )
    assert (status, "1 item(s) shown" in out, "a9" in out) == (EXIT_OK, True, False)


def test_show_prints_the_reason_and_the_raw_input(cli: Cli, store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_allergy(patient="nobody", resource_id="a9"))
    entry = only_entry(store)

    status, out, _ = cli("quarantine", "show", str(entry.id), *OPS)

    assert status == EXIT_OK
    assert f"id: {entry.id}" in out
    assert "reason: unknown-patient: AllergyIntolerance/a9 refers to Patient/nobody" in out
    assert '"reference":"Patient/nobody"' in out


def test_an_unknown_item_is_a_usage_error(cli: Cli) -> None:
    for command in (("show", "999"), ("retry", "999"), ("link", "999", "--nhs-number", NHS)):
        status, _, err = cli("quarantine", *command, *OPS)
        assert (status, "no quarantined item #999" in err) == (EXIT_USAGE, True), command


def test_retry_needs_ids_or_all_but_not_both(cli: Cli) -> None:
    for command in (("retry",), ("retry", "1", "--all")):
        status, _, err = cli("quarantine", *command, *OPS)
        assert status == EXIT_USAGE
        assert "name the items to retry, or use --all (not both)" in err


def test_retry_filters_go_with_all_not_with_named_items(cli: Cli) -> None:
    for flag in ("--reason", "--source"):
        status, _, err = cli("quarantine", "retry", "1", flag, "X", *OPS)
        assert status == EXIT_USAGE
        assert "choose items for --all; not with named items" in err


def test_an_item_from_an_unregistered_source_is_resolved_by_a_retry_after_org_add(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    ingest(store, tmp_path, make_patient(), source="F83004")
    entry = only_entry(store)
    assert entry.reason_code == "unknown-source"

    assert cli(*REGISTER_GP)[0] == EXIT_OK
    status, out, _ = cli("quarantine", "retry", "--all", *OPS)

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

    status, out, _ = cli("quarantine", "retry", str(entry.id), *OPS)

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

    status, out, _ = cli("quarantine", "link", str(entry.id), "--nhs-number", "943 476 5919", *OPS)

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

    status, _, err = cli("quarantine", "link", str(entry.id), "--nhs-number", "1234567890", *OPS)
    assert (status, "1234567890 is not a valid NHS number" in err) == (EXIT_USAGE, True)

    nobody = valid_nhs_number(5)
    status, _, err = cli("quarantine", "link", str(entry.id), "--nhs-number", nobody, *OPS)
    assert (status, f"holds nobody with NHS number {nobody}" in err) == (EXIT_USAGE, True)
    assert only_entry(store).id == entry.id


# -- The operator: who may see raw input, and the record of each use ---------------------------


def audit_entries(store: Store, action: str) -> list[dict[str, Any]]:
    keys = ["actor", "action", "outcome", "patient_id", "detail"]
    return [{k: e[k] for k in keys} for e in log_entries(store, action)]


def quarantined_allergy(store: Store, tmp_path: Path) -> QuarantinedEntry:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_allergy(patient="nobody", resource_id="a9"))
    return only_entry(store)


def test_show_without_an_operator_is_refused(
    cli: Cli, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = quarantined_allergy(store, tmp_path)

    with pytest.raises(SystemExit) as refused:  # argparse's own usage error
        cli("quarantine", "show", str(entry.id))

    assert refused.value.code == EXIT_USAGE
    out, err = capsys.readouterr()
    assert "the following arguments are required: --operator" in err
    assert out == ""


@pytest.mark.parametrize(
    ("who", "password", "says"),
    [
        ("nobody-here", PASSWORD, "the username or password is not right"),
        (OPERATOR, "not the password", "the username or password is not right"),
        ("gp-clinician", PASSWORD, "only a system-admin account may do this"),
    ],
)
def test_show_refuses_anyone_but_an_operator_with_their_password(
    cli: Cli,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    password: str,
    says: str,
) -> None:
    entry = quarantined_allergy(store, tmp_path)
    add_staff(store, "gp-clinician", "F83004", "clinician", None, datetime.now(UTC))
    monkeypatch.setenv("CARERECORD_PASSWORD", password)

    status, out, err = cli("quarantine", "show", str(entry.id), "--operator", who)

    assert status == EXIT_USAGE
    assert f"operator '{who}' refused: {says}" in err
    assert out == "" and "Patient/nobody" not in err
    assert [e["outcome"] for e in audit_entries(store, "sign-in")] == ["failure"]
    assert audit_entries(store, "quarantine-show") == []


def test_wrong_passwords_lock_the_operator_account(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = quarantined_allergy(store, tmp_path)
    monkeypatch.setenv("CARERECORD_PASSWORD", "guess")
    for _ in range(Settings().sign_in_attempts):
        assert cli("quarantine", "show", str(entry.id), *OPS)[0] == EXIT_USAGE
    monkeypatch.setenv("CARERECORD_PASSWORD", PASSWORD)

    status, out, err = cli("quarantine", "show", str(entry.id), *OPS)

    assert (status, out) == (EXIT_USAGE, "")
    assert "your account is locked after too many attempts" in err
    assert [e["actor"] for e in audit_entries(store, "lockout")] == [OPERATOR]


def test_a_disabled_operator_is_refused(
    cli: Cli, store: Store, tmp_path: Path, operator: int
) -> None:
    entry = quarantined_allergy(store, tmp_path)
    store.accounts.update_user(operator, disabled=True)

    status, out, err = cli("quarantine", "show", str(entry.id), *OPS)

    assert (status, out) == (EXIT_USAGE, "")
    assert "your account is disabled" in err


def test_the_password_is_asked_for_when_not_in_the_environment(
    cli: Cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = quarantined_allergy(store, tmp_path)
    monkeypatch.delenv("CARERECORD_PASSWORD")
    asked: list[str] = []
    # The terminal is outside the system: its prompt is the one thing stood in for here.
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or PASSWORD)

    status, out, _ = cli("quarantine", "show", str(entry.id), *OPS)

    assert status == EXIT_OK and "raw input:" in out
    assert asked == [f"password for operator {OPERATOR}: "]


def test_each_use_is_audited_with_operator_command_item_and_person(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_patient(), make_condition(patient="p-old", resource_id="c1"))
    entry = only_entry(store)
    patient_id = store.patient_id_for_nhs_number(NHS)

    assert cli("quarantine", "list", *OPS)[0] == EXIT_OK
    assert cli("quarantine", "show", str(entry.id), *OPS)[0] == EXIT_OK
    assert cli("quarantine", "retry", str(entry.id), *OPS)[0] == EXIT_QUARANTINED
    assert cli("quarantine", "link", str(entry.id), "--nhs-number", NHS, *OPS)[0] == EXIT_OK

    [listed] = audit_entries(store, "quarantine-list")
    assert (listed["actor"], listed["detail"]["quarantine_ids"]) == (OPERATOR, [entry.id])
    [shown] = audit_entries(store, "quarantine-show")
    assert shown["actor"] == OPERATOR and shown["patient_id"] is None  # p-old: nobody yet
    assert shown["detail"]["command"] == "quarantine show"
    assert shown["detail"]["quarantine_id"] == entry.id
    assert shown["detail"]["role"] == "system-admin"
    [retried] = audit_entries(store, "quarantine-retry")
    assert retried["detail"]["quarantine_id"] == entry.id
    [linked] = audit_entries(store, "quarantine-link")
    assert linked["patient_id"] == patient_id and linked["detail"]["local_id"] == "p-old"
    assert "Diabetes" not in str(linked["detail"])  # what the item says stays out of the log


def test_the_audit_names_the_person_when_the_item_is_theirs(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_patient(), make_allergy())
    ingest(store, tmp_path, make_patient("p2", birth_date="1960-01-01"))  # same NHS number
    entry = only_entry(store)
    assert entry.reason_code == "birth-date-conflict"

    assert cli("quarantine", "show", str(entry.id), *OPS)[0] == EXIT_OK

    [shown] = audit_entries(store, "quarantine-show")
    assert shown["patient_id"] == store.patient_id_for_nhs_number(NHS)


def test_nothing_is_shown_when_the_audit_log_cannot_be_written(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    entry = quarantined_allergy(store, tmp_path)
    refuse_audit_writes(store)

    status, out, err = cli("quarantine", "show", str(entry.id), *OPS)

    assert status == EXIT_UNUSABLE
    assert out == ""
    assert "the audit log could not be written" in err and "Patient/nobody" not in err


# -- Printing what senders sent: as text, never as markup or terminal escapes -----------------

HOSTILE = (
    "[link=https://evil.example]click me[/link] [/] [bold]loud[/bold] "
    "\x1b]8;;https://evil.example\x07here\x1b]8;;\x07 \x1b[2J\x1b]0;owned\x07 "
    "\u202eevil\u202c :smile:"
)


def test_show_prints_markup_and_escapes_in_raw_input_as_plain_text(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    path = tmp_path / "hostile.ndjson"
    path.write_bytes(f'{{"resourceType": "Patient", "id": "{HOSTILE}"}}\n'.encode())
    ingest_paths(store, [path], "F83004")  # control characters in a string: not JSON
    entry = only_entry(store)

    status, out, err = cli("quarantine", "show", str(entry.id), *OPS)

    assert (status, err) == (EXIT_OK, "")
    assert "[link=https://evil.example]click me[/link] [/] [bold]loud[/bold]" in out
    assert "]8;;https://evil.example" in out and ":smile:" in out  # shown, not acted on
    assert not any(ch in out for ch in "\x1b\x07\u202e\u202c")


def test_list_prints_a_hostile_item_id_as_plain_text(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    ingest(store, tmp_path, make_allergy(resource_id="[red]x[/red]", patient="nobody"))

    status, out, err = cli("quarantine", "list", *OPS)

    assert (status, err) == (EXIT_OK, "")
    assert "AllergyIntolerance/[red]x[/red]" in out


def test_plain_keeps_tabs_and_line_ends_and_drops_other_controls() -> None:
    assert plain("a\tb\r\nc") == "a\tb\r\nc"
    assert plain("ok\x1b[31mred\x9b0m\x00\x7f\u2066x\u2069") == "ok[31mred0mx"
    assert plain("Zoë — 5 mg in 5 mL") == "Zoë — 5 mg in 5 mL"
