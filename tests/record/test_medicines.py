"""Medicines: splitting a line into its CUI parts, merging sources, prescriptions' states."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carerecord.record import medicines as med
from carerecord.record.medicines import Strength
from tests.record.factories_items import DMD, item, medicine, when

# -- Strength and line parts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5mg", Strength((Decimal(5),), "mg")),
        ("400mg/5ml", Strength((Decimal(400),), "mg", Decimal(5), "mL")),
        ("5000units/ml", Strength((Decimal(5000),), "units", None, "mL")),
        ("5,000units/ml", Strength((Decimal(5000),), "units", None, "mL")),
        ("8mg/500mg", Strength((Decimal(8), Decimal(500)), "mg")),
        ("100micrograms/dose", Strength((Decimal(100),), "micrograms", None, "dose")),
        ("50microgram", Strength((Decimal(50),), "micrograms")),
        ("tablets", None),
    ],
)
def test_strength_is_read_from_dmd_text(text: str, expected: Strength | None) -> None:
    assert med.strength(text) == expected


@pytest.mark.parametrize(
    ("name", "generic", "form"),
    [
        ("Amoxicillin 500mg capsules", "amoxicillin", "capsules"),
        ("Co-codamol 8mg/500mg tablets", "co-codamol", "tablets"),
        ("Levothyroxine sodium 50microgram tablets", "levothyroxine sodium", "tablets"),
        ("Omeprazole 20mg gastro-resistant capsules", "omeprazole", "gastro-resistant capsules"),
        ("Salbutamol 100micrograms/dose inhaler CFC free", "salbutamol", "inhaler CFC free"),
        ("Emollient cream", "emollient cream", None),
    ],
)
def test_a_dmd_name_splits_into_generic_name_and_form(
    name: str, generic: str, form: str | None
) -> None:
    found = med.parts(medicine(name=name))
    assert (found.generic, found.form) == (generic, form)


@pytest.mark.parametrize(
    ("text", "dose", "frequency"),
    [
        ("One tablet once a day", "One tablet", "once a day"),
        (
            "Two puffs up to four times a day when required",
            "Two puffs",
            "up to four times a day when required",
        ),
        (
            "One or two tablets up to four times a day when required",
            "One or two tablets",
            "up to four times a day when required",
        ),
        ("As directed", "As directed", None),
    ],
)
def test_dose_text_splits_into_amount_and_frequency(
    text: str, dose: str, frequency: str | None
) -> None:
    found = med.parts(medicine(dose=text))
    assert (found.dose, found.frequency) == (dose, frequency)


def test_a_structured_dosage_gives_dose_route_rate_and_duration() -> None:
    dosage = {
        "text": "5 mL three times a day",
        "timing": {
            "code": {"text": "three times a day"},
            "repeat": {"boundsDuration": {"value": 5, "unit": "days"}},
        },
        "route": {"coding": [{"display": "Oral"}]},
        "doseAndRate": [{"doseQuantity": {"value": 5.0, "unit": "mL"}}],
    }
    found = med.parts(medicine(name="Amoxicillin 250mg/5ml oral suspension", dosage=[dosage]))
    assert found.dose == "5 mL"
    assert found.frequency == "three times a day"
    assert found.route == "Oral"
    assert found.duration == "5 days"
    assert found.strength == Strength((Decimal(250),), "mg", Decimal(5), "mL")


# -- The medicine list ------------------------------------------------------------------------


def test_same_product_and_dose_from_two_sources_is_one_medicine() -> None:
    gp = medicine(resource_type="MedicationRequest", intent="plan")
    hospital = medicine(source="HOSPITAL")
    listed = med.medicine_list([gp, hospital])
    assert len(listed.current) == 1 and listed.past == ()
    assert [i.id for i in listed.current[0].items] == [gp.id, hospital.id]


def test_a_different_dose_is_a_different_line() -> None:
    listed = med.medicine_list(
        [medicine(), medicine(dose="Two tablets once a day", source="HOSPITAL")]
    )
    assert len(listed.current) == 2


def test_issues_and_dispenses_are_not_on_the_medicine_list() -> None:
    issue = medicine(resource_type="MedicationRequest", intent="order")
    dispense = medicine(resource_type="MedicationDispense", status="completed")
    assert med.medicine_list([issue, dispense]) == med.MedicineList((), ())


def test_stopped_everywhere_is_past_and_stopped_anywhere_is_past_too() -> None:
    stopped = medicine(status="stopped")
    conflicting = [
        medicine(name="Metformin 500mg tablets", dmd="325278007"),
        medicine(
            name="Metformin 500mg tablets", dmd="325278007", status="stopped", source="HOSPITAL"
        ),
    ]
    listed = med.medicine_list([stopped, *conflicting])
    (metformin,) = listed.current
    assert metformin in listed.past  # stopped at one source: on both lists
    assert {g.latest.id for g in listed.past} == {stopped.id, metformin.latest.id}


def test_stopped_at_hospital_active_at_gp_is_a_conflict_with_where_when_and_why() -> None:
    gp = medicine(resource_type="MedicationRequest", intent="plan")
    hospital = medicine(
        status="stopped",
        source="HOSPITAL",
        effectivePeriod={"start": "2020-01-01", "end": "2026-01-05"},
        statusReason=[{"text": "Low blood pressure on admission"}],
    )
    listed = med.medicine_list([gp, hospital])
    (group,) = listed.current
    assert listed.conflict(group) == med.StatusConflict(
        stopped=(
            med.Stop(
                "Royal Free London", when("2026-01-05T00:00"), "Low blood pressure on admission"
            ),
        ),
        current=("Camden Road Surgery",),
    )


def test_a_stop_written_with_another_dose_still_flags_the_current_medicine() -> None:
    """The hospital wrote the dose in its own words, so the two are different lines; its
    stop must still reach the line the GP keeps issuing."""
    gp = medicine(resource_type="MedicationRequest", intent="plan")
    hospital = medicine(status="stopped", source="HOSPITAL", dose="5mg OD")
    listed = med.medicine_list([gp, hospital])
    (current,) = listed.current
    (past,) = listed.past
    assert past.latest == hospital
    conflict = listed.conflict(current)
    assert conflict is not None
    assert [s.source for s in conflict.stopped] == ["Royal Free London"]
    assert listed.conflict(past) is None  # stopped wherever it is held: nothing to disagree on


def test_a_source_that_changed_the_dose_has_not_stopped_the_medicine() -> None:
    gp = medicine(resource_type="MedicationRequest", intent="plan")
    old_dose = medicine(
        status="stopped", source="HOSPITAL", dose="5mg OD", updated="2026-06-01T09:00"
    )
    new_dose = medicine(
        source="HOSPITAL", dose="Two tablets once a day", updated="2026-06-02T09:00"
    )
    listed = med.medicine_list([gp, old_dose, new_dose])
    assert all(listed.conflict(g) is None for g in listed.current)


def test_agreeing_sources_have_no_conflict() -> None:
    listed = med.medicine_list([medicine(), medicine(source="HOSPITAL")])
    (group,) = listed.current
    assert listed.conflict(group) is None


# -- Prescriptions ----------------------------------------------------------------------------

EPS = "https://fhir.nhs.uk/StructureDefinition/Extension-EPS-TaskBusinessStatus"


def _issue(code: str | None, authored: str = "2026-09-20T09:00", **extra: object) -> med.Item:
    resource: dict[str, object] = {
        "resourceType": "MedicationRequest",
        "id": f"rx-{authored}-{code}",
        "intent": "order",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": DMD, "code": "319283006"}],
            "text": "Amlodipine 5mg tablets",
        },
        "basedOn": [{"reference": "MedicationRequest/plan1"}],
        **extra,
    }
    if code:
        resource["extension"] = [{"url": EPS, "valueCoding": {"code": code}}]
    return item(resource, clinical=authored, updated=authored, code=(DMD, "319283006"))


def _dispense(of: str, pharmacy: str = "Boots Pharmacy") -> med.Item:
    resource = {
        "resourceType": "MedicationDispense",
        "id": f"d-{of}",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": DMD, "code": "319283006"}]},
        "performer": [{"actor": {"display": pharmacy}}],
        "authorizingPrescription": [{"reference": of}],
    }
    return item(resource, status="completed", clinical="2026-09-21T14:00", code=(DMD, "319283006"))


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("0001", med.ISSUED),
        ("0002", med.WITH_PHARMACY),
        ("0006", med.DISPENSED),
        (None, None),
        ("9999", None),
    ],
)
def test_an_issue_state_comes_from_the_eps_extension(code: str | None, state: str | None) -> None:
    (found,) = med.prescriptions([_issue(code)], since=when("2026-01-01T00:00"))
    assert found.state == state


def test_a_dispense_naming_the_issue_gives_pharmacy_and_date() -> None:
    issue = _issue("0006")
    (found,) = med.prescriptions(
        [issue, _dispense(f"MedicationRequest/{issue.resource['id']}")],
        since=when("2026-01-01T00:00"),
    )
    assert (found.state, found.dispenser, found.dispensed_on) == (
        med.DISPENSED,
        "Boots Pharmacy",
        when("2026-09-21T14:00"),
    )


def test_a_repeat_issue_does_not_claim_a_dispense_of_its_authorisation() -> None:
    issue = _issue("0002", courseOfTherapyType={"coding": [{"code": "continuous"}]})
    (found,) = med.prescriptions(
        [issue, _dispense("MedicationRequest/plan1")], since=when("2026-01-01T00:00")
    )
    assert (found.state, found.dispenser) == (med.WITH_PHARMACY, None)


def test_an_acute_issue_claims_the_dispense_of_its_authorisation() -> None:
    issue = _issue("0006", courseOfTherapyType={"coding": [{"code": "acute"}]})
    (found,) = med.prescriptions(
        [issue, _dispense("MedicationRequest/plan1")], since=when("2026-01-01T00:00")
    )
    assert found.dispenser == "Boots Pharmacy"


def test_prescriptions_are_recent_and_newest_first() -> None:
    old, new, ancient = (
        _issue("0006", "2026-08-01T09:00"),
        _issue("0001", "2026-09-29T09:00"),
        _issue("0006", "2024-01-01T09:00"),
    )
    found = med.prescriptions([old, new, ancient], since=when("2026-04-01T00:00"))
    assert [p.item for p in found] == [new, old]
