"""Taking legally restricted segments out of a message before any copy of it is kept.

A message that cannot be applied is kept in the quarantine for a person to read and retry. The
law says restricted content is never kept at all, so every segment carrying a restricted code
(any coded component, in any field or repetition) is removed first, with what hangs from it:
an order's results and notes, a result's notes. Working on the text rather than the mapped
resources means a message too broken to map is cleaned all the same.
"""

from __future__ import annotations

from carerecord.fhir.systems import SNOMED
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.hl7v2.values import coding_system

# Segments that start a group: removing one removes the segments under it up to the next.
_GROUP_HEADS = frozenset({"ORC", "OBR", "PID", "PV1", "MSH"})
_UNDER_AN_ORDER = frozenset({"OBX", "NTE", "TQ1", "TQ2", "SPM", "CTI", "FT1", "ZDS"})
_DEFAULT_ENCODING = "^~\\&"


def without_restricted(text: str, exclusions: ExclusionList) -> tuple[str, int]:
    """The message without restricted segments, and how many segments were removed."""
    if not exclusions.categories:
        return text, 0
    segments = text.split("\r")
    separators = _separators(segments[0] if segments else "")
    kept: list[str] = []
    removed = 0
    dropping: str | None = None  # the removed segment whose dependants are being dropped
    for segment in segments:
        name = segment[:3]
        if dropping is not None and _depends_on(name, dropping):
            removed += 1
            continue
        dropping = None
        if name != "MSH" and _restricted(segment, separators, exclusions):
            removed += 1
            dropping = name
            continue
        kept.append(segment)
    return "\r".join(kept), removed


def _depends_on(name: str, removed: str) -> bool:
    if name in _GROUP_HEADS:
        return False
    if removed in ("OBR", "ORC"):
        return name in _UNDER_AN_ORDER
    return name == "NTE"


def _separators(msh: str) -> tuple[str, str, str, str]:
    """Field, component, repetition and subcomponent separators (defaults when unreadable)."""
    if msh.startswith("MSH") and len(msh) > 3:
        field = msh[3]
        encoding = msh[4:].split(field, 1)[0]
        if len(encoding) >= 4 and field not in encoding:
            return field, encoding[0], encoding[1], encoding[3]
    return "|", _DEFAULT_ENCODING[0], _DEFAULT_ENCODING[1], _DEFAULT_ENCODING[3]


def _restricted(segment: str, separators: tuple[str, str, str, str], rules: ExclusionList) -> bool:
    field_sep, component_sep, repetition_sep, sub_sep = separators
    for value in segment.split(field_sep)[1:]:
        for repetition in value.split(repetition_sep):
            components = [c.split(sub_sep)[0] for c in repetition.split(component_sep)]
            if any(_listed(code, system, rules) for code, system in _codes(components)):
                return True
    return False


def _codes(components: list[str]) -> list[tuple[str, str]]:
    """(code, coding system name) pairs a coded value may carry: CE/CWE triplets 1-3 and 4-6,
    and any bare value (a code in a field of its own, with the system unknown)."""
    found = [(components[0], "")] if components and components[0] else []
    for start in (0, 3):
        if len(components) > start + 2 and components[start]:
            found.append((components[start], components[start + 2]))
    return found


def _listed(code: str, system_name: str, rules: ExclusionList) -> bool:
    code = code.strip()
    if not code:
        return False
    system = coding_system(system_name) if system_name else None
    if system is not None and f"{system}|{code}" in rules.categories:
        return True
    # A code whose system is missing or unrecognised is judged as SNOMED CT (the lists are
    # SNOMED): in a copy kept for people to read, removing too much is the safe mistake.
    return code.isdigit() and f"{SNOMED}|{code}" in rules.categories
