"""`carerecord objection import` as an operator uses it, on SQLite and PostgreSQL: the report,
a dry run, a second run, bad files, and people whose records arrive after their objection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select

from carerecord.app import create_app
from carerecord.cli import EXIT_OK, EXIT_UNUSABLE, EXIT_USAGE, main
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.schema import audit_events, objections, patients
from tests.factories import (
    make_allergy,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)
from tests.support.staff import signed_in

Cli = Callable[..., tuple[int, str, str]]
HEADER = "nhs_number,recorded_at,recorded_by,on_behalf,evidence_ref,checked_by,reference"
HELD = "9434765919"  # Jane, whose GP has sent her record
LATER = valid_nhs_number(11)  # a person no source has sent yet
NOW = datetime.now(UTC)


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("CARERECORD_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*argv, "--db", db_url])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def held(store: Store, tmp_path: Path) -> Store:
    register(store, make_org("F83004", "gp"))
    ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_allergy())])
    return store


def csv_file(folder: Path, *rows: str, header: str = HEADER) -> Path:
    path = folder / "objections.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def rows_in(store: Store, table: Table = objections) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def report(out: str) -> dict[str, str]:
    lines = [line.split(":", 1) for line in out.splitlines() if ":" in line]
    return {key.strip(): value.strip() for key, value in lines}


GOOD = (
    f"{HELD},2023-05-01,Connect Care: R Patel,self,,,CC-1",
    f"{LATER},2023-06-01T10:15,Connect Care: R Patel,lpa-health-welfare,7000-1111,M Jones,CC-2",
)


def test_a_dry_run_reports_and_changes_nothing(held: Store, cli: Cli, tmp_path: Path) -> None:
    people = rows_in(held, patients)

    status, out, _ = cli("objection", "import", str(csv_file(tmp_path, *GOOD)), "--dry-run")

    assert status == EXIT_OK
    counts = report(out)
    assert counts["rows read"] == "2"
    assert counts["matched (person held)"] == "1" and counts["not held yet"] == "1"
    assert "would be imported" in out
    assert rows_in(held) == 0 and rows_in(held, audit_events) == 0
    assert rows_in(held, patients) == people


def test_importing_twice_adds_the_objections_once(held: Store, cli: Cli, tmp_path: Path) -> None:
    path = csv_file(tmp_path, *GOOD)

    first = cli("objection", "import", str(path))
    second = cli("objection", "import", str(path))

    assert first[0] == second[0] == EXIT_OK
    assert report(first[1])["imported"] == "2 objection(s)"
    assert report(second[1])["already imported"] == "2"
    assert report(second[1])["imported"] == "0 objection(s)"
    assert rows_in(held) == 2
    jane = held.patient_id_for_nhs_number(HELD) or ""
    [objection] = held.consent.objections(jane)
    assert (objection.external_ref, objection.recorded_by) == (
        "import:CC-1",
        "Connect Care: R Patel",
    )
    assert objection.recorded_at == datetime(2023, 4, 30, 23, 0, tzinfo=UTC)  # midnight, BST


def test_a_person_not_held_yet_is_hidden_from_their_first_record_on(
    held: Store, cli: Cli, tmp_path: Path
) -> None:
    cli("objection", "import", str(csv_file(tmp_path, *GOOD)))
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), held)
    clinician = signed_in(app, held, NOW)

    before = clinician.post("/find", data={"nhs_no": LATER}, follow_redirects=False)
    assert before.status_code == 200  # no record to open: their existence is not revealed

    later = write_ndjson(
        tmp_path / "later.ndjson",
        make_patient("p9", LATER, family="KHAN"),
        make_allergy("p9"),
    )
    ingest_paths(held, [later])
    response = clinician.post("/find", data={"nhs_no": LATER}, follow_redirects=False)
    page = clinician.get(response.headers["location"]).text

    assert 'data-reason="objection"' in page and "KHAN" in page
    assert "penicillin" not in page.lower()


def test_rows_with_invalid_nhs_numbers_or_repeated_are_reported_by_line(
    held: Store, cli: Cli, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        GOOD[0],
        "9434765918,2023-05-01,Connect Care: R Patel,self,,,CC-3",  # fails the check digit
        GOOD[0],  # the very same row again
        "12345,2023-05-01,Connect Care: R Patel,self,,,CC-4",
    )

    status, out, _ = cli("objection", "import", str(path))

    assert status == 1  # done, but not everything could be imported
    counts = report(out)
    assert counts["invalid NHS numbers"] == "2 (lines 3, 5)"
    assert counts["duplicates within the file"] == "1 (line 4)"
    assert "9434765918" not in out and "12345" not in out  # lines, never NHS numbers
    assert rows_in(held) == 1


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (f"{HELD},05/03/2024,Connect Care: R Patel,self,,,CC-9", "recorded_at is not a date"),
        (f"{HELD},2099-01-01,Connect Care: R Patel,self,,,CC-9", "in the future"),
        (f"{HELD},2024-03-05,Connect Care: R Patel,carer,,,CC-9", "on_behalf must be one of"),
        (f"{HELD},2024-03-05,,self,,,CC-9", "recorded_by is empty"),
        (f"{HELD},2024-03-05,Connect Care: R Patel,self,,,", "reference is empty"),
        (f"{HELD},2024-03-05,Connect Care: R Patel,self,,", "6 fields, not 7"),
        (f"{HELD},2024-03-05,{'x' * 101},self,,,CC-9", "longer than 100"),
        (f"{LATER},2023-05-01,Connect Care: R Patel,self,,,CC-1", "with other details"),
    ],
)
def test_one_row_that_is_not_an_objection_refuses_the_whole_file(
    held: Store, cli: Cli, tmp_path: Path, bad_row: str, message: str
) -> None:
    people = rows_in(held, patients)

    status, _, err = cli("objection", "import", str(csv_file(tmp_path, *GOOD, bad_row)))

    assert status == EXIT_USAGE
    assert "line 4" in err and message in err and "nothing was" in err
    assert rows_in(held) == 0 and rows_in(held, patients) == people


def test_a_file_that_cannot_be_used_is_refused(held: Store, cli: Cli, tmp_path: Path) -> None:
    missing = cli("objection", "import", str(tmp_path / "absent.csv"))
    wrong_header = cli(
        "objection", "import", str(csv_file(tmp_path, GOOD[0], header="nhs,date,who"))
    )
    (tmp_path / "latin1.csv").write_bytes(f"{HEADER}\n".encode() + b"\xe9\xff\n")
    not_utf8 = cli("objection", "import", str(tmp_path / "latin1.csv"))
    (tmp_path / "empty.csv").write_bytes(b"")
    empty = cli("objection", "import", str(tmp_path / "empty.csv"))

    for status, _, err in (missing, wrong_header, not_utf8, empty):
        assert status == EXIT_UNUSABLE and err.startswith("error:")
    assert "no such file" in missing[2]
    assert "must name the columns" in wrong_header[2] and "must name the columns" in empty[2]
    assert "not UTF-8" in not_utf8[2]
    assert rows_in(held) == 0


def test_the_import_is_audited_as_one_event(held: Store, cli: Cli, tmp_path: Path) -> None:
    cli("objection", "import", str(csv_file(tmp_path, *GOOD)))

    with held.engine.connect() as conn:
        [(actor, action, detail)] = conn.execute(
            select(audit_events.c.actor, audit_events.c.action, audit_events.c.detail)
        ).all()
    assert (actor, action, detail["detail"]["rows"]) == ("system", "import-objections", 2)
    assert len(detail["detail"]["file_sha256"]) == 64


def test_an_attorneys_objection_without_its_evidence_is_kept_and_flagged(
    held: Store, cli: Cli, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, f"{HELD},2023-05-01,Connect Care: R Patel,lpa-health-welfare,,,CC-7")

    status, out, _ = cli("objection", "import", str(path))

    assert status == EXIT_OK and "without the power's registration number" in out
    assert rows_in(held) == 1


def test_a_recorded_at_just_now_is_accepted(held: Store, cli: Cli, tmp_path: Path) -> None:
    moment = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    path = csv_file(tmp_path, f"{HELD},{moment},Connect Care: R Patel,self,,,CC-8")

    assert cli("objection", "import", str(path))[0] == EXIT_OK
