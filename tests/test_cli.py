"""The `carerecord` command as an operator uses it: messages and stable exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from carerecord.cli import EXIT_OK, EXIT_QUARANTINED, EXIT_UNUSABLE, EXIT_USAGE, main
from tests.factories import make_allergy, make_patient, write_ndjson


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CARERECORD_DB", url)
    return url


def test_db_upgrade_creates_then_reports_the_schema(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == EXIT_OK
    assert "migrated from empty" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == EXIT_OK
    assert "already at revision" in capsys.readouterr().out


def test_commands_refuse_a_database_that_was_never_upgraded(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "list"]) == EXIT_UNUSABLE
    assert "run `carerecord db upgrade` first" in capsys.readouterr().err


def test_org_add_registers_and_validates(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["db", "upgrade"])
    args = ["org", "add", "f83004", "--name", "Camden Road Surgery", "--type", "gp"]

    assert main([*args, "--region", "North Central London"]) == EXIT_OK
    assert "registered F83004 Camden Road Surgery" in capsys.readouterr().out
    assert main([*args, "--region", "Narnia"]) == EXIT_USAGE
    assert "region 'Narnia' is not one of" in capsys.readouterr().err
    assert main([*args, "--region", "North Central London", "--sections", "x"]) == EXIT_USAGE
    assert "section 'x' is not one of" in capsys.readouterr().err


def test_ingest_prints_the_summary_and_exits_by_outcome(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["db", "upgrade"])
    main(
        [
            "org",
            "add",
            "F83004",
            "--name",
            "Camden Road Surgery",
            "--type",
            "gp",
            "--region",
            "North Central London",
        ]
    )
    clean = write_ndjson(tmp_path / "clean.ndjson", make_patient(), make_allergy())
    orphan = write_ndjson(tmp_path / "orphan.ndjson", make_allergy(patient="nobody"))
    capsys.readouterr()

    assert main(["ingest", str(clean)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "stored" in out and "2" in out
    assert main(["ingest", str(clean), str(orphan)]) == EXIT_QUARANTINED
    out = capsys.readouterr().out
    assert "unknown-patient" in out


def test_ingest_names_what_it_cannot_read(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["db", "upgrade"])
    xml = tmp_path / "patient.xml"
    xml.write_text("<Patient xmlns='http://hl7.org/fhir'/>")

    assert main(["ingest", str(xml)]) == EXIT_UNUSABLE
    assert "FHIR XML is not accepted" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "missing.ndjson")]) == EXIT_UNUSABLE
    assert main(["ingest", str(xml), "--source", "NOPE1"]) == EXIT_USAGE
    assert "NOPE1 is not registered" in capsys.readouterr().out


def test_unknown_database_scheme_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", "mysql://x"]) == EXIT_UNUSABLE
    assert "unsupported database URL scheme" in capsys.readouterr().err


def test_synth_then_ingest_round_trip(db: str, tmp_path: Path) -> None:
    out = tmp_path / "synth"
    main(["db", "upgrade"])

    assert main(["synth", "--patients", "12", "--out", str(out), "--seed", "3"]) == EXIT_OK
    assert main(["org", "load", str(out / "organisations.json")]) == EXIT_OK
    status = main(["ingest", str(out / "fhir")])

    # Synthetic London includes records without an NHS number: those are quarantined.
    assert status in (EXIT_OK, EXIT_QUARANTINED)


def test_ingesting_a_whole_synth_folder_passes_over_its_organisation_list(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "synth"
    main(["db", "upgrade"])
    assert main(["synth", "--patients", "5", "--out", str(out), "--seed", "3"]) == EXIT_OK
    assert main(["org", "load", str(out / "organisations.json")]) == EXIT_OK
    capsys.readouterr()

    status = main(["ingest", str(out)])

    assert status in (EXIT_OK, EXIT_QUARANTINED)
    said = " ".join(capsys.readouterr().out.split())
    assert f"not read: {out / 'organisations.json'}" in said
    assert "carerecord org load" in said
    assert main(["ingest", str(out / "organisations.json")]) == EXIT_UNUSABLE
    assert "is loaded by `carerecord org load`" in " ".join(capsys.readouterr().err.split())


def test_synth_refuses_an_impossible_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", "--patients", "0", "--out", str(tmp_path)]) == EXIT_USAGE
    assert "--patients must be between 1 and 500,000" in capsys.readouterr().err


def test_a_database_that_cannot_be_reached_is_named_without_its_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.support.postgres import free_port

    url = f"postgresql://care:TopSecret99@127.0.0.1:{free_port()}/care"
    assert main(["quarantine", "list", "--operator", "ops", "--db", url]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert "cannot connect to the database at postgresql://care:***@127.0.0.1" in err
    assert "TopSecret99" not in err
