"""A date later than now is a source's error on what says it has happened, not on what is
planned: an appointment next week is not flagged; its source's last update tomorrow is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from carerecord.record.items import future_dated
from carerecord.store.records import StoredResource

NOW = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)
ROW = StoredResource(
    id=1, source_ods="F83004", resource_type="MedicationDispense", source_id="d1",
    section="medications", version=1, last_updated_at_source=NOW - timedelta(days=1),
    received_at=NOW, clinical_date=NOW + timedelta(days=1), code_system=None, code=None,
    status="completed", body="{}",
)  # fmt: skip


def test_a_dispensing_dated_tomorrow_is_future_dated() -> None:
    assert future_dated(ROW, NOW)


def test_an_appointment_or_a_planned_encounter_next_week_is_not() -> None:
    week = NOW + timedelta(days=7)
    assert not future_dated(replace(ROW, resource_type="Appointment", clinical_date=week), NOW)
    assert not future_dated(
        replace(ROW, resource_type="Encounter", status="planned", clinical_date=week), NOW
    )


def test_a_last_update_later_than_now_is_future_dated_whatever_the_item() -> None:
    ahead = replace(
        ROW, resource_type="Appointment", last_updated_at_source=NOW + timedelta(hours=2)
    )
    assert future_dated(ahead, NOW)


def test_a_few_minutes_of_clock_drift_is_not() -> None:
    assert not future_dated(replace(ROW, clinical_date=NOW + timedelta(minutes=4)), NOW)
