"""Is a FHIR resource R4? Earlier versions (STU3, DSTU2) are refused with the reason, because
their elements look alike but mean different things, and storing them as R4 would mislead.

Only what proves the version is used: a profile or extension definition published for STU3
or DSTU2, a resource type that R4 no longer has, or a CapabilityStatement naming its version.
Code system URLs are not evidence: R4 data may use a code system first published for STU3.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Profile and extension definitions published for an earlier version carry it in their path:
# https://fhir.nhs.uk/STU3/StructureDefinition/..., https://fhir.hl7.org.uk/STU3/..., and
# http://fhir.nhs.net/StructureDefinition/... for the DSTU2 era of GP Connect.
_EARLIER_DEFINITION = re.compile(
    r"/(?:STU3|DSTU2)/StructureDefinition/|^https?://fhir\.nhs\.net/StructureDefinition/",
    re.IGNORECASE,
)

# Resource types that existed before R4 and were renamed or removed in it.
_NOT_IN_R4: dict[str, str] = {
    "BodySite": "STU3",
    "DataElement": "STU3",
    "DeviceComponent": "STU3",
    "DiagnosticOrder": "DSTU2",
    "EligibilityRequest": "STU3",
    "EligibilityResponse": "STU3",
    "ExpansionProfile": "STU3",
    "ImagingManifest": "STU3",
    "MedicationOrder": "DSTU2",
    "ProcedureRequest": "STU3",
    "ProcessRequest": "STU3",
    "ProcessResponse": "STU3",
    "ReferralRequest": "STU3",
    "Sequence": "STU3",
    "ServiceDefinition": "STU3",
}


# No earlier-version definition URL can appear in a resource's text without one of these.
_MAY_NAME_EARLIER = re.compile(r"STU3|DSTU2|fhir\.nhs\.net", re.IGNORECASE)


def non_r4_reason(resource: dict[str, Any], text: str | None = None) -> str | None:
    """Why this resource is not FHIR R4, or None when nothing says it is another version.

    `text`, the resource's JSON as received, lets the walk over every extension be skipped
    for almost every resource, which could not name an earlier version: this runs on each
    resource ingested."""
    resource_type = resource.get("resourceType")
    if isinstance(resource_type, str) and resource_type in _NOT_IN_R4:
        version = _NOT_IN_R4[resource_type]
        return f"{resource_type} is a FHIR {version} resource type that FHIR R4 does not have"
    declared = _declared_version(resource)
    if declared is not None and not declared.startswith("4.0"):
        return f"{resource_type} declares FHIR version {declared}, not R4 (4.0.x)"
    if text is not None and not _may_name_earlier(text):
        return None
    for url in _definition_urls(resource):
        if _EARLIER_DEFINITION.search(url):
            return f"{resource_type} uses {url}, defined for an earlier FHIR version than R4"
    return None


def _may_name_earlier(text: str) -> bool:
    """ASCII text (nearly all) is searched lower-cased, many times faster than the
    case-blind pattern; other text by the pattern, whose case rules reach beyond ASCII."""
    if text.isascii():
        lowered = text.lower()
        return "stu3" in lowered or "dstu2" in lowered or "fhir.nhs.net" in lowered
    return _MAY_NAME_EARLIER.search(text) is not None


def _declared_version(resource: dict[str, Any]) -> str | None:
    version = resource.get("fhirVersion")  # CapabilityStatement, StructureDefinition ...
    return version if isinstance(version, str) else None


def _definition_urls(value: Any) -> Iterator[str]:
    """Profiles named in meta.profile, and extension definitions, anywhere in the resource."""
    if isinstance(value, list):
        for item in value:
            yield from _definition_urls(item)
    elif isinstance(value, dict):
        meta = value.get("meta")
        profiles = meta.get("profile") if isinstance(meta, dict) else None
        if isinstance(profiles, list):
            yield from (p for p in profiles if isinstance(p, str))
        for key in ("extension", "modifierExtension"):
            for extension in value.get(key) or ():
                if isinstance(extension, dict) and isinstance(extension.get("url"), str):
                    yield extension["url"]
        for key, inner in value.items():
            if key != "meta" and isinstance(inner, dict | list):
                yield from _definition_urls(inner)
