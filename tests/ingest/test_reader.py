"""Reading input files: format detection, and each item read exactly once across two passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from carerecord.errors import UnsupportedFormat
from carerecord.ingest.reader import detect_format, read_items


def _ids(path: Path, patients: bool) -> list[str]:
    return [str((i.resource or {}).get("id", i.raw)) for i in read_items(path, patients)]


def test_patients_and_everything_else_are_read_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        '{"resourceType":"Patient","id":"compact"}\n'
        '{ "resourceType" : "Patient", "id": "spaced" }\n'
        '{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/compact"}}\n'
        '{"resourceType":"Flag","id":"f","code":{"text":"\\"Patient\\" is a word"}}\n'
        "\n"
        "not json\n"
    )

    assert _ids(path, patients=True) == ["compact", "spaced"]
    assert _ids(path, patients=False) == ["c", "f", "not json"]


def test_progress_adds_up_to_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    path.write_text('{"resourceType":"Patient","id":"a"}\n{"resourceType":"Flag","id":"b"}\n')
    seen: list[int] = []

    for patients in (True, False):
        list(read_items(path, patients, seen.append))

    assert sum(seen) == 2 * path.stat().st_size


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"resourceType":"Patient"}\n{"resourceType":"Flag"}\n', "ndjson"),
        ('{\n  "resourceType": "Bundle",\n  "entry": []\n}\n', "json"),
        ('{"resourceType":"Patient","id":"x"}', "json"),
        ("MSH|^~\\&|A|B\r", "hl7v2"),
        ("\ufeff\n  MSH|^~\\&|A|B\r", "hl7v2"),
    ],
)
def test_format_is_detected_from_content(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "input.dat"
    path.write_text(content)
    assert detect_format(path) == expected


@pytest.mark.parametrize("content", ["<Patient/>", "[1, 2]", "hello"])
def test_unreadable_formats_are_refused_by_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "input.dat"
    path.write_text(content)
    with pytest.raises(UnsupportedFormat, match=r"input\.dat"):
        detect_format(path)
