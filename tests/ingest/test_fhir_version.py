"""Telling FHIR R4 from earlier versions, which are refused rather than stored as if R4."""

from __future__ import annotations

from typing import Any

import pytest

from carerecord.ingest.fhir_version import non_r4_reason

STU3_PATIENT = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"
UK_CORE_PATIENT = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"


@pytest.mark.parametrize(
    ("resource", "evidence"),
    [
        ({"resourceType": "Patient", "meta": {"profile": [STU3_PATIENT]}}, STU3_PATIENT),
        (
            {
                "resourceType": "Patient",
                "extension": [
                    {
                        "url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
                        "Extension-CareConnect-EthnicCategory-1"
                    }
                ],
            },
            "Extension-CareConnect-EthnicCategory-1",
        ),
        (
            {
                "resourceType": "Bundle",
                "entry": [
                    {"resource": {"resourceType": "List", "meta": {"profile": [STU3_PATIENT]}}}
                ],
            },
            STU3_PATIENT,
        ),
        (
            {
                "resourceType": "Patient",
                "meta": {
                    "profile": ["http://fhir.nhs.net/StructureDefinition/gpconnect-patient-1"]
                },
            },
            "fhir.nhs.net",
        ),
        ({"resourceType": "ReferralRequest", "id": "r1"}, "STU3 resource type"),
        ({"resourceType": "MedicationOrder", "id": "m1"}, "DSTU2 resource type"),
        ({"resourceType": "CapabilityStatement", "fhirVersion": "3.0.1"}, "3.0.1"),
    ],
)
def test_earlier_versions_are_named_with_their_evidence(
    resource: dict[str, Any], evidence: str
) -> None:
    reason = non_r4_reason(resource)

    assert reason is not None
    assert evidence in reason


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Patient", "meta": {"profile": [UK_CORE_PATIENT]}},
        {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"},
        {"resourceType": "ServiceRequest", "id": "s1"},
        # a code system first published for STU3 is still a valid code system in R4 data
        {
            "resourceType": "Patient",
            "extension": [
                {
                    "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1",
                                "code": "A",
                            }
                        ]
                    },
                }
            ],
        },
        {"resourceType": "Patient", "meta": {"profile": "not a list"}},
        {"resourceType": "Parameters", "parameter": [{"name": "patientNHSNumber"}]},
    ],
)
def test_r4_and_version_less_resources_pass(resource: dict[str, Any]) -> None:
    assert non_r4_reason(resource) is None
