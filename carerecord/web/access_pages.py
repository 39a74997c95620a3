"""What a user sees when a record is withheld from them (no relationship, or an objection),
and the two ways on: declaring a relationship, or an override with a fresh second factor.
The pages only render and pass the user's words on; carerecord.access decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from carerecord.access.actors import User
from carerecord.access.gate import Withheld
from carerecord.access.vocabulary import OverrideKind
from carerecord.errors import PatientNotFound, RecordWithheld
from carerecord.web.banner import banner
from carerecord.web.formatting import local
from carerecord.web.session import (
    client_of,
    csrf_protected,
    forget_user,
    request_reader,
    request_time,
    sign_in_service,
)
from carerecord.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

FORM_ERROR = 422
MAX_REASON = 1000


def withheld_page(
    request: Request,
    withheld: Withheld,
    patient_id: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    rules = request.app.state.access_rules
    grant = withheld.grant
    reader = request_reader(request)
    context = {
        "banner": banner(withheld.demographics, local(request_time(request)).date(), contact=False),
        "patient_id": patient_id,
        "grant": grant,
        "declared_reasons": rules.declared_reasons,
        "override_reasons": {
            k: v for k, v in rules.override_reasons.items() if k in grant.may_override
        },
        "needs_code": not reader.stepped_up(),
        "declared_hours": int(rules.declared.total_seconds() // 3600),
        "errors": errors or {},
        "form": dict(getattr(request.state, "form", {})),
    }
    return render(request, "withheld.jinja", context, status)


@router.post("/patients/{patient_id}/declare")
def declare(
    request: Request,
    patient_id: str,
    reason: Annotated[str, Form()] = "",
    detail: Annotated[str, Form()] = "",
) -> Response:
    reader = request_reader(request)
    rules = request.app.state.access_rules
    errors = {}
    if reason not in rules.declared_reasons:
        errors["reason"] = "Choose the reason you are involved in this person's care"
    if not detail.strip():
        errors["detail"] = "Say in a few words how you are involved in their care"
    elif len(detail) > MAX_REASON:
        errors["detail"] = f"Use at most {MAX_REASON} characters"
    if errors:
        return _again(request, patient_id, errors, reason=reason, detail=detail[:MAX_REASON])
    reader.declare(patient_id, reason, detail.strip())
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/patients/{patient_id}/override")
def override(
    request: Request,
    patient_id: str,
    kind: Annotated[str, Form()] = "",
    detail: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    reader = request_reader(request)
    grant = reader.grant(patient_id)
    if not grant.found:
        raise PatientNotFound(patient_id)
    errors = {}
    chosen = next((k for k in grant.may_override if k.value == kind), None)
    if chosen is None or chosen is OverrideKind.COPI:
        errors["kind"] = "Choose why you need to see this record"
    if not detail.strip():
        errors["override-detail"] = "Say why you need to see this record now"
    elif len(detail) > MAX_REASON:
        errors["override-detail"] = f"Use at most {MAX_REASON} characters"
    if not errors and not reader.stepped_up():
        user = reader.actor
        assert isinstance(user, User)
        problem = sign_in_service(request).step_up(
            user,
            code.replace(" ", "")[:12],
            client_of(request),
            request_time(request),
        )
        if problem:
            errors["code"] = problem
    if errors or chosen is None:
        return _again(request, patient_id, errors, kind=kind, override_detail=detail[:MAX_REASON])
    forget_user(request)
    request_reader(request).override(patient_id, chosen, detail.strip())
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


def _again(request: Request, patient_id: str, errors: dict[str, str], **form: str) -> Response:
    request.state.form = form
    try:
        request_reader(request).view(patient_id, [])
    except RecordWithheld as withheld:
        assert isinstance(withheld.withheld, Withheld)
        return withheld_page(request, withheld.withheld, patient_id, errors, FORM_ERROR)
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)
