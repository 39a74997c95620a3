"""The timeline's merging and ordering, and what each item is called (no database)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from carerecord.record import timeline
from carerecord.record.items import Item
from carerecord.record.sections import SectionView
from tests.record.factories_items import item


def _in(section: str, *items: Item) -> SectionView:
    return SectionView(section, tuple(replace(i, section=section) for i in items), ())


def _encounter(klass: str | None, source: str = "HOSPITAL", **more: Any) -> Item:
    resource: dict[str, Any] = {"resourceType": "Encounter", **more}
    if klass:
        resource["class"] = {"code": klass}
    return item(resource, source=source)


@pytest.mark.parametrize(
    ("klass", "source", "kind"),
    [
        ("IMP", "HOSPITAL", "Admission"),
        ("EMER", "HOSPITAL", "Emergency department attendance"),
        ("FLD", "HOSPITAL", "Ambulance call-out"),
        ("VR", "GP", "Telephone assessment"),
        ("AMB", "GP", "Contact"),
        (None, "GP", "Contact"),
    ],
)
def test_what_an_encounter_was(klass: str | None, source: str, kind: str) -> None:
    assert timeline.kind_of(_encounter(klass, source)) == kind


def test_an_ambulance_services_unclassed_contact_is_a_call_out() -> None:
    call = _encounter(None)
    call = replace(call, provenance=replace(call.provenance, org_type="ambulance"))
    assert timeline.encounter_kind(call) == "Ambulance call-out"


@pytest.mark.parametrize(
    ("resource_type", "kind"),
    [
        ("Flag", "Alert"),
        ("Condition", "Problem or diagnosis"),
        ("ServiceRequest", "Referral"),
        ("EpisodeOfCare", "Episode of care"),
        ("SomethingNew", "SomethingNew"),  # an unknown type is named as the source named it
    ],
)
def test_what_other_items_are(resource_type: str, kind: str) -> None:
    assert timeline.kind_of(item({"resourceType": resource_type})) == kind


def test_the_timeline_merges_every_section_newest_first_undated_last() -> None:
    old = item({"resourceType": "Flag"}, clinical="2001-05-01T09:00")
    new = item({"resourceType": "Condition"}, clinical="2026-01-01T09:00")
    middle = item({"resourceType": "ServiceRequest"}, clinical="2015-01-01T09:00")
    undated = item({"resourceType": "CareTeam"}, clinical=None)
    entries = timeline.timeline(
        [_in("alerts", old), _in("problems", new), _in("referrals", middle, undated)]
    )
    assert [(e.section, e.kind) for e in entries] == [
        ("problems", "Problem or diagnosis"),
        ("referrals", "Referral"),
        ("alerts", "Alert"),
        ("referrals", "Care team"),
    ]
    assert entries[-1].when is None


def test_items_of_the_same_moment_keep_a_stable_order() -> None:
    first = item({"resourceType": "Flag"}, clinical="2020-01-01T09:00")
    second = item({"resourceType": "Flag"}, clinical="2020-01-01T09:00")
    entries = timeline.timeline([_in("alerts", first, second)])
    again = timeline.timeline([_in("alerts", second, first)])
    assert [e.item.id for e in entries] == [e.item.id for e in again] == [second.id, first.id]


def test_an_empty_record_has_an_empty_timeline() -> None:
    assert timeline.timeline([_in("alerts")]) == ()
