"""Each person's record spans 2 to 6 sources that together cover every section, and the
awkward cases a shared record meets are all present."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from carerecord.fhir.sections import SECTIONS, section_of
from carerecord.nhs_number import SYSTEM
from carerecord.synth import SynthSummary
from carerecord.synth.codes import CONFIDENTIALITY, NO_KNOWN_ALLERGY, OBJECTION_CODE
from tests.synth.conftest import read_resources

Record = dict[str, list[tuple[str, dict[str, Any]]]]  # NHS number -> (ODS, resource)


@pytest.fixture(scope="module")
def records(dataset: tuple[Path, SynthSummary]) -> Record:
    out, _ = dataset
    owner: dict[tuple[str, str], str] = {}
    by_person: Record = defaultdict(list)
    for ods, resource in read_resources(out):
        if resource["resourceType"] == "Patient":
            numbers = [i["value"] for i in resource["identifier"] if i["system"] == SYSTEM]
            if numbers:
                owner[(ods, f"Patient/{resource['id']}")] = numbers[0]
            else:
                continue
        number = owner.get((ods, _patient_of(resource)))
        if number is not None:
            by_person[number].append((ods, resource))
    return by_person


def _patient_of(resource: dict[str, Any]) -> str:
    if resource["resourceType"] == "Patient":
        return f"Patient/{resource['id']}"
    if resource["resourceType"] == "Appointment":
        return str(resource["participant"][0]["actor"].get("reference"))
    return str((resource.get("subject") or resource.get("patient") or {}).get("reference"))


def test_each_person_has_two_to_six_sources(records: Record) -> None:
    for items in records.values():
        assert 2 <= len({ods for ods, _ in items}) <= 6


def test_sources_together_cover_every_section(records: Record) -> None:
    for items in records.values():
        assert {section_of(r) for _, r in items} >= set(SECTIONS)


def _codes(resource: dict[str, Any], key: str) -> set[str]:
    return {c.get("code", "") for c in resource.get(key, {}).get("coding", [])}


def test_same_allergy_at_gp_and_hospital(records: Record) -> None:
    def twice(items: list[tuple[str, dict[str, Any]]]) -> bool:
        found = defaultdict(set)
        for ods, r in items:
            if r["resourceType"] == "AllergyIntolerance":
                for code in _codes(r, "code") - {NO_KNOWN_ALLERGY.code}:
                    found[code].add(ods)
        return any(len(sources) > 1 for sources in found.values())

    assert any(twice(items) for items in records.values())


def _medicines(items: list[tuple[str, dict[str, Any]]], status: str) -> dict[str, set[str]]:
    found = defaultdict(set)
    for ods, r in items:
        if r["resourceType"] in ("MedicationStatement", "MedicationRequest") and (
            r["status"] == status and r.get("intent", "plan") == "plan"
        ):
            found[r["medicationCodeableConcept"]["text"]].add(ods)
    return found


def test_same_medicine_at_gp_and_hospital(records: Record) -> None:
    assert any(
        len(sources) > 1
        for items in records.values()
        for sources in _medicines(items, "active").values()
    )


def test_medicine_stopped_at_one_source_active_at_another(records: Record) -> None:
    def conflict(items: list[tuple[str, dict[str, Any]]]) -> bool:
        active, stopped = _medicines(items, "active"), _medicines(items, "stopped")
        return any(active.get(name, set()) - sources for name, sources in stopped.items())

    assert any(conflict(items) for items in records.values())


def test_restricted_objected_and_deceased_people(records: Record) -> None:
    patients = [r for items in records.values() for _, r in items if r["resourceType"] == "Patient"]
    restricted = [
        p
        for p in patients
        if {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
        in p["meta"].get("security", [])
    ]
    assert restricted and len(restricted) < len(patients) / 4
    assert any("deceasedDateTime" in p for p in patients)
    consents = [r for items in records.values() for _, r in items if r["resourceType"] == "Consent"]
    assert consents
    for consent in consents:
        assert consent["provision"]["type"] == "deny"
        assert OBJECTION_CODE in {c["code"] for cat in consent["category"] for c in cat["coding"]}


def test_positive_no_known_allergy_records(records: Record) -> None:
    assert any(
        NO_KNOWN_ALLERGY.code in _codes(r, "code")
        for items in records.values()
        for _, r in items
        if r["resourceType"] == "AllergyIntolerance"
    )


def test_prescriptions_show_their_pharmacy_status(records: Record) -> None:
    statuses = {
        e["valueCoding"]["code"]
        for items in records.values()
        for _, r in items
        if r["resourceType"] == "MedicationRequest"
        for e in r.get("extension", [])
    }
    assert "0006" in statuses
    dispensed = [
        r
        for items in records.values()
        for _, r in items
        if r["resourceType"] == "MedicationDispense"
    ]
    assert dispensed and all(d["authorizingPrescription"] for d in dispensed)


def test_community_events_link_to_an_episode(records: Record) -> None:
    for items in records.values():
        episodes = {
            f"EpisodeOfCare/{r['id']}" for _, r in items if r["resourceType"] == "EpisodeOfCare"
        }
        linked = [e["reference"] for _, r in items for e in r.get("episodeOfCare", [])]
        assert linked and set(linked) <= episodes
