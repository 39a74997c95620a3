"""A person's objection to sharing: its state and history, recording one, withdrawing one.
The pages render and pass the form on; carerecord.access decides who may do what."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carerecord.access.objections import (
    MAX_CHECKED_BY,
    MAX_EVIDENCE,
    MAX_NOTE,
    ObjectionDesk,
    ObjectionDetails,
    ObjectionEntry,
    ObjectionFile,
    read_details,
)
from carerecord.access.vocabulary import OnBehalf
from carerecord.errors import PatientNotFound
from carerecord.web.banner import banner
from carerecord.web.formatting import day_time, local
from carerecord.web.session import csrf_protected, request_reader, request_time
from carerecord.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

FORM_ERROR = 422
ON_BEHALF = {
    OnBehalf.SELF.value: "The person themselves",
    OnBehalf.LPA_HEALTH_WELFARE.value: "Their attorney, with a lasting power of attorney for "
    "health and welfare",
}
HOW = {
    "recorded": "Recorded here by a member of staff",
    "sent": "Sent by the organisation's own system",
    "imported": "Imported from the previous shared care record",
}
NOT_NAMED = "Another organisation: not named while you cannot open the record"

Field = Annotated[str, Form()]


@router.get("/patients/{patient_id}/objection", response_class=HTMLResponse)
def objection_page(request: Request, patient_id: str) -> Response:
    return _page(request, _desk(request).file(patient_id), patient_id)


@router.post("/patients/{patient_id}/objection")
def record_objection(
    request: Request,
    patient_id: str,
    on_behalf: Field = "",
    evidence_ref: Field = "",
    checked_by: Field = "",
    note: Field = "",
) -> Response:
    desk = _desk(request)
    held = desk.file(patient_id)  # not found before anything the form says is looked at
    details = read_details(on_behalf, evidence_ref, checked_by, note)
    if isinstance(details, ObjectionDetails):
        desk.record(patient_id, details)
        return RedirectResponse(f"/patients/{patient_id}/objection", status_code=303)
    form = _form(on_behalf, evidence_ref, checked_by, note)
    return _page(request, held, patient_id, details, form, FORM_ERROR)


@router.get("/patients/{patient_id}/objection/{objection_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(request: Request, patient_id: str, objection_id: str) -> Response:
    desk = _desk(request)
    entry = desk.entry(patient_id, _number(objection_id, patient_id))
    return _withdraw_page(request, desk.file(patient_id), entry, patient_id)


@router.post("/patients/{patient_id}/objection/{objection_id}/withdraw")
def withdraw_objection(
    request: Request,
    patient_id: str,
    objection_id: str,
    on_behalf: Field = "",
    evidence_ref: Field = "",
    checked_by: Field = "",
    note: Field = "",
) -> Response:
    desk = _desk(request)
    entry = desk.entry(patient_id, _number(objection_id, patient_id))
    details = read_details(on_behalf, evidence_ref, checked_by, note)
    if isinstance(details, ObjectionDetails):
        desk.withdraw(patient_id, entry.id, details)
        return RedirectResponse(f"/patients/{patient_id}/objection", status_code=303)
    form = _form(on_behalf, evidence_ref, checked_by, note)
    held = desk.file(patient_id)
    return _withdraw_page(request, held, entry, patient_id, details, form, FORM_ERROR)


def _desk(request: Request) -> ObjectionDesk:
    return request_reader(request).objections()


def _number(text: str, patient_id: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise PatientNotFound(patient_id)
    return int(text)


def _page(
    request: Request,
    held: ObjectionFile,
    patient_id: str,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        **_common(request, held, patient_id, errors, form),
        "in_force": held.in_force,
        "entries": [_shown(entry) for entry in held.entries],
        "sent_in_force": [_shown(e) for e in held.entries if e.in_force and not e.withdrawable],
    }
    return render(request, "objection.jinja", context, status)


def _withdraw_page(
    request: Request,
    held: ObjectionFile,
    entry: ObjectionEntry,
    patient_id: str,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {**_common(request, held, patient_id, errors, form), "entry": _shown(entry)}
    return render(request, "objection_withdraw.jinja", context, status)


def _common(
    request: Request,
    held: ObjectionFile,
    patient_id: str,
    errors: dict[str, str] | None,
    form: dict[str, str] | None,
) -> dict[str, Any]:
    return {
        "banner": banner(held.person.demographics, local(request_time(request)).date()),
        "patient_id": patient_id,
        "on_behalf_choices": ON_BEHALF,
        "errors": errors or {},
        "form": form or {},
        "limits": {"evidence": MAX_EVIDENCE, "checked_by": MAX_CHECKED_BY, "note": MAX_NOTE},
    }


def _form(on_behalf: str, evidence_ref: str, checked_by: str, note: str) -> dict[str, str]:
    """What the user typed, to show again (cut to a little over each limit)."""
    return {
        "on_behalf": on_behalf[:40],
        "evidence_ref": evidence_ref[: MAX_EVIDENCE + 1],
        "checked_by": checked_by[: MAX_CHECKED_BY + 1],
        "note": note[: MAX_NOTE + 1],
    }


def _shown(entry: ObjectionEntry) -> dict[str, Any]:
    """One objection's words, as the page shows them."""
    by = ", ".join(n for n in (entry.recorded_by, entry.organisation) if n) or NOT_NAMED
    withdrawn_by = None
    if entry.withdrawn_at is not None:
        named = (entry.withdrawn_by, entry.withdrawn_organisation)
        withdrawn_by = ", ".join(n for n in named if n) or NOT_NAMED
    return {
        "id": entry.id,
        "in_force": entry.in_force,
        "withdrawable": entry.withdrawable,
        "recorded_at": day_time(entry.recorded_at),
        "recorded_by": by,
        "sender": entry.recorded_by if entry.kind == "sent" else None,  # None: not named
        "how": HOW[entry.kind],
        "on_behalf": ON_BEHALF.get(entry.on_behalf, entry.on_behalf),
        "attorney": entry.on_behalf == OnBehalf.LPA_HEALTH_WELFARE.value,
        "evidence_ref": entry.evidence_ref,
        "checked_by": entry.checked_by,
        "note": entry.note,
        "withdrawn_at": day_time(entry.withdrawn_at) if entry.withdrawn_at else None,
        "withdrawn_by": withdrawn_by,
        "withdrawn_on_behalf": ON_BEHALF.get(entry.withdrawn_on_behalf or ""),
        "withdrawal_attorney": entry.withdrawn_on_behalf == OnBehalf.LPA_HEALTH_WELFARE.value,
        "withdrawal_evidence_ref": entry.withdrawal_evidence_ref,
        "withdrawal_checked_by": entry.withdrawal_checked_by,
        "withdrawal_reason": entry.withdrawal_reason,
    }
