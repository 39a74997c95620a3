"""Allergies: the section's one heading, current and past apart, merged with differences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.record import allergies as al
from carerecord.record.items import Item
from carerecord.record.sections import (
    CONTRIBUTED,
    NOT_SHARED,
    NOTHING_HELD,
    SectionView,
    SourceCoverage,
)
from carerecord.web.sections.allergies import allergy_row
from tests.record.factories_items import allergy

_AS_AT = datetime(2026, 10, 1, tzinfo=UTC)


def _source(name: str, state: str) -> SourceCoverage:
    return SourceCoverage(
        name[:5].upper(), name, "gp", state, 1 if state == CONTRIBUTED else 0, _AS_AT, _AS_AT
    )


def _view(items: list[Item], *coverage: tuple[str, str]) -> SectionView:
    return SectionView("allergies", tuple(items), tuple(_source(n, s) for n, s in coverage))


NKA = allergy(code="716186003", display="No known allergy", reaction=None)
NKDA = allergy(code="409137002", display="No known history of drug allergy", reaction=None)
PENICILLIN = allergy()
RESOLVED = allergy(code="91935009", display="Allergy to peanut", status="resolved")
GP_SHARES = ("Camden Road Surgery", CONTRIBUTED)
GP_EMPTY = ("Camden Road Surgery", NOTHING_HELD)
CARE_HOME = ("Kallar Lodge", NOT_SHARED)


@pytest.mark.parametrize(
    ("items", "coverage", "heading"),
    [
        ([PENICILLIN], [GP_SHARES], al.KNOWN),
        ([PENICILLIN, NKA], [GP_SHARES], al.KNOWN),
        ([RESOLVED], [GP_SHARES], al.KNOWN),
        ([NKA], [GP_SHARES], al.NONE_KNOWN),
        ([NKDA], [GP_SHARES, CARE_HOME], al.NONE_KNOWN),
        ([], [GP_EMPTY], al.NOT_RECORDED),
        ([], [GP_EMPTY, CARE_HOME], al.NOT_RECORDED),
        ([], [CARE_HOME], al.UNAVAILABLE),
        ([], [], al.UNAVAILABLE),
    ],
)
def test_the_heading_is_exactly_one_of_four(
    items: list[Item], coverage: list[tuple[str, str]], heading: str
) -> None:
    assert al.allergy_section(_view(items, *coverage)).status == heading


def test_a_source_that_does_not_share_allergies_is_named_as_not_sharing() -> None:
    found = al.allergy_section(_view([NKA], GP_SHARES, CARE_HOME))
    assert found.not_shared_by == ("Kallar Lodge",)


def test_current_and_past_are_kept_apart() -> None:
    found = al.allergy_section(_view([PENICILLIN, RESOLVED], GP_SHARES))
    assert [g.latest for g in found.current] == [PENICILLIN]
    assert [g.latest for g in found.past] == [RESOLVED]


def test_the_same_allergy_at_two_sources_is_one_with_differing_reactions_flagged() -> None:
    gp = allergy(reaction="Urticaria")
    hospital = allergy(source="HOSPITAL", reaction="Anaphylaxis", severity="severe")
    (merged,) = al.allergy_section(_view([gp, hospital], GP_SHARES)).current
    assert len(merged.items) == 2
    assert merged.disagrees_on("reaction") is not None
    assert merged.disagrees_on("status") is None


def test_a_source_giving_no_severity_is_not_a_disagreement() -> None:
    gp = allergy(severity=None)
    hospital = allergy(source="HOSPITAL", severity="mild")
    (merged,) = al.allergy_section(_view([gp, hospital], GP_SHARES)).current
    assert merged.disagreements == ()


def test_resolved_at_one_source_active_at_another_stays_current_and_is_flagged() -> None:
    gp = allergy()
    hospital = allergy(source="HOSPITAL", status="resolved")
    (merged,) = al.allergy_section(_view([gp, hospital], GP_SHARES)).current
    assert merged.disagrees_on("status") is not None


def test_reactions_and_severity_in_the_sources_words() -> None:
    found = allergy(reaction="Wheezing", severity="moderate")
    assert (al.reactions(found), al.severity(found)) == ("Wheezing", "Moderate")
    assert (al.reactions(NKA), al.severity(NKA)) == (None, None)


def _critical(level: str | None, **kw: str) -> Item:
    found = allergy(**kw)
    if level is not None:
        found.resource["criticality"] = level
    return found


@pytest.mark.parametrize(
    ("level", "words"),
    [
        ("high", "High criticality"),
        ("low", "Low criticality"),
        ("unable-to-assess", "Criticality unable to assess"),
        (None, None),
        ("severe", None),  # not a FHIR criticality: left out, not guessed
    ],
)
def test_criticality_in_words(level: str | None, words: str | None) -> None:
    assert al.criticality(_critical(level)) == words


def test_sources_differing_on_criticality_are_flagged_and_a_high_one_is_kept() -> None:
    gp = _critical("high", updated="2026-01-01T09:00")
    hospital = _critical("low", source="HOSPITAL", updated="2026-09-01T09:00")
    (merged,) = al.allergy_section(_view([gp, hospital], GP_SHARES)).current
    assert merged.disagrees_on("criticality") is not None
    row = allergy_row(merged)
    assert row.criticality == "High criticality" and row.high_criticality  # though older
    assert [v.criticality for v in row.versions] == ["Low criticality", "High criticality"]
