"""The chain's head as a small document for someone outside to keep: which entry is newest
and its hash. Anyone holding yesterday's head can later show the log was not rewritten or cut
short since (`carerecord audit verify --head FILE`). Signed, when a key is configured, as a
JWS (compact form) so the copy cannot be forged either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jwk, jws
from joserfc.errors import JoseError

from carerecord.audit.entry import instant
from carerecord.errors import ConfigurationError, UsageError

_ALGORITHMS = {"OKP": "Ed25519", "EC": "ES256", "RSA": "RS256"}  # Ed25519: RFC 9864


@dataclass(frozen=True)
class Head:
    entry_id: int
    hash: str
    entries: int  # how many entries the chain held
    at: datetime  # when the head was taken
    node: str  # which carerecord this is (its base URL)

    def document(self) -> dict[str, Any]:
        return {
            "type": "carerecord-audit-head",
            "entry": self.entry_id,
            "hash": self.hash,
            "entries": self.entries,
            "at": instant(self.at),
            "node": self.node,
        }


def signing_key(path: str) -> jwk.Key:
    """The private key from a PEM file; ConfigurationError when it cannot be used."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        message = f"CARERECORD_AUDIT_SIGNING_KEY: {error.strerror}: {path}"
        raise ConfigurationError(message) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(
            f"CARERECORD_AUDIT_SIGNING_KEY: {path} is not a PEM private key ({error})"
        ) from None
    key_type = ""
    if isinstance(private, ed25519.Ed25519PrivateKey):
        key_type = "OKP"
    elif isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1":
        key_type = "EC"
    elif isinstance(private, rsa.RSAPrivateKey) and private.key_size >= 2048:
        key_type = "RSA"
    if not key_type:
        raise ConfigurationError(
            f"CARERECORD_AUDIT_SIGNING_KEY: {path} must be an Ed25519, EC P-256 or RSA "
            "(2048 bits or more) private key"
        )
    key: jwk.Key = jwk.import_key(data, key_type)  # type: ignore[call-overload]
    return key


def signed(head: Head, key: jwk.Key) -> str:
    alg = _ALGORITHMS[key.key_type]
    header = {"alg": alg, "typ": "JWT", "kid": key.thumbprint()}
    return jws.serialize_compact(header, orjson.dumps(head.document()), key, algorithms=[alg])


def read(text: str, key: jwk.Key | None) -> tuple[dict[str, Any], bool]:
    """A kept head, plain JSON or signed; and whether its signature was checked against
    `key` (a signed head that fails the check is refused). UsageError when unreadable."""
    text = text.strip()
    checked = False
    if text.startswith("{"):
        payload = text.encode()
    else:
        try:
            compact = jws.extract_compact(text.encode())
        except (JoseError, ValueError) as error:
            raise UsageError(f"the head is neither JSON nor a signed head: {error}") from None
        if key is not None:
            alg = _ALGORITHMS.get(key.key_type, "")
            try:
                jws.deserialize_compact(text, key, algorithms=[alg])
            except (JoseError, ValueError):
                raise UsageError("the head's signature does not match the signing key") from None
            checked = True
        payload = compact.payload
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise UsageError(f"the head is not valid JSON: {error}") from None
    if (
        not isinstance(document, dict)
        or document.get("type") != "carerecord-audit-head"
        or not isinstance(document.get("entry"), int)
        or not isinstance(document.get("hash"), str)
    ):
        raise UsageError("the head does not say which entry and hash it is")
    return document, checked
