"""Reading input files: detect the format, then yield one raw item per resource."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from carerecord.errors import UnsupportedFormat
from carerecord.fhir.extract import listed
from carerecord.ingest.limits import ResourceLimits, Shape, judged, shape_of


@dataclass(frozen=True)
class RawItem:
    """One resource's worth of input: parsed when it could be, the raw text always."""

    location: str
    raw: str
    resource: dict[str, Any] | None  # None when the text is not a JSON object
    problem: str | None = None  # why it could not be parsed
    bundle_refs: dict[str, tuple[str, str]] | None = None  # a bundle's fullUrls → (type, id)
    end_offset: int = 0  # bytes of the file read so far, for progress
    full_url: str | None = None  # the bundle entry's fullUrl
    breach: tuple[str, str] | None = None  # a limit it passed: (reason code, why)
    shape: Shape | None = None  # measured already (then `breach` holds the judgement)
    compact: bool = False  # raw is orjson's serialisation of resource: the body as stored


def detect_format(path: Path) -> str:
    """'ndjson', 'json' or 'hl7v2', from the file's first bytes (extensions lie)."""
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"MSH") or head.startswith(b"\x0bMSH"):
        return "hl7v2"
    if head.startswith(b"<"):
        raise UnsupportedFormat(f"{path}: FHIR XML is not accepted; send FHIR JSON or NDJSON")
    if head.startswith(b"["):
        raise UnsupportedFormat(
            f"{path}: a JSON list, not FHIR JSON, FHIR NDJSON or HL7 v2 (a list of "
            "organisations is loaded by `carerecord org load`)"
        )
    if not head.startswith(b"{"):
        raise UnsupportedFormat(f"{path}: not FHIR JSON, FHIR NDJSON or HL7 v2")
    if path.suffix.lower() == ".ndjson":
        return "ndjson"
    first_line = head.split(b"\n", 1)[0].strip()
    try:
        orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return "json"  # a pretty-printed document spans lines
    return "ndjson" if b"\n" in head.strip() else "json"


def read_items(
    path: Path,
    patients: bool,
    progress: Callable[[int], None] | None = None,
    limits: ResourceLimits | None = None,
) -> Iterator[RawItem]:
    """The Patient resources in a file (patients=True), or everything else (False).

    Between the two calls every item is yielded exactly once. Lines of NDJSON that cannot
    hold a Patient are not even parsed when only patients are wanted.
    """
    kind = detect_format(path)
    if kind == "hl7v2":
        raise UnsupportedFormat(f"{path}: HL7 v2 files are read message by message, not here")
    items = _ndjson(path, patients) if kind == "ndjson" else _json_document(path, limits)
    done = 0
    for item in items:
        if progress is not None and item.end_offset > done:
            progress(item.end_offset - done)
            done = item.end_offset
        if item.problem != _SKIPPED and is_patient(item) == patients:
            yield item
    if progress is not None and path.stat().st_size > done:
        progress(path.stat().st_size - done)


def is_patient(item: RawItem) -> bool:
    return item.resource is not None and item.resource.get("resourceType") == "Patient"


_SKIPPED = "not read in this pass"

# A Patient's NDJSON line says so; other lines are parsed only in the second pass.
_PATIENT_TYPE = re.compile(rb'"resourceType"\s*:\s*"Patient"')


_PROGRESS_STEP = 1 << 20  # lines passed over report progress once a megabyte, not each


def _ndjson(path: Path, patients: bool) -> Iterator[RawItem]:
    offset = reported = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            offset += len(line)
            text = line.strip()
            if not text:
                continue
            if patients and not (b'"Patient"' in text and _PATIENT_TYPE.search(text)):
                if offset - reported >= _PROGRESS_STEP:
                    yield RawItem(f"{path}:{number}", "", None, _SKIPPED, end_offset=offset)
                    reported = offset
                continue
            reported = offset
            yield _parsed(f"{path}:{number}", text, offset)


def _parsed(location: str, text: bytes, offset: int) -> RawItem:
    raw = text.decode("utf-8", errors="replace")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return RawItem(location, raw, None, f"not valid JSON ({error})", end_offset=offset)
    if not isinstance(value, dict):
        return RawItem(location, raw, None, "not a JSON object", end_offset=offset)
    return RawItem(location, raw, value, end_offset=offset)


def _json_document(path: Path, limits: ResourceLimits | None) -> Iterator[RawItem]:
    data = path.read_bytes()
    item = _parsed(str(path), data, len(data))
    resource = item.resource
    if resource is None or resource.get("resourceType") != "Bundle":
        yield item
        return
    yield from bundle_items(resource, str(path), len(data), limits)


def bundle_items(
    bundle: dict[str, Any],
    location: str,
    end_offset: int = 0,
    limits: ResourceLimits | None = None,
) -> Iterator[RawItem]:
    """One item per entry of a Bundle, with the bundle's fullUrls resolvable between them; an
    entry over the limits is marked so, before it is serialised (too deep, orjson cannot).
    Each entry is measured once here, and checking reuses the measure."""
    entries = [e for e in listed(bundle.get("entry")) if isinstance(e, dict)]
    refs = bundle_refs(entries)
    for index, entry in enumerate(entries):
        inner = entry.get("resource")
        where = f"{location}#entry[{index}]"
        if not isinstance(inner, dict):
            raw = orjson.dumps(entry).decode()
            yield RawItem(where, raw, None, "bundle entry has no resource", refs, end_offset)
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        shape = shape_of(inner) if limits is not None else None
        breach = judged(shape, limits) if shape is not None and limits is not None else None
        raw = "" if breach else orjson.dumps(inner).decode()
        yield RawItem(
            where, raw, inner, None, refs, end_offset, full_url, breach, shape, not breach
        )


def bundle_refs(entries: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Resources in a bundle may point at each other by fullUrl (urn:uuid:...): each fullUrl
    names the entry's type and id (its own id, else the last part of the fullUrl)."""
    refs = {}
    for entry in entries:
        full_url, inner = entry.get("fullUrl"), entry.get("resource")
        if isinstance(full_url, str) and isinstance(inner, dict):
            resource_id = inner.get("id") or full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            refs[full_url] = (str(inner.get("resourceType") or ""), str(resource_id))
    return refs
