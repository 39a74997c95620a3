"""An audit log entry as a FHIR R4 AuditEvent, in the shape of the IHE Basic Audit Log
Patterns (BALP): what kind of event (type, subtype, action), when, with what outcome, who (the
user, their organisation, their network address), the observer (this carerecord node), and
what it touched (the patient, each resource version shown, what was withheld, the request id,
the entry's place in the hash chain). A pure function over a StoredEntry: no database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carerecord.audit.entry import StoredEntry, instant

# Code systems
DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
BALP_ENTITY = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
# carerecord's own identifiers and codes (local to one installation)
USERNAME = "urn:carerecord:username"
OPERATOR = "urn:carerecord:operator"
ACTION = "urn:carerecord:audit-action"
ROLE = "urn:carerecord:role"
PURPOSE = "urn:carerecord:purpose"
RESOURCE = "urn:carerecord:resource"
ENTRY = "urn:carerecord:audit-entry"

_LOGIN = (DCM, "110114", "User Authentication"), (DCM, "110122", "Login")
_LOGOUT = (DCM, "110114", "User Authentication"), (DCM, "110123", "Logout")
_READ = (EVENT_TYPE, "rest", "RESTful Operation"), (RESTFUL, "read", "read")
_SEARCH = (EVENT_TYPE, "rest", "RESTful Operation"), (RESTFUL, "search-type", "search type")
_EXPORT = (DCM, "110106", "Export"), None
_RECORD = (DCM, "110110", "Patient Record"), None
_ALERT = (DCM, "110113", "Security Alert"), None
_SECURITY = (DCM, "110137", "User Security Attributes Changed"), None
_ACTIVITY = (DCM, "110100", "Application Activity"), None

Code = tuple[str, str, str]
# action -> (type, standard subtype or None, FHIR action code)
KINDS: dict[str, tuple[Code, Code | None, str]] = {
    "sign-in": (*_LOGIN, "E"),
    "sign-in-password": (*_LOGIN, "E"),
    "step-up": (*_LOGIN, "E"),
    "sign-out": (*_LOGOUT, "E"),
    "view-record": (*_READ, "R"),
    "view-document": (*_READ, "R"),
    "view-timeline": (*_READ, "R"),
    "view-withheld": (*_READ, "R"),
    "quarantine-show": (*_READ, "R"),
    "audit-entry": (*_READ, "R"),
    "audit-as-seen": (*_READ, "R"),
    "usage-view": (*_READ, "R"),
    "search-nhs-number": (*_SEARCH, "E"),
    "search-details": (*_SEARCH, "E"),
    "audit-search": (*_SEARCH, "E"),
    "audit-who-viewed": (*_SEARCH, "E"),
    "audit-fhir-read": (*_SEARCH, "E"),
    "audit-export": (*_EXPORT, "R"),
    "usage-export": (*_EXPORT, "R"),
    "declare-relationship": (*_ALERT, "C"),
    "override": (*_ALERT, "E"),
    "copi-declare": (*_ALERT, "C"),
    "alert-review": (*_ACTIVITY, "C"),
    "record-objection": (*_RECORD, "C"),
    "withdraw-objection": (*_RECORD, "U"),
    "import-objections": (*_RECORD, "C"),
    "user-add": (*_SECURITY, "C"),
    "user-reset": (*_SECURITY, "U"),
    "user-unlock": (*_SECURITY, "U"),
    "unlock": (*_SECURITY, "U"),
    "user-disable": (*_SECURITY, "U"),
    "user-enable": (*_SECURITY, "U"),
    "sender-add": (*_ACTIVITY, "C"),
    "client-add": (*_SECURITY, "C"),
    "client-grant": (*_SECURITY, "U"),
    "client-revoke": (*_SECURITY, "U"),
    "client-disable": (*_SECURITY, "U"),
    "org-status": (*_ACTIVITY, "U"),
    "audit-purge": (*_ACTIVITY, "D"),  # entries past the retention period removed
}
DEFAULT_KIND: tuple[Code, Code | None, str] = (*_ACTIVITY, "E")

# BALP outcome codes: 0 success, 4 minor failure, 8 serious failure, 12 major failure.
OUTCOMES = {"success": "0", "failure": "4", "refused": "8", "error": "12"}
# The purposes carerecord records, and the HL7 v3 reason each stands for.
PURPOSES = {"direct-care": "TREAT", "find": "TREAT", "emergency": "ETREAT", "audit": "HOPERAT"}


def audit_event(entry: StoredEntry, observer: str) -> dict[str, Any]:
    """The AuditEvent for one entry; `observer` names this carerecord node (its base URL)."""
    kind, standard, action = KINDS.get(entry.action, DEFAULT_KIND)
    body: Mapping[str, object] = entry.detail if entry.format > 1 else {}
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(entry.id),
        "type": _coding(kind),
        "subtype": [_coding((ACTION, entry.action, entry.action))]
        + ([_coding(standard)] if standard else []),
        "action": action,
        "recorded": instant(entry.occurred_at),
        "outcome": OUTCOMES.get(entry.outcome, "8"),
        "agent": _agents(entry, body),
        "source": {
            "observer": {"display": observer},
            "type": [_coding((SOURCE_TYPE, "4", "Application Server"))],
        },
    }
    if entry.outcome != "success":
        reason = own_detail(entry).get("reason")
        event["outcomeDesc"] = f"{entry.outcome}: {reason}" if reason else entry.outcome
    purpose = body.get("purpose")
    if isinstance(purpose, str) and purpose:
        event["purposeOfEvent"] = [_purpose(purpose, body.get("override"))]
    entities = _entities(entry, body)
    if entities:
        event["entity"] = entities
    return event


def _coding(code: Code) -> dict[str, str]:
    system, value, display = code
    return {"system": system, "code": value, "display": display}


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}], "text": code}


def _purpose(purpose: str, override: object) -> dict[str, Any]:
    concept = _concept(PURPOSE, purpose)
    v3 = "ETREAT" if override else PURPOSES.get(purpose)
    if v3:
        concept["coding"].append({"system": ACT_REASON, "code": v3})
    return concept


def own_detail(entry: StoredEntry) -> Mapping[str, object]:
    """The event's own detail: format 2 nests it under `detail`; format 1 held nothing else."""
    if entry.format == 1:
        return entry.detail
    own = entry.detail.get("detail")
    return own if isinstance(own, Mapping) else {}


def _agents(entry: StoredEntry, body: Mapping[str, object]) -> list[dict[str, Any]]:
    user = body.get("user")
    client = body.get("client")
    agent: dict[str, Any] = {"requestor": True}
    if isinstance(user, Mapping):
        agent["type"] = _concept_coded(PARTICIPATION, "IRCP", "information recipient")
        agent["who"] = {
            "identifier": {"system": USERNAME, "value": str(user.get("username", entry.actor))},
            "display": str(user.get("name") or user.get("username") or entry.actor),
        }
        agent["name"] = str(user.get("name") or "")
        agent["altId"] = str(user.get("username", entry.actor))
        if user.get("role"):
            agent["role"] = [_concept(ROLE, str(user["role"]))]
    else:
        agent["who"] = _actor_reference(entry.actor)
        if entry.role:
            agent["role"] = [_concept(ROLE, entry.role)]
    if isinstance(client, Mapping) and client.get("address"):
        agent["network"] = {"address": str(client["address"]), "type": "2"}  # 2: IP address
    agents = [agent]
    ods = user.get("organisation") if isinstance(user, Mapping) else entry.organisation
    if ods:
        agents.append(
            {
                "type": _concept_coded(ROLE_CLASS, "PROV", "healthcare provider"),
                "who": {"identifier": {"system": ODS, "value": str(ods)}},
                "requestor": False,
            }
        )
    return agents


def _concept_coded(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _actor_reference(actor: str) -> dict[str, Any]:
    """Who acted when no signed-in user did: an operator at the terminal, a source system."""
    kind, _, name = actor.partition(":")
    if kind == "operator" and name:
        return {"identifier": {"system": OPERATOR, "value": name}, "display": actor}
    if kind == "source" and name:
        return {"identifier": {"system": ODS, "value": name}, "display": actor}
    return {"identifier": {"system": USERNAME, "value": actor}, "display": actor}


def _entities(entry: StoredEntry, body: Mapping[str, object]) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    if entry.patient_id:
        entities.append(_patient(entry.patient_id, body))
    shown = body.get("shown")
    if isinstance(shown, Mapping):
        entities.extend(_shown(shown))
    withheld = body.get("withheld")
    if isinstance(withheld, Mapping) and withheld:
        entities.append(
            {
                "type": _coding((ENTITY_TYPE, "2", "System Object")),
                "description": "withheld items, counted by reason",
                "detail": [_detail(f"withheld:{k}", v) for k, v in sorted(withheld.items())],
            }
        )
    own = own_detail(entry)
    if own:
        entities.append(
            {
                "type": _coding((ENTITY_TYPE, "2", "System Object")),
                "role": _coding((OBJECT_ROLE, "24", "Query")),
                "description": "the event's own detail",
                "detail": [_detail(k, v) for k, v in sorted(own.items()) if v is not None],
            }
        )
    if entry.request_id:
        entities.append(
            {
                "type": _coding((BALP_ENTITY, "XrequestId", "X-Request-Id")),
                "what": {"identifier": {"value": entry.request_id}},
            }
        )
    entities.append(_chain(entry))
    return entities


def _patient(patient_id: str, body: Mapping[str, object]) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "what": {"reference": f"Patient/{patient_id}"},
        "type": _coding((ENTITY_TYPE, "1", "Person")),
        "role": _coding((OBJECT_ROLE, "1", "Patient")),
    }
    details = [
        _detail(name, body[name])
        for name in ("relationship", "override")
        if isinstance(body.get(name), str)
    ]
    if details:
        entity["detail"] = details
    return entity


def _shown(shown: Mapping[str, object]) -> list[dict[str, Any]]:
    page = str(shown.get("page", ""))
    versions = shown.get("versions")
    entities = []
    for item in versions if isinstance(versions, list) else []:
        resource_id, version, section = item
        entities.append(
            {
                "what": {
                    "identifier": {"system": RESOURCE, "value": str(resource_id)},
                    "display": f"resource {resource_id} version {version}",
                },
                "type": _coding((ENTITY_TYPE, "2", "System Object")),
                "role": _coding((OBJECT_ROLE, "4", "Domain Resource")),
                "name": str(section),
                "detail": [
                    _detail("version", version),
                    _detail("section", section),
                    _detail("page", page),
                ],
            }
        )
    return entities


def _chain(entry: StoredEntry) -> dict[str, Any]:
    """Where the entry sits in the hash chain, so an export can be checked against the log."""
    return {
        "what": {"identifier": {"system": ENTRY, "value": str(entry.id)}},
        "type": _coding((ENTITY_TYPE, "2", "System Object")),
        "description": "the entry's link in the audit log's hash chain",
        "detail": [
            _detail("hash", entry.hash),
            _detail("prev_hash", entry.prev_hash),
            _detail("format", entry.format),
        ],
    }


def _detail(name: str, value: object) -> dict[str, str]:
    text = value if isinstance(value, str) else _plain(value)
    return {"type": name, "valueString": text}


def _plain(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return str(value)
