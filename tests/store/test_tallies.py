"""What each source holds about a person, per section, with its freshness: the count, its
newest update at source, when it was received, and the clinical date of its newest entry
(never one dated after it arrived: a booked date, or a source's clock error)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_condition, make_org, make_patient, register, write_ndjson


def test_a_sources_newest_entry_is_its_latest_clinical_date_not_dated_ahead(
    store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    feed = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient("p1", "9434765919"),
        make_condition(onsetDateTime="2015-06-01"),
        make_condition(onsetDateTime="2024-02-03"),
        make_condition(onsetDateTime="2099-01-01"),  # later than it could have been received
    )
    ingest_paths(store, [feed], source="F83004")
    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    (problems,) = store.section_tallies(patient_id, ["problems"])
    assert problems.count == 3
    assert problems.newest_entry == datetime(2024, 2, 3, tzinfo=UTC)
    assert problems.last_updated_at_source == datetime(2026, 10, 1, 9, tzinfo=UTC)
