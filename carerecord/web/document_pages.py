"""Pages beyond a section's list: a result's trend, the filtered documents list, one document
and a PDF's bytes. Thin: read through RecordAccess, shape, render.

This router is included before the section pages so that `/patients/{id}/documents` can read
its filter parameters (a section shaper sees only the section).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from carerecord.access.gate import RecordAccess
from carerecord.errors import PatientNotFound
from carerecord.record import documents, results
from carerecord.record.items import Item
from carerecord.record.sections import RecordView
from carerecord.web import sanitise, trend
from carerecord.web.record_page import record_page
from carerecord.web.sections.documents import row_of
from carerecord.web.session import csrf_protected, request_reader, request_time
from carerecord.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

PDF_HEADERS = {
    "Content-Disposition": "inline",
    # framed by our own document page only; nothing inside it may run or load
    "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

MESSAGES = {
    documents.LINK_ONLY: "Not available in this record. The source keeps this document "
    "elsewhere, and carerecord does not fetch documents from other systems.",
    documents.UNREADABLE: "This document cannot be shown: the source sent content that is "
    "damaged or not in the form it says. Ask the source organisation for a copy.",
    documents.UNSUPPORTED: "This document is in a format the viewer cannot show. "
    "Ask the source organisation for a copy.",
    documents.EMPTY: "The source sent no content for this document.",
}


@router.get("/patients/{patient_id}/results/trend/{code}", response_class=HTMLResponse)
def trend_page(request: Request, patient_id: str, code: str) -> Response:
    record = request_reader(request).view(
        patient_id, ["results"], page="trend", params={"code": code[:200]}
    )
    template, context = trend_page_of(record, patient_id, request_time(request), code)
    return render(request, template, context)


def trend_page_of(
    record: RecordView, patient_id: str, now: datetime, code: str
) -> tuple[str, dict[str, Any]]:
    """One test's results over time: the template and what it shows, drawn as of `now`."""
    view = record.sections.get("results")
    points = results.trend(view.items, code) if view else ()
    if not points:
        raise PatientNotFound(patient_id)  # an unknown code is as absent as an unknown person
    name = results.display_name(points[-1].item) or code
    context = {
        **record_page(record, patient_id, "results", now),
        "name": name,
        "chart": trend.chart(name, points),
        "rows": trend.table(points),
        "current": "results",
    }
    return "trend.jinja", context


@router.get("/patients/{patient_id}/documents/{item_id}", response_class=HTMLResponse)
def document_page(request: Request, patient_id: str, item_id: str) -> Response:
    item, record = _document_view(request_reader(request), patient_id, item_id)
    template, context = document_page_of(item, record, patient_id, request_time(request))
    return render(request, template, context)


def document_page_of(
    item: Item, record: RecordView, patient_id: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """A document's page: its template and what it shows, drawn as of `now`."""
    content = documents.content_of(item.resource)
    context = {
        **record_page(record, patient_id, "documents", now),
        "row": row_of(documents.document_of(item)),
        "content": content,
        "parts": _html_parts(content),
        "message": MESSAGES.get(content.kind, MESSAGES[documents.UNSUPPORTED]),
        "current": "documents",
    }
    return "document.jinja", context


@router.get("/patients/{patient_id}/documents/{item_id}/content")
def document_content(request: Request, patient_id: str, item_id: str) -> Response:
    """A PDF's bytes, sandboxed: nothing in it may run, load or be sniffed as something else."""
    item = _document(request_reader(request), patient_id, item_id)
    content = documents.content_of(item.resource)
    if content.kind != documents.PDF:
        raise PatientNotFound(patient_id)
    return Response(content.data, media_type="application/pdf", headers=PDF_HEADERS)


def _document(reader: RecordAccess, patient_id: str, item_id: str) -> Item:
    """The item, if it is one of this person's documents; anything else is not found."""
    item = reader.item(patient_id, _item_key(patient_id, item_id))
    return _checked(item, patient_id)


def _document_view(reader: RecordAccess, patient_id: str, item_id: str) -> tuple[Item, RecordView]:
    item, record = reader.document(patient_id, _item_key(patient_id, item_id))
    return _checked(item, patient_id), record


def _item_key(patient_id: str, item_id: str) -> int:
    if not item_id.isascii() or not item_id.isdigit() or len(item_id) > 18:
        raise PatientNotFound(patient_id)
    return int(item_id)


def _checked(item: Item, patient_id: str) -> Item:
    if item.section != "documents" or item.resource_type not in documents.DOCUMENT_TYPES:
        raise PatientNotFound(patient_id)
    return item


def _html_parts(content: documents.Content) -> list[dict[str, str]]:
    if content.kind != documents.HTML:
        return []
    parts = content.parts or (("", content.text),)
    return [{"title": title, "html": sanitise.clean(html)} for title, html in parts]
