"""The rows of "What each source holds": one per organisation that shared data about the person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from carerecord.fhir.sections import SECTION_TITLES
from carerecord.organisations import ORG_TYPES
from carerecord.record.items import later_than
from carerecord.record.overview import SourceHolding
from carerecord.web import formatting as fmt


@dataclass(frozen=True)
class SourceRow:
    name: str
    ods_code: str
    org_type: str
    region: str
    sections: tuple[str, ...]  # "Allergies (3)", in the order a clinician reads the record
    updated_at: str  # last updated at source, UK local time
    updated_ago: str  # or the future-date flag
    received_ago: str  # when carerecord last received its data, kept apart
    newest_entry: str  # `newest entry 28-Sep-2026`
    updated_future: bool  # its last update is dated later than now: flagged
    stale: str | None  # "Stale feed: last received 3 days ago" when nothing came in lately


def source_rows(
    holdings: Sequence[SourceHolding], now: datetime, stale_after: timedelta
) -> tuple[SourceRow, ...]:
    return tuple(_row(holding, now, stale_after) for holding in holdings)


def _row(holding: SourceHolding, now: datetime, stale_after: timedelta) -> SourceRow:
    return SourceRow(
        name=holding.name,
        ods_code=holding.ods_code,
        org_type=ORG_TYPES.get(holding.org_type, fmt.NOT_KNOWN),
        region=fmt.text_or_not_known(holding.region),
        sections=tuple(
            f"{SECTION_TITLES.get(section, section)} ({fmt.number(count)})"
            for section, count in holding.section_counts.items()
        ),
        updated_at=fmt.day_time(holding.last_updated_at_source),
        updated_ago=fmt.updated_ago(holding.last_updated_at_source, now),
        received_ago=fmt.received_ago(holding.last_received_at, now),
        newest_entry=fmt.newest_entry_text(holding.newest_entry, now),
        updated_future=later_than(holding.last_updated_at_source, now),
        stale=_staleness(holding.last_received_at, now, stale_after),
    )


def _staleness(received: datetime | None, now: datetime, stale_after: timedelta) -> str | None:
    if received is None or now - received <= stale_after:
        return None
    return f"Stale feed: last received {fmt.ago(received, now)}"
