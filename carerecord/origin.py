"""Where this server is reached: one base URL from settings, never from a request's Host header
(which the client writes), and the host names requests may be addressed to."""

from __future__ import annotations

from urllib.parse import urlsplit

from carerecord.settings import Settings

TOKEN_PATH = "/fhir/token"  # noqa: S105 (a path, not a secret)
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def base_url(settings: Settings) -> str:
    """CARERECORD_BASE_URL without a trailing slash, else http://HOST:PORT."""
    configured = settings.base_url.strip().rstrip("/")
    return configured or f"http://{settings.host}:{settings.port}"


def token_endpoint(settings: Settings) -> str:
    """The one audience a client assertion may name."""
    return base_url(settings) + TOKEN_PATH


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The Host header names accepted: those configured, else the base URL's host; a loopback
    base URL also allows 127.0.0.1 and localhost, which name the same machine."""
    configured = {h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()}
    if configured:
        return frozenset(configured)
    host = (urlsplit(base_url(settings)).hostname or "").lower()
    return frozenset({host} | ({"127.0.0.1", "localhost"} if host in _LOOPBACK else set()))
