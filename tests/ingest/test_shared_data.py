"""Everything under ../shared/data loads: real data written outside the project, read in place.

Each folder is ingested whole and the outcome is pinned: how many resources are stored and how
many items are quarantined, by reason. Every expected quarantine is explained beside its count;
docs/real-data.md gives the same figures to users. The files are never copied into the
repository (some are GPL/AGPL): the tests skip, loudly, where the folder is absent.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from carerecord import nhs_number
from carerecord.errors import InvalidOrganisation, UnsupportedFormat
from carerecord.ingest.hl7v2 import HL7Error, normalise, parse_header, split_messages
from carerecord.ingest.pipeline import ingest_paths, input_files
from carerecord.store import Store
from carerecord.store.records import WriteCounts
from tests.conftest import require
from tests.factories import make_org, register, valid_nhs_number
from tests.support.shared_data import SHARED_DATA

TEST_SOURCE = "TESTSRC"  # the ODS code FHIR folders are attributed to (their meta.source is not)


def shared_folder(name: str) -> Path:
    folder = SHARED_DATA / name
    require(folder.is_dir(), f"shared test data {folder} is absent on this machine")
    return folder


def outcome(counts: WriteCounts) -> dict[str, object]:
    return {
        "stored": counts.stored,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "older": counts.older,
        "quarantined": counts.quarantine_reasons,
        "excluded": counts.excluded,
    }


def ingest_fhir_folder(store: Store, folder: Path) -> WriteCounts:
    register(store, make_org(TEST_SOURCE, "gp"))
    return ingest_paths(store, [folder], source=TEST_SOURCE)


def sending_facilities(folder: Path) -> set[str]:
    """MSH-4 of every message in the folder's HL7 files (messages without one are left out)."""
    found = set()
    for path in input_files([folder]):
        for message in split_messages(normalise(path.read_bytes())):
            try:
                found.add(parse_header(message).sending_facility)
            except HL7Error:
                continue
    return found


def register_facilities(store: Store, folder: Path) -> list[str]:
    """Registers every sending facility that is a usable ODS code; returns those that are not."""
    unusable = []
    for facility in sorted(sending_facilities(folder)):
        try:
            register(store, make_org(facility, "acute"))
        except InvalidOrganisation:
            unusable.append(facility)
    return unusable


def ingest_hl7_folder(store: Store, folder: Path) -> tuple[WriteCounts, dict[str, int]]:
    acknowledgements: dict[str, int] = {}
    counts = ingest_paths(store, [folder], acknowledgements=acknowledgements)
    return counts, acknowledgements


@pytest.fixture
def sqlite_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """Synthea is large: it runs on SQLite only, keeping this file well under a minute."""
    path = tmp_path / "synthea.db"
    shutil.copy(sqlite_template, path)
    store = Store.open(f"sqlite:///{path}")
    yield store
    store.close()


def with_test_nhs_numbers(folder: Path, into: Path) -> Path:
    """The documented test transform: a copy of a bulk export in which every Patient carries a
    test-range (999) NHS number. The same Patient id gets the same number in every file."""
    patient_files = sorted(folder.rglob("Patient.*.ndjson"))
    ids = sorted(
        {orjson.loads(line)["id"] for f in patient_files for line in f.read_bytes().splitlines()}
    )
    numbers = {patient_id: valid_nhs_number(seed) for seed, patient_id in enumerate(ids, 1)}
    for path in sorted(folder.rglob("*.ndjson")):
        target = into / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path not in patient_files:
            shutil.copy(path, target)
            continue
        patients = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        for patient in patients:
            identifier = {"system": nhs_number.SYSTEM, "value": numbers[patient["id"]]}
            patient["identifier"] = [*patient.get("identifier", []), identifier]
        target.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in patients))
    return into


# --- FHIR R4 --------------------------------------------------------------------------------


def test_synthea_patients_have_no_nhs_number_so_they_and_their_records_are_quarantined(
    sqlite_store: Store,
) -> None:
    counts = ingest_fhir_folder(sqlite_store, shared_folder("synthea-bulk-smart"))

    assert outcome(counts) == {
        # Organization, Location, Practitioner, PractitionerRole: not about a patient
        "stored": 1085,
        # the two exports share some of these: the second copy is a newer version or the same
        "updated": 42,
        "unchanged": 131,
        "older": 0,
        "quarantined": {
            # Synthea patients carry no NHS number (US identifiers only): 133 Patients ...
            "no-nhs-number": 133,
            # ... and everything about them, which names a patient carerecord does not hold
            "unknown-patient": 9075,
            # log.ndjson in each export is the generator's log (4 lines each), not FHIR
            "malformed": 8,
        },
        "excluded": 0,
    }


def test_synthea_with_test_nhs_numbers_stores_everything_but_the_generator_log(
    sqlite_store: Store, tmp_path: Path
) -> None:
    export = with_test_nhs_numbers(shared_folder("synthea-bulk-smart"), tmp_path / "synthea")

    counts = ingest_fhir_folder(sqlite_store, export)

    assert outcome(counts) == {
        "stored": 10092,
        "updated": 44,
        # organisations and practitioners shared by the two exports
        "unchanged": 330,
        "older": 0,
        "quarantined": {"malformed": 8},  # log.ndjson, twice: genuinely not FHIR
        "excluded": 0,
    }


def test_uk_core_examples_store_except_those_without_a_joinable_patient(store: Store) -> None:
    counts = ingest_fhir_folder(store, shared_folder("nhs-uk-core-r4-examples") / "json-derived")

    assert outcome(counts) == {
        "stored": 185,
        "updated": 0,
        "unchanged": 0,
        "older": 0,
        "quarantined": {
            # 22 Patient examples (mostly Extension-UKCore-* demonstrations) have no NHS number
            "no-nhs-number": 22,
            # UKCore-Patient-BabyPatient-Example's NHS number fails the modulus-11 check
            "invalid-nhs-number": 1,
            # 3 Bundle entries carry only a fullUrl, no resource
            "malformed": 3,
            # 16 resources about the patients above, or about a Patient that is not in the file
            # (a urn:uuid: reference outside any Bundle)
            "unknown-patient": 16,
        },
        "excluded": 0,
    }


def test_uk_core_xml_originals_are_refused_whole_before_anything_is_written(
    store: Store,
) -> None:
    originals = sorted((shared_folder("nhs-uk-core-r4-examples") / "xml").glob("*.xml"))
    register(store, make_org(TEST_SOURCE, "gp"))

    with pytest.raises(UnsupportedFormat, match="FHIR XML is not accepted"):
        ingest_paths(store, originals, source=TEST_SOURCE)  # a folder's .xml files are skipped

    assert store.quarantine_entries() == []


def test_pds_sandbox_responses_store_except_errors_requests_and_bad_nhs_numbers(
    store: Store,
) -> None:
    counts = ingest_fhir_folder(store, shared_folder("nhs-pds-fhir-sandbox"))

    assert outcome(counts) == {
        "stored": 59,
        # the same test patients appear in many responses, some with different content
        "updated": 13,
        "unchanged": 42,
        "older": 0,
        "quarantined": {
            # 22 OperationOutcome error responses, 4 Coverage and 3 PatientCreate request bodies
            # have no id: they are API messages, not records
            "invalid-id": 29,
            # Patient 9000000015 (a deliberately invalid test number) fails modulus 11, 3 times
            "invalid-nhs-number": 3,
            # the 11 PatientPatch files are JSON Patch documents, not FHIR resources
            "malformed": 11,
            # RelatedPerson/F4CF8B96 names an NHS number no stored Patient has
            "unknown-patient": 1,
        },
        "excluded": 0,
    }


def test_gp_connect_stu3_payloads_are_refused_as_not_r4(store: Store) -> None:
    counts = ingest_fhir_folder(store, shared_folder("gpconnect-stu3-examples"))

    assert outcome(counts) == {
        "stored": 0,
        "updated": 0,
        "unchanged": 0,
        "older": 0,
        "quarantined": {
            # every resource naming an STU3 profile or extension, and the CapabilityStatement
            # declaring fhirVersion 3.0.1
            "not-fhir-r4": 79,
            # 5 Parameters request bodies name no profile (nothing marks their version) and
            # have no id: an operation's input, not a record
            "invalid-id": 5,
        },
        "excluded": 0,
    }
    refused = store.quarantine_entries(reason_code="not-fhir-r4", limit=200)
    assert all("earlier FHIR version" in e.reason or "3.0.1" in e.reason for e in refused)


# --- HL7 v2 ---------------------------------------------------------------------------------


def test_nhs_itk_adt_examples_store_and_the_hard_wrapped_oru_are_refused(store: Store) -> None:
    folder = shared_folder("hl7v2-nhs-itk-examples")
    assert register_facilities(store, folder) == []

    counts, acks = ingest_hl7_folder(store, folder)

    assert outcome(counts) == {
        # one patient (3333333333) through A01 ... A40, with an encounter
        "stored": 6,
        "updated": 3,
        "unchanged": 0,
        # examples dated before the patient's current version: kept in history
        "older": 4,
        # the two DHCW ORU examples were copied from a PDF, wrapped mid-segment: no usable MSH
        "quarantined": {"malformed": 2},
        "excluded": 0,
    }
    assert acks == {"AA": 8, "AR": 2}


def test_genomics_examples_are_all_test_or_debug_messages_so_none_reach_records(
    store: Store,
) -> None:
    folder = shared_folder("hl7v2-nw-gmsa-genomics")
    assert register_facilities(store, folder) == []

    counts, acks = ingest_hl7_folder(store, folder)

    assert outcome(counts) == {
        "stored": 0,
        "updated": 0,
        "unchanged": 0,
        "older": 0,
        # every example is marked MSH-11 T (training) or D (debugging, the two ORM^O01): only
        # P reaches live records, so each is refused (AR) before it is mapped
        "quarantined": {"processing-id": 9},
        "excluded": 0,
    }
    assert acks == {"AR": 9}


def test_pipehat_standard_samples_are_us_shaped_so_none_store(
    store: Store,
) -> None:
    folder = shared_folder("hl7v2-pipehat-samples")
    # MSH-4 values that cannot be ODS codes, so no organisation can be registered for them
    assert register_facilities(store, folder) == [
        "Demo Server",
        "ELAB-3",
        "JOHNSON LABS",
        "SIISCLIENT818",
        "XYZ_HOSPITAL",
    ]

    counts, acks = ingest_hl7_folder(store, folder)

    assert outcome(counts) == {
        "stored": 0,
        "updated": 0,
        "unchanged": 0,
        "older": 0,
        "quarantined": {
            # messages from the 5 facilities above
            "unknown-source": 7,
            # US examples: PID-3 has no NHS number
            "no-nhs-number": 3,
            # the v2.3 ADT^A01 from XYZHospC has neither PV1-19 nor PV1-50: no visit to key on
            "unusable-message": 1,
            # samples marked MSH-11 T (training) or D (debugging): never reach live records
            "processing-id": 6,
            # of the rest, not message types carerecord accepts
            "unsupported-message": 2,
            # QCK, VXR and VXX leave MSH-4 empty
            "malformed": 3,
        },
        "excluded": 0,
    }
    assert acks == {"AE": 4, "AR": 18}


def test_linuxforhealth_line_endings_and_multiline_obx(
    store: Store,
) -> None:
    folder = shared_folder("hl7v2-linuxforhealth")
    assert register_facilities(store, folder) == ["IBM_Toronto_Lab"]

    counts, acks = ingest_hl7_folder(store, folder)

    assert outcome(counts) == {
        "stored": 0,
        "updated": 0,
        "unchanged": 0,
        "older": 0,
        "quarantined": {
            # both ORU files come from IBM_Toronto_Lab, which cannot be an ODS code
            "unknown-source": 2,
            # the ADT^A01 (and sample_win.hl7, its copy with CRLF endings and an MSH-18) is marked
            # MSH-11 T (training): refused before it is mapped, and not recorded as seen
            "processing-id": 2,
        },
        "excluded": 0,
    }
    assert acks == {"AR": 4}


def test_uclh_feeds_store_little_because_control_ids_repeat_and_orders_are_refused(
    store: Store,
) -> None:
    folder = shared_folder("hl7v2-uclh-emap-GPL3")
    assert register_facilities(store, folder) == ["Consult Orders", "Problem List"]

    counts, acks = ingest_hl7_folder(store, folder)

    assert outcome(counts) == {
        "stored": 3,
        "updated": 0,
        "unchanged": 0,
        "older": 0,
        "quarantined": {
            # Consult Orders (3) and Problem List (10) cannot be ODS codes
            "unknown-source": 13,
            # WinPath/CoPath results, several ADT examples and the Vitals feed carry only the
            # hospital number
            "no-nhs-number": 16,
            # examples marked MSH-11 T (training): refused before mapping, so the A40 into a
            # different date of birth and several no-NHS-number examples no longer get that far
            "processing-id": 48,
            # ORM^O01, ORR^O02, ADT A06/A15/A26: not accepted
            "unsupported-message": 11,
            # order and notes messages that leave MSH-4 empty
            "malformed": 22,
            # the examples reuse MSH-10 control ids across files for different messages: each
            # later one was answered with the first ACK and dropped; now AE and kept
            "control-id-reused": 52,
        },
        "excluded": 0,
    }
    # 164 messages; the examples reuse MSH-10 control ids across files: the same message again
    # gets the first ACK, a different one AE and is kept (it used to get the first ACK too)
    assert acks == {"AA": 2, "AE": 68, "AR": 94}
