"""The AuditEvent form of a log entry: a table of cases over entries as the store holds them,
SQLite and PostgreSQL alike (the JSON comes back from the database as each engine gives it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from carerecord.audit.entry import AuditRecord, StoredEntry
from carerecord.audit.fhir_event import (
    ACTION,
    BALP_ENTITY,
    ENTRY,
    ODS,
    OPERATOR,
    RESOURCE,
    USERNAME,
    audit_event,
)
from carerecord.store import Store, audit
from tests.support.audit_entries import append, requester, viewed

AT = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
NODE = "https://carerecord.example.nhs.uk"


def stored(store: Store, record: AuditRecord) -> StoredEntry:
    append(store, record, AT)
    head = audit.head(store.engine)
    assert head is not None
    return head


def entity_with(event: dict[str, Any], system: str) -> list[dict[str, Any]]:
    return [
        e
        for e in event["entity"]
        if e.get("what", {}).get("identifier", {}).get("system") == system
    ]


def details(entity: dict[str, Any]) -> dict[str, str]:
    return {d["type"]: d["valueString"] for d in entity.get("detail", [])}


def test_a_view_names_the_user_their_organisation_the_patient_and_each_version(
    store: Store,
) -> None:
    record = viewed("p-1", withheld={"objection": 2, "restricted-code": 1})
    entry = stored(store, record)
    event = audit_event(entry, NODE)
    assert event["resourceType"] == "AuditEvent"
    assert event["id"] == str(entry.id)
    assert event["type"]["code"] == "rest"
    assert {"system": ACTION, "code": "view-record", "display": "view-record"} in event["subtype"]
    assert any(c["code"] == "read" for c in event["subtype"])
    assert event["action"] == "R"
    assert event["outcome"] == "0"
    assert event["recorded"] == "2026-10-01T09:30:00.000000+00:00"
    assert event["purposeOfEvent"][0]["coding"][1]["code"] == "TREAT"
    user, organisation = event["agent"]
    assert user["requestor"] is True
    assert user["who"]["identifier"] == {"system": USERNAME, "value": "gp-clinician"}
    assert user["name"] == "Gp Clinician"
    assert user["role"][0]["coding"][0]["code"] == "clinician"
    assert user["network"] == {"address": "10.1.2.3", "type": "2"}
    assert organisation["who"]["identifier"] == {"system": ODS, "value": "F83004"}
    assert organisation["requestor"] is False
    assert event["source"]["observer"]["display"] == NODE
    patient = event["entity"][0]
    assert patient["what"] == {"reference": "Patient/p-1"}
    assert details(patient) == {"relationship": "registered-gp"}
    versions = entity_with(event, RESOURCE)
    assert [(v["what"]["identifier"]["value"], details(v)["version"]) for v in versions] == [
        ("11", "2"),
        ("12", "1"),
    ]
    assert {details(v)["section"] for v in versions} == {"medications"}
    withheld = [e for e in event["entity"] if e.get("description", "").startswith("withheld")]
    assert details(withheld[0]) == {"withheld:objection": "2", "withheld:restricted-code": "1"}
    request = [e for e in event["entity"] if e["type"]["system"] == BALP_ENTITY]
    assert request[0]["what"]["identifier"]["value"] == "req-gp-clinician-medications"
    (chain,) = entity_with(event, ENTRY)
    assert details(chain) == {"hash": entry.hash, "prev_hash": entry.prev_hash, "format": "2"}


def test_an_override_is_an_emergency_reason_and_a_detail_of_the_patient(store: Store) -> None:
    record = viewed("p-2", relationship=None, override="emergency")
    event = audit_event(stored(store, record), NODE)
    assert details(event["entity"][0]) == {"override": "emergency"}
    assert {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "ETREAT"} in (
        event["purposeOfEvent"][0]["coding"]
    )


@pytest.mark.parametrize(
    ("action", "outcome", "type_code", "fhir_action", "fhir_outcome"),
    [
        ("sign-in", "failure", "110114", "E", "4"),
        ("sign-out", "success", "110114", "E", "0"),
        ("search-nhs-number", "success", "rest", "E", "0"),
        ("view-record", "refused", "rest", "R", "8"),
        ("record-objection", "success", "110110", "C", "0"),
        ("withdraw-objection", "success", "110110", "U", "0"),
        ("user-add", "success", "110137", "C", "0"),
        ("audit-export", "success", "110106", "R", "0"),
        ("audit-purge", "success", "110100", "D", "0"),
        ("override", "success", "110113", "E", "0"),
        ("something-new", "error", "110100", "E", "12"),
    ],
)
def test_each_action_has_a_type_an_action_code_and_an_outcome(
    store: Store, action: str, outcome: str, type_code: str, fhir_action: str, fhir_outcome: str
) -> None:
    record = AuditRecord("gp-clinician", action, outcome, {"reason": "code-wrong"})
    event = audit_event(stored(store, record), NODE)
    assert event["type"]["code"] == type_code
    assert event["action"] == fhir_action
    assert event["outcome"] == fhir_outcome
    if outcome != "success":
        assert event["outcomeDesc"] == f"{outcome}: code-wrong"


def test_an_operator_and_a_source_are_named_by_their_own_systems(store: Store) -> None:
    by_operator = audit_event(
        stored(store, AuditRecord("operator:ops", "user-add", "success", {})), NODE
    )
    assert by_operator["agent"] == [
        {
            "requestor": True,
            "who": {"identifier": {"system": OPERATOR, "value": "ops"}, "display": "operator:ops"},
        }
    ]
    by_source = audit_event(
        stored(store, AuditRecord("source:RAL01", "record-objection", "success", {})), NODE
    )
    assert by_source["agent"][0]["who"]["identifier"] == {"system": ODS, "value": "RAL01"}


def test_a_search_keeps_its_own_detail_as_a_query_entity(store: Store) -> None:
    record = AuditRecord(
        "gp-clinician",
        "search-details",
        "success",
        {"family": "SMITH", "birth_date": "1957-03-14", "found": 2},
        requester=requester(),
    )
    event = audit_event(stored(store, record), NODE)
    (query,) = [e for e in event["entity"] if e.get("role", {}).get("code") == "24"]
    assert details(query) == {"birth_date": "1957-03-14", "family": "SMITH", "found": "2"}


def test_a_format_1_entry_maps_from_its_columns() -> None:
    entry = StoredEntry(
        id=3,
        occurred_at=AT,
        format=1,
        actor="gp-clinician",
        action="view-record",
        outcome="success",
        patient_id="p-9",
        organisation=None,
        user_id=None,
        role=None,
        request_id=None,
        detail={"section": "overview"},
        prev_hash="0" * 64,
        hash="a" * 64,
    )
    event = audit_event(entry, NODE)
    assert event["agent"][0]["who"]["identifier"]["value"] == "gp-clinician"
    assert event["entity"][0]["what"] == {"reference": "Patient/p-9"}
    assert "purposeOfEvent" not in event
