"""System administration under /admin: users, organisations' rollout status and networks,
national-emergency periods. Only for a signed-in system administrator; anyone else is shown
"page not found", as if nothing were here. carerecord.access decides and does the work; these
pages only render it and pass the form's values on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from carerecord.access.admin_input import InvalidInput
from carerecord.access.admin_records import (
    Account,
    Credentials,
    NotAdministrator,
    UnknownAccount,
    UnknownPeriod,
)
from carerecord.access.administration import Administration
from carerecord.access.vocabulary import Role
from carerecord.errors import NotSignedIn, UnknownOrganisation, UsageError
from carerecord.organisations import ORG_TYPES, STATUSES
from carerecord.web.formatting import day, day_time
from carerecord.web.session import client_of, csrf_protected, current_user, request_time
from carerecord.web.templating import render

FORM_ERROR = 422
NOT_FOUND = 404
MAX_FIELD = 1000  # what any field is cut to before it is shown back on a form


def administration(request: Request) -> Administration:
    """The administration service for this request's user; a user who may not administer
    gets "page not found" (checked before the form token, so the answer is the same)."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn(request.url.path)
    try:
        admin: Administration = request.app.state.open_administration(
            user, request_time(request), client_of(request).address
        )
    except NotAdministrator:
        raise HTTPException(NOT_FOUND) from None
    return admin


router = APIRouter(
    prefix="/admin",
    include_in_schema=False,
    dependencies=[Depends(administration), Depends(csrf_protected)],
)
Admin = Annotated[Administration, Depends(administration)]

# What a finished action says on the page it returns to (only these words can be shown).
DONE = {
    "unlocked": "The account is unlocked.",
    "disabled": "The account is disabled and its sessions have ended.",
    "enabled": "The account is enabled: the user can sign in again.",
    "ended": "Every session of this user has ended: they must sign in again.",
    "trained": "The training attestation is recorded.",
    "status": "The rollout status is changed.",
    "networks": "The networks are saved.",
    "declared": "The national-emergency period is declared.",
    "cancelled": "The national-emergency period is cancelled.",
}


@router.get("", response_class=HTMLResponse)
def index(request: Request, admin: Admin) -> Response:
    return _page(request, "admin/index.jinja", {})


# Users
@router.get("/users", response_class=HTMLResponse)
def users(request: Request, admin: Admin) -> Response:
    rows = [_account_row(request, account) for account in admin.users()]
    return _page(request, "admin/users.jinja", {"accounts": rows})


@router.get("/users/new", response_class=HTMLResponse)
def new_user(request: Request, admin: Admin) -> Response:
    return _new_user_form(request, admin, {}, {})


@router.post("/users")
def add_user(
    request: Request,
    admin: Admin,
    username: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    org: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    trained: Annotated[str, Form()] = "",
) -> Response:
    form = {"username": username, "name": name, "org": org, "role": role, "trained": trained}
    try:
        made = admin.add_user(username, org, role, name, trained or None)
    except InvalidInput as invalid:
        return _new_user_form(request, admin, form, invalid.problems, FORM_ERROR)
    return _credentials(request, made, admin.user_named(made.username), new=True)


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, admin: Admin, user_id: str, done: str = "") -> Response:
    account = _account(admin, user_id)
    return _user_page(request, account, {}, done=DONE.get(done))


@router.post("/users/{user_id}/reset")
def reset(request: Request, admin: Admin, user_id: str) -> Response:
    account = _account(admin, user_id)
    try:
        made = admin.reset(account.id)
    except UsageError as refused:
        return _user_page(request, account, {"reset": str(refused)}, FORM_ERROR)
    return _credentials(request, made, account, new=False)


@router.post("/users/{user_id}/unlock")
def unlock(request: Request, admin: Admin, user_id: str) -> Response:
    admin.unlock(_account(admin, user_id).id)
    return _done(f"/admin/users/{user_id}", "unlocked")


@router.post("/users/{user_id}/disable")
def disable(request: Request, admin: Admin, user_id: str) -> Response:
    account = _account(admin, user_id)
    try:
        admin.disable(account.id)
    except UsageError as refused:
        return _user_page(request, account, {"disable": str(refused)}, FORM_ERROR)
    return _done(f"/admin/users/{user_id}", "disabled")


@router.post("/users/{user_id}/enable")
def enable(request: Request, admin: Admin, user_id: str) -> Response:
    admin.enable(_account(admin, user_id).id)
    return _done(f"/admin/users/{user_id}", "enabled")


@router.post("/users/{user_id}/end-sessions")
def end_sessions(request: Request, admin: Admin, user_id: str) -> Response:
    admin.end_sessions(_account(admin, user_id).id)
    return _done(f"/admin/users/{user_id}", "ended")


@router.post("/users/{user_id}/train")
def train(
    request: Request, admin: Admin, user_id: str, trained: Annotated[str, Form()] = ""
) -> Response:
    account = _account(admin, user_id)
    try:
        admin.train(account.id, trained)
    except InvalidInput as invalid:
        form = {"trained": trained[:MAX_FIELD]}
        return _user_page(request, account, invalid.problems, FORM_ERROR, form)
    return _done(f"/admin/users/{user_id}", "trained")


# Organisations
@router.get("/organisations", response_class=HTMLResponse)
def organisations(request: Request, admin: Admin) -> Response:
    rows = [
        {
            "ods": held.organisation.ods_code,
            "name": held.organisation.name,
            "type": ORG_TYPES.get(held.organisation.org_type, held.organisation.org_type),
            "region": held.organisation.region,
            "status": held.organisation.status,
            "networks": held.networks,
        }
        for held in admin.organisations()
    ]
    return _page(request, "admin/organisations.jinja", {"organisations": rows})


@router.get("/organisations/{ods}", response_class=HTMLResponse)
def organisation_page(request: Request, admin: Admin, ods: str, done: str = "") -> Response:
    return _organisation_page(request, admin, ods, {}, {}, done=DONE.get(done))


@router.post("/organisations/{ods}/status")
def set_status(
    request: Request, admin: Admin, ods: str, status: Annotated[str, Form()] = ""
) -> Response:
    try:
        held = admin.set_status(_ods(admin, ods), status)
    except InvalidInput as invalid:
        return _organisation_page(request, admin, ods, invalid.problems, {}, FORM_ERROR)
    return _done(f"/admin/organisations/{held.organisation.ods_code}", "status")


@router.post("/organisations/{ods}/networks")
def set_networks(
    request: Request, admin: Admin, ods: str, networks: Annotated[str, Form()] = ""
) -> Response:
    try:
        held = admin.set_networks(_ods(admin, ods), networks.splitlines())
    except InvalidInput as invalid:
        form = {"networks": networks[:MAX_FIELD]}
        return _organisation_page(request, admin, ods, invalid.problems, form, FORM_ERROR)
    return _done(f"/admin/organisations/{held.organisation.ods_code}", "networks")


# National-emergency periods
@router.get("/emergency-periods", response_class=HTMLResponse)
def emergency_periods(request: Request, admin: Admin, done: str = "") -> Response:
    return _emergency_page(request, admin, {}, {}, done=DONE.get(done))


@router.post("/emergency-periods")
def declare(
    request: Request,
    admin: Admin,
    starts: Annotated[str, Form()] = "",
    ends: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        admin.declare_emergency(starts, ends, reason)
    except InvalidInput as invalid:
        form = {"starts": starts, "ends": ends, "reason": reason}
        return _emergency_page(request, admin, invalid.problems, form, FORM_ERROR)
    return _done("/admin/emergency-periods", "declared")


@router.post("/emergency-periods/{period_id}/cancel")
def cancel(request: Request, admin: Admin, period_id: str) -> Response:
    if not period_id.isdigit() or len(period_id) > 18:
        raise HTTPException(NOT_FOUND)
    try:
        admin.cancel_emergency(int(period_id))
    except UnknownPeriod:
        raise HTTPException(NOT_FOUND) from None
    except UsageError as refused:
        return _emergency_page(request, admin, {"cancel": str(refused)}, {}, FORM_ERROR)
    return _done("/admin/emergency-periods", "cancelled")


# Pieces
def _page(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> Response:
    return render(request, template, {"section": template.split("/")[-1], **context}, status)


def _credentials(request: Request, made: Credentials, account: Account, new: bool) -> Response:
    """The new password and secret, shown this once (pages are never cached)."""
    context = {"made": made, **_account_row(request, account), "new": new}
    return _page(request, "admin/credentials.jinja", context)


def _done(path: str, what: str) -> Response:
    return RedirectResponse(f"{path}?done={what}", status_code=303)


def _account(admin: Administration, user_id: str) -> Account:
    if not user_id.isdigit() or len(user_id) > 18:
        raise HTTPException(NOT_FOUND)
    try:
        return admin.user(int(user_id))
    except UnknownAccount:
        raise HTTPException(NOT_FOUND) from None


def _ods(admin: Administration, ods: str) -> str:
    try:
        return admin.organisation(ods).organisation.ods_code
    except UnknownOrganisation:
        raise HTTPException(NOT_FOUND) from None


def _role_title(request: Request, role: Role) -> str:
    return str(request.app.state.access_rules.for_role(role).title)


def _account_row(request: Request, account: Account) -> dict[str, Any]:
    return {
        "account": account,
        "role": _role_title(request, account.role),
        "trained": day(account.trained_at) if account.trained_at else "Not trained",
    }


def _new_user_form(
    request: Request,
    admin: Administration,
    form: Mapping[str, str],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    context = {
        "form": {key: value[:MAX_FIELD] for key, value in form.items()},
        "errors": errors,
        "organisations": [
            (held.organisation.ods_code, f"{held.organisation.name} ({held.organisation.ods_code})")
            for held in admin.organisations()
        ],
        "roles": [(role.value, _role_title(request, role)) for role in Role],
    }
    return _page(request, "admin/user_new.jinja", context, status)


def _user_page(
    request: Request,
    account: Account,
    errors: Mapping[str, str],
    status: int = 200,
    form: Mapping[str, str] | None = None,
    done: str | None = None,
) -> Response:
    context = {
        **_account_row(request, account),
        "errors": errors,
        "form": form or {"trained": day(request_time(request))},
        "done": done,
    }
    return _page(request, "admin/user.jinja", context, status)


def _organisation_page(
    request: Request,
    admin: Administration,
    ods: str,
    errors: Mapping[str, str],
    form: Mapping[str, str],
    status: int = 200,
    done: str | None = None,
) -> Response:
    try:
        held = admin.organisation(ods)
    except UnknownOrganisation:
        raise HTTPException(NOT_FOUND) from None
    org = held.organisation
    context = {
        "org": org,
        "org_type": ORG_TYPES.get(org.org_type, org.org_type),
        "networks_text": form.get("networks", "\n".join(held.networks)),
        "networks": held.networks,
        "statuses": STATUSES,
        "errors": errors,
        "done": done,
    }
    return _page(request, "admin/organisation.jinja", context, status)


def _emergency_page(
    request: Request,
    admin: Administration,
    errors: Mapping[str, str],
    form: Mapping[str, str],
    status: int = 200,
    done: str | None = None,
) -> Response:
    periods = [
        {
            "id": found.period.id,
            "starts": day_time(found.period.starts_at),
            "ends": day_time(found.period.ends_at),
            "state": found.state,
            "reason": found.period.reason,
            "declared_by": found.period.declared_by,
            "declared_at": day_time(found.period.declared_at),
        }
        for found in admin.emergency_periods()
    ]
    context = {
        "periods": periods,
        "errors": errors,
        "form": {key: value[:MAX_FIELD] for key, value in form.items()},
        "done": done,
    }
    return _page(request, "admin/emergency_periods.jinja", context, status)
