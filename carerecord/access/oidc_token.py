"""The checks on an OpenID Connect ID token: signed by the provider, meant for carerecord, fresh,
and answering this sign-in (OpenID Connect Core 1.0, section 3.1.3.7).

Pure: the token, the provider's published keys and what is expected in; the claims or a
`SignInRefused` out. Reasons never quote the token or its claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from joserfc import jwk, jws
from joserfc.errors import JoseError

from carerecord.errors import SignInRefused

# Asymmetric signatures only: never "none", and never HS256, which would make the client secret
# a signing key. CIS2 signs with RS256.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
CLOCK_SKEW = timedelta(seconds=60)
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


@dataclass(frozen=True)
class Expected:
    """What this sign-in's ID token must say."""

    issuer: str
    client_id: str
    nonce: str
    now: datetime


def signing_key_id(id_token: str) -> str | None:
    """The `kid` the token names (so a caller can fetch the provider's keys again if new)."""
    try:
        kid = jws.extract_compact(id_token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        return None
    return kid if isinstance(kid, str) else None


def verify_id_token(
    id_token: str, jwks: Mapping[str, Any], expected: Expected, access_token: str | None = None
) -> dict[str, Any]:
    """The token's claims, once its signature and claims pass every check."""
    try:
        signed = jws.extract_compact(id_token.encode())
        claims = orjson.loads(signed.payload)
    except (JoseError, ValueError):
        raise SignInRefused("the ID token is not a signed JWT") from None
    if not isinstance(claims, dict):
        raise SignInRefused("the ID token's payload is not a JSON object")
    alg = signed.headers().get("alg")
    if alg not in SIGNING_ALGORITHMS:
        raise SignInRefused("the ID token is not signed with an algorithm carerecord accepts")
    if not _signed_by(jwks, signed, alg):
        raise SignInRefused("the ID token's signature does not verify with the provider's keys")
    check_claims(claims, expected)
    if access_token is not None and "at_hash" in claims:
        _check_at_hash(claims["at_hash"], access_token, alg)
    return claims


def check_claims(claims: Mapping[str, Any], expected: Expected) -> None:
    if claims.get("iss") != expected.issuer:
        raise SignInRefused("the ID token was issued by a different identity provider (iss)")
    aud = claims.get("aud")
    # Any other audience is one carerecord does not trust, so only carerecord may be named.
    if aud != expected.client_id and aud != [expected.client_id]:
        raise SignInRefused("the ID token was issued to another service (aud)")
    if "azp" in claims and claims["azp"] != expected.client_id:
        raise SignInRefused("the ID token was issued to another service (azp)")
    # Compared as numbers: an absurd value must be refused, not overflow a datetime.
    now = expected.now.timestamp()
    skew = CLOCK_SKEW.total_seconds()
    if _seconds(claims, "exp") <= now - skew:
        raise SignInRefused("the ID token has expired (exp)")
    if _seconds(claims, "iat") > now + skew:
        raise SignInRefused("the ID token claims to be issued in the future (iat)")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(
        nonce.encode(), expected.nonce.encode()
    ):
        raise SignInRefused("the ID token does not answer this sign-in (nonce)")


def _seconds(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignInRefused(f"the ID token has no {name} in seconds since 1970")
    return float(value)


def _signed_by(jwks: Mapping[str, Any], signed: jws.CompactSignature, alg: str) -> bool:
    """Whether one of the provider's keys made the signature: the one named by `kid`, else any
    of the right type."""
    kid = signed.headers().get("kid")
    keys = jwks.get("keys")
    for data in keys if isinstance(keys, list) else []:
        if not isinstance(data, dict) or data.get("kty") != _KEY_TYPES[alg[:2]]:
            continue
        if kid is not None and data.get("kid") != kid:
            continue
        if data.get("use", "sig") != "sig" or data.get("alg", alg) != alg:
            continue
        try:
            if jws.validate_compact(signed, jwk.import_key(data), algorithms=[alg]):
                return True
        except (JoseError, ValueError, TypeError):
            continue  # a malformed key, or an EC key on another curve: another may still fit
    return False


def _check_at_hash(at_hash: Any, access_token: str, alg: str) -> None:
    """at_hash: the left half of the access token's hash, so the two were issued together."""
    digest = _HASHES[alg[2:]](access_token.encode()).digest()
    half = base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
    if not isinstance(at_hash, str) or not hmac.compare_digest(at_hash.encode(), half.encode()):
        raise SignInRefused("the ID token was not issued with this access token (at_hash)")
