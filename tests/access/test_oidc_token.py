"""The ID token checks as a table, over tokens signed here (the real provider's tokens are
tested in test_oidc.py)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from joserfc import jwk, jws

from carerecord.access.oidc_token import Expected, signing_key_id, verify_id_token
from carerecord.errors import SignInRefused

ISSUER = "https://cis2.example/openam/oauth2/realms/root/realms/oidc"
CLIENT = "carerecord"
NONCE = "n-0S6_WzA2Mj"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
EXPECTED = Expected(ISSUER, CLIENT, NONCE, NOW)
RSA = jwk.RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC = jwk.ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
JWKS = {"keys": [RSA.as_dict(private=False), EC.as_dict(private=False)]}
ACCESS_TOKEN = secrets.token_urlsafe(24)
MISSING = object()


def make_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "910000000001",
        "aud": CLIENT,
        "exp": NOW.timestamp() + 300,
        "iat": NOW.timestamp(),
        "nonce": NONCE,
        "acr": "AAL3_ANY",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not MISSING}


def sign(claims: dict[str, Any], alg: str = "RS256", kid: str | None = "rsa-1") -> str:
    key = RSA if alg[:2] in ("RS", "PS") else EC
    header = {"alg": alg, "typ": "JWT", **({"kid": kid} if kid else {})}
    return jws.serialize_compact(header, orjson.dumps(claims), key, algorithms=[alg])


def at_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


ACCEPTED = {
    "as issued": make_claims(),
    "audience as a list of one": make_claims(aud=[CLIENT]),
    "azp naming carerecord": make_claims(azp=CLIENT),
    "expiring within the clock skew": make_claims(exp=NOW.timestamp() - 59),
    "issued within the clock skew ahead": make_claims(iat=NOW.timestamp() + 60),
    "whole-number times": make_claims(exp=int(NOW.timestamp()) + 300, iat=int(NOW.timestamp())),
    "a matching at_hash": make_claims(at_hash=at_hash(ACCESS_TOKEN)),
}


@pytest.mark.parametrize("claims", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted(claims: dict[str, Any]) -> None:
    assert verify_id_token(sign(claims), JWKS, EXPECTED, ACCESS_TOKEN) == claims


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_each_asymmetric_algorithm_verifies(alg: str) -> None:
    kid = "ec-1" if alg.startswith("ES") else "rsa-1"
    assert verify_id_token(sign(make_claims(), alg, kid), JWKS, EXPECTED)["sub"] == "910000000001"


def test_without_a_kid_any_key_of_the_right_type_may_verify() -> None:
    assert verify_id_token(sign(make_claims(), kid=None), JWKS, EXPECTED)["acr"] == "AAL3_ANY"


REFUSED = {
    "another issuer": (make_claims(iss="https://elsewhere.example"), "(iss)"),
    "no issuer": (make_claims(iss=MISSING), "(iss)"),
    "issuer with a trailing slash": (make_claims(iss=ISSUER + "/"), "(iss)"),
    "another audience": (make_claims(aud="other-service"), "(aud)"),
    "no audience": (make_claims(aud=MISSING), "(aud)"),
    "an extra audience": (make_claims(aud=[CLIENT, "other-service"], azp=CLIENT), "(aud)"),
    "azp naming another service": (make_claims(azp="other-service"), "(azp)"),
    "expired beyond the skew": (make_claims(exp=NOW.timestamp() - 60), "has expired (exp)"),
    "no exp": (make_claims(exp=MISSING), "no exp in seconds"),
    "exp as text": (make_claims(exp="2026-11-24T09:05:00Z"), "no exp in seconds"),
    "exp as true": (make_claims(exp=True), "no exp in seconds"),
    "issued in the future": (make_claims(iat=NOW.timestamp() + 61), "in the future (iat)"),
    "no iat": (make_claims(iat=MISSING), "no iat in seconds"),
    "an absurd iat": (make_claims(iat=1e300), "in the future (iat)"),
    "another nonce": (make_claims(nonce="another"), "(nonce)"),
    "no nonce": (make_claims(nonce=MISSING), "(nonce)"),
    "nonce not text": (make_claims(nonce=["n-0S6_WzA2Mj"]), "(nonce)"),
    "a non-ASCII nonce": (make_claims(nonce="n-0S6_WzA2Mj\u00e9"), "(nonce)"),
    "at_hash of another access token": (make_claims(at_hash=at_hash("other")), "(at_hash)"),
    "at_hash not text": (make_claims(at_hash=12), "(at_hash)"),
}


@pytest.mark.parametrize(("claims", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(SignInRefused, match=re.escape(reason)):
        verify_id_token(sign(claims), JWKS, EXPECTED, ACCESS_TOKEN)


def _hs256() -> str:
    secret = jwk.OctKey.import_key(b"the client secret, as a key: 32 bytes")
    return jws.serialize_compact({"alg": "HS256"}, b'{"iss": "x"}', secret)


NOT_VERIFIED = {
    "not a JWT": ("not.a.jwt", "not a signed JWT"),
    "two parts": ("eyJhbGciOiJSUzI1NiJ9.e30", "not a signed JWT"),
    "an encrypted token's five parts": ("a.b.c.d.e", "not a signed JWT"),
    "a payload that is a list": (
        jws.serialize_compact({"alg": "RS256", "kid": "rsa-1"}, b"[1, 2]", RSA),
        "payload is not a JSON object",
    ),
    "unsigned": (
        "eyJhbGciOiJub25lIn0."
        + base64.urlsafe_b64encode(b'{"iss":"x"}').decode().rstrip("=")
        + ".",
        "not signed with an algorithm carerecord accepts",
    ),
    "HS256": (_hs256(), "not signed with an algorithm carerecord accepts"),
    "a kid the provider does not publish": (
        sign(make_claims(), kid="rsa-2"),
        "signature does not verify",
    ),
    "an RSA signature under the EC key's kid": (
        sign(make_claims(), kid="ec-1"),
        "signature does not verify",
    ),
    "signed by a stranger's key": (
        jws.serialize_compact(
            {"alg": "RS256", "kid": "rsa-1"},
            b"{}",
            jwk.RSAKey.generate_key(2048),
        ),
        "signature does not verify",
    ),
}


@pytest.mark.parametrize(("token", "reason"), NOT_VERIFIED.values(), ids=NOT_VERIFIED.keys())
def test_not_verified(token: str, reason: str) -> None:
    with pytest.raises(SignInRefused, match=re.escape(reason)):
        verify_id_token(token, JWKS, EXPECTED)


@pytest.mark.parametrize(
    "jwks",
    [
        {},
        {"keys": "not a list"},
        {"keys": ["not a key", {"kty": "RSA", "kid": "rsa-1", "n": "broken", "e": "AQAB"}]},
        {"keys": [{**RSA.as_dict(private=False), "use": "enc"}]},
        {"keys": [{**RSA.as_dict(private=False), "alg": "RS512"}]},
    ],
    ids=["no keys", "keys not a list", "malformed keys", "an encryption key", "another alg"],
)
def test_keys_that_cannot_verify_refuse(jwks: dict[str, Any]) -> None:
    with pytest.raises(SignInRefused, match="signature does not verify"):
        verify_id_token(sign(make_claims()), jwks, EXPECTED)


def test_the_kid_is_read_without_verifying() -> None:
    assert signing_key_id(sign(make_claims(), kid="rsa-9")) == "rsa-9"
    assert signing_key_id(sign(make_claims(), kid=None)) is None
    assert signing_key_id("garbage") is None
