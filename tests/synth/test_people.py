from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from carerecord.nhs_number import SYSTEM, is_valid
from carerecord.synth import SynthSummary
from carerecord.synth.people import MAX_PATIENTS, make_person, nhs_number_for
from tests.synth.conftest import read_resources


def test_nhs_numbers_are_valid_unique_test_numbers() -> None:
    numbers = [nhs_number_for(i, seed=1) for i in range(20_000)]
    assert all(is_valid(n) and n.startswith("999") for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_too_many_patients_is_refused() -> None:
    with pytest.raises(ValueError, match="below"):
        nhs_number_for(MAX_PATIENTS, seed=1)


def test_postcode_belongs_to_the_region() -> None:
    rng = random.Random(5)
    person = make_person(rng, 0, 1, "Milton Keynes", date(2026, 11, 1))
    assert person.address.postcode.startswith("MK")
    assert person.address.city == "Milton Keynes"


def test_every_patient_resource_has_a_valid_nhs_number_or_deliberately_none(
    dataset: tuple[Path, SynthSummary],
) -> None:
    out, _ = dataset
    missing = 0
    for _, resource in read_resources(out):
        if resource["resourceType"] != "Patient":
            continue
        numbers = [i["value"] for i in resource["identifier"] if i["system"] == SYSTEM]
        missing += not numbers
        assert all(is_valid(n) for n in numbers)
    assert missing >= 1


def test_ages_span_children_to_the_very_old(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    years = {
        int(r["birthDate"][:4]) for _, r in read_resources(out) if r["resourceType"] == "Patient"
    }
    assert min(years) < 1950 and max(years) > 2008
