"""Source systems: their public keys, the scopes they are granted, used assertions and access
tokens. A change of grants is written to the audit log in the same transaction."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from joserfc import jwk
from joserfc.errors import JoseError
from sqlalchemy import Connection, delete, false, select, update

from carerecord.audit.entry import AuditRecord
from carerecord.errors import CareRecordError, InvalidOrganisation
from carerecord.scopes import PUSH
from carerecord.store import audit
from carerecord.store.schema import (
    access_tokens,
    client_assertions,
    client_grants,
    source_clients,
)
from carerecord.store.store import Store
from carerecord.store.upsert import insert_for

# Members that only a private (or symmetric) key has: a JWKS holding any of them leaks a secret.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# Curves of the signing algorithms the token endpoint accepts (ES256, ES384).
_EC_CURVES = frozenset({"P-256", "P-384"})
_RSA_MIN_BITS = 2048


class InvalidSourceClient(CareRecordError, ValueError):
    """Source system details that cannot be registered as given."""


class InvalidKeySet(InvalidSourceClient):
    """A JSON Web Key Set that cannot be registered for a source system."""


@dataclass(frozen=True, slots=True)
class SourceClient:
    client_id: str
    source_ods: str
    name: str
    jwks: dict[str, Any]
    registered_at: datetime
    disabled: bool
    scopes: tuple[str, ...] = ()  # what it is granted, sorted


@dataclass(frozen=True, slots=True)
class GrantChange:
    """What a grant or revoke did: the scopes changed, and all the client holds afterwards."""

    client: SourceClient
    changed: tuple[str, ...]


class ClientRegistry:
    """Registered source systems, their grants, the assertions they have used, and the tokens
    they hold."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def register(
        self,
        source_ods: str,
        name: str,
        jwks: dict[str, Any],
        scopes: Iterable[str] = PUSH,
        by: str = "",
    ) -> SourceClient:
        """Registers a source system's public keys under a new random client id, granted
        `scopes` (by default, pushing). With `by`, the registration is audited as that actor."""
        source_ods = source_ods.strip().upper()
        if self.store.organisation(source_ods) is None:
            raise InvalidOrganisation(
                f"ODS code {source_ods!r} is not registered: run `carerecord org add` first"
            )
        if not name.strip():
            raise InvalidSourceClient("a source system needs a name")
        client = SourceClient(
            # Hex: an id is typed into commands, and a urlsafe one may start with "-".
            client_id=secrets.token_hex(18),
            source_ods=source_ods,
            name=name.strip(),
            jwks=public_signing_keys(jwks),
            registered_at=datetime.now(UTC),
            disabled=False,
            scopes=tuple(sorted(set(scopes))),
        )
        with self.store.transaction() as conn:
            conn.execute(
                source_clients.insert().values(
                    client_id=client.client_id,
                    source_ods=client.source_ods,
                    name=client.name,
                    jwks=orjson.dumps(client.jwks).decode(),
                    registered_at=client.registered_at,
                    disabled=False,
                )
            )
            _insert_grants(conn, client.client_id, client.scopes, by, client.registered_at)
            if by:
                detail = {**_described(client), "granted": list(client.scopes)}
                event = AuditRecord(by, "client-add", "success", detail)
                audit.append(conn, event, client.registered_at)
        return client

    def grant(self, client_id: str, scopes: Iterable[str], by: str) -> GrantChange | None:
        """Grants scopes (those held already are left as they are) and audits the change as
        `by`, in one transaction; None if there is no such client."""
        return self._change(client_id, sorted(set(scopes)), by, "client-grant")

    def revoke(self, client_id: str, scopes: Iterable[str], by: str) -> GrantChange | None:
        """Takes scopes away, at once for tokens already issued too; audited like grant."""
        return self._change(client_id, sorted(set(scopes)), by, "client-revoke")

    def _change(
        self, client_id: str, scopes: list[str], by: str, action: str
    ) -> GrantChange | None:
        now = datetime.now(UTC)
        with self.store.transaction() as conn:
            client = self._get(conn, client_id)
            if client is None:
                return None
            if action == "client-grant":
                changed = [scope for scope in scopes if scope not in client.scopes]
                _insert_grants(conn, client_id, changed, by, now)
            else:
                changed = [scope for scope in scopes if scope in client.scopes]
                conn.execute(
                    delete(client_grants).where(
                        client_grants.c.client_id == client_id,
                        client_grants.c.scope.in_(changed),
                    )
                )
            after = replace(client, scopes=_scopes(conn, client_id))
            detail = {**_described(after), "asked": scopes, "changed": changed}
            audit.append(conn, AuditRecord(by, action, "success", detail), now)
        return GrantChange(after, tuple(changed))

    def get(self, client_id: str) -> SourceClient | None:
        with self.store.engine.connect() as conn:
            return self._get(conn, client_id)

    def _get(self, conn: Connection, client_id: str) -> SourceClient | None:
        query = select(source_clients).where(source_clients.c.client_id == client_id)
        row = conn.execute(query).first()
        return None if row is None else _client(row._mapping, _scopes(conn, client_id))

    def all(self) -> list[SourceClient]:
        query = select(source_clients).order_by(
            source_clients.c.source_ods, source_clients.c.registered_at
        )
        with self.store.engine.connect() as conn:
            held: dict[str, list[str]] = {}
            grants = select(client_grants.c.client_id, client_grants.c.scope)
            for client_id, scope in conn.execute(grants):
                held.setdefault(client_id, []).append(scope)
            return [
                _client(row._mapping, tuple(sorted(held.get(row.client_id, []))))
                for row in conn.execute(query)
            ]

    def disable(self, client_id: str, by: str) -> bool:
        """Disables a client, which voids its tokens at once, audited as `by` in the same
        transaction; False if there is no such client."""
        statement = (
            update(source_clients)
            .where(source_clients.c.client_id == client_id)
            .values(disabled=True)
        )
        with self.store.transaction() as conn:
            client = self._get(conn, client_id)
            if client is None:
                return False
            conn.execute(statement)
            event = AuditRecord(by, "client-disable", "success", _described(client))
            audit.append(conn, event, datetime.now(UTC))
            return True

    def use_assertion(self, client_id: str, jti: str, expires_at: datetime) -> bool:
        """Records a client assertion as used; False if it was used before.

        The primary key decides, not a lookup: of two requests replaying the same assertion
        at once, exactly one inserts the row.
        """
        with self.store.transaction() as conn:
            statement = (
                insert_for(conn, client_assertions)
                .values(client_id=client_id, jti=jti, expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=["client_id", "jti"])
                .returning(client_assertions.c.jti)
            )
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
            return conn.execute(statement).first() is not None

    def save_token(
        self,
        token_hash: str,
        client_id: str,
        scope: str,
        issued_at: datetime,
        expires_at: datetime,
    ) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                access_tokens.insert().values(
                    token_hash=token_hash,
                    client_id=client_id,
                    scope=scope,
                    issued_at=issued_at,
                    expires_at=expires_at,
                )
            )

    def token(self, token_hash: str, now: datetime) -> tuple[SourceClient, str] | None:
        """The client and scope of a live token: None if unknown, expired or its client disabled.
        The client carries its grants as they are now, which may be fewer than when issued."""
        query = (
            select(source_clients, access_tokens.c.scope)
            .join(access_tokens, access_tokens.c.client_id == source_clients.c.client_id)
            .where(
                access_tokens.c.token_hash == token_hash,
                access_tokens.c.expires_at > now,
                source_clients.c.disabled == false(),
            )
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            return _client(row._mapping, _scopes(conn, row.client_id)), row.scope

    def purge_expired(self, now: datetime) -> int:
        """Deletes expired tokens and assertions (an expired assertion cannot be replayed)."""
        with self.store.transaction() as conn:
            tokens = conn.execute(delete(access_tokens).where(access_tokens.c.expires_at <= now))
            used = conn.execute(
                delete(client_assertions).where(client_assertions.c.expires_at <= now)
            )
            return tokens.rowcount + used.rowcount


def public_signing_keys(jwks: Any) -> dict[str, Any]:
    """The keys of a JWKS that can verify RS256/RS384/ES256/ES384 signatures.

    Refuses the whole set if any key carries private material: a source that sends its private
    key has leaked it, and must make a new one rather than have it quietly dropped.
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise InvalidKeySet('a JWKS is a JSON object with a "keys" list')
    keys = jwks["keys"]
    for index, key in enumerate(keys):
        if not isinstance(key, dict):
            raise InvalidKeySet(f"key {index} is not a JSON object")
        if private := sorted(_PRIVATE_MEMBERS & key.keys()):
            raise InvalidKeySet(
                f"key {index} holds private key material ({', '.join(private)}): "
                "register only the public keys, and replace a private key that was shared"
            )
    usable = [key for index, key in enumerate(keys) if _is_usable(index, key)]
    if not usable:
        raise InvalidKeySet(
            "the JWKS has no usable public signing key: "
            f"need RSA ({_RSA_MIN_BITS} bits or more) or EC on P-256 or P-384"
        )
    kids = [key["kid"] for key in usable if "kid" in key]
    if len(kids) != len(set(kids)):
        raise InvalidKeySet("two keys share a kid, so a signature could not name its key")
    return {"keys": usable}


def _is_usable(index: int, key: dict[str, Any]) -> bool:
    if key.get("use", "sig") != "sig":
        return False
    if "key_ops" in key and "verify" not in key["key_ops"]:
        return False
    if key.get("kty") == "RSA" and _rsa_bits(key) < _RSA_MIN_BITS:
        return False  # measured before importing, which only warns about small keys
    if key.get("kty") == "EC" and key.get("crv") not in _EC_CURVES:
        return False
    if key.get("kty") not in ("RSA", "EC"):
        return False
    try:
        jwk.import_key(key)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidKeySet(
            f"key {index} is not a valid {key['kty']} public key: {error}"
        ) from None
    return True


def _rsa_bits(key: dict[str, Any]) -> int:
    modulus = key.get("n")
    if not isinstance(modulus, str):
        return 0
    try:
        return int.from_bytes(
            base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
        ).bit_length()
    except ValueError:
        return 0


def _client(row: Any, scopes: tuple[str, ...]) -> SourceClient:
    return SourceClient(
        client_id=row["client_id"],
        source_ods=row["source_ods"],
        name=row["name"],
        jwks=orjson.loads(row["jwks"]),
        registered_at=row["registered_at"],
        disabled=bool(row["disabled"]),
        scopes=scopes,
    )


def _scopes(conn: Connection, client_id: str) -> tuple[str, ...]:
    query = select(client_grants.c.scope).where(client_grants.c.client_id == client_id)
    return tuple(sorted(conn.execute(query).scalars()))


def _insert_grants(
    conn: Connection, client_id: str, scopes: Iterable[str], by: str, now: datetime
) -> None:
    rows = [
        {"client_id": client_id, "scope": scope, "granted_at": now, "granted_by": by[:100]}
        for scope in scopes
    ]
    if rows:  # a grant made at the same moment by another operator is not an error
        statement = insert_for(conn, client_grants).on_conflict_do_nothing(
            index_elements=["client_id", "scope"]
        )
        conn.execute(statement, rows)


def _described(client: SourceClient) -> dict[str, object]:
    """The client as an audit entry names it: never its keys."""
    return {
        "client": client.client_id,
        "organisation": client.source_ods,
        "name": client.name,
        "scopes": list(client.scopes),
    }
