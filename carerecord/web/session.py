"""The signed-in session's cookie, and the request's time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import Request, Response

SESSION_COOKIE = "carerecord_session"


def start_session(response: Response, request: Request, token: str) -> None:
    """Gives the browser its session token: HTTP only, over HTTPS when the site is served so."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def request_time(request: Request) -> datetime:
    """Now, from the app's clock (tests fix it)."""
    clock: Callable[[], datetime] = request.app.state.web_clock
    return clock()
