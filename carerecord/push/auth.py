"""Who is pushing: SMART Backend Services tokens for source systems, with no web framework inside.

A source system signs a short-lived JWT (the client assertion) with its private key and trades
it at the token endpoint for a bearer token; carerecord holds only its public keys. Tokens and
assertions are credentials: they are never logged, and a token is stored only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from joserfc import jwk, jws
from joserfc.errors import JoseError

from carerecord.errors import CareRecordError
from carerecord.scopes import Scope, unknown_scopes
from carerecord.store.clients import ClientRegistry, SourceClient

GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SIGNING_ALGORITHMS = ("RS384", "ES384", "RS256", "ES256")
SCOPES = tuple(scope.value for scope in Scope)  # every scope a client may be granted
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=60)
_MAX_JTI_LENGTH = 200  # the column's width
_KEY_TYPES = {"RS": "RSA", "ES": "EC"}


class AuthError(CareRecordError):
    """A refusal in OAuth 2.0 terms: the RFC 6749 error code, why, and the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True, slots=True)
class TokenGrant:
    access_token: str
    token_type: str
    expires_in: int
    scope: str

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


@dataclass(frozen=True, slots=True)
class AuthenticatedSource:
    """The source system behind a request: what it pushes is attributed to `source_ods`."""

    client_id: str
    source_ods: str
    scope: str  # what the token carries and the client still holds, space-separated

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


def _invalid_client(description: str) -> AuthError:
    return AuthError("invalid_client", description, 401)


def _invalid_token(description: str) -> AuthError:
    return AuthError("invalid_token", description, 401)


class BackendAuth:
    def __init__(
        self,
        registry: ClientRegistry,
        token_lifetime: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.registry = registry
        self.token_lifetime = token_lifetime
        self.clock = clock

    def issue_token(self, form: Mapping[str, str], token_url: str) -> TokenGrant:
        """Trades a signed client assertion for a bearer token, or raises AuthError."""
        _check_grant(form)
        scope = _granted_scope(form.get("scope"))
        now = self.clock()
        client, claims = self._verified_assertion(form["client_assertion"], token_url, now)
        _check_held(client, scope)
        exp = datetime.fromtimestamp(claims["exp"], UTC)
        # Kept until it could no longer pass the expiry check, so it can never be replayed.
        if not self.registry.use_assertion(client.client_id, claims["jti"], exp + CLOCK_SKEW):
            raise _invalid_client("this client assertion (jti) has been used already")
        token = secrets.token_urlsafe(32)
        expires_at = now + self.token_lifetime
        self.registry.save_token(_hash(token), client.client_id, scope, now, expires_at)
        self.registry.purge_expired(now)
        return TokenGrant(token, "bearer", int(self.token_lifetime.total_seconds()), scope)

    def authenticate(self, authorization: str | None) -> AuthenticatedSource:
        """The source behind an `Authorization: Bearer` header, or AuthError (401)."""
        if not authorization:
            raise _invalid_token("no access token: send Authorization: Bearer <token>")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise _invalid_token("the Authorization header is not 'Bearer <token>'")
        found = self.registry.token(_hash(token), self.clock())
        if found is None:
            raise _invalid_token("the access token is unknown, expired or revoked")
        client, scope = found
        # A scope revoked since the token was issued stops working at once.
        held = " ".join(name for name in scope.split() if name in client.scopes)
        return AuthenticatedSource(client.client_id, client.source_ods, held)

    def _verified_assertion(
        self, assertion: str, token_url: str, now: datetime
    ) -> tuple[SourceClient, dict[str, Any]]:
        try:
            signed = jws.extract_compact(assertion.encode())
            claims = orjson.loads(signed.payload)
        except (JoseError, ValueError):
            raise _invalid_client("client_assertion is not a signed JWT") from None
        if not isinstance(claims, dict):
            raise _invalid_client("client_assertion's payload is not a JSON object")
        alg = signed.headers().get("alg")
        if alg not in SIGNING_ALGORITHMS:
            raise _invalid_client(f"alg must be one of {', '.join(SIGNING_ALGORITHMS)}")
        client = self._client(claims)
        if not _signed_by(client, signed, alg):
            raise _invalid_client("the signature does not verify with a registered key")
        _check_claims(claims, token_url, now)
        return client, claims

    def _client(self, claims: dict[str, Any]) -> SourceClient:
        iss, sub = claims.get("iss"), claims.get("sub")
        if not isinstance(iss, str) or not iss or iss != sub:
            raise _invalid_client("iss and sub must both be the client id")
        client = self.registry.get(iss)
        if client is None:
            raise _invalid_client("unknown client id")
        if client.disabled:
            raise _invalid_client("this client has been disabled")
        return client


def _check_grant(form: Mapping[str, str]) -> None:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise AuthError("invalid_request", "grant_type is required")
    if grant_type != GRANT_TYPE:
        raise AuthError("unsupported_grant_type", f"grant_type must be {GRANT_TYPE}")
    for field in ("client_assertion_type", "client_assertion"):
        if not form.get(field):
            raise AuthError("invalid_request", f"{field} is required")
    if form["client_assertion_type"] != ASSERTION_TYPE:
        raise _invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}")


def _granted_scope(requested: str | None) -> str:
    if not requested or not requested.strip():
        raise AuthError("invalid_request", "scope is required")
    scopes = list(dict.fromkeys(requested.split()))
    unknown = unknown_scopes(scopes)
    if unknown:
        raise AuthError(
            "invalid_scope",
            f"cannot grant {' '.join(unknown)}: the scopes are {' '.join(SCOPES)}",
        )
    return " ".join(scopes)


def _check_held(client: SourceClient, scope: str) -> None:
    """RFC 6749 lets a server narrow what was asked; refusing instead keeps a client from
    running on a token that quietly lacks what it needs."""
    missing = [name for name in scope.split() if name not in client.scopes]
    if missing:
        raise AuthError(
            "invalid_scope",
            f"this client is not granted {' '.join(missing)} "
            "(an operator grants scopes with `carerecord client grant`)",
        )


def _signed_by(client: SourceClient, signed: jws.CompactSignature, alg: str) -> bool:
    """Whether a registered key made the signature: the one named by `kid`, else any that fits."""
    kid = signed.headers().get("kid")
    for data in client.jwks["keys"]:
        if kid is not None and data.get("kid") != kid:
            continue
        if data["kty"] != _KEY_TYPES[alg[:2]] or data.get("alg", alg) != alg:
            continue
        try:
            if jws.validate_compact(signed, jwk.import_key(data), algorithms=[alg]):
                return True
        except JoseError:
            continue  # e.g. an EC key on the other curve: another key may still fit
    return False


def _check_claims(claims: dict[str, Any], token_url: str, now: datetime) -> None:
    aud = claims.get("aud")
    if aud != token_url and not (isinstance(aud, list) and token_url in aud):
        raise _invalid_client(f"aud must be the token endpoint, {token_url}")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise _invalid_client("exp is required, in seconds since 1970")
    # Compared as numbers: an absurd exp must be refused, not overflow a datetime.
    if exp <= (now - CLOCK_SKEW).timestamp():
        raise _invalid_client("the client assertion has expired")
    if exp > (now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW).timestamp():
        raise _invalid_client("exp may be at most 5 minutes ahead")
    _check_not_future(claims, now)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI_LENGTH:
        raise _invalid_client(f"jti is required: a unique string of up to {_MAX_JTI_LENGTH}")


def _check_not_future(claims: dict[str, Any], now: datetime) -> None:
    """An assertion from the future was made by a wrong clock or made to be used later: either
    way it is not believed (beyond the leeway clocks are allowed)."""
    latest = (now + CLOCK_SKEW).timestamp()
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid_client(f"{name} must be seconds since 1970")
        if value > latest:
            raise _invalid_client(f"{name} is in the future: check the client's clock")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
