"""The signed-in user of a request: the session cookie, the client's address, CSRF checks.
Who may see what is decided in carerecord.access; this only carries the session to it."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from carerecord.access.actors import User
from carerecord.access.gate import RecordAccess
from carerecord.access.sign_in import Client, SignIn
from carerecord.errors import FormRefused, NotSignedIn
from carerecord.settings import Settings

SESSION_COOKIE = "carerecord_session"
PRESIGN_COOKIE = "carerecord_presign"  # the sign-in form's CSRF token, before any session
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024  # every form here is a few fields; anything bigger is refused
SIGN_IN_FORMS = frozenset({"/sign-in", "/sign-in/code"})  # the only posts before a session


def client_of(request: Request) -> Client:
    """Who is at the other end: the connecting address, or, behind a configured reverse proxy,
    the address it says it forwarded for (a header anyone else could simply write)."""
    settings: Settings = request.app.state.settings
    address = request.client.host if request.client else ""
    trusted = {a.strip() for a in settings.trusted_proxies.split(",") if a.strip()}
    forwarded = request.headers.get("x-forwarded-for", "")
    if address in trusted and forwarded:
        address = forwarded.split(",")[-1].strip()
    return Client(address[:64], request.headers.get("user-agent", "")[:300])


def sign_in_service(request: Request) -> SignIn:
    service: SignIn = request.app.state.sign_in
    return service


def current_user(request: Request) -> User | None:
    """The signed-in user, resolved once per request (None when nobody is)."""
    cached: User | bool | None = getattr(request.state, "user", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    token = request.cookies.get(SESSION_COOKIE, "")
    user = sign_in_service(request).resolve(token, client_of(request), request_time(request))
    request.state.user = user
    return user


def forget_user(request: Request) -> None:
    """The session changed during this request (a fresh second factor): read it again."""
    request.state.user = False


def request_reader(request: Request) -> RecordAccess:
    """The access-bound reader for this request's signed-in user; NotSignedIn without one."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn(request.url.path)
    open_record: Callable[..., RecordAccess] = request.app.state.open_record
    client = client_of(request)
    return open_record(
        user,
        request_time(request),
        client.address,
        user_agent=client.user_agent,
        request_id=request_id(request),
    )


def request_id(request: Request) -> str:
    """This request's own id (set by the security headers middleware), for the audit log."""
    return str(getattr(request.state, "request_id", ""))


def request_time(request: Request) -> datetime:
    """Now, from the app's clock (tests fix it)."""
    clock: Callable[[], datetime] = request.app.state.web_clock
    return clock()


def start_session(response: Response, request: Request, token: str) -> None:
    _set(response, request, SESSION_COOKIE, token)
    response.delete_cookie(PRESIGN_COOKIE, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def presign_token(request: Request) -> tuple[str, bool]:
    """The sign-in form's token: the browser's, or a new one (True) to set in a cookie."""
    token = request.cookies.get(PRESIGN_COOKIE, "")
    if 20 <= len(token) <= 100:
        return token, False
    return secrets.token_urlsafe(32), True


def set_presign_cookie(response: Response, request: Request, token: str) -> None:
    _set(response, request, PRESIGN_COOKIE, token)


async def csrf_protected(request: Request) -> None:
    """Every form post carries the token of the session (or of the sign-in form) it came from:
    another site can make a browser post here, but cannot read the token to put in it."""
    if request.method != "POST":
        return
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise FormRefused("This form is too large to be sent", 413)
    user = current_user(request)
    if user is None and request.url.path not in SIGN_IN_FORMS:
        raise NotSignedIn(request.url.path)  # signed out (or timed out): nothing here to do
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = [user.csrf_token] if user else _pending_tokens(request)
    if not isinstance(sent, str) or not any(_same(sent, e) for e in expected):
        raise FormRefused(
            "This form has expired or did not come from this service: go back, reload the page "
            "and try again",
            403,
        )


def _pending_tokens(request: Request) -> list[str]:
    """Before a full session: the one-time-code form's token (the half session's) and the
    sign-in form's (its cookie's), either of which the browser may be sending."""
    token = request.cookies.get(SESSION_COOKIE, "")
    pending = sign_in_service(request).pending_csrf(token, request_time(request)) if token else None
    presign, new = presign_token(request)
    return [t for t in (pending, None if new else presign) if t]


def _same(sent: str, expected: str) -> bool:
    """In constant time; as bytes, since compare_digest refuses non-ASCII text."""
    return hmac.compare_digest(sent.encode(), expected.encode())


def _set(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path="/",
        httponly=True,
        samesite="lax",  # sent on the identity provider's redirect back; CSRF tokens do the rest
        secure=_secure(request),
    )


def _secure(request: Request) -> bool:
    """Secure cookies everywhere but plain HTTP to this machine itself (the demo)."""
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def page_context(request: Request) -> dict[str, Any]:
    """What every page's header needs: who is signed in and the form token for sign-out."""
    user = getattr(request.state, "user", None)
    return {"user": user, "csrf_token": user.csrf_token if user else None}
