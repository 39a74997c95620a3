"""`/audit/events/{id}/as-seen`: a privacy officer opens the page a user saw, rebuilt from the
audit log's record of it (carerecord.access.as_seen), drawn with the same code and templates
as the live page and as of the moment it was seen, under a notice saying so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from carerecord.access.as_seen import AsSeen, Rebuilt
from carerecord.errors import NotSignedIn, PatientNotFound
from carerecord.fhir.sections import SECTION_TITLES
from carerecord.settings import Settings
from carerecord.web.document_pages import document_page_of, trend_page_of
from carerecord.web.formatting import day_time
from carerecord.web.routes import section_page_of, summary_page
from carerecord.web.session import (
    client_of,
    csrf_protected,
    current_user,
    request_id,
    request_time,
)
from carerecord.web.templating import render
from carerecord.web.timeline_pages import timeline_page_of

router = APIRouter(
    prefix="/audit/events", include_in_schema=False, dependencies=[Depends(csrf_protected)]
)


@router.get("/{entry_id}/as-seen", response_class=HTMLResponse)
def as_seen(request: Request, entry_id: str) -> Response:
    desk = _desk(request)  # signed out: the sign-in page, whatever the address says
    if not entry_id.isascii() or not entry_id.isdigit() or len(entry_id) > 18:
        raise PatientNotFound(entry_id)
    rebuilt = desk.rebuild(int(entry_id))
    settings: Settings = request.app.state.settings
    template, context = _page(rebuilt, settings)
    context["as_seen"] = {
        "entry": rebuilt.entry.id,
        "by": rebuilt.seen_by,
        "at": day_time(rebuilt.seen_at),
        "page": SECTION_TITLES.get(rebuilt.page, rebuilt.page.capitalize()),
        "missing": rebuilt.missing,
    }
    return render(request, template, context)


def _page(rebuilt: Rebuilt, settings: Settings) -> tuple[str, dict[str, Any]]:
    record, patient_id, at = rebuilt.record, rebuilt.entry.patient_id or "", rebuilt.seen_at
    page, params = rebuilt.page, rebuilt.params
    if page == "overview":
        return summary_page(record, patient_id, at, settings)
    if page == "timeline":
        return timeline_page_of(record, patient_id, at, params)
    if page == "trend":
        return trend_page_of(record, patient_id, at, params.get("code", ""))
    if page == "document" and rebuilt.item is not None:
        return document_page_of(rebuilt.item, record, patient_id, at)
    if page in SECTION_TITLES and page != "demographics":
        return section_page_of(record, patient_id, page, at, params)
    raise PatientNotFound(patient_id)  # a page this cannot draw (a PDF's bytes, say)


def _desk(request: Request) -> AsSeen:
    user = current_user(request)
    if user is None:
        raise NotSignedIn(request.url.path)
    client = client_of(request)
    open_as_seen: Callable[..., AsSeen] = request.app.state.open_as_seen
    return open_as_seen(
        user,
        request_time(request),
        client.address,
        user_agent=client.user_agent,
        request_id=request_id(request),
    )
