"""How much one FHIR resource may hold: bytes, JSON values and nesting depth. Measured without
recursion, so a resource built to exhaust the stack is measured like any other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from carerecord.settings import Settings
from carerecord.store.records import QuarantineItem

DOCUMENT_TYPES = frozenset({"DocumentReference", "Binary"})
EXCERPT_BYTES = 4096  # what the quarantine keeps of a resource over a limit
LIMIT_CODES = frozenset({"too-large", "too-deep", "too-many-elements"})
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


@dataclass(frozen=True)
class ResourceLimits:
    max_bytes: int = 1024 * 1024
    max_document_bytes: int = 20 * 1024 * 1024
    max_elements: int = 20_000
    max_depth: int = 32

    @classmethod
    def from_settings(cls, settings: Settings) -> ResourceLimits:
        return cls(
            settings.max_resource_bytes,
            settings.max_document_bytes,
            settings.max_resource_elements,
            settings.max_resource_depth,
        )


@dataclass(frozen=True)
class Shape:
    """A resource measured in one walk: how many JSON values it holds, how deep its containers
    nest, and its objects in document order (what codes and references are read from)."""

    values: int
    depth: int
    objects: list[dict[str, Any]]


def shape_of(value: Any) -> Shape:
    """Walks the whole value once, depth first, visiting containers only (a container's
    children are counted at once; most values are leaves). It never stops early: what a
    restricted resource holds is judged before its size is. Iterative, so a resource built to
    exhaust the stack is measured like any other."""
    objects: list[dict[str, Any]] = []
    values, deepest = 1, 0
    stack: list[tuple[Any, int]] = (
        [(value, 1)] if type(value) is dict or type(value) is list else []
    )
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children: list[Any] = node
        if type(node) is dict:
            objects.append(node)
            children = list(node.values())
        values += len(children)
        # reversed, so the first child is taken next: document order
        stack += [(c, depth + 1) for c in reversed(children) if type(c) is dict or type(c) is list]
    return Shape(values, deepest, objects)


def judged(shape: Shape, limits: ResourceLimits) -> tuple[str, str] | None:
    """(reason code, why) when the shape nests too deep or holds too many values."""
    if shape.depth > limits.max_depth:
        return "too-deep", f"it nests over {limits.max_depth} levels deep"
    if shape.values > limits.max_elements:
        return "too-many-elements", f"it holds over {limits.max_elements:,} JSON values"
    return None


def size_breach(resource_type: str, size: int, limits: ResourceLimits) -> tuple[str, str] | None:
    cap = limits.max_document_bytes if resource_type in DOCUMENT_TYPES else limits.max_bytes
    if size > cap:
        return "too-large", f"it is {size:,} bytes, over the limit of {cap:,}"
    return None


def excerpt(raw: str, max_bytes: int) -> tuple[str, str]:
    """What the quarantine keeps of an item it must not keep whole (over a limit, or from a
    sender that proved nothing): its first `max_bytes` in UTF-8, and a note saying so."""
    if len(raw) * 4 <= max_bytes:  # no character takes more than 4 bytes: nothing to encode
        return raw, ""
    encoded = raw.encode()
    if len(encoded) <= max_bytes:
        return raw, ""
    return encoded[:max_bytes].decode(errors="ignore"), f" (only the first {max_bytes} bytes kept)"


def json_values(raw: bytes) -> int:
    """How many JSON values a document holds, counted without parsing it: every value but the
    first follows a comma or opens a non-empty container (strings are blanked first)."""
    bare = _STRING.sub(b'""', raw).translate(None, b" \t\r\n")
    opened = bare.count(b"[") + bare.count(b"{") - bare.count(b"[]") - bare.count(b"{}")
    return 1 + bare.count(b",") + opened


def is_depth_error(problem: str | None) -> bool:
    """orjson refuses JSON nested over 1,024 levels itself: that is a depth refusal too."""
    return problem is not None and "depth limit" in problem


def resource_breach(
    shape: Shape | None, raw: str, resource_type: str, limits: ResourceLimits
) -> tuple[str, str] | None:
    """Any limit the resource passes; `shape` None when its shape was judged already (a bundle
    entry is measured before it is serialised)."""
    breach = judged(shape, limits) if shape is not None else None
    if breach is not None or len(raw) * 4 <= limits.max_bytes:  # small enough in any encoding
        return breach
    return size_breach(resource_type, len(raw.encode()), limits)


def refusal(
    location: str,
    raw: str,
    source: str | None,
    resource: dict[str, Any] | None,
    code: str,
    why: str,
) -> QuarantineItem:
    """A quarantine entry for an item over a limit: it never keeps the whole of it."""
    kept, note = excerpt(raw, EXCERPT_BYTES)
    note = note if kept else " (not kept)"
    resource_type = (resource or {}).get("resourceType")
    resource_id = (resource or {}).get("id")
    return QuarantineItem(
        input_format="fhir",
        location=location,
        reason_code=code,
        reason=f"refused: {why}{note}",
        raw=kept,
        source_ods=source,
        resource_type=resource_type[:40] if isinstance(resource_type, str) else None,
        source_id=resource_id[:64] if isinstance(resource_id, str) else None,
    )
