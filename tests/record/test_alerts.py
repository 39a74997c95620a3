"""Alerts across sources: one alert per thing flagged, active while any source says so, and
read in order of clinical weight (resuscitation and safeguarding first), not of date."""

from __future__ import annotations

from typing import Any

import pytest

from carerecord.record.alerts import Weight, active_count, alerts, latest_active, weight
from carerecord.record.items import Item
from tests.record.factories_items import SNOMED, item


def alert(
    words: str,
    code: str | None = None,
    category: str = "clinical",
    source: str = "GP",
    status: str = "active",
    updated: str = "2026-10-01T09:00",
) -> Item:
    concept: dict[str, Any] = {"text": words}
    if code:
        concept["coding"] = [{"system": SNOMED, "code": code, "display": words}]
    resource = {
        "resourceType": "Flag",
        "status": status,
        "code": concept,
        "category": [{"coding": [{"code": category}]}],
    }
    return item(resource, source, status, updated, code=(SNOMED, code) if code else None)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (alert("Not for resuscitation", "304253006"), Weight.RESUSCITATION),
        (alert("DNACPR decision in place", category="advance-directive"), Weight.RESUSCITATION),
        (alert("ReSPECT form completed"), Weight.RESUSCITATION),
        (alert("Adult safeguarding concern", category="safety"), Weight.SAFEGUARDING),
        (alert("Subject to child protection plan", category="admin"), Weight.SAFEGUARDING),
        (alert("Violent towards staff: visit in pairs", category="behavioral"), Weight.RISK),
        (alert("Advance decision to refuse treatment held", category="other"), Weight.RISK),
        (alert("At risk for falls", "129839007", "safety"), Weight.CLINICAL),
        (alert("Hearing loss", "15188001"), Weight.CLINICAL),
        (alert("Key safe by the door", category="contact"), Weight.OTHER),
        (alert("Lives alone", "105529008", "admin"), Weight.ADMINISTRATIVE),
        (alert("Interpreter needed: Somali", category="admin"), Weight.ADMINISTRATIVE),
    ],
)
def test_an_alert_weighs_by_its_code_then_its_words_then_its_category(
    found: Item, expected: Weight
) -> None:
    assert weight(found) == expected


def test_the_same_alert_from_three_sources_is_one_alert_with_three_sources() -> None:
    sent = [
        alert("Not for resuscitation", "304253006", updated="2026-09-01T09:00"),
        alert("Not for resuscitation", "304253006", source="HOSPITAL", updated="2026-09-05T09:00"),
        alert("Not for resuscitation", "304253006", updated="2026-08-01T09:00"),
    ]
    (one,) = alerts(sent).active
    assert one.sources == ("Royal Free London", "Camden Road Surgery")
    assert len(one.items) == 3
    assert active_count(sent) == 1


def test_heavier_alerts_come_first_whatever_their_dates() -> None:
    lives_alone = alert("Lives alone", "105529008", "admin", updated="2026-09-30T09:00")
    falls = alert("At risk for falls", "129839007", "safety", updated="2026-09-20T09:00")
    safeguarding = alert("Safeguarding concern", updated="2026-06-01T09:00")
    resuscitation = alert("Not for resuscitation", "304253006", updated="2025-01-01T09:00")
    found = alerts([lives_alone, falls, safeguarding, resuscitation]).active
    assert [g.latest for g in found] == [resuscitation, safeguarding, falls, lives_alone]


def test_an_alert_stays_active_while_any_source_keeps_it_active() -> None:
    ended = alert("At risk for falls", "129839007", status="inactive", updated="2026-09-30T09:00")
    kept = alert("At risk for falls", "129839007", source="HOSPITAL", updated="2026-09-01T09:00")
    (one,) = alerts([ended, kept]).active
    assert latest_active(one) == kept  # the version shown is the one still in force
    ended_everywhere = alerts([ended, alert("Lives alone", status="inactive")])
    assert ended_everywhere.active == () and len(ended_everywhere.inactive) == 2
