from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.fhir import extract
from carerecord.fhir.references import PatientReference, patient_reference
from carerecord.fhir.sections import SECTIONS, section_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-02", datetime(2024, 2, 1, tzinfo=UTC)),
        ("2024-02-03", datetime(2024, 2, 3, tzinfo=UTC)),
        ("2024-07-03T10:15:00+01:00", datetime(2024, 7, 3, 9, 15, tzinfo=UTC)),
        ("2024-07-03T10:15:00Z", datetime(2024, 7, 3, 10, 15, tzinfo=UTC)),
        ("not a date", None),
        ("2024-13-01", None),
        (None, None),
    ],
)
def test_fhir_dates_become_utc_instants(value: object, expected: datetime | None) -> None:
    assert extract.parse_fhir_datetime(value) == expected


def test_the_clinical_date_follows_each_types_preference() -> None:
    observation = {
        "resourceType": "Observation",
        "issued": "2024-01-02T00:00:00Z",
        "effectiveDateTime": "2023-12-30",
    }
    condition = {"resourceType": "Condition", "recordedDate": "2020-01-01"}

    assert extract.clinical_date(observation) == datetime(2023, 12, 30, tzinfo=UTC)
    assert extract.clinical_date(condition) == datetime(2020, 1, 1, tzinfo=UTC)
    assert extract.clinical_date({"resourceType": "Basic"}) is None


def test_primary_coding_reads_the_field_that_says_what_it_is() -> None:
    medicine = {
        "resourceType": "MedicationStatement",
        "medicationCodeableConcept": {
            "coding": [{"system": "https://dmd.nhs.uk", "code": "42109611000001109"}]
        },
    }
    encounter = {
        "resourceType": "Encounter",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
    }

    assert extract.primary_coding(medicine) == ("https://dmd.nhs.uk", "42109611000001109")
    assert extract.primary_coding(encounter)[1] == "EMER"
    assert extract.primary_coding({"resourceType": "Condition"}) == (None, None)


def test_status_prefers_clinical_status() -> None:
    allergy = {"clinicalStatus": {"coding": [{"code": "inactive"}]}, "status": "x"}
    assert extract.status(allergy) == "inactive"
    assert extract.status({"status": "final"}) == "final"
    assert extract.status({}) is None


def test_entered_in_error_is_recognised_in_status_or_verification() -> None:
    assert extract.is_entered_in_error({"status": "entered-in-error"})
    assert extract.is_entered_in_error(
        {"verificationStatus": {"coding": [{"code": "entered-in-error"}]}}
    )
    assert not extract.is_entered_in_error({"status": "final"})


def test_every_code_anywhere_is_listed() -> None:
    resource = {
        "code": {"coding": [{"system": "s", "code": "1"}]},
        "component": [{"code": {"coding": [{"system": "s", "code": "2"}]}}],
        "valueQuantity": {"system": "http://unitsofmeasure.org", "code": "mmol/L"},
    }

    assert sorted(extract.all_codes(resource)) == ["http://unitsofmeasure.org|mmol/L", "s|1", "s|2"]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"subject": {"reference": "Patient/abc"}}, PatientReference(local_id="abc")),
        (
            {"patient": {"reference": "https://x.nhs.uk/fhir/Patient/abc/_history/2"}},
            PatientReference(local_id="abc"),
        ),
        (
            {
                "subject": {
                    "identifier": {
                        "system": "https://fhir.nhs.uk/Id/nhs-number",
                        "value": "9434765919",
                    }
                }
            },
            PatientReference(nhs_number="9434765919"),
        ),
        ({"subject": {"reference": "urn:uuid:1234"}}, PatientReference(local_id="urn:uuid:1234")),
        ({"subject": {"reference": "Group/1"}}, None),
        (
            {
                "resourceType": "Appointment",
                "participant": [
                    {"actor": {"reference": "Practitioner/9"}},
                    {"actor": {"reference": "Patient/p7"}},
                ],
            },
            PatientReference(local_id="p7"),
        ),
        ({}, None),
    ],
)
def test_the_patient_a_resource_is_about(
    resource: dict[str, object], expected: PatientReference | None
) -> None:
    assert patient_reference(resource) == expected


def test_sections_follow_the_architecture_table() -> None:
    assert section_of({"resourceType": "AllergyIntolerance"}) == "allergies"
    assert section_of({"resourceType": "Encounter"}) == "encounters"
    assert (
        section_of(
            {"resourceType": "Encounter", "episodeOfCare": [{"reference": "EpisodeOfCare/1"}]}
        )
        == "community"
    )
    assert section_of({"resourceType": "Medication"}) == "supporting"
    assert len(SECTIONS) == 12
