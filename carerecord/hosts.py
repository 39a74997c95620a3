"""Trusted hosts: a request addressed to a name this server does not answer to is refused
before any route sees it (a forged Host header can poison links, caches and password resets).
Like Starlette's TrustedHostMiddleware, but FHIR clients are answered with an OperationOutcome."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from carerecord.fhir.outcomes import fhir_response, is_fhir_path, outcome

_REFUSAL = "this server is not reached at that address (Host header)"


class TrustedHosts:
    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or _host(scope) in self.allowed:
            await self.app(scope, receive, send)
            return
        response = _refusal(scope["path"])
        await response(scope, receive, send)


def _host(scope: Scope) -> str:
    host = Headers(scope=scope).get("host", "").lower()
    if host.startswith("["):  # an IPv6 literal, [::1]:8000
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _refusal(path: str) -> Response:
    if is_fhir_path(path):
        return fhir_response(outcome("invalid", _REFUSAL), 400)
    return PlainTextResponse(_REFUSAL, status_code=400)
