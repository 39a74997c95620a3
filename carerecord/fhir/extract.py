"""Pure helpers that read the few indexed facts out of a FHIR R4 resource held as a dict."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

Resource = dict[str, Any]

# Where each type keeps the date a clinician would sort by, in order of preference.
_CLINICAL_DATE_PATHS: dict[str, tuple[str, ...]] = {
    "AllergyIntolerance": ("onsetDateTime", "recordedDate", "onsetPeriod.start"),
    "Appointment": ("start", "created"),
    "CarePlan": ("period.start", "created"),
    "CareTeam": ("period.start",),
    "Composition": ("date",),
    "Condition": ("onsetDateTime", "onsetPeriod.start", "recordedDate"),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "DocumentReference": ("context.period.start", "date"),
    "Encounter": ("period.start",),
    "EpisodeOfCare": ("period.start",),
    "Flag": ("period.start",),
    "Goal": ("startDate", "statusDate"),
    "ImagingStudy": ("started",),
    "Immunization": ("occurrenceDateTime", "recorded"),
    "MedicationDispense": ("whenHandedOver", "whenPrepared"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"),
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "ServiceRequest": ("occurrenceDateTime", "authoredOn"),
}

# Where each type keeps the code that says what it is.
_CODE_PATHS: dict[str, tuple[str, ...]] = {
    "MedicationRequest": ("medicationCodeableConcept",),
    "MedicationStatement": ("medicationCodeableConcept",),
    "MedicationDispense": ("medicationCodeableConcept",),
    "Immunization": ("vaccineCode",),
    "Encounter": ("type", "class"),
    "DocumentReference": ("type",),
    "Composition": ("type",),
    "EpisodeOfCare": ("type",),
    "CarePlan": ("category",),
    "Goal": ("description",),
    "Appointment": ("serviceType", "appointmentType"),
    "CareTeam": ("category",),
    "RelatedPerson": ("relationship",),
    "PractitionerRole": ("code",),
}

_STATUS_PATHS = ("clinicalStatus", "verificationStatus", "status")


def listed(value: Any) -> list[Any]:
    """A repeating element as a list. Anything else, which a source may send where FHIR has a
    list (`"link": true`), counts as none of them rather than failing whatever reads it."""
    return value if isinstance(value, list) else []


def strings(value: Any) -> tuple[str, ...]:
    """The strings of a repeating string element (`given`, `line`, `prefix`); anything else
    in it is left out."""
    return tuple(v for v in listed(value) if isinstance(v, str))


def get_path(resource: Resource, path: str) -> Any:
    """Follow a dotted path; a list on the way means its first element."""
    value: Any = resource
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def parse_fhir_datetime(value: Any) -> datetime | None:
    """FHIR date, dateTime or instant as an aware UTC datetime; partial dates take the start."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        if len(text) == 4:
            return datetime(int(text), 1, 1, tzinfo=UTC)
        if len(text) == 7:
            return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def clinical_date(resource: Resource) -> datetime | None:
    for path in _CLINICAL_DATE_PATHS.get(resource.get("resourceType", ""), ()):
        found = parse_fhir_datetime(get_path(resource, path))
        if found is not None:
            return found
    return None


def last_updated(resource: Resource) -> datetime | None:
    return parse_fhir_datetime(get_path(resource, "meta.lastUpdated"))


def primary_coding(resource: Resource) -> tuple[str | None, str | None]:
    """(system, code) of the code that says what the resource is about, if it has one."""
    paths = _CODE_PATHS.get(resource.get("resourceType", ""), ("code",))
    for path in paths:
        concept = get_path(resource, path)
        if isinstance(concept, list):
            concept = concept[0] if concept else None
        if not isinstance(concept, dict):
            continue
        if "code" in concept and "coding" not in concept:  # a bare Coding, e.g. Encounter.class
            return concept.get("system"), concept.get("code")
        for coding in listed(concept.get("coding")):
            if isinstance(coding, dict) and coding.get("code"):
                return coding.get("system"), str(coding["code"])
    return None, None


def status(resource: Resource) -> str | None:
    """The resource's status as one word: clinical status where it has one, else status."""
    for path in _STATUS_PATHS:
        value = resource.get(path)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            for coding in listed(value.get("coding")):
                if isinstance(coding, dict) and coding.get("code"):
                    return str(coding["code"])
    return None


def is_entered_in_error(resource: Resource) -> bool:
    return "entered-in-error" in (resource.get("status"), status(resource)) or any(
        coding.get("code") == "entered-in-error"
        for coding in get_path(resource, "verificationStatus.coding") or ()
        if isinstance(coding, dict)
    )


def all_codes(resource: Any) -> list[str]:
    """Every system|code pair anywhere in the resource (for exclusions and token search)."""
    found: list[str] = []
    _collect_codes(resource, found)
    return found


def codes_in(objects: Iterable[dict[str, Any]]) -> list[str]:
    """all_codes, from the resource's objects already gathered (see ingest.limits.shape_of)."""
    found: list[str] = []
    for node in objects:
        code = node.get("code")
        if type(code) is str:
            system = node.get("system")
            if type(system) is str:
                found.append(f"{system}|{code}")
    return found


def _collect_codes(value: Any, found: list[str]) -> None:
    # Runs on every resource ingested: exact type checks keep it cheap, and a stack instead of
    # recursion keeps a resource nested a thousand levels deep from exhausting Python's.
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            code = node.get("code")
            if type(code) is str:
                system = node.get("system")
                if type(system) is str:
                    found.append(f"{system}|{code}")
            children: Any = node.values()
        else:
            children = node
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append(child)


def identifier_value(resource: Resource, system: str) -> str | None:
    identifiers = resource.get("identifier")
    if not isinstance(identifiers, list):  # a lying source may send anything here
        return None
    for identifier in identifiers:
        if isinstance(identifier, dict) and identifier.get("system") == system:
            value = identifier.get("value")
            return value if isinstance(value, str) else None
    return None


ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"


def referenced_ods_codes(references: Any) -> list[str]:
    """ODS codes named by a Reference or a list of them (by identifier, or Organization/ODS)."""
    found: list[str] = []
    for reference in references if isinstance(references, list) else [references]:
        if not isinstance(reference, dict):
            continue
        identifier = reference.get("identifier")
        if isinstance(identifier, dict) and identifier.get("system") == ODS_SYSTEM:
            value = identifier.get("value")
            if isinstance(value, str) and value:
                found.append(value.upper())
        ref = reference.get("reference")
        if isinstance(ref, str) and ref.startswith("Organization/"):
            found.append(ref.removeprefix("Organization/").upper())
    return found
