"""One FHIR JSON resource from a source → an IncomingResource for the store, or a quarantine item.

Validation happens here, once, at the edge: everything past this point can trust the shape.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from carerecord.fhir import extract
from carerecord.fhir.references import patient_reference
from carerecord.fhir.sections import section_of
from carerecord.identity.patients import IdentityProblem, patient_identity
from carerecord.ingest.reader import RawItem
from carerecord.store.records import IncomingResource, QuarantineItem

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_SOURCE_URN = "urn:ods:"


def source_of(resource: dict[str, Any], override: str | None) -> str | None:
    """The sending organisation: named on the command line, else by the resource's meta.source."""
    if override:
        return override
    declared = extract.get_path(resource, "meta.source")
    if isinstance(declared, str) and declared.startswith(_SOURCE_URN):
        return declared.removeprefix(_SOURCE_URN) or None
    return None


def prepare(
    item: RawItem, source_override: str | None, registered: set[str]
) -> IncomingResource | QuarantineItem:
    resource = item.resource
    if resource is None:
        return _reject(item, None, "malformed", item.problem or "not a FHIR resource")
    source = source_of(resource, source_override)
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        return _reject(item, source, "malformed", "no resourceType: not a FHIR resource")
    resource_id = _resource_id(resource, item)
    if resource_id is None:
        return _reject(item, source, "invalid-id", f"{resource_type} has no valid id")
    if source is None:
        return _reject(
            item, None, "unknown-source", "no source organisation: use --source ODS or meta.source"
        )
    if source not in registered:
        return _reject(
            item, source, "unknown-source", f"source organisation {source} is not registered"
        )
    return _incoming(item, resource, source, resource_type, resource_id)


def _incoming(
    item: RawItem, resource: dict[str, Any], source: str, resource_type: str, resource_id: str
) -> IncomingResource | QuarantineItem:
    local_id: str | None = None
    number: str | None = None
    search = None
    if resource_type == "Patient":
        identity = patient_identity(resource, resource_id)
        if isinstance(identity, IdentityProblem):
            return _reject(item, source, identity.code, identity.reason)
        local_id, number, search = identity.local_id, identity.nhs_number, identity.search
    else:
        reference = patient_reference(resource)
        if reference is not None:
            local_id = _local(reference.local_id, item.bundle_ids)
            number = reference.nhs_number
    system, code = extract.primary_coding(resource)
    return IncomingResource(
        source_ods=source,
        resource_type=resource_type,
        source_id=resource_id,
        section=section_of(resource),
        body=orjson.dumps(resource).decode(),
        content_hash=hashlib.sha256(
            orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
        ).hexdigest(),
        codes=tuple(sorted(set(extract.all_codes(resource)))),
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
    )


def _resource_id(resource: dict[str, Any], item: RawItem) -> str | None:
    value = resource.get("id")
    if value is None and item.full_url and item.bundle_ids:
        value = item.bundle_ids.get(item.full_url)
    return value if isinstance(value, str) and _FHIR_ID.match(value) else None


def _local(local_id: str | None, bundle_ids: dict[str, str] | None) -> str | None:
    if local_id is not None and bundle_ids and local_id in bundle_ids:
        return bundle_ids[local_id]
    return local_id


def _text(value: Any) -> str | None:
    return str(value)[:64] if value is not None else None


def _reject(item: RawItem, source: str | None, code: str, reason: str) -> QuarantineItem:
    resource = item.resource or {}
    resource_type = resource.get("resourceType")
    resource_id = resource.get("id")
    return QuarantineItem(
        input_format="fhir",
        location=item.location,
        reason_code=code,
        reason=reason,
        raw=item.raw,
        source_ods=source,
        resource_type=resource_type if isinstance(resource_type, str) else None,
        source_id=resource_id if isinstance(resource_id, str) else None,
    )
