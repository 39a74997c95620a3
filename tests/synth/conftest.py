"""A small synthetic London shared by the synth tests (generated once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from carerecord.synth import SynthSummary, generate

PATIENTS = 25


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth")
    return out, generate(PATIENTS, out, seed=1)


def read_resources(out: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(ODS code, resource) for every line of every NDJSON file."""
    for path in sorted((out / "fhir").glob("*.ndjson")):
        for line in path.read_bytes().splitlines():
            yield path.stem, orjson.loads(line)


def read_messages(out: Path) -> Iterator[tuple[str, str]]:
    for path in sorted((out / "hl7").glob("*.hl7")):
        for message in path.read_bytes().decode("utf-8").split("\n"):
            if message:
                yield path.stem, message
