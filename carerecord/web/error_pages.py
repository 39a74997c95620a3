"""The one place errors become pages: NHS-styled, saying what happened and nothing more."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from carerecord.access.gate import Withheld
from carerecord.errors import (
    AccessRefused,
    AuditUnavailable,
    NotSignedIn,
    PatientNotFound,
    RecordWithheld,
    Refused,
)
from carerecord.fhir.outcomes import fhir_response, is_fhir_path, outcome, refusal
from carerecord.web.access_pages import withheld_page
from carerecord.web.templating import render

logger = logging.getLogger(__name__)

_TITLES = {
    400: "There is a problem with the web address",
    404: "Page not found",
    405: "Page not found",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the record cannot be shown at the moment",
}


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(PatientNotFound, _not_found)
    app.add_exception_handler(NotSignedIn, _sign_in_first)
    app.add_exception_handler(AccessRefused, _refused)
    app.add_exception_handler(RecordWithheld, _withheld)
    app.add_exception_handler(AuditUnavailable, _audit_unavailable)
    app.add_exception_handler(Refused, _request_refused)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.middleware("http")(_contain_failures)


# FHIR clients get errors they can read: an OperationOutcome, never an HTML page.
_FHIR_ISSUE = {400: "invalid", 404: "not-found", 405: "not-supported"}
_FHIR_TEXT = {
    400: "the request's parameters are not valid",
    404: "no such FHIR endpoint",
    405: "this FHIR endpoint does not allow that method",
}


def _is_fhir(request: Request) -> bool:
    return is_fhir_path(request.url.path)


def _page(request: Request, status: int) -> Response:
    if _is_fhir(request):
        code = _FHIR_ISSUE.get(status, "exception")
        problem = outcome(code, _FHIR_TEXT.get(status, "the request could not be handled"))
        return fhir_response(problem, status)
    title = _TITLES.get(status, "Sorry, there is a problem with the service")
    return render(request, "error.jinja", {"status": status, "title": title}, status)


async def _not_found(request: Request, exc: Exception) -> Response:
    # Unknown, or not to be seen: both are "not found" so existence is never revealed.
    return _page(request, 404)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/"
    return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    return render(request, "refused.jinja", {"reason": str(exc)}, 403)


async def _audit_unavailable(request: Request, exc: Exception) -> Response:
    # Audit or nothing: whatever was read is dropped, and the page says why in plain words.
    logger.error("audit log unavailable on %s %s", request.method, request.url.path)
    if _is_fhir(request):
        problem = outcome("transient", "the audit log could not be written: nothing is returned")
        return fhir_response(problem, 503)
    context = {"status": 503, "title": _TITLES[503], "audit_unavailable": True}
    return render(request, "error.jinja", context, 503)


async def _withheld(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RecordWithheld) and isinstance(exc.withheld, Withheld)
    return withheld_page(request, exc.withheld, exc.withheld.demographics.patient_id)


async def _request_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    if _is_fhir(request):
        return refusal(exc)
    return render(request, "form_refused.jinja", {"message": str(exc)}, exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return _page(request, status)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    # FastAPI would answer with JSON quoting the input: it may be personal data (a name typed
    # into the wrong field), so the page says only that the request was not valid.
    return _page(request, 400)


async def _contain_failures(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Unexpected failures end here, inside the app, so no outer layer logs a traceback:
    exception messages (a database error quoting its parameters) may hold personal data."""
    try:
        return await call_next(request)
    except Exception as exc:
        logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return _page(request, 500)
