"""A person's allergies across sources: the section's status, and each allergy merged.

The heading is one of four statuses (UI.md):

* `Known allergies`: some source records an allergy (current or past);
* `No known allergies`: no source records an allergy and at least one positively recorded
  that there is none (SNOMED 716186003 and its kin);
* `Allergies not recorded`: sources that share allergies have nothing either way;
* `Allergies unavailable`: no source that holds data about the person shares allergies.

Sources that hold data about the person but do not share allergies are named once, quietly,
whatever the status, so a reader knows where an allergy could still be recorded. They are not
"unavailable": nothing failed, and a warning shown for every such source would teach readers
to pass over warnings. A source that shares allergies but whose feed has stopped is what the
stale-feed warning of the record page is for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from carerecord.fhir.extract import listed
from carerecord.fhir.systems import SNOMED
from carerecord.record.items import Item, concept_text
from carerecord.record.merge import Group, concept_key, group
from carerecord.record.sections import NOT_SHARED, SectionView

KNOWN = "Known allergies"
NONE_KNOWN = "No known allergies"
NOT_RECORDED = "Allergies not recorded"
UNAVAILABLE = "Allergies unavailable"

# "No known ..." findings: a positive record that the person has no allergy of that kind.
NO_KNOWN_ALLERGY_CODES = frozenset(
    {
        "716186003",  # No known allergy
        "409137002",  # No known history of drug allergy
        "428607008",  # No known environmental allergy
        "429625007",  # No known food allergy
        "428197003",  # No known insect allergy
    }
)
PAST_STATUSES = frozenset({"inactive", "resolved", "refuted"})


@dataclass(frozen=True)
class AllergySection:
    status: str  # one of the four headings
    current: tuple[Group, ...]
    past: tuple[Group, ...]
    none_known: tuple[Item, ...]  # the positive "no known allergy" records
    not_shared_by: tuple[str, ...]  # sources holding data that do not share allergies


def is_none_known(item: Item) -> bool:
    return item.code_system == SNOMED and item.code in NO_KNOWN_ALLERGY_CODES


def is_past(item: Item) -> bool:
    return (item.status or "").lower() in PAST_STATUSES


def reactions(item: Item) -> str | None:
    """The manifestations the source records, in its words, joined."""
    found = [
        text
        for reaction in listed(item.resource.get("reaction"))
        if isinstance(reaction, dict)
        for manifestation in listed(reaction.get("manifestation"))
        if (text := concept_text({"code": manifestation}))
    ]
    return ", ".join(dict.fromkeys(found)) or None


def severity(item: Item) -> str | None:
    found = [
        str(r["severity"]).capitalize()
        for r in listed(item.resource.get("reaction"))
        if isinstance(r, dict) and r.get("severity")
    ]
    return ", ".join(dict.fromkeys(found)) or None


# AllergyIntolerance.criticality: the potential for a future reaction to be serious.
HIGH_CRITICALITY = "High criticality"
_CRITICALITY = {
    "high": HIGH_CRITICALITY,
    "low": "Low criticality",
    "unable-to-assess": "Criticality unable to assess",
}


def criticality(item: Item) -> str | None:
    """The source's criticality in words; a code FHIR does not define is left out."""
    return _CRITICALITY.get(str(item.resource.get("criticality") or "").lower())


def _standing(item: Item) -> str:
    return "past" if is_past(item) else "current"


FACETS = {
    "reaction": reactions,
    "severity": severity,
    "criticality": criticality,
    "status": _standing,
}


def allergy_section(view: SectionView) -> AllergySection:
    items = [i for i in view.items if i.resource_type == "AllergyIntolerance"]
    none_known = tuple(i for i in items if is_none_known(i))
    groups = group((i for i in items if not is_none_known(i)), concept_key, FACETS)
    current = tuple(g for g in groups if not all(is_past(i) for i in g.latest_by_source))
    past = tuple(g for g in groups if g not in current)
    not_shared = tuple(c.name for c in view.coverage if c.state == NOT_SHARED)
    return AllergySection(
        status=heading(groups, none_known, view, not_shared),
        current=current,
        past=past,
        none_known=none_known,
        not_shared_by=not_shared,
    )


def heading(
    groups: Iterable[Group],
    none_known: tuple[Item, ...],
    view: SectionView,
    not_shared_by: tuple[str, ...],
) -> str:
    if any(True for _ in groups):
        return KNOWN
    if none_known:
        return NONE_KNOWN
    if len(not_shared_by) < len(view.coverage):
        return NOT_RECORDED  # some source shares allergies and holds none for this person
    return UNAVAILABLE
