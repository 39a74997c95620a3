"""Encapsulated data (HL7 ED: source^type^subtype^encoding^data) as a FHIR Attachment."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from carerecord.ingest.hl7v2.segments import Rep, component

_TYPES = {"AP": "application", "APPLICATION": "application", "IM": "image", "IMAGE": "image"}
_TYPES |= {"TEXT": "text", "TX": "text", "AU": "audio", "AUDIO": "audio", "VIDEO": "video"}
# Subtypes whose media type is known whatever the (often wrong) type component says.
_SUBTYPES = {"PDF": "application/pdf", "RTF": "application/rtf", "JPEG": "image/jpeg"}
_SUBTYPES |= {"JPG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff", "HTML": "text/html"}
_SUBTYPES |= {"XML": "application/xml", "PLAIN": "text/plain", "DICOM": "application/dicom"}


def is_encapsulated(value_type: str, rep: Rep) -> bool:
    """ED, or a value shaped like ED whatever OBX-2 claims (some senders say CE or RP)."""
    return value_type == "ED" or (component(rep, 4).upper() == "BASE64" and bool(component(rep, 5)))


def content_type(kind: str, subtype: str) -> str:
    if "/" in subtype:
        return subtype.lower()
    if subtype.upper() in _SUBTYPES:
        return _SUBTYPES[subtype.upper()]
    main = _TYPES.get(kind.upper(), "application")
    return f"{main}/{subtype.lower()}" if subtype else "application/octet-stream"


def _base64(data: str) -> str | None:
    compact = "".join(data.split())
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return compact


def encapsulated(rep: Rep, title: str) -> tuple[dict[str, Any] | None, str]:
    """(Attachment, "") or (None, why it cannot be used)."""
    encoding = component(rep, 4).upper()
    data = component(rep, 5)
    if not data:
        return None, "has no data"
    if encoding in {"BASE64", "B64"}:
        encoded = _base64(data)
        if encoded is None:
            return None, "is not valid base64 (truncated or corrupted)"
    elif encoding in {"A", "", "TEXT"}:
        encoded = base64.b64encode(data.encode("utf-8")).decode("ascii")
    else:
        return None, f"uses encoding {encoding!r}; only Base64 and plain text are read"
    attachment = {
        "contentType": content_type(component(rep, 2), component(rep, 3)),
        "data": encoded,
    }
    if title:
        attachment["title"] = title
    return attachment, ""


def text_attachment(text: str, title: str) -> dict[str, Any]:
    attachment = {
        "contentType": "text/plain; charset=utf-8",
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
    }
    if title:
        attachment["title"] = title
    return attachment
