"""Signing in and out: username and password, then the one-time code; sign-out ends the
session on the server, not just in the browser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from carerecord.access.sign_in import is_code
from carerecord.web.session import (
    SESSION_COOKIE,
    client_of,
    csrf_protected,
    current_user,
    end_session,
    presign_token,
    request_time,
    set_presign_cookie,
    sign_in_service,
    start_session,
)
from carerecord.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

FORM_ERROR = 422
MAX_FIELD = 200


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> Response:
    if current_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _form(request, {"next": _safe_next(next)})


@router.post("/sign-in")
def sign_in(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    elif len(username) > MAX_FIELD:
        errors["username"] = "Usernames are at most 200 characters"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 (a message, not a password)
    if errors:
        context = {"errors": errors, "username": username[:MAX_FIELD], "next": _safe_next(next)}
        return _form(request, context, FORM_ERROR)
    attempt = sign_in_service(request).password(
        username.strip(), password, client_of(request), request_time(request)
    )
    if attempt.token is None:
        refused: dict[str, Any] = {
            "problem": attempt.problem,
            "username": username,
            "next": _safe_next(next),
        }
        return _form(request, refused, FORM_ERROR)
    response = RedirectResponse(f"/sign-in/code?next={quote(_safe_next(next))}", status_code=303)
    start_session(response, request, attempt.token)
    return response


@router.get("/sign-in/code", response_class=HTMLResponse)
def code_page(request: Request, next: str = "/") -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    csrf = sign_in_service(request).pending_csrf(token, request_time(request))
    if csrf is None:
        return RedirectResponse("/sign-in", status_code=303)
    return render(request, "sign_in_code.jinja", {"form_token": csrf, "next": _safe_next(next)})


@router.post("/sign-in/code")
def code(
    request: Request, code: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    service = sign_in_service(request)
    now = request_time(request)
    csrf = service.pending_csrf(token, now)
    digits = code.replace(" ", "")
    if csrf is not None and not is_code(digits):
        context = {
            "form_token": csrf,
            "next": _safe_next(next),
            "errors": {"code": "Enter the 6-digit code from your authenticator app"},
        }
        return render(request, "sign_in_code.jinja", context, FORM_ERROR)
    attempt = service.code(token, digits, client_of(request), now)
    if attempt.token is None:
        csrf = service.pending_csrf(token, now)
        if csrf is None:
            return _form(request, {"problem": attempt.problem, "next": "/"}, FORM_ERROR)
        context = {"form_token": csrf, "next": _safe_next(next), "problem": attempt.problem or ""}
        return render(request, "sign_in_code.jinja", context, FORM_ERROR)
    response = RedirectResponse(_safe_next(next), status_code=303)
    start_session(response, request, attempt.token)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    sign_in_service(request).sign_out(token, client_of(request), request_time(request))
    response = RedirectResponse("/signed-out", status_code=303)
    end_session(response)
    return response


@router.get("/signed-out", response_class=HTMLResponse)
def signed_out(request: Request) -> Response:
    return render(request, "signed_out.jinja", {})


def _form(request: Request, context: Mapping[str, Any], status: int = 200) -> Response:
    token, new = presign_token(request)
    oidc = request.app.state.oidc is not None
    page = {"username": "", "form_token": token, "oidc_enabled": oidc, **context}
    response = render(request, "sign_in.jinja", page, status)
    if new:
        set_presign_cookie(response, request, token)
    return response


def _safe_next(target: str) -> str:
    """Only a path on this site: never another host, so sign-in cannot be an open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if not (target.isascii() and target.isprintable()) or " " in target:
        return "/"  # browsers drop tabs and line breaks: "/\t/host" would become "//host"
    return target[:500]
