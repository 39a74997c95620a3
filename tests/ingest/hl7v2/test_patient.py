"""PID/PD1 to Patient: which identifier is which, and nothing empty."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from carerecord.ingest.hl7v2 import HL7Error, map_message

MSH = "MSH|^~\\&|PAS|RCB|CR|CR|20240101120000||ADT^A28|C1|P|2.4"
NHS = "https://fhir.nhs.uk/Id/nhs-number"


def nothing(kind: str, id_: str) -> None:
    return None


def patient(pid: str, *more: str) -> dict[str, Any]:
    mapped = map_message("\r".join([MSH, "EVN|A28|20240101", pid, *more]), nothing)
    assert mapped.patient is not None
    get_fhir_model_class("Patient").model_validate(mapped.patient)
    return mapped.patient


def identifiers(resource: dict[str, Any]) -> dict[str, str]:
    return {i["system"]: i["value"] for i in resource["identifier"]}


def test_full_patient() -> None:
    resource = patient(
        "PID|1||3333333333^^^NHS||SMITH^FREDRICA^J^^MRS^^L||196512131515|2|||"
        "29 WEST AVENUE^BURYTHORPE^MALTON^NORTH YORKSHIRE^YO32 5TT^GBR^H||+441234567890",
        "PD1|||MALTON GP PRACTICE^^Y06601|G5612908^Townley^Gregory^^^Dr^^^GMC",
    )
    # Only an NHS number: it is also the local id.
    assert resource["id"] == "3333333333"
    assert identifiers(resource) == {
        NHS: "3333333333",
        "urn:ods:RCB:local-patient-id": "3333333333",
    }
    assert resource["name"] == [
        {"use": "official", "family": "SMITH", "given": ["FREDRICA", "J"], "prefix": ["MRS"]}
    ]
    assert resource["birthDate"] == "1965-12-13"
    assert resource["gender"] == "female"  # ITK feeds use the NHS data dictionary's 1/2
    assert resource["address"][0] == {
        "line": ["29 WEST AVENUE", "BURYTHORPE"],
        "city": "MALTON",
        "district": "NORTH YORKSHIRE",
        "postalCode": "YO32 5TT",
        "country": "GBR",
    }
    assert resource["telecom"] == [{"system": "phone", "value": "+441234567890", "use": "home"}]
    gp_practice, gp = resource["generalPractitioner"]
    assert gp_practice["identifier"] == {
        "system": "https://fhir.nhs.uk/Id/ods-organization-code",
        "value": "Y06601",
    }
    assert gp_practice["display"] == "MALTON GP PRACTICE"
    assert gp["display"] == "Dr Gregory Townley"
    assert resource["meta"] == {"source": "urn:ods:RCB", "lastUpdated": "2024-01-01T12:00:00+00:00"}


@pytest.mark.parametrize(
    ("code", "gender"), [("M", "male"), ("F", "female"), ("U", "unknown"), ("O", "other")]
)
def test_gender(code: str, gender: str) -> None:
    assert patient(f"PID|1||L1^^^RCB^MR||X^Y|||{code}")["gender"] == gender


def test_nhs_number_in_second_repetition_and_local_id_from_the_first() -> None:
    resource = patient("PID|1||633^^^R0A^MR~9449305552^^^NHS^NH||CHISLETT^Octavia")
    assert resource["id"] == "633"
    assert identifiers(resource)[NHS] == "9449305552"
    assert identifiers(resource)["urn:ods:RCB:local-patient-id"] == "633"


def test_local_id_prefers_mr_over_an_earlier_untyped_id() -> None:
    resource = patient("PID|1||X9^^^OTHER~4080^^^MRENTR^MR~9999999999^^^NHS^HN")
    assert resource["id"] == "4080"
    # ^^^NHS^HN: the authority says NHS even though the type code is nonstandard.
    assert identifiers(resource)[NHS] == "9999999999"


@pytest.mark.parametrize("authority", ["NHS", "nhsnbr", "NHS Number"])
def test_nhs_number_by_assigning_authority(authority: str) -> None:
    resource = patient(f"PID|1||L1^^^RCB^PI~943 476 5919^^^{authority}")
    assert identifiers(resource)[NHS] == "9434765919"


def test_nhs_number_in_pid2_when_typed_nh() -> None:
    resource = patient("PID|1|9434765919^^^^NH|L1^^^RCB^MR")
    assert identifiers(resource)[NHS] == "9434765919"


def test_check_digit_is_not_validated_here() -> None:
    resource = patient("PID|1||1234567890^^^NHS^NH")
    assert identifiers(resource)[NHS] == "1234567890"


def test_long_or_odd_local_ids_become_valid_stable_fhir_ids() -> None:
    odd = patient("PID|1||AB/12 34^^^RCB^MR")["id"]
    assert odd == "AB-12-34"
    long_id = "X" * 80
    first = patient(f"PID|1||{long_id}^^^RCB^MR")["id"]
    assert first == patient(f"PID|1||{long_id}^^^RCB^MR")["id"]
    assert len(first) <= 64


def test_death() -> None:
    assert patient("PID|1||L1" + "|" * 25 + "|202401011200")["deceasedDateTime"].startswith("2024")
    assert patient("PID|1||L1" + "|" * 26 + "|Y")["deceasedBoolean"] is True


def test_escaped_name_is_decoded() -> None:
    assert patient("PID|1||L1||O\\S\\BRIEN^ANN")["name"][0]["family"] == "O^BRIEN"


def test_no_identifier_is_an_application_error() -> None:
    with pytest.raises(HL7Error) as caught:
        patient("PID|1||||SMITH^JO")
    assert (caught.value.code, caught.value.location, caught.value.reject) == (
        "101",
        "PID^1^3",
        False,
    )
