"""Sign-in through an OpenID Connect identity provider such as NHS CIS2.

`GET /sign-in/oidc` sends the browser to the provider; `GET /sign-in/oidc/callback` takes its
answer and, when the provider vouches for a usable role, starts a session through the accounts
service. A refusal is a plain page (400) saying why, in words that hold no code, token or claim;
the log gets the same words and nothing more.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from carerecord.access.oidc import PENDING_MAX_AGE, OidcClient
from carerecord.errors import SignInRefused
from carerecord.web.session import client_of, request_time, start_session
from carerecord.web.templating import render

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

# Ties a sign-in to the browser that began it, so an answer captured in one browser cannot sign
# another one in. SameSite=Lax: the provider sends the browser back with a top-level GET.
STATE_COOKIE = "carerecord_oidc_state"
COOKIE_PATH = "/sign-in/oidc"
CALLBACK = "/sign-in/oidc/callback"
REFUSED = 400
AFTER_SIGN_IN = "/"


@router.get("/sign-in/oidc")
def sign_in(request: Request) -> Response:
    client = _client(request)
    try:
        start = client.begin(request_time(request))
    except SignInRefused as refused:
        return _refused(request, refused)
    response = RedirectResponse(start.url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        start.state,
        max_age=int(PENDING_MAX_AGE.total_seconds()),
        path=COOKIE_PATH,
        secure=_secure(client),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(CALLBACK)
def callback(request: Request) -> Response:
    client = _client(request)
    now = request_time(request)
    try:
        answer = _answer(request)
        if not _same_browser(request.cookies.get(STATE_COOKIE, ""), answer.get("state", "")):
            raise SignInRefused("this sign-in was not started in this browser")
        identity = client.complete(answer, now)
        visitor = client_of(request)
        token = request.app.state.sign_in.sign_in_external(
            identity, visitor.address, visitor.user_agent, now
        )
    except SignInRefused as refused:
        response = _refused(request, refused)
    else:
        response = RedirectResponse(AFTER_SIGN_IN, status_code=303)
        start_session(response, request, token)
    response.delete_cookie(
        STATE_COOKIE, path=COOKIE_PATH, secure=_secure(client), httponly=True, samesite="lax"
    )
    return response


def _client(request: Request) -> OidcClient:
    client: OidcClient | None = request.app.state.oidc
    if client is None:
        raise HTTPException(404)  # no identity provider is configured: there is no such page
    return client


def _answer(request: Request) -> dict[str, str]:
    items = request.query_params.multi_items()
    answer = dict(items)
    if len(answer) != len(items):
        raise SignInRefused("the identity provider's answer repeats a parameter")
    return answer


def _same_browser(cookie: str, state: str) -> bool:
    return bool(cookie) and hmac.compare_digest(cookie.encode(), state.encode())


def _secure(client: OidcClient) -> bool:
    return client.config.redirect_url.startswith("https://")


def _refused(request: Request, refused: SignInRefused) -> Response:
    logger.warning("OpenID Connect sign-in refused: %s", refused)
    return render(request, "sign_in_failed.jinja", {"reason": str(refused)}, REFUSED)


class HideCallbackQuery(logging.Filter):
    """Access log lines keep the callback's path but not its query, which holds the code."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access lines: (client, method, path with query, HTTP version, status)
        if isinstance(args, tuple) and len(args) == 5 and str(args[2]).startswith(CALLBACK + "?"):
            record.args = (args[0], args[1], CALLBACK + "?(hidden)", *args[3:])
        return True


def hide_callback_query(logger_name: str = "uvicorn.access") -> None:
    """Adds the filter to the access log (once, however many apps are made)."""
    access = logging.getLogger(logger_name)
    if not any(isinstance(found, HideCallbackQuery) for found in access.filters):
        access.addFilter(HideCallbackQuery())
