"""The privacy officer's pages under /audit: searching the log, who has looked at a person's
record, one entry in full. Only for a signed-in ig-officer; anyone else is shown "page not
found". carerecord.access.audit_desk decides and audits every use; these pages only render it.
NHS numbers are only ever posted: results pages carry the person's opaque id instead."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from carerecord.access.audit_desk import AuditDesk, NotPrivacyOfficer
from carerecord.errors import NotSignedIn
from carerecord.nhs_number import formatted, normalise, problem
from carerecord.web import audit_rows
from carerecord.web.audit_form import EVENT_TYPES, DayFields, SearchForm, from_params, validate
from carerecord.web.session import client_of, csrf_protected, current_user, request_time
from carerecord.web.templating import render

FORM_ERROR = 422
NOT_FOUND = 404
_MAX_ID = 2**63 - 1


def audit_desk(request: Request) -> AuditDesk:
    """The desk for this request's user; anyone who may not use it gets "page not found"."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn(request.url.path)
    request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
    try:
        desk: AuditDesk = request.app.state.open_audit_desk(
            user, request_time(request), client_of(request), request_id
        )
    except NotPrivacyOfficer:
        raise HTTPException(NOT_FOUND) from None
    return desk


router = APIRouter(
    prefix="/audit",
    include_in_schema=False,
    dependencies=[Depends(audit_desk), Depends(csrf_protected)],
)
Desk = Annotated[AuditDesk, Depends(audit_desk)]


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, desk: Desk) -> Response:
    params = dict(request.query_params)
    wanted = set(params) & {"user", "org", "from", "to", "type", "patient", "page"}
    if not wanted:
        return _search(request, SearchForm(), None)
    form = from_params(params)
    patient_id = params.get("patient", "")[:32] or None
    page = _page_number(params.get("page", "1"))
    if page is None:
        form.errors["page"] = "The page number must be a whole number from 1"
    if form.errors:
        return _search(request, form, None, status=FORM_ERROR)
    found = desk.search(form.query(patient_id), page or 1)
    results = {
        "rows": [audit_rows.row(entry) for entry in found.entries],
        "first": found.offset + 1,
        "page": page,
        "previous": _link(form, patient_id, (page or 1) - 1) if found.offset else None,
        "next": _link(form, patient_id, (page or 1) + 1) if found.more else None,
        "patient_id": patient_id,
    }
    return _search(request, form, results)


@router.post("")
def search_posted(
    request: Request,
    desk: Desk,
    user: Annotated[str, Form()] = "",
    org: Annotated[str, Form()] = "",
    nhs_no: Annotated[str, Form()] = "",
    from_day: Annotated[str, Form(alias="from-day")] = "",
    from_month: Annotated[str, Form(alias="from-month")] = "",
    from_year: Annotated[str, Form(alias="from-year")] = "",
    to_day: Annotated[str, Form(alias="to-day")] = "",
    to_month: Annotated[str, Form(alias="to-month")] = "",
    to_year: Annotated[str, Form(alias="to-year")] = "",
    type: Annotated[str, Form()] = "",
) -> Response:
    first = DayFields(from_day[:10], from_month[:10], from_year[:10])
    last = DayFields(to_day[:10], to_month[:10], to_year[:10])
    form = validate(user, org, nhs_no[:40], first, last, type)
    patient_id = None
    if not form.errors and nhs_no.strip():
        patient_id = desk.patient_id(nhs_no)
        if patient_id is None:
            form.errors["nhs-no"] = "No record is held for this NHS number"
    if form.errors:
        return _search(request, form, None, status=FORM_ERROR)
    return RedirectResponse(_link(form, patient_id, 1), status_code=303)


@router.get("/who-viewed", response_class=HTMLResponse)
def who_viewed_page(request: Request, desk: Desk) -> Response:
    return _page(request, "audit/who_viewed.jinja", {"value": "", "error": None, "errors": {}})


@router.post("/who-viewed")
def who_viewed(request: Request, desk: Desk, nhs_no: Annotated[str, Form()] = "") -> Response:
    value = nhs_no[:40]
    why = problem(value)
    if why is not None:
        refused = {"value": value, "error": {"text": why}, "errors": {"nhs-no": why}}
        return _page(request, "audit/who_viewed.jinja", refused, FORM_ERROR)
    found = desk.accesses(value)
    context: dict[str, Any] = {"value": formatted(normalise(value)), "error": None, "errors": {}}
    context["searched"] = True
    if found is not None:
        context["rows"] = [audit_rows.row(entry) for entry in found.entries]
        context["total"] = found.total
        context["patient_id"] = found.patient_id
    return _page(request, "audit/who_viewed.jinja", context)


@router.get("/events/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, desk: Desk, entry_id: str) -> Response:
    if not entry_id.isascii() or not entry_id.isdigit() or int(entry_id) > _MAX_ID:
        raise HTTPException(NOT_FOUND)
    found = desk.entry(int(entry_id))
    if found is None:
        raise HTTPException(NOT_FOUND)
    return _page(request, "audit/entry.jinja", {"entry": audit_rows.full(found)})


def _search(
    request: Request, form: SearchForm, results: dict[str, Any] | None, status: int = 200
) -> Response:
    context = {"form": form, "errors": form.errors, "results": results, "types": EVENT_TYPES}
    return _page(request, "audit/search.jinja", context, status)


def _link(form: SearchForm, patient_id: str | None, page: int) -> str:
    params = form.as_params(patient_id)
    if page > 1:
        params["page"] = str(page)
    return "/audit?" + urlencode(params or {"page": "1"})


def _page_number(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 8 or int(text) < 1:
        return None
    return int(text)


def _page(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> Response:
    return render(request, template, {"section": template.split("/")[-1], **context}, status)
