"""The pages. Thin: read through RecordAccess, shape with banner/sources, render a template.
Every page is for a signed-in user; carerecord.access decides what each may see."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carerecord import nhs_number
from carerecord.access.gate import MAX_MATCHES
from carerecord.errors import AccessRefused, PatientNotFound
from carerecord.fhir.sections import SECTION_TITLES
from carerecord.record.sections import RecordView
from carerecord.settings import Settings
from carerecord.web.banner import banner
from carerecord.web.details_form import validate
from carerecord.web.formatting import local
from carerecord.web.record_page import record_page
from carerecord.web.sections import page_for
from carerecord.web.session import csrf_protected, request_reader, request_time
from carerecord.web.sources import source_rows
from carerecord.web.summary import SECTIONS_SHOWN, shape_summary
from carerecord.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

# Form errors are returned with 422 Unprocessable Content: the browser shows the page as usual,
# and tests, logs and monitoring can tell a refused search from a successful page.
FORM_ERROR = 422


@router.get("/", response_class=HTMLResponse)
def find_page(request: Request) -> Response:
    refusal = request_reader(request).refusal()  # NotSignedIn: the sign-in page
    if refusal is not None:
        raise AccessRefused(refusal.reason)
    return render(request, "find.jinja", {"value": ""})


@router.get("/find")
def find_without_form() -> Response:
    """A bookmarked or reloaded /find has nothing to search for: back to the form."""
    return RedirectResponse("/", status_code=303)


@router.post("/find")
def find(request: Request, nhs_no: Annotated[str, Form()] = "") -> Response:
    problem = nhs_number.problem(nhs_no)
    if problem:
        return render(request, "find.jinja", {"value": nhs_no, "error": problem}, FORM_ERROR)
    patient_id = request_reader(request).find_by_nhs_number(nhs_no)
    if patient_id is None:
        digits = nhs_number.normalise(nhs_no)
        context = {"value": nhs_number.formatted(digits), "not_found": digits}
        return render(request, "find.jinja", context)
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/find/details")
def find_by_details(
    request: Request,
    family: Annotated[str, Form()] = "",
    dob_day: Annotated[str, Form(alias="dob[day]")] = "",
    dob_month: Annotated[str, Form(alias="dob[month]")] = "",
    dob_year: Annotated[str, Form(alias="dob[year]")] = "",
    postcode: Annotated[str, Form()] = "",
) -> Response:
    today = local(request_time(request)).date()
    form = validate(family, dob_day, dob_month, dob_year, postcode, today)
    if form.birth_date is None:
        return render(request, "find.jinja", {"value": "", "details": form}, FORM_ERROR)
    people = request_reader(request).find_by_details(family, form.birth_date, postcode or None)
    if len(people) == 1:
        return RedirectResponse(f"/patients/{people[0].patient_id}", status_code=303)
    context = {
        "value": "",
        "details": form,
        "matches": [
            {"id": person.patient_id, "who": banner(person, today)}
            for person in people[:MAX_MATCHES]
        ],
        "too_many": len(people) > MAX_MATCHES,
        "max_matches": MAX_MATCHES,
        "searched": True,
    }
    return render(request, "find.jinja", context)


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient(request: Request, patient_id: str) -> Response:
    record = request_reader(request).view(
        patient_id, SECTIONS_SHOWN
    )  # PatientNotFound: the 404 page
    settings: Settings = request.app.state.settings
    template, context = summary_page(record, patient_id, request_time(request), settings)
    return render(request, template, context)


def summary_page(
    record: RecordView, patient_id: str, now: datetime, settings: Settings
) -> tuple[str, dict[str, Any]]:
    """The summary's template and what it shows, drawn as of `now`."""
    stale = timedelta(hours=settings.stale_feed_hours)
    context = {
        **record_page(record, patient_id, "overview", now),
        "sources": source_rows(record.overview.holdings, now, stale),
        **shape_summary(record, now),
    }
    return "patient.jinja", context


@router.get("/patients/{patient_id}/{section}", response_class=HTMLResponse)
def section_page(request: Request, patient_id: str, section: str) -> Response:
    if section not in SECTION_TITLES or section == "demographics":
        raise PatientNotFound(patient_id)  # an unknown section is as absent as an unknown person
    params = dict(request.query_params)
    record = request_reader(request).view(patient_id, [section], page=section, params=params)
    template, context = section_page_of(record, patient_id, section, request_time(request), params)
    return render(request, template, context)


def section_page_of(
    record: RecordView, patient_id: str, section: str, now: datetime, params: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """One section's template and what it shows, with its filters, drawn as of `now`."""
    view = record.sections.get(section)
    if view is None:
        raise PatientNotFound(patient_id)  # a section the grant leaves out is not found
    page = page_for(section)
    context = {
        **record_page(record, patient_id, section, now),
        "title": SECTION_TITLES[section],
        **page.shape(view, now, dict(params)),
    }
    return page.template, context


def utc_now() -> datetime:
    return datetime.now(UTC)
