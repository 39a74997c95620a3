"""An organisation shares only the sections it is configured to: the rest waits in quarantine
until the setting changes, then a retry stores it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from carerecord.cli import EXIT_OK, main
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_condition, make_org, make_patient, register, write_ndjson
from tests.support.staff import PASSWORD, add_staff

ORG = ["org", "add", "F83004", "--name", "Camden Road Surgery", "--type", "gp"]
REGION = ["--region", "North Central London"]


@pytest.fixture
def gp_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.delenv("CARERECORD_EXCLUSION_SETS", raising=False)
    register(store, make_org("F83004", "gp", sections=("demographics", "medications")))
    return store


def test_a_section_the_organisation_does_not_share_is_quarantined_with_the_section_named(
    gp_store: Store, tmp_path: Path
) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_condition(resource_id="c1"))

    counts = ingest_paths(gp_store, [path])

    assert (counts.stored, counts.quarantine_reasons) == (1, {"section-not-shared": 1})
    [entry] = gp_store.quarantine_entries()
    assert (entry.resource_type, entry.source_id) == ("Condition", "c1")
    assert "F83004 is not configured to share Problems and diagnoses (Condition)" in entry.reason
    assert "demographics, medications" in entry.reason


def test_the_patient_is_accepted_whatever_the_sections(store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp", sections=("medications",)))

    counts = ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", make_patient())])

    assert (counts.stored, counts.quarantined) == (1, 0)


def test_after_the_section_is_added_a_retry_stores_the_item(
    gp_store: Store,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_condition(resource_id="c1"))
    ingest_paths(gp_store, [path])
    [entry] = gp_store.quarantine_entries()
    add_staff(gp_store, "ops", "F83004", "system-admin", None, datetime.now(UTC), networks=[])
    monkeypatch.setenv("CARERECORD_PASSWORD", PASSWORD)

    sections = ["--sections", "demographics,medications,problems"]
    assert main([*ORG, *REGION, *sections, "--db", db_url]) == EXIT_OK
    retry = ["quarantine", "retry", str(entry.id), "--operator", "ops", "--db", db_url]
    assert main(retry) == EXIT_OK

    assert f"#{entry.id}: retried: stored" in capsys.readouterr().out
    assert gp_store.quarantine_entries() == []
    patient_id = gp_store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    held = gp_store.patient_resources(patient_id, sections=["problems"])
    assert [r.source_id for r in held] == ["c1"]
