"""Where the third-party HL7 v2 samples are (read in place, never copied: one set is GPL-3.0)."""

from __future__ import annotations

from pathlib import Path

from tests.support.shared_data import SHARED_DATA

DATA = SHARED_DATA
FOLDERS = (
    "hl7v2-nhs-itk-examples",
    "hl7v2-pipehat-samples",
    "hl7v2-linuxforhealth",
    "hl7v2-nw-gmsa-genomics",
    "hl7v2-uclh-emap-GPL3",
)


def sample_files() -> list[Path]:
    files = []
    for folder in FOLDERS:
        for path in sorted((DATA / folder).rglob("*")):
            if path.is_file() and path.suffix in {".hl7", ".txt"} and "LICENSE" not in path.name:
                files.append(path)
    return files
