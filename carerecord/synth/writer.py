"""Writes the dataset to disk as it is produced: one NDJSON (and HL7) file per organisation.

Files are opened on first use and kept open until the run ends, so memory holds one
patient's resources at a time whatever the number of patients. A hospital trust has two
open files (FHIR and HL7); every other organisation at most one.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from carerecord.synth.organisations import SynthOrganisation


class Writer:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.resources = 0
        self.messages = 0
        self._files: dict[Path, IO[bytes]] = {}

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def write(
        self, org: SynthOrganisation, resources: list[dict[str, Any]], messages: list[str]
    ) -> None:
        if resources:
            handle = self._open(self.out / "fhir" / f"{org.ods_code}.ndjson")
            handle.write(b"".join(orjson.dumps(r) + b"\n" for r in resources))
            self.resources += len(resources)
        if messages:
            handle = self._open(self.out / "hl7" / f"{org.ods_code}.hl7")
            handle.write("".join(messages).encode("utf-8"))
            self.messages += len(messages)

    def _open(self, path: Path) -> IO[bytes]:
        handle = self._files.get(path)
        if handle is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._files[path] = path.open("wb")
        return handle

    @property
    def paths(self) -> list[Path]:
        return sorted(self._files)

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
