"""A person's alerts (Flag) across sources: one alert per thing flagged, heaviest first.

The same alert sent by three sources is one alert with three sources (grouped by code, else by
its words, `record.merge`); it is active while any source's latest version of it is active.
Alerts are ordered by clinical weight, so that "Not for resuscitation" or a safeguarding
concern is read before "Lives alone": the weight comes from the alert's SNOMED CT code, else
its words, else its Flag category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from carerecord.fhir.extract import listed
from carerecord.fhir.systems import SNOMED
from carerecord.record.items import Item
from carerecord.record.merge import Group, concept_key, group


class Weight(IntEnum):
    """Lower is heavier: read first."""

    RESUSCITATION = 0  # a decision about CPR or a ReSPECT plan
    SAFEGUARDING = 1  # a child or adult at risk, domestic abuse
    RISK = 2  # a risk to the person or to staff, an advance decision to refuse treatment
    CLINICAL = 3
    OTHER = 4
    ADMINISTRATIVE = 5


_CODES = {
    "304253006": Weight.RESUSCITATION,  # Not for resuscitation
    "450476008": Weight.RESUSCITATION,  # Not for attempted cardiopulmonary resuscitation
    "450475007": Weight.RESUSCITATION,  # For attempted cardiopulmonary resuscitation
    "1066391000000105": Weight.RESUSCITATION,  # Has ReSPECT plan
    "395073002": Weight.SAFEGUARDING,  # Child at risk
    "225337009": Weight.SAFEGUARDING,  # Suspected child at risk
    "766461000000103": Weight.SAFEGUARDING,  # Adult safeguarding concern
    "401201003": Weight.RISK,  # At risk of violence
    "129839007": Weight.CLINICAL,  # At risk for falls
    "105529008": Weight.ADMINISTRATIVE,  # Lives alone
}
_WORDS = tuple(
    (re.compile("|".join(words), re.I), found)
    for words, found in (
        (
            ["resuscitat", r"\bdnacpr\b", r"\bdnar\b", r"\bcpr\b", r"\brespect\b"],
            Weight.RESUSCITATION,
        ),
        (
            [
                "safeguard",
                "child protection",
                "at risk of (?:harm|abuse)",
                "domestic abuse",
                r"\bmarac\b",
            ],
            Weight.SAFEGUARDING,
        ),
        (
            [
                "violen",
                "aggress",
                "risk to staff",
                "lone work",
                "advance decision",
                "refuse treatment",
            ],
            Weight.RISK,
        ),
    )
)
_CATEGORIES = {
    "advance-directive": Weight.RISK,
    "safety": Weight.CLINICAL,
    "clinical": Weight.CLINICAL,
    "drug": Weight.CLINICAL,
    "behavioral": Weight.OTHER,
    "diet": Weight.OTHER,
    "lab": Weight.OTHER,
    "contact": Weight.OTHER,
    "admin": Weight.ADMINISTRATIVE,
    "research": Weight.ADMINISTRATIVE,
}


@dataclass(frozen=True)
class Alerts:
    active: tuple[Group, ...]  # active at one source at least, heaviest first
    inactive: tuple[Group, ...]  # inactive wherever held, newest first


def is_active(item: Item) -> bool:
    return item.status == "active"


def alerts(items: Iterable[Item]) -> Alerts:
    active: list[Group] = []
    inactive: list[Group] = []
    for found in group(items, concept_key, {}):
        held = any(is_active(i) for i in found.latest_by_source)
        (active if held else inactive).append(found)
    # Stable: equal weights keep the newest first, as `group` ordered them.
    active.sort(key=lambda g: weight(g.latest))
    return Alerts(tuple(active), tuple(inactive))


def active_count(items: Iterable[Item]) -> int:
    """How many alerts are active, an alert sent by several sources counted once."""
    return len(alerts(items).active)


def latest_active(alert: Group) -> Item:
    """The version to show: the newest that is still active (an alert is active while any
    source says so), else the newest."""
    return next((i for i in alert.items if is_active(i)), alert.latest)


def weight(item: Item) -> Weight:
    if item.code_system == SNOMED and item.code in _CODES:
        return _CODES[item.code]
    words = item.text or ""
    for pattern, found in _WORDS:
        if pattern.search(words):
            return found
    return min((_CATEGORIES.get(c, Weight.OTHER) for c in _categories(item)), default=Weight.OTHER)


def _categories(item: Item) -> list[str]:
    found = []
    for concept in listed(item.resource.get("category")):
        for coding in listed(concept.get("coding")) if isinstance(concept, dict) else ():
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                found.append(coding["code"])
    return found
