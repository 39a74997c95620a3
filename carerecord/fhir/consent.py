"""Whether a FHIR R4 Consent is a person's opt-out from sharing their record, and whether it is
still in force. Pure: the store turns the answer into an objection held or withdrawn.

An opt-out is a Consent about a Patient whose scope is patient-privacy, or whose category or
policy rule names an opt-out. It is in force while the Consent is active and denies: its root
provision is `deny`, or a `permit` carries a nested `deny` (read whole: a deny of part of the
record hides all of it, the safer reading). The same Consent made inactive, rejected, entered in
error, or turned into a plain permit lifts it. A draft or proposed Consent changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from carerecord.fhir.systems import SNOMED

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# Codes that say a Consent is about sharing the record (besides scope patient-privacy).
OPT_OUT_CODES = frozenset(
    {
        (SNOMED, "416308001"),  # refused consent for upload to national shared electronic record
        (ACT_CODE, "OPTOUT"),
    }
)
_LIFTING_STATUSES = frozenset({"inactive", "rejected", "entered-in-error"})


class OptOut(StrEnum):
    IN_FORCE = "in-force"  # the person objects: nothing of their record is shared
    LIFTED = "lifted"  # this opt-out no longer stands


def opt_out(resource: dict[str, Any]) -> OptOut | None:
    """What this resource says about the person's objection; None when it says nothing (not
    a Consent, not about sharing, names no patient, or not yet in force)."""
    if resource.get("resourceType") != "Consent" or not isinstance(resource.get("patient"), dict):
        return None
    if not _about_sharing(resource):
        return None
    status = resource.get("status")
    if status in _LIFTING_STATUSES:
        return OptOut.LIFTED
    if status != "active":
        return None
    provision = resource.get("provision")
    if not isinstance(provision, dict):
        return None
    if _denies(provision):
        return OptOut.IN_FORCE
    return OptOut.LIFTED if provision.get("type") == "permit" else None


def _about_sharing(resource: dict[str, Any]) -> bool:
    if (CONSENT_SCOPE, "patient-privacy") in _codings(resource.get("scope")):
        return True
    concepts = [*_list(resource.get("category")), *_list(resource.get("policyRule"))]
    return any(coding in OPT_OUT_CODES for concept in concepts for coding in _codings(concept))


def _denies(provision: dict[str, Any], depth: int = 0) -> bool:
    if provision.get("type") == "deny":
        return True
    if depth >= 8:  # nested provisions deeper than any real policy: read as they stand
        return False
    nested = _list(provision.get("provision"))
    return any(isinstance(p, dict) and _denies(p, depth + 1) for p in nested)


def _codings(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, dict):
        return set()
    return {
        (str(c.get("system")), str(c.get("code")))
        for c in _list(concept.get("coding"))
        if isinstance(c, dict)
    }


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]
