"""Ingesting FHIR files: stored, updated, unchanged, quarantined — and never doubled."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.store.schema import resource_versions, resources
from tests.factories import (
    make_allergy,
    make_condition,
    make_org,
    make_patient,
    register,
    write_bundle,
    write_ndjson,
)


@pytest.fixture
def gp_store(store: Store) -> Store:
    register(store, make_org("F83004", "gp"), make_org("RAL", "acute"))
    return store


def test_a_patient_and_their_records_are_stored(gp_store: Store, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_allergy(), make_condition())

    counts = ingest_paths(gp_store, [path])

    assert (counts.stored, counts.quarantined) == (3, 0)
    patient_id = gp_store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    held = gp_store.patient_resources(patient_id)
    assert sorted(r.section for r in held) == ["allergies", "demographics", "problems"]
    allergy = next(r for r in held if r.resource_type == "AllergyIntolerance")
    assert (allergy.source_ods, allergy.code, allergy.status) == ("F83004", "91936005", "active")
    assert allergy.clinical_date is not None and allergy.clinical_date.year == 2019


def test_ingesting_the_same_files_again_changes_nothing(gp_store: Store, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_allergy(), make_condition())
    ingest_paths(gp_store, [path])
    before = gp_store.counts()

    again = ingest_paths(gp_store, [path])

    assert (again.stored, again.updated, again.unchanged) == (0, 0, 3)
    assert gp_store.counts() == before


def test_a_newer_version_replaces_the_current_and_keeps_history(
    gp_store: Store, tmp_path: Path
) -> None:
    first = make_allergy(resource_id="a-1")
    newer = make_allergy(
        resource_id="a-1", last_updated="2026-11-01T09:00:00+00:00", recordedDate="2020-01-01"
    )
    ingest_paths(gp_store, [write_ndjson(tmp_path / "1.ndjson", make_patient(), first)])

    counts = ingest_paths(gp_store, [write_ndjson(tmp_path / "2.ndjson", newer)])

    assert counts.updated == 1
    with gp_store.engine.connect() as conn:
        current = conn.execute(
            select(resources.c.version, resources.c.body).where(resources.c.source_id == "a-1")
        ).one()
        history = conn.execute(select(resource_versions.c.version)).scalars().all()
    assert current.version == 2 and "2020-01-01" in current.body
    assert history == [1]


def test_several_older_versions_arriving_late_are_each_kept_below_the_current(
    gp_store: Store, tmp_path: Path
) -> None:
    current = make_allergy(resource_id="a-1", last_updated="2026-11-01T09:00:00+00:00")
    ingest_paths(gp_store, [write_ndjson(tmp_path / "1.ndjson", make_patient(), current)])

    for number, recorded in enumerate(("2001-01-01", "2002-02-02", "2003-03-03")):
        late = make_allergy(
            resource_id="a-1", last_updated="2026-01-01T09:00:00+00:00", recordedDate=recorded
        )
        counts = ingest_paths(gp_store, [write_ndjson(tmp_path / f"late{number}.ndjson", late)])
        assert counts.older == 1

    with gp_store.engine.connect() as conn:
        versions = conn.execute(select(resource_versions.c.version)).scalars().all()
    assert sorted(versions) == [-2, -1, 0]


def test_an_older_version_arriving_late_does_not_replace_the_current(
    gp_store: Store, tmp_path: Path
) -> None:
    current = make_allergy(resource_id="a-1", last_updated="2026-11-01T09:00:00+00:00")
    late = make_allergy(
        resource_id="a-1", last_updated="2026-01-01T09:00:00+00:00", recordedDate="2001-01-01"
    )
    ingest_paths(gp_store, [write_ndjson(tmp_path / "1.ndjson", make_patient(), current)])

    counts = ingest_paths(gp_store, [write_ndjson(tmp_path / "2.ndjson", late)])
    again = ingest_paths(gp_store, [write_ndjson(tmp_path / "3.ndjson", late)])

    assert (counts.older, counts.updated, again.older, again.unchanged) == (1, 0, 0, 1)
    with gp_store.engine.connect() as conn:
        body = conn.execute(select(resources.c.body).where(resources.c.source_id == "a-1"))
        assert "2001-01-01" not in body.scalar_one()
        assert len(conn.execute(select(resource_versions)).all()) == 1


def test_a_resource_for_an_unknown_patient_is_quarantined_with_its_reason(
    gp_store: Store, tmp_path: Path
) -> None:
    orphan = make_allergy(patient="nobody", resource_id="a-9")
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), orphan)

    counts = ingest_paths(gp_store, [path])
    ingest_paths(gp_store, [path])  # seen again: counted, not doubled

    assert counts.quarantined == 1 and counts.quarantine_reasons == {"unknown-patient": 1}
    [held] = gp_store.quarantine_entries(status=None)
    assert held.reason_code == "unknown-patient" and "Patient/nobody" in held.reason
    assert held.source_ods == "F83004" and '"a-9"' in held.raw
    assert held.location.endswith("gp.ndjson:2")


@pytest.mark.parametrize(
    ("nhs", "reason"), [(None, "no-nhs-number"), ("9434765918", "invalid-nhs-number")]
)
def test_a_patient_without_a_valid_nhs_number_is_quarantined_with_their_records(
    gp_store: Store, tmp_path: Path, nhs: str | None, reason: str
) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(nhs=nhs), make_allergy())

    counts = ingest_paths(gp_store, [path])

    assert counts.stored == 0
    assert counts.quarantine_reasons == {reason: 1, "unknown-patient": 1}
    assert gp_store.counts()["resources"] == 0


def test_an_unregistered_or_unnamed_source_is_quarantined(gp_store: Store, tmp_path: Path) -> None:
    stranger = make_patient(source="Y99999")
    unnamed = make_condition()
    del unnamed["meta"]["source"]
    path = write_ndjson(tmp_path / "x.ndjson", stranger, unnamed)

    counts = ingest_paths(gp_store, [path])

    assert counts.quarantine_reasons == {"unknown-source": 2}
    reasons = sorted(q.reason for q in gp_store.quarantine_entries(status=None))
    assert "source organisation Y99999 is not registered" in reasons[1]
    assert "use --source ODS or meta.source" in reasons[0]


def test_the_source_named_on_the_command_line_wins(gp_store: Store, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "x.ndjson", make_patient(source="Y99999"))

    counts = ingest_paths(gp_store, [path], source="RAL")

    assert counts.stored == 1
    [row] = gp_store.patient_resources(gp_store.patient_id_for_nhs_number("9434765919") or "")
    assert row.source_ods == "RAL"


def test_patients_are_linked_first_whatever_order_the_files_come_in(
    gp_store: Store, tmp_path: Path
) -> None:
    records = write_ndjson(tmp_path / "AllergyIntolerance.ndjson", make_allergy())
    people = write_ndjson(tmp_path / "Patient.ndjson", make_patient())

    counts = ingest_paths(gp_store, [records, people])

    assert (counts.stored, counts.quarantined) == (2, 0)


def test_two_sources_share_one_master_patient_by_nhs_number(
    gp_store: Store, tmp_path: Path
) -> None:
    gp = write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_allergy())
    hospital = write_ndjson(
        tmp_path / "ral.ndjson",
        make_patient(local_id="MRN123", source="RAL"),
        make_allergy(patient="MRN123", source="RAL"),
    )

    ingest_paths(gp_store, [gp, hospital])

    assert gp_store.counts()["patients"] == 1
    held = gp_store.patient_resources(gp_store.patient_id_for_nhs_number("9434765919") or "")
    assert sorted(r.source_ods for r in held) == ["F83004", "F83004", "RAL", "RAL"]


def test_a_local_id_that_changes_nhs_number_is_not_merged(gp_store: Store, tmp_path: Path) -> None:
    ingest_paths(gp_store, [write_ndjson(tmp_path / "1.ndjson", make_patient())])

    counts = ingest_paths(
        gp_store, [write_ndjson(tmp_path / "2.ndjson", make_patient(nhs="9000000009"))]
    )

    assert counts.quarantine_reasons == {"identity-conflict": 1}
    assert gp_store.patient_id_for_nhs_number("9000000009") is not None  # known, but unlinked
    assert gp_store.counts()["patient_links"] == 1


def test_a_bundle_with_urn_uuid_references_is_read(gp_store: Store, tmp_path: Path) -> None:
    patient = make_patient(local_id="8f2c")
    allergy = make_allergy(patient="x")
    allergy["patient"] = {"reference": "urn:uuid:8f2c"}
    path = write_bundle(tmp_path / "bundle.json", patient, allergy)

    counts = ingest_paths(gp_store, [path])

    assert (counts.stored, counts.quarantined) == (2, 0)


def test_broken_lines_are_quarantined_and_the_rest_stored(gp_store: Store, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient())
    with path.open("ab") as handle:
        handle.write(b'{"resourceType": "Condition", "id": \n[1, 2]\n{"id": "x"}\n')

    counts = ingest_paths(gp_store, [path])

    assert counts.stored == 1
    assert counts.quarantine_reasons == {"malformed": 3}
    reasons = [q.reason for q in gp_store.quarantine_entries(status=None)]
    assert any("not valid JSON" in r for r in reasons) and "not a JSON object" in reasons


def test_entered_in_error_is_kept_but_hidden(gp_store: Store, tmp_path: Path) -> None:
    wrong = make_condition(resource_id="c-1")
    wrong["verificationStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "entered-in-error",
            }
        ]
    }
    ingest_paths(gp_store, [write_ndjson(tmp_path / "gp.ndjson", make_patient(), wrong)])

    held = gp_store.patient_resources(gp_store.patient_id_for_nhs_number("9434765919") or "")

    assert [r.resource_type for r in held] == ["Patient"]
    assert gp_store.counts()["resources"] == 2


def test_parallel_writers_of_the_same_records_leave_exactly_one_row(
    gp_store: Store, tmp_path: Path
) -> None:
    path = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient(),
        *[make_allergy(resource_id=f"a-{i}") for i in range(50)],
    )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: ingest_paths(gp_store, [path]), range(8)))

    assert sum(r.stored for r in results) == 51
    assert gp_store.counts()["resources"] == 51
    assert gp_store.counts()["patients"] == 1


def test_each_batch_marks_its_sources_feed_as_fresh(gp_store: Store, tmp_path: Path) -> None:
    assert gp_store.organisation("F83004").last_received_at is None  # type: ignore[union-attr]

    ingest_paths(gp_store, [write_ndjson(tmp_path / "gp.ndjson", make_patient())])

    assert gp_store.organisation("F83004").last_received_at is not None  # type: ignore[union-attr]
    assert gp_store.organisation("RAL").last_received_at is None  # type: ignore[union-attr]


def test_text_holding_nul_is_quarantined_whole_on_both_engines(
    gp_store: Store, tmp_path: Path
) -> None:
    """FHIR text may not hold NUL and PostgreSQL cannot store it: such input is refused at the
    edge, and still kept in the quarantine (NUL shown as U+FFFD)."""
    nul_code = make_allergy(resource_id="a-nul", code="\x00")
    nul_id = make_patient(local_id="\x00")
    path = write_ndjson(tmp_path / "gp.ndjson", make_patient(), nul_code, nul_id)

    counts = ingest_paths(gp_store, [path])

    assert counts.stored == 1 and counts.quarantine_reasons == {"malformed": 2}
    entries = gp_store.quarantine_entries(status=None)
    assert all("NUL" in e.reason for e in entries)
    assert [e.source_id for e in entries if e.resource_type == "Patient"] == ["\ufffd"]
