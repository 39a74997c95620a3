"""The signed-in session's cookie."""

from __future__ import annotations

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
