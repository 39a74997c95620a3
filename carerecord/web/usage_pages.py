"""Usage and evaluation figures at /usage (charts, each followed by a table of its numbers) and
/usage.csv (one figure per file). Only for a signed-in system administrator; anyone else is
shown "page not found". carerecord.access decides, counts and audits; these pages render."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from carerecord.access.admin_records import NotAdministrator
from carerecord.access.usage_desk import UsageDesk
from carerecord.audit.usage import EXPORT_COLUMNS, FIGURES, InvalidRange, MonthRange
from carerecord.errors import NotSignedIn
from carerecord.web import usage_view
from carerecord.web.session import client_of, current_user, request_time
from carerecord.web.templating import render

FORM_ERROR = 422
NOT_FOUND = 404
MAX_FIELD = 40  # a month is a few characters; more is cut before it is shown back
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def usage_desk(request: Request) -> UsageDesk:
    """The usage desk for this request's user; anyone who may not see it gets "not found"."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn(request.url.path)
    try:
        desk: UsageDesk = request.app.state.open_usage(
            user, request_time(request), client_of(request).address
        )
    except NotAdministrator:
        raise HTTPException(NOT_FOUND) from None
    return desk


router = APIRouter(include_in_schema=False, dependencies=[Depends(usage_desk)])
Desk = Annotated[UsageDesk, Depends(usage_desk)]
FromField = Annotated[str, Query(alias="from")]  # "from" is a Python keyword


@router.get("/usage", response_class=HTMLResponse)
def usage_page(request: Request, desk: Desk, first: FromField = "", to: str = "") -> Response:
    try:
        span = desk.span(first, to)
    except InvalidRange as invalid:
        return _page(request, desk, desk.default_span(), first, to, invalid.problems)
    return _page(request, desk, span, first, to, {})


@router.get("/usage.csv")
def usage_csv(
    request: Request, desk: Desk, first: FromField = "", to: str = "", figure: str = ""
) -> Response:
    try:
        span = desk.span(first, to)
        rows = desk.export(figure[:100], span)
    except InvalidRange as invalid:
        return _page(request, desk, desk.default_span(), first, to, invalid.problems)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(
            [_cell(row.figure), row.month, _cell(row.dimension), row.value, row.suppressed]
        )
    filename = f"usage-{figure}-{span.first.key}-to-{span.last.key}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(text: str) -> str:
    """A value a spreadsheet shows as text, never runs."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _page(
    request: Request,
    desk: UsageDesk,
    span: MonthRange,
    first: str,
    last: str,
    errors: dict[str, str],
) -> Response:
    form = {
        "from": first[:MAX_FIELD] if errors or first else span.first.form_text,
        "to": last[:MAX_FIELD] if errors or last else span.last.form_text,
    }
    context: dict[str, Any] = {"form": form, "errors": errors, "span": span}
    if not errors:  # a refused range shows the form only: nothing is counted or audited
        held = desk.figures(span)
        context["figures"] = [
            usage_view.shown(held.figures[name], held.organisation_names) for name in FIGURES
        ]
        context["threshold"] = desk.threshold
    return render(request, "usage/index.jinja", context, FORM_ERROR if errors else 200)
