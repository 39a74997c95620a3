"""The HL7 v2 feed parses, and describes the same stays and results as the FHIR file."""

from __future__ import annotations

from pathlib import Path

import hl7

from carerecord.synth import SynthSummary
from carerecord.synth.hl7v2 import escape
from tests.synth.conftest import read_messages, read_resources


def test_escape_every_delimiter() -> None:
    assert escape("a|b^c~d\\e&f") == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"


def test_messages_parse_with_unique_control_ids(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    controls: set[tuple[str, str]] = set()
    kinds: set[str] = set()
    for ods, text in read_messages(out):
        message = hl7.parse(text)
        assert str(message.segment("MSH")[4]) == ods
        control = str(message.segment("MSH")[10])
        assert (ods, control) not in controls
        controls.add((ods, control))
        kinds.add(str(message.segment("MSH")[9]))
    assert {"ADT^A01^ADT_A01", "ADT^A03^ADT_A03", "ADT^A04^ADT_A04", "ORU^R01^ORU_R01"} <= kinds


def test_patient_identifiers_carry_nhs_number_and_mrn(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    for _, text in read_messages(out):
        ids = hl7.parse(text).segment("PID")[3]
        types = {str(rep[4]) for rep in ids}
        assert "MR" in types and types <= {"MR", "NH"}


def test_same_events_as_fhir(dataset: tuple[Path, SynthSummary]) -> None:
    out, _ = dataset
    visits: set[tuple[str, str]] = set()
    fillers: set[tuple[str, str]] = set()
    for ods, text in read_messages(out):
        message = hl7.parse(text)
        if str(message.segment("MSH")[9]).startswith("ADT"):
            visits.add((ods, str(message.segment("PV1")[19])))
        else:
            fillers.add((ods, str(message.segment("OBR")[3])))
    hospital = {ods for ods, _ in visits}
    fhir_visits = {
        (ods, r["identifier"][0]["value"])
        for ods, r in read_resources(out)
        if ods in hospital and r["resourceType"] == "Encounter" and "identifier" in r
    }
    fhir_fillers = {
        (ods, r["identifier"][0]["value"])
        for ods, r in read_resources(out)
        if ods in hospital and r["resourceType"] == "DiagnosticReport"
    }
    assert visits and visits == fhir_visits
    assert fillers and fillers == fhir_fillers
