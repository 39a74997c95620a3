"""The general grouping: same code from several sources is one group; disagreements found."""

from __future__ import annotations

import pytest

from carerecord.record.items import Item
from carerecord.record.medicines import is_current
from carerecord.record.merge import concept_key, group
from tests.record.factories_items import allergy, medicine


def _status(item: Item) -> str | None:
    return "current" if is_current(item) else "stopped"


def test_the_same_code_from_two_sources_is_one_group_keeping_both_versions() -> None:
    gp, hospital = allergy(source="GP"), allergy(source="HOSPITAL", updated="2026-10-02T09:00")
    (only,) = group([gp, hospital], concept_key, {})
    assert only.items == (hospital, gp)  # newest first
    assert only.sources == ("Royal Free London", "Camden Road Surgery")


def test_different_codes_stay_apart() -> None:
    groups = group(
        [allergy(), allergy(code="91935009", display="Allergy to peanut")], concept_key, {}
    )
    assert len(groups) == 2


def test_uncoded_items_group_by_their_text_ignoring_case() -> None:
    a = medicine(name="Ramipril 2.5mg capsules", dmd=None)
    b = medicine(name="ramipril  2.5mg Capsules", dmd=None, source="HOSPITAL")
    assert len(group([a, b], concept_key, {})) == 1


@pytest.mark.parametrize(
    ("gp_status", "hospital_status", "disagree"),
    [
        ("active", "active", False),
        ("active", "stopped", True),
        ("stopped", "completed", False),
    ],
)
def test_a_status_disagreement_is_reported_between_sources(
    gp_status: str, hospital_status: str, disagree: bool
) -> None:
    items = [medicine(status=gp_status), medicine(status=hospital_status, source="HOSPITAL")]
    (only,) = group(items, concept_key, {"status": _status})
    assert (only.disagrees_on("status") is not None) is disagree


def test_one_source_alone_never_disagrees_with_itself() -> None:
    old = medicine(status="stopped", updated="2025-01-01T09:00")
    new = medicine(status="active")
    (only,) = group([old, new], concept_key, {"status": _status})
    assert only.disagreements == ()
    assert only.latest_by_source == (new,)


def test_a_disagreement_names_each_source_and_its_value() -> None:
    items = [allergy(reaction="Urticaria"), allergy(source="HOSPITAL", reaction="Anaphylaxis")]
    (only,) = group(
        items,
        concept_key,
        {"reaction": lambda i: i.resource["reaction"][0]["manifestation"][0]["text"]},
    )
    found = only.disagrees_on("reaction")
    assert found is not None
    assert {(v.source, v.value) for v in found.values} == {
        ("Camden Road Surgery", "Urticaria"),
        ("Royal Free London", "Anaphylaxis"),
    }


def test_groups_are_ordered_newest_first() -> None:
    older = allergy(updated="2020-01-01T09:00")
    newer = allergy(code="91935009", display="Allergy to peanut")
    assert [g.latest for g in group([older, newer], concept_key, {})] == [newer, older]
