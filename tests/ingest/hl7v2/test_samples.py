"""Every real-world sample in shared/data maps, or fails in the one way it should.

The samples are third-party (one set is GPL-3.0), so they are read in place, never copied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from carerecord.ingest.hl7v2 import HL7Error, map_message, split_messages
from tests.conftest import require
from tests.ingest.hl7v2.samples import DATA, sample_files

ACCEPTED = {"ADT", "ORU", "MDM", "SIU"}
# Events of accepted types that carerecord does not (yet) apply: refused with code 201.
# A06/A07 class change, A15/A26 pending transfer, A17 bed swap, A29 delete person,
# A45/A47 move visit/identifier, A60 allergies.
UNSUPPORTED_EVENTS = {"A06", "A15", "A17", "A26", "A29", "A45", "A47", "A60"}

# Supported types that are refused on purpose, with the reason the sender would be told.
EXPECTED_ERRORS = {
    # Copied from a PDF: hard-wrapped mid-segment, MSH-2 itself is split over two lines.
    "hl7v2-nhs-itk-examples/ORU/DHCW-Example-Pathology-Report-HL7v2ORU.txt": ("102", True),
    "hl7v2-nhs-itk-examples/ORU/DHCW-Example-PathologyReport-withAttachementsAndRanges"
    "-HL7v2ORU.txt": ("102", True),
    # The IG page shortens the base64 PDF to "JVBERi0xLjQKJeL...": no readable document.
    "hl7v2-nw-gmsa-genomics/from-ig-page/04_MDM_T02_line621.hl7": ("101", False),
    # PID-3 is "^^^^MR" (empty); the NHS number sits in PID-2 without type code NH.
    "hl7v2-nw-gmsa-genomics/specifications/NWGMSA/ORU_R01_PDF.hl7": ("101", False),
    # No PV1-19 visit number and no PV1-50 alternate visit id.
    "hl7v2-pipehat-samples/sample-v2.3-adt-a01-1.hl7": ("101", False),
    # PID-3 is empty (the patient has no identifier at all).
    "hl7v2-pipehat-samples/sample-v2.3.1-oru-r01-1.hl7": ("101", False),
    # MSH-4 (sending facility) is empty: the source's ODS code is unknown, so it is refused.
    "hl7v2-uclh-emap-GPL3/NotesParser/oru_r01_comment.txt": ("101", True),
    "hl7v2-uclh-emap-GPL3/NotesParser/oru_r01_multiline_comment.txt": ("101", True),
    "hl7v2-uclh-emap-GPL3/NotesParser/oru_r01_sub_comments.txt": ("101", True),
}


def _kind(message: str) -> tuple[str, str]:
    fields = message.split("\r", 1)[0].split("|")
    parts = (fields[8] if len(fields) > 8 else "").upper().split("^")
    return parts[0], parts[1] if len(parts) > 1 else ""


def nothing(kind: str, id_: str) -> dict[str, Any] | None:
    return None


@pytest.fixture(autouse=True)
def _samples_present() -> None:
    require(DATA.is_dir(), f"shared samples absent at {DATA}")


# With the folder absent the one stand-in case still runs, so that under CI it fails.


@pytest.mark.parametrize(
    "path", sample_files() or [DATA], ids=lambda p: str(p.relative_to(DATA)) if p != DATA else ""
)
def test_sample(path: Path) -> None:
    name = str(path.relative_to(DATA))
    for message in split_messages(path.read_bytes()):
        if name in EXPECTED_ERRORS:
            with pytest.raises(HL7Error) as caught:
                map_message(message, nothing)
            assert (caught.value.code, caught.value.reject) == EXPECTED_ERRORS[name]
            assert caught.value.text
        elif _kind(message)[0] not in ACCEPTED:
            with pytest.raises(HL7Error) as caught:
                map_message(message, nothing)
            assert (caught.value.code, caught.value.reject) == ("200", True)
        elif _kind(message)[1] in UNSUPPORTED_EVENTS:
            with pytest.raises(HL7Error) as caught:
                map_message(message, nothing)
            assert caught.value.code == "201"
        else:
            _check(map_message(message, nothing))


def _check(mapped: Any) -> None:
    # A facility name with spaces (pipehat's "JOHNSON LABS") cannot sit in a uri as it is.
    source = "urn:ods:" + "-".join(mapped.header.sending_facility.split())
    for resource in [mapped.patient, *mapped.resources]:
        if resource is None:
            continue
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert resource["meta"]["source"] == source
        if resource["resourceType"] != "Patient":
            reference = resource.get("subject") or resource["participant"][0]["actor"]
            assert reference == {"reference": f"Patient/{mapped.patient['id']}"}


def test_uclh_cancel_transfer_sequence_ends_with_one_active_location() -> None:
    folder = DATA / "hl7v2-uclh-emap-GPL3" / "Adt" / "Location" / "CancelTransfer"
    stored: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(folder.glob("*.txt")):
        mapped = map_message(path.read_text(), lambda kind, id_: stored.get((kind, id_)))
        for resource in mapped.resources:
            stored[(resource["resourceType"], resource["id"])] = resource
    (encounter,) = [r for (kind, _), r in stored.items() if kind == "Encounter"]
    assert encounter["status"] == "finished"
    assert all(loc["status"] == "completed" for loc in encounter["location"])


def test_itk_merge_sample() -> None:
    path = DATA / "hl7v2-nhs-itk-examples" / "ADT" / "A40_Example.txt"
    mapped = map_message(path.read_text(), nothing)
    assert mapped.merge is not None
    assert (mapped.merge.prior_local_id, mapped.merge.surviving_local_id) == ("22789", "3333333333")


def test_genomics_pdf_sample_is_truncated_so_its_pdf_is_left_out_with_a_warning() -> None:
    # The spec file's base64 stops after 2,815 characters: not a whole PDF, so not shown.
    path = DATA / "hl7v2-nw-gmsa-genomics" / "specifications" / "NWGMSA" / "ORU_R01_PDF.hl7"
    text = path.read_text().replace("PID||944 930 5552|^^^^MR", "PID||944 930 5552|X1^^^^MR")
    mapped = map_message(text, nothing)
    assert "presentedForm" not in mapped.resources[0]
    (warning,) = mapped.warnings
    assert "not valid base64" in warning
