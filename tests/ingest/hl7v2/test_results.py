"""ORU^R01 to DiagnosticReport and Observations."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from carerecord.ingest.hl7v2 import HL7Error, Mapped, map_message

MSH = "MSH|^~\\&|LAB|RCB|CR|CR|20240301093000||ORU^R01^ORU_R01|M1|P|2.5.1"
PID = "PID|1||L1^^^RCB^MR~9434765919^^^NHS^NH||SMITH^JO"
OBR = "OBR|1|PL1|FL1^LAB|BON^Bone profile^WinPath|||20240301080000|||||||||||||||202403010900|||F"
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()


def oru(*segments: str, obr: str = OBR) -> Mapped:
    mapped = map_message("\r".join([MSH, PID, obr, *segments]), lambda kind, id_: None)
    for resource in mapped.resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return mapped


def by_id(mapped: Mapped) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in mapped.resources}


def test_report_and_numeric_result() -> None:
    mapped = oru(
        "OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L^mmol/L^UCUM|3.5-5.0|N|||F|||20240301081500",
        "NTE|1||Haemolysed \\.br\\sample",
        "NTE|1||rechecked",
    )
    report, potassium = mapped.resources
    assert report["resourceType"] == "DiagnosticReport"
    assert report["id"] == "FL1"
    assert report["status"] == "final"
    assert report["code"] == {
        "coding": [
            {"system": "urn:hl7v2:codesystem:WinPath", "code": "BON", "display": "Bone profile"}
        ],
        "text": "Bone profile",
    }
    assert report["category"][0]["coding"][0]["code"] == "LAB"
    assert report["effectiveDateTime"] == "2024-03-01T08:00:00+00:00"
    assert report["issued"] == "2024-03-01T09:00:00+00:00"
    assert report["result"] == [{"reference": "Observation/FL1-1"}]
    assert report["performer"] == [
        {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RCB"}}
    ]
    assert potassium["code"]["coding"][0]["system"] == "http://loinc.org"
    assert potassium["valueQuantity"] == {
        "value": 4.2,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }
    assert potassium["referenceRange"] == [
        {
            "low": {
                "value": 3.5,
                "unit": "mmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "mmol/L",
            },
            "high": {
                "value": 5,
                "unit": "mmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "mmol/L",
            },
        }
    ]
    assert potassium["interpretation"][0]["coding"][0]["code"] == "N"
    assert potassium["status"] == "final"
    assert potassium["effectiveDateTime"] == "2024-03-01T08:15:00+00:00"
    assert potassium["note"] == [{"text": "Haemolysed \nsample"}, {"text": "rechecked"}]
    assert potassium["subject"] == {"reference": "Patient/L1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<5", [{"high": {"value": 5, "unit": "g/L"}}]),
        (">1", [{"low": {"value": 1, "unit": "g/L"}}]),
        ("0-2-7.2", [{"text": "0-2-7.2"}]),
        ("negative", [{"text": "negative"}]),
    ],
)
def test_reference_ranges(text: str, expected: list[dict[str, Any]]) -> None:
    obs = oru(f"OBX|1|NM|A^B||3|g/L|{text}||||F").resources[1]
    assert obs["referenceRange"] == expected


def test_comparators_structured_numeric_and_non_numbers() -> None:
    mapped = oru(
        "OBX|1|NM|A^A||<7|nmol/L|||||F",
        "OBX|2|SN|B^B||>^10|g|||||P",
        "OBX|3|SN|C^C||^1^:^128||||||C",
        "OBX|4|NM|D^D||?7||||||F",
        "OBX|5|CE|E^E||POS^Positive^L||||||X",
        "OBX|6|DT|F^F||20240102||||||D",
    )
    obs = by_id(mapped)
    assert obs["FL1-1"]["valueQuantity"] == {"value": 7, "comparator": "<", "unit": "nmol/L"}
    assert obs["FL1-2"]["valueQuantity"] == {"value": 10, "comparator": ">", "unit": "g"}
    assert obs["FL1-2"]["status"] == "preliminary"
    assert obs["FL1-3"]["valueString"] == "1:128"
    assert obs["FL1-3"]["status"] == "corrected"
    assert obs["FL1-4"]["valueString"] == "?7"
    assert obs["FL1-5"]["valueCodeableConcept"]["text"] == "Positive"
    assert obs["FL1-5"]["status"] == "cancelled"
    assert obs["FL1-6"]["valueDateTime"] == "2024-01-02"
    assert obs["FL1-6"]["status"] == "entered-in-error"
    assert any("'?7' is not a number" in w for w in mapped.warnings)


def test_multi_line_text_results_become_one_observation() -> None:
    mapped = oru(
        "OBX|1|TX|REP^Report||Line one||||||F",
        "OBX|2|TX|REP^Report||Line two~Line three||||||F",
        "OBX|3|FT|REP^Report||Line four||||||F",
        "OBX|4|TX|OTHER^Other||Separate||||||F",
    )
    report, joined, other = mapped.resources
    assert joined["valueString"] == "Line one\nLine two\nLine three\nLine four"
    assert other["valueString"] == "Separate"
    assert len(report["result"]) == 2


def test_encapsulated_pdf_is_presented_form_not_observation() -> None:
    mapped = oru(f"OBX|1|ED|PDF^Report PDF||^application^pdf^Base64^{PDF}||||||F")
    (report,) = mapped.resources
    assert report["presentedForm"] == [
        {"contentType": "application/pdf", "data": PDF, "title": "Report PDF"}
    ]
    assert "result" not in report


def test_truncated_base64_is_left_out_with_a_warning() -> None:
    mapped = oru("OBX|1|ED|PDF^Report PDF||^AP^PDF^Base64^JVBERi0xLjQKJeL...||||||F")
    assert "presentedForm" not in mapped.resources[0]
    assert any("not valid base64" in w for w in mapped.warnings)


def test_unmapped_value_type_is_a_warning() -> None:
    mapped = oru("OBX|1|RP|IMG^Image||http://x/y||||||F")
    assert mapped.resources[1]["valueString"] == "http://x/y"
    assert any("'RP' is not mapped" in w for w in mapped.warnings)


def test_obr_notes_are_the_conclusion_and_radiology_category() -> None:
    obr = OBR.replace("|||F", "||CT|F", 1)  # OBR-24 diagnostic service section
    mapped = oru("NTE|1||No acute \\T\\ no chronic change", "NTE|2||Signed", obr=obr)
    report = mapped.resources[0]
    assert report["conclusion"] == "No acute & no chronic change\nSigned"
    assert report["category"][0]["coding"][0]["code"] == "RAD"


@pytest.mark.parametrize(
    ("flag", "status"),
    [("C", "corrected"), ("P", "preliminary"), ("X", "cancelled"), ("A", "partial")],
)
def test_report_status(flag: str, status: str) -> None:
    assert oru(obr=OBR[:-1] + flag).resources[0]["status"] == status


def test_report_id_falls_back_to_placer_then_control_id() -> None:
    placer = oru(obr="OBR|1|PL1||X^Y").resources[0]
    assert placer["id"] == "PL1"
    neither = oru(obr="OBR|2|||X^Y").resources[0]
    assert neither["id"] == "M1-2"


def test_repeated_set_ids_still_give_distinct_observations() -> None:
    mapped = oru("OBX|1|NM|A^A||1|||||F", "OBX|1|NM|B^B||2|||||F")
    ids = [r["id"] for r in mapped.resources]
    assert len(set(ids)) == 3


def test_no_obr_is_an_application_error() -> None:
    with pytest.raises(HL7Error) as caught:
        map_message("\r".join([MSH, PID]), lambda kind, id_: None)
    assert (caught.value.code, caught.value.reject) == ("101", False)
