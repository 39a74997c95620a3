"""What is new to the user since they last viewed this person's record: the line at the top of
the summary and of each section page. The rows themselves are tagged "New" through their
provenance (carerecord.web.sections.generic.provenance), whatever the section."""

from __future__ import annotations

from dataclasses import dataclass

from carerecord.fhir.sections import SECTION_TITLES
from carerecord.record.sections import RecordView
from carerecord.web import formatting

FIRST_VIEW = "First time you have opened this record"


@dataclass(frozen=True)
class SectionCount:
    section: str
    title: str
    count: int


@dataclass(frozen=True)
class NewSince:
    first_view: bool  # the user has not opened this record before this session
    since: str  # their last view before this session, "01-Oct-2026 14:05"; "" if none
    count: int  # items new to them in the sections this page read
    sections: tuple[SectionCount, ...]  # those sections with any, in reading order

    @property
    def headline(self) -> str:
        """For the summary: `5 items new since you last viewed this record on …`."""
        if self.first_view:
            return FIRST_VIEW
        if not self.count:
            return f"Nothing new since you last viewed this record on {self.since}"
        return f"{_items(self.count)} new since you last viewed this record on {self.since}"

    def in_section(self, section: str) -> str:
        """For a section page: the first view, or how many of its items are new (or "")."""
        if self.first_view:
            return FIRST_VIEW
        count = next((s.count for s in self.sections if s.section == section), 0)
        if not count:
            return ""
        return (
            f"{_items(count)} in this section new since you last viewed this record on {self.since}"
        )


def new_since(record: RecordView) -> NewSince | None:
    """None when nobody's views are counted (the system reading the record)."""
    if record.first_view:
        return NewSince(True, "", 0, ())
    if record.new_since is None:
        return None
    counts = record.new_counts()
    sections = tuple(
        SectionCount(section, title, counts[section])
        for section, title in SECTION_TITLES.items()
        if section in counts
    )
    return NewSince(False, formatting.day_time(record.new_since), sum(counts.values()), sections)


def _items(count: int) -> str:
    return f"{formatting.number(count)} item{'s' if count != 1 else ''}"
