"""Ingesting files: every patient first, then everything else, in committed batches.

Patients go first (a whole pass over the inputs) so a resource never waits on a Patient
that comes later in the same files, as in bulk exports written one type per file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from carerecord.errors import UnsupportedFormat
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.reader import detect_format, read_items
from carerecord.store import Store
from carerecord.store.records import IncomingResource, QuarantineItem, WriteCounts

Progress = Callable[[int], None]  # called with bytes read since the last call
_READABLE = (".ndjson", ".json")


def input_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the FHIR files inside folders named; refused whole if any is unreadable."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in _READABLE))
        elif path.is_file():
            found.append(path)
        else:
            raise UnsupportedFormat(f"{path}: no such file or folder")
    for path in found:
        if detect_format(path) == "hl7v2":
            raise UnsupportedFormat(
                f"{path}: HL7 v2 files are not read by this version of carerecord; "
                "send FHIR JSON or NDJSON"
            )
    return found


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    source: str | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> WriteCounts:
    files = input_files(paths)
    registered = {org.ods_code for org in store.organisations()}
    counts = WriteCounts()
    for patients_pass in (True, False):
        batcher = _Batcher(store, counts, batch_size)
        for item in (i for f in files for i in read_items(f, patients_pass, progress)):
            prepared = prepare(item, source, registered)
            if isinstance(prepared, QuarantineItem):
                batcher.reject(prepared)
            else:
                batcher.add(prepared)
        batcher.flush()
    return counts


def total_bytes(paths: Iterable[Path]) -> int:
    """What progress callbacks will add up to: every file is read once per pass."""
    return 2 * sum(path.stat().st_size for path in input_files(paths))


class _Batcher:
    """Collects resources and rejections; each flush is one committed transaction."""

    def __init__(self, store: Store, counts: WriteCounts, size: int) -> None:
        self.store, self.counts, self.size = store, counts, size
        self.pending: dict[tuple[str, str, str], IncomingResource] = {}
        self.rejected: list[QuarantineItem] = []

    def add(self, resource: IncomingResource) -> None:
        if resource.key in self.pending:  # a second version in the same batch waits its turn
            self.flush()
        self.pending[resource.key] = resource
        if len(self.pending) >= self.size:
            self.flush()

    def reject(self, item: QuarantineItem) -> None:
        self.rejected.append(item)
        if len(self.rejected) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.pending or self.rejected:
            self.counts.add(self.store.write(list(self.pending.values()), self.rejected))
        self.pending, self.rejected = {}, []
