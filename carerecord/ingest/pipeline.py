"""Ingesting files: every patient first, then everything else, in committed batches; then
HL7 v2 files, one message (one transaction) at a time, exactly as if sent over MLLP.

Patients go first (a whole pass over the inputs) so a resource never waits on a Patient
that comes later in the same files, as in bulk exports written one type per file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from carerecord.errors import UnsupportedFormat
from carerecord.ingest import hl7_receive
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.hl7v2 import normalise, split_messages
from carerecord.ingest.intake import Checked, Delivery, Prepared, check_one, take
from carerecord.ingest.reader import detect_format, read_items
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import IncomingResource, WriteCounts

Progress = Callable[[int], None]  # called with bytes read since the last call
_FHIR_SUFFIXES = (".ndjson", ".json")
_HL7_SUFFIXES = (".hl7", ".txt")  # inside folders, read only when they start with MSH


def input_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the FHIR and HL7 v2 files inside folders named; refused whole if any
    is unreadable."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _readable(p) and _listing(p) is None))
        elif path.is_file():
            found.append(path)
        else:
            raise UnsupportedFormat(f"{path}: no such file or folder")
    for path in found:
        detect_format(path)  # refuses the whole run before anything is written
    return found


def passed_over(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Files inside the folders named that look like input but are not read, with why: a
    JSON list is not FHIR (synth's organisations.json is one). Registering organisations is
    an administrator's act, never a side effect of loading a folder."""
    return [
        (found, why)
        for path in paths
        if path.is_dir()
        for found in sorted(path.rglob("*"))
        if _readable(found) and (why := _listing(found)) is not None
    ]


def _listing(path: Path) -> str | None:
    if path.suffix.lower() != ".json":
        return None
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"["):
        return None
    return "a JSON list, not FHIR: for a list of organisations, use `carerecord org load`"


def _readable(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in _HL7_SUFFIXES:
        with path.open("rb") as handle:
            return handle.read(8).lstrip(b"\xef\xbb\xbf\x0b \t\r\n").startswith(b"MSH")
    return suffix in _FHIR_SUFFIXES


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    source: str | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
    rules: IntakeRules | None = None,
    acknowledgements: dict[str, int] | None = None,
) -> WriteCounts:
    """Loads the files; `acknowledgements` (if given) counts the HL7 messages by ACK code."""
    files = input_files(paths)
    if rules is None:
        rules = IntakeRules({org.ods_code: org for org in store.organisations()}, ExclusionList())
    hl7_files = [f for f in files if detect_format(f) == "hl7v2"]
    fhir_files = [f for f in files if f not in hl7_files]
    counts = WriteCounts()
    for patients_pass in (True, False):
        batcher = _Batcher(store, counts, batch_size)
        for path in fhir_files:
            for item in read_items(path, patients_pass, progress, rules.limits):
                batcher.add(check_one(item, source, rules))
        batcher.flush()
    for path in hl7_files:
        _ingest_hl7_file(store, rules, path, counts, acknowledgements, progress)
    return counts


def _ingest_hl7_file(
    store: Store,
    rules: IntakeRules,
    path: Path,
    counts: WriteCounts,
    acknowledgements: dict[str, int] | None,
    progress: Progress | None,
) -> None:
    messages = split_messages(normalise(path.read_bytes()))
    for number, message in enumerate(messages, start=1):
        result = hl7_receive.receive(store, rules, message, f"{path} message {number}")
        counts.add(result.counts)
        if acknowledgements is not None:
            acknowledgements[result.code] = acknowledgements.get(result.code, 0) + 1
    if progress is not None:
        progress(2 * path.stat().st_size)


def total_bytes(paths: Iterable[Path]) -> int:
    """What progress callbacks will add up to: every file is read once per pass."""
    return 2 * sum(path.stat().st_size for path in input_files(paths))


class _Batcher:
    """Collects checked items; each flush is one committed, best-effort delivery."""

    def __init__(self, store: Store, counts: WriteCounts, size: int) -> None:
        self.store, self.counts, self.size = store, counts, size
        self.checked = Checked()
        self.pending: set[tuple[str, str, str]] = set()

    def add(self, prepared: Prepared) -> None:
        if isinstance(prepared, IncomingResource) and prepared.key in self.pending:
            self.flush()  # a second version in the same batch waits its turn
        self.checked.add(prepared)
        if isinstance(prepared, IncomingResource):
            self.pending.add(prepared.key)
        if len(self.checked) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.checked:
            self.counts.add(take(self.store, Delivery(self.checked)).counts)
        self.checked, self.pending = Checked(), set()
