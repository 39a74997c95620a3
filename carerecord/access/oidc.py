"""Signing staff in through an OpenID Connect provider such as NHS CIS2, with no web framework
inside: the authorisation code flow with PKCE (S256), state and nonce.

`begin` makes the address to send the browser to and keeps the sign-in's secrets server-side
(`PendingSignIns`), so any server process can finish it; `complete` takes the provider's answer
once, exchanges the code, verifies the ID token, asks userinfo for what the token lacks and reads
the user's identity from the claims. Every failure is a `SignInRefused` with a plain reason.
Codes, tokens and the client secret are credentials: never logged, never part of a reason.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from carerecord.access.oidc_claims import (
    ROLES_CLAIM,
    SELECTED_ROLE_CLAIM,
    ExternalIdentity,
    identity_from_claims,
)
from carerecord.access.oidc_token import Expected, signing_key_id, verify_id_token
from carerecord.access.vocabulary import Role
from carerecord.errors import ConfigurationError, SignInRefused
from carerecord.settings import ENV_PREFIX, Settings

PENDING_MAX_AGE = timedelta(minutes=10)  # from leaving for the provider to coming back
TIMEOUT = (5.0, 10.0)  # seconds to connect, and to wait for each read
MAX_RESPONSE_BYTES = 1024 * 1024
KEY_REFETCH_SECONDS = 60.0  # an unknown kid fetches the provider's keys at most this often
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
MAX_CODE_LENGTH = 2048
_STATE = re.compile(r"[A-Za-z0-9_-]{16,100}")  # what `begin` makes, within the column's width
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
S = TypeVar("S", bound=requests.Session)

# RFC 6749 error codes are repeated in a reason; any other text from the provider is not.
_OAUTH_ERRORS = frozenset(
    {
        "access_denied",
        "account_selection_required",
        "consent_required",
        "interaction_required",
        "invalid_client",
        "invalid_grant",
        "invalid_request",
        "invalid_scope",
        "login_required",
        "server_error",
        "temporarily_unavailable",
        "unauthorized_client",
        "unsupported_grant_type",
        "unsupported_response_type",
    }
)


class PendingSignIns(Protocol):
    """Sign-ins waiting for the provider's answer, shared by every server process."""

    def save(self, state: str, nonce: str, verifier: str, now: datetime) -> None: ...

    def take(self, state: str, now: datetime, max_age: timedelta) -> tuple[str, str] | None:
        """The (nonce, code verifier) saved under `state` no longer than `max_age` ago, deleted
        as it is taken (single use); None if unknown, used or too old."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_url: str
    scopes: str
    token_auth_method: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """The provider's settings, checked; None when OpenID Connect sign-in is off."""
        if not settings.oidc_issuer:
            return None
        for name in ("oidc_client_id", "oidc_client_secret", "oidc_redirect_url"):
            if not getattr(settings, name):
                raise ConfigurationError(
                    f"{ENV_PREFIX}OIDC_ISSUER is set, so {ENV_PREFIX}{name.upper()} is needed too"
                )
        if not _usable_url(settings.oidc_issuer, https=True):
            raise ConfigurationError(
                f"{ENV_PREFIX}OIDC_ISSUER must be an https:// address (http:// only on loopback)"
            )
        if not _usable_url(settings.oidc_redirect_url, https=False):
            raise ConfigurationError(f"{ENV_PREFIX}OIDC_REDIRECT_URL must be an absolute address")
        if "openid" not in settings.oidc_scopes.split():
            raise ConfigurationError(f"{ENV_PREFIX}OIDC_SCOPES must include openid")
        if settings.oidc_token_auth_method not in TOKEN_AUTH_METHODS:
            raise ConfigurationError(
                f"{ENV_PREFIX}OIDC_TOKEN_AUTH_METHOD must be one of {', '.join(TOKEN_AUTH_METHODS)}"
            )
        return cls(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            redirect_url=settings.oidc_redirect_url,
            scopes=settings.oidc_scopes,
            token_auth_method=settings.oidc_token_auth_method,
        )


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the provider's discovery document the sign-in uses."""

    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint issued: credentials, so never in a repr."""

    access_token: str = field(repr=False)
    id_token: str = field(repr=False)


@dataclass(frozen=True)
class SignInStart:
    url: str  # where to send the browser
    state: str  # to bind the sign-in to that browser (a cookie), as well as server-side


class OidcClient:
    """One provider and one client registration; safe to share between threads."""

    def __init__(
        self,
        config: OidcConfig,
        pending: PendingSignIns,
        role_map: Mapping[str, Role],
        max_age: timedelta = PENDING_MAX_AGE,
    ) -> None:
        self.config = config
        self.pending = pending
        self.role_map = role_map
        self.max_age = max_age
        self._metadata: ProviderMetadata | None = None
        self._jwks: dict[str, Any] | None = None
        self._jwks_fetched = 0.0

    def begin(self, now: datetime) -> SignInStart:
        """The provider's address for a new sign-in, whose secrets are saved as pending."""
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43 to 128
        with self._oauth() as oauth:
            url, _ = oauth.create_authorization_url(
                self.metadata().authorization_endpoint,
                state=state,
                code_verifier=verifier,
                nonce=nonce,
            )
        self.pending.save(state, nonce, verifier, now)
        return SignInStart(url, state)

    def complete(self, answer: Mapping[str, str], now: datetime) -> ExternalIdentity:
        """The identity behind the provider's answer (the callback's query parameters)."""
        state = answer.get("state", "")
        if not _STATE.fullmatch(state):
            raise SignInRefused("the identity provider's answer has no valid state")
        taken = self.pending.take(state, now, self.max_age)
        if taken is None:
            raise SignInRefused("this sign-in has expired or was already used")
        nonce, verifier = taken
        if "error" in answer:
            raise SignInRefused(_with_code("the identity provider did not sign you in", answer))
        if answer.get("iss", self.config.issuer) != self.config.issuer:
            raise SignInRefused("the answer came from a different identity provider (iss)")
        code = answer.get("code", "")
        if not code or len(code) > MAX_CODE_LENGTH:
            raise SignInRefused("the identity provider's answer has no valid authorisation code")
        tokens = self.exchange(code, verifier)
        claims = self.verify_id_token(tokens.id_token, nonce, now, tokens.access_token)
        if ROLES_CLAIM not in claims or SELECTED_ROLE_CLAIM not in claims:
            # Signed claims win over userinfo's; CIS2 sends the roles only to userinfo.
            claims = {**self._userinfo(tokens.access_token, claims.get("sub")), **claims}
        return identity_from_claims(claims, self.config.issuer, self.role_map)

    def exchange(self, code: str, verifier: str) -> Tokens:
        """Trades the authorisation code, with the PKCE verifier, at the token endpoint."""
        with self._oauth() as oauth:
            try:
                issued = oauth.fetch_token(
                    self.metadata().token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
            except OAuthError as refused:
                reason = "the identity provider would not exchange the authorisation code"
                raise SignInRefused(_with_code(reason, {"error": refused.error})) from None
            except (requests.RequestException, ValueError):
                raise SignInRefused("the identity provider's token endpoint failed") from None
        if str(issued.get("token_type", "")).lower() != "bearer":
            raise SignInRefused("the identity provider did not issue a bearer access token")
        for name in ("access_token", "id_token"):
            if not isinstance(issued.get(name), str) or not issued[name]:
                raise SignInRefused(f"the identity provider's token response has no {name}")
        return Tokens(issued["access_token"], issued["id_token"])

    def verify_id_token(
        self, id_token: str, nonce: str, now: datetime, access_token: str | None = None
    ) -> dict[str, Any]:
        """The ID token's claims, checked against the provider's current keys."""
        expected = Expected(self.config.issuer, self.config.client_id, nonce, now)
        return verify_id_token(
            id_token, self._keys(signing_key_id(id_token)), expected, access_token
        )

    def metadata(self) -> ProviderMetadata:
        """The provider's endpoints, from its discovery document (fetched once)."""
        if self._metadata is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            self._metadata = _metadata(self._get_json(url, "configuration"), self.config.issuer)
        return self._metadata

    def _userinfo(self, access_token: str, subject: Any) -> dict[str, Any]:
        endpoint = self.metadata().userinfo_endpoint
        if endpoint is None:
            raise SignInRefused("the ID token lacks the user's roles and there is no userinfo")
        info = self._get_json(endpoint, "userinfo", {"Authorization": f"Bearer {access_token}"})
        if not isinstance(info, dict):
            raise SignInRefused("the identity provider's userinfo is not a JSON object")
        if info.get("sub") != subject:
            raise SignInRefused("the userinfo describes a different user (sub)")
        return info

    def _keys(self, kid: str | None) -> dict[str, Any]:
        """The provider's keys; fetched again for a kid not seen, but not more than once a
        minute, so forged tokens naming random kids cannot flood the provider."""
        known = self._jwks
        if known is not None and (kid is None or kid in _key_ids(known)):
            return known
        if known is not None and time.monotonic() - self._jwks_fetched < KEY_REFETCH_SECONDS:
            return known
        jwks = self._get_json(self.metadata().jwks_uri, "keys (JWKS)")
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise SignInRefused("the identity provider's keys (JWKS) are not a key set")
        self._jwks, self._jwks_fetched = jwks, time.monotonic()
        return jwks

    def _get_json(self, url: str, what: str, headers: Mapping[str, str] | None = None) -> Any:
        with _http(requests.Session()) as http:
            try:
                response = http.get(
                    url,
                    headers={"Accept": "application/json", **(headers or {})},
                    timeout=TIMEOUT,
                    allow_redirects=False,
                )
            except requests.RequestException:
                raise SignInRefused(f"the identity provider's {what} could not be read") from None
        if response.status_code != 200:
            raise SignInRefused(
                f"the identity provider's {what} answered HTTP {response.status_code}"
            )
        try:
            return response.json()
        except ValueError:
            raise SignInRefused(f"the identity provider's {what} is not JSON") from None

    def _oauth(self) -> OAuth2Session:
        return _http(
            OAuth2Session(
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
                token_endpoint_auth_method=self.config.token_auth_method,
                scope=self.config.scopes,
                redirect_uri=self.config.redirect_url,
                code_challenge_method="S256",
                default_timeout=TIMEOUT,
            )
        )


def _metadata(document: Any, issuer: str) -> ProviderMetadata:
    if not isinstance(document, dict):
        raise SignInRefused("the identity provider's configuration is not a JSON object")
    if document.get("issuer") != issuer:
        raise SignInRefused("the identity provider's configuration names a different issuer")
    https = urlsplit(issuer).scheme == "https"
    required = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    for name in (*required, "userinfo_endpoint"):
        url = document.get(name)
        if (name in required or url is not None) and not _usable_url(url, https):
            raise SignInRefused(f"the identity provider's configuration has no usable {name}")
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise SignInRefused("the identity provider does not support PKCE with S256")
    return ProviderMetadata(
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint"),
    )


def _usable_url(url: Any, https: bool) -> bool:
    """An absolute http(s) address; when `https`, plain http only to this machine."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return False
    return not https or parts.scheme == "https" or parts.hostname in _LOOPBACK


def _key_ids(jwks: Mapping[str, Any]) -> set[str]:
    return {key["kid"] for key in jwks["keys"] if isinstance(key, dict) and "kid" in key}


def _with_code(reason: str, answer: Mapping[str, Any]) -> str:
    code = answer.get("error")
    return f"{reason} ({code})" if code in _OAUTH_ERRORS else reason


def _http(session: S) -> S:
    """Bounds every answer from the provider: MAX_RESPONSE_BYTES, read before JSON parsing."""
    session.hooks["response"].append(_capped)
    return session


def _capped(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise SignInRefused("the identity provider's answer is too large")
    body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    if len(body) > MAX_RESPONSE_BYTES:
        raise SignInRefused("the identity provider's answer is too large")
    response._content = body  # what .json() and .text then read
    return response
