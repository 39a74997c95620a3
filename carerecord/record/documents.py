"""Documents across every source as one list (DocumentReference and Composition), its filters,
and what a document's content is: text, HTML, PDF, only a link, or unreadable.

Pure functions over Items: no I/O. Nothing here fetches a URL.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from carerecord.fhir.extract import listed
from carerecord.record.items import Item, concept_text

DOCUMENT_TYPES = ("DocumentReference", "Composition")

# What a document's content turned out to be.
TEXT = "text"
HTML = "html"
PDF = "pdf"
LINK_ONLY = "link-only"  # the source gave a URL; carerecord never fetches it
UNREADABLE = "unreadable"  # the inline data is not valid base64, or not valid text
UNSUPPORTED = "unsupported"  # a content type the viewer does not show
EMPTY = "empty"

OLDEST = "oldest"
NEWEST = "newest"


@dataclass(frozen=True)
class Document:
    item: Item
    kind: str | None  # the document type, in words
    title: str | None
    author: str | None
    organisation: str  # the custodian, or else the source that sent it
    when: datetime | None


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    organisation: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = NEWEST


@dataclass(frozen=True)
class Content:
    kind: str
    content_type: str | None = None
    data: bytes = b""
    text: str = ""
    parts: tuple[tuple[str, str], ...] = field(default=())  # a Composition's (title, HTML)


# Documents that close an episode of care, which the summary shows first: a hospital's discharge
# summary, and as much an emergency department's, an ambulance crew's or NHS 111's summary (an
# A&E attendance that ended "safe for discharge home" is as much a discharge as a ward's).
EPISODE_SUMMARY_CODES = frozenset(
    {
        "18842-5",  # LOINC Discharge summary
        "34105-7",  # LOINC Hospital discharge summary
        "11490-0",  # LOINC Physician discharge summary
        "28574-2",  # LOINC Discharge note
        "59258-4",  # LOINC Emergency department discharge summary
        "34111-5",  # LOINC Emergency department note
        "373942005",  # SNOMED CT Discharge summary
    }
)
# For sources that send no code, one of their own, or the generic "Summary of episode note"
# (which clinic letters share with ambulance and NHS 111 records): the words of the type or
# the title.
_EPISODE_WORDS = ("discharge", "emergency department", "a&e", "ambulance", "nhs 111", "111 call")


def is_episode_summary(document: Document) -> bool:
    """A discharge-type document: discharge, emergency department, ambulance or NHS 111."""
    if document.item.code in EPISODE_SUMMARY_CODES:
        return True
    words = f"{document.kind or ''} {document.title or ''}".lower()
    return any(word in words for word in _EPISODE_WORDS)


def document_of(item: Item) -> Document:
    resource = item.resource
    title = _text(resource.get("title")) or _text(resource.get("description"))
    if title is None:
        title = next((_text(a.get("title")) for a in _attachments(resource)), None)
    return Document(
        item=item,
        kind=concept_text({"type": resource.get("type")}),
        title=title,
        author=_display(resource.get("author")),
        organisation=_display(resource.get("custodian")) or item.provenance.name,
        when=item.clinical_date,
    )


def documents(items: Iterable[Item], filters: Filters = Filters()) -> tuple[Document, ...]:
    """The documents that pass the filters, newest first unless `oldest` is asked for."""
    chosen = [d for d in map(document_of, items) if _is_document(d.item) and passes(d, filters)]
    dated = sorted((d for d in chosen if d.when), key=lambda d: d.when or datetime.min)
    if filters.sort != OLDEST:
        dated.reverse()
    return (*dated, *(d for d in chosen if d.when is None))


def passes(document: Document, filters: Filters) -> bool:
    day = document.when.date() if document.when else None
    return (
        (filters.kind is None or document.kind == filters.kind)
        and (filters.organisation is None or document.organisation == filters.organisation)
        and (filters.date_from is None or (day is not None and day >= filters.date_from))
        and (filters.date_to is None or (day is not None and day <= filters.date_to))
    )


def choices(items: Iterable[Item]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The document types and organisations present, for the filter form."""
    docs = [document_of(i) for i in items if _is_document(i)]
    kinds = sorted({d.kind for d in docs if d.kind})
    organisations = sorted({d.organisation for d in docs})
    return tuple(kinds), tuple(organisations)


def content_of(resource: dict[str, Any]) -> Content:
    """What the viewer can show: the first attachment, or a Composition's section narratives."""
    if resource.get("resourceType") == "Composition":
        return _composition(resource)
    attachments = _attachments(resource)
    return _attachment(attachments[0]) if attachments else Content(EMPTY)


def _attachment(attachment: dict[str, Any]) -> Content:
    content_type = (_text(attachment.get("contentType")) or "").lower()
    data = attachment.get("data")
    if not isinstance(data, str):
        return Content(LINK_ONLY if attachment.get("url") else EMPTY, content_type)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return Content(UNREADABLE, content_type)
    media = content_type.split(";")[0].strip()
    if media == "application/pdf":
        return Content(PDF, media, raw) if raw.startswith(b"%PDF") else Content(UNREADABLE, media)
    if media not in ("text/plain", "text/html"):
        return Content(UNSUPPORTED, content_type)
    try:
        text = raw.decode(_charset(content_type))
    except (UnicodeDecodeError, LookupError):
        return Content(UNREADABLE, content_type)
    return Content(TEXT if media == "text/plain" else HTML, media, raw, text)


def _composition(resource: dict[str, Any]) -> Content:
    parts = []
    for section in listed(resource.get("section")):
        if isinstance(section, dict):
            div = (
                section.get("text", {}).get("div")
                if isinstance(section.get("text"), dict)
                else None
            )
            if isinstance(div, str) and div.strip():
                parts.append((_text(section.get("title")) or "", div))
    return Content(HTML, "text/html", parts=tuple(parts)) if parts else Content(EMPTY)


def _charset(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _is_document(item: Item) -> bool:
    return item.resource_type in DOCUMENT_TYPES


def _attachments(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for entry in listed(resource.get("content")):
        attachment = entry.get("attachment") if isinstance(entry, dict) else None
        if isinstance(attachment, dict):
            found.append(attachment)
    return found


def _display(value: Any) -> str | None:
    for reference in value if isinstance(value, list) else [value]:
        if isinstance(reference, dict) and _text(reference.get("display")):
            return _text(reference.get("display"))
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
