"""Headers every response carries, so a browser limits what a page can do even if text from a
source slipped through escaping: no inline or foreign script, no framing, no sniffing, no
Referer, no caching of anything but the static assets. See docs/web-security.md."""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carerecord.settings import Settings

# Scripts and styles only from files this server serves: no inline script, style or event
# handler runs, whatever a page contains. The one other origin is the NHS font service: the
# Frutiger web font is not in nhsuk-frontend's package and its CSS loads it from there.
NHS_FONTS = "https://assets.nhs.uk"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        f"font-src 'self' {NHS_FONTS}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera", "microphone", "geolocation", "payment", "usb", "display-capture",
    )
)  # fmt: skip
HSTS = "max-age=31536000; includeSubDomains"

_ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
}


REQUEST_ID_HEADER = "X-Request-ID"


class SecurityHeaders:
    """Pure ASGI middleware: sets the headers on every HTTP response, error pages included,
    and gives each request an id of its own (never the client's: the audit log records it, so
    a caller must not choose it), returned in X-Request-ID for support calls."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        # behind a TLS-terminating proxy the connection is plain HTTP: the base URL says https
        self.always_https = settings.base_url.lower().startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        https = self.always_https or scope.get("scheme") == "https"
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # a response that set its own (the framed PDF) keeps it
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                headers[REQUEST_ID_HEADER] = request_id
                if https:
                    headers["Strict-Transport-Security"] = HSTS
                if not static:  # every page and API answer may hold personal data
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
