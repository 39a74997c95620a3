"""MDM to DocumentReference and SIU to Appointment."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from carerecord.ingest.hl7v2 import HL7Error, map_message

PID = "PID|1||633^^^R0A^MR~9449305552^^^NHS^NH||CHISLETT^Octavia"
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()


def only(kind: str, *segments: str) -> dict[str, Any]:
    msh = f"MSH|^~\\&|APP|R0A|CR|CR|20250814094223+0000||{kind}|C9|P|2.4"
    mapped = map_message("\r".join([msh, PID, *segments]), lambda k, i: None)
    (resource,) = mapped.resources
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


TXA = "TXA|1|CN^Clinic letter^L||20250814090000|||||DR1^Darwin^Samuel^^^Dr|||DOC-1"


def test_text_document() -> None:
    doc = only(
        "MDM^T02", TXA, "OBX|1|TX|LET^Letter||Dear GP,~Seen today.||||||F", "OBX|2|TX|LET||Regards"
    )
    assert doc["id"] == "DOC-1"
    assert doc["status"] == "current"
    assert doc["type"]["text"] == "Clinic letter"
    assert doc["description"] == "Clinic letter"
    assert doc["date"] == "2025-08-14T08:00:00+00:00"  # BST
    assert doc["author"] == [{"display": "Dr Samuel Darwin"}]
    assert doc["custodian"]["identifier"]["value"] == "R0A"
    assert doc["subject"] == {"reference": "Patient/633"}
    attachment = doc["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"
    assert base64.b64decode(attachment["data"]).decode() == "Dear GP,\nSeen today.\nRegards"


def test_pdf_document() -> None:
    doc = only("MDM^T02", TXA, f"OBX|1|ED|REP^Report||^AP^PDF^Base64^{PDF}||||||F")
    assert doc["content"] == [
        {"attachment": {"contentType": "application/pdf", "data": PDF, "title": "Clinic letter"}}
    ]


@pytest.mark.parametrize(
    ("event", "completion", "status"),
    [("T11", "", "entered-in-error"), ("T02", "CA", "entered-in-error"), ("T08", "", "current")],
)
def test_cancel_and_replace(event: str, completion: str, status: str) -> None:
    txa = TXA + "|||||" + completion
    doc = only(f"MDM^{event}", txa, "OBX|1|TX|LET||text")
    assert (doc["id"], doc["status"]) == ("DOC-1", status)


def test_document_without_readable_content_is_an_application_error() -> None:
    with pytest.raises(HL7Error) as caught:
        only("MDM^T02", TXA, "OBX|1|ED|REP||^AP^PDF^Base64^JVBERi0x...")
    assert (caught.value.code, caught.value.reject) == ("101", False)


SCH = (
    "SCH|10345^10345|2196178^2196178|||10345|OFFICE^Office visit|CHK^Check up^L|"
    "OFFICE^Office|60|m|^^60^20110617084500^20110617093000"
)


def test_booked_appointment() -> None:
    appointment = only(
        "SIU^S12",
        SCH,
        "AIS|1|A|DERM^Dermatology",
        "AIP|1|A|1^White^Charles^A^^Dr",
        "AIL|1|A|OFFICE^ROOM2^^MAIN",
    )
    assert appointment["id"] == "10345"
    assert appointment["status"] == "booked"
    assert appointment["start"] == "2011-06-17T07:45:00+00:00"
    assert appointment["end"] == "2011-06-17T08:30:00+00:00"
    assert appointment["serviceType"] == [{"text": "Dermatology"}]
    assert appointment["reasonCode"][0]["text"] == "Check up"
    assert appointment["description"] == "Office"
    assert [p["actor"] for p in appointment["participant"]] == [
        {"reference": "Patient/633"},
        {"display": "Dr Charles A White"},
        {"display": "OFFICE ROOM2 MAIN"},
    ]


def test_times_from_ais_when_sch11_is_empty() -> None:
    appointment = only("SIU^S14", "SCH|A7", "AIS|1|A|X^Clinic|20240110090000|30|MIN")
    assert (appointment["start"], appointment["end"]) == (
        "2024-01-10T09:00:00+00:00",
        "2024-01-10T09:30:00+00:00",
    )
    assert appointment["description"] == "Clinic"


@pytest.mark.parametrize(
    ("event", "status"),
    [("S13", "booked"), ("S15", "cancelled"), ("S17", "entered-in-error"), ("S26", "noshow")],
)
def test_schedule_statuses(event: str, status: str) -> None:
    assert only(f"SIU^{event}", SCH)["status"] == status


def test_appointment_id_from_sch2() -> None:
    assert only("SIU^S12", "SCH||FILL9")["id"] == "FILL9"
