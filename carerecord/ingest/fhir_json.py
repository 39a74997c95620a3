"""One FHIR JSON resource from a source → an IncomingResource for the store, or a quarantine item.

Validation happens here, once, at the edge: everything past this point can trust the shape.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson

from carerecord.fhir import extract
from carerecord.fhir.extract import listed
from carerecord.fhir.references import cited_by, is_fhir_id, patient_reference
from carerecord.fhir.sections import SECTION_TITLES, SUPPORTING, section_of
from carerecord.identity.patients import IdentityProblem, patient_identity
from carerecord.ingest import limits
from carerecord.ingest.fhir_version import non_r4_reason
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store.records import ExcludedItem, IncomingResource, QuarantineItem

_SOURCE_URN = "urn:ods:"
# Who the record is about, and what other resources lean on, whatever sections a source shares.
_ALWAYS_ACCEPTED = frozenset({"demographics", SUPPORTING})


def source_of(resource: dict[str, Any], override: str | None) -> str | None:
    """The sending organisation: named on the command line, else by the resource's meta.source."""
    if override:
        return override
    declared = extract.get_path(resource, "meta.source")
    if isinstance(declared, str) and declared.startswith(_SOURCE_URN):
        return declared.removeprefix(_SOURCE_URN) or None
    return None


def prepare(
    item: RawItem, source_override: str | None, rules: IntakeRules
) -> IncomingResource | QuarantineItem | ExcludedItem:
    """Checks one resource against what its sender may send; legally restricted ones come back
    as ExcludedItem (their content goes no further)."""
    resource = item.resource
    if resource is None and limits.is_depth_error(item.problem):
        return limits.refusal(item.location, item.raw, None, None, "too-deep", str(item.problem))
    if resource is None:
        return _reject(item, None, "malformed", item.problem or "not a FHIR resource")
    source = source_of(resource, source_override)
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        return _reject(item, source, "malformed", "no resourceType: not a FHIR resource")
    # Before anything else is judged: a restricted resource that is also wrong in some other
    # way must still never reach the quarantine, where people read it.
    # One walk (or none, when the bundle reader measured it): codes, references and limits
    # are all read from it.
    shape = item.shape or limits.shape_of(resource)
    codes = tuple(sorted(set(extract.codes_in(shape.objects))))
    # A Patient is never excluded: every other record of the person would become unjoinable.
    category = None if resource_type == "Patient" else rules.exclusions.match(codes)
    if category is not None:
        return ExcludedItem(
            (source or "")[:12],
            resource_type[:40],
            _excluded_id(resource, item),
            category,
            cited_by(shape.objects, item.bundle_refs),
        )
    # Only once the exclusion check has run: an item over a limit is kept as an excerpt.
    breach = item.breach or limits.resource_breach(
        None if item.shape else shape, item.raw, resource_type, rules.limits
    )
    if breach is not None:
        return limits.refusal(item.location, item.raw, source, resource, *breach)
    if "\\u0000" in item.raw and _holds_nul(resource):
        return _reject(item, source, "malformed", "contains a NUL character, which FHIR forbids")
    reason = non_r4_reason(resource, item.raw or None)
    if reason:
        return _reject(item, source, "not-fhir-r4", reason)
    resource_id = _resource_id(resource, item)
    if resource_id is None:
        return _reject(item, source, "invalid-id", f"{resource_type} has no valid id")
    if source is None:
        return _reject(
            item, None, "unknown-source", "no source organisation: use --source ODS or meta.source"
        )
    sender = rules.organisations.get(source)
    if sender is None:
        return _reject(
            item, source, "unknown-source", f"source organisation {source} is not registered"
        )
    section = section_of(resource)
    if section not in sender.sections and section not in _ALWAYS_ACCEPTED:
        return _reject(
            item,
            source,
            "section-not-shared",
            f"{source} is not configured to share {SECTION_TITLES.get(section, section)} "
            f"({resource_type}); its sections are: {', '.join(sender.sections) or 'none'}",
        )
    updated, until = extract.last_updated(resource), rules.believable_until()
    if updated is not None and updated > until:
        return _reject(item, source, "future-timestamp", _future(updated, rules))
    cited = cited_by(shape.objects, item.bundle_refs)
    facts = (source, resource_type, resource_id, section, codes, cited, until)
    return _incoming(item, resource, *facts)


def _future(updated: datetime, rules: IntakeRules) -> str:
    minutes = int(rules.clock_skew.total_seconds() // 60)
    return (
        f"meta.lastUpdated {updated.isoformat(timespec='seconds')} is in the future by this "
        f"server's clock ({rules.clock().isoformat(timespec='seconds')}, allowing {minutes} "
        "minutes); check the sending system's clock"
    )


def _incoming(
    item: RawItem,
    resource: dict[str, Any],
    source: str,
    resource_type: str,
    resource_id: str,
    section: str,
    codes: tuple[str, ...],
    cited: tuple[tuple[str, str], ...],
    believed_until: datetime,
) -> IncomingResource | QuarantineItem:
    local_id: str | None = None
    number: str | None = None
    search = None
    replaced_by = None
    if resource_type == "Patient":
        identity = patient_identity(resource, resource_id)
        if isinstance(identity, IdentityProblem):
            return _reject(item, source, identity.code, identity.reason)
        local_id, number, search = identity.local_id, identity.nhs_number, identity.search
        replaced_by = _replaced_by(resource, item.bundle_refs)
    else:
        reference = patient_reference(resource)
        if reference is not None:
            local_id = _local(reference.local_id, item.bundle_refs)
            number = reference.nhs_number
    system, code = extract.primary_coding(resource)
    return IncomingResource(
        source_ods=source,
        resource_type=resource_type,
        source_id=resource_id,
        section=section,
        body=item.raw if item.compact else orjson.dumps(resource).decode(),
        content_hash=hashlib.sha256(
            orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
        ).hexdigest(),
        codes=codes,
        location=item.location,
        patient_local_id=local_id,
        patient_nhs_number=number,
        source_version=_text(extract.get_path(resource, "meta.versionId")),
        last_updated_at_source=extract.last_updated(resource),
        clinical_date=extract.clinical_date(resource),
        code_system=system[:100] if system else None,
        code=code[:64] if code else None,
        status=(extract.status(resource) or "")[:40] or None,
        hidden=extract.is_entered_in_error(resource),
        search=search,
        references=cited,
        replaced_by=replaced_by,
        believed_until=believed_until,
    )


def _resource_id(resource: dict[str, Any], item: RawItem) -> str | None:
    value = resource.get("id")
    if value is None and item.full_url and item.bundle_refs and item.full_url in item.bundle_refs:
        value = item.bundle_refs[item.full_url][1]
    return value if isinstance(value, str) and is_fhir_id(value) else None


def _excluded_id(resource: dict[str, Any], item: RawItem) -> str:
    """The key an excluded resource is recorded under, even when its id is unusable."""
    found = _resource_id(resource, item)
    if found is not None:
        return found
    value = resource.get("id")
    return value[:64] if isinstance(value, str) else ""


def _local(local_id: str | None, bundle_refs: dict[str, tuple[str, str]] | None) -> str | None:
    if local_id is not None and bundle_refs and local_id in bundle_refs:
        return bundle_refs[local_id][1]
    return local_id


def _replaced_by(
    patient: dict[str, Any], bundle_refs: dict[str, tuple[str, str]] | None
) -> str | None:
    """Patient.link type replaced-by: the source merged this record into another of its own."""
    for link in listed(patient.get("link")):
        if not isinstance(link, dict) or link.get("type") != "replaced-by":
            continue
        other = link.get("other")
        reference = other.get("reference") if isinstance(other, dict) else None
        if isinstance(reference, str):
            if bundle_refs and reference in bundle_refs:
                return bundle_refs[reference][1]
            if reference.startswith("Patient/"):
                return reference.removeprefix("Patient/").split("/")[0] or None
    return None


def _text(value: Any) -> str | None:
    return str(value)[:64] if value is not None else None


def _reject(item: RawItem, source: str | None, code: str, reason: str) -> QuarantineItem:
    resource = item.resource or {}
    resource_type = resource.get("resourceType")
    resource_id = resource.get("id")
    raw = item.raw
    if item.resource is not None and item.bundle_refs:
        # Kept alone, a bundle entry must still say who and what it cites: its bundle-internal
        # references (urn:uuid:...) are written as Type/id, so a retry resolves them.
        raw = orjson.dumps(_standalone(item.resource, item.bundle_refs, item.full_url)).decode()
    return QuarantineItem(
        input_format="fhir",
        location=item.location,
        reason_code=code,
        reason=reason,
        raw=raw,
        source_ods=source,
        resource_type=resource_type if isinstance(resource_type, str) else None,
        source_id=resource_id if isinstance(resource_id, str) else None,
    )


def _standalone(value: Any, refs: dict[str, tuple[str, str]], full_url: str | None) -> Any:
    if isinstance(value, dict):
        copied = {k: _standalone(v, refs, None) for k, v in value.items()}
        reference = copied.get("reference")
        if isinstance(reference, str) and reference in refs:
            copied["reference"] = "/".join(refs[reference])
        if full_url in refs and "id" not in copied:
            copied["id"] = refs[full_url][1]  # an entry identified only by its fullUrl
        return copied
    if isinstance(value, list):
        return [_standalone(v, refs, None) for v in value]
    return value


def _holds_nul(value: Any) -> bool:
    """Whether any key or string holds NUL (the text is checked first: this is rarely run)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False
