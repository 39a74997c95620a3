"""Pushing as a source system does: a registered client with its own key, a bearer token, and
a small client for the push API, against a real uvicorn server or an in-process TestClient."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import orjson
import uvicorn
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import func, select

from carerecord.app import create_app
from carerecord.ingest.rules import RulesSource
from carerecord.push.auth import ASSERTION_TYPE
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from carerecord.store.schema import metadata
from tests.factories import make_org, register
from tests.support.postgres import free_port

FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class SourceSystem:
    """A registered organisation's system: its client id and the private key it signs with."""

    ods: str
    client_id: str
    key: ECKey | RSAKey
    alg: str


def register_source(
    store: Store,
    ods: str = "F83004",
    org_type: str = "gp",
    sections: tuple[str, ...] | None = None,
    kind: str = "EC",
) -> SourceSystem:
    """Registers the organisation and a client for it with a freshly generated key."""
    register(store, make_org(ods, org_type, sections=sections))
    key: ECKey | RSAKey
    if kind == "EC":
        key, alg = ECKey.generate_key("P-256", parameters={"kid": "push-ec"}), "ES256"
    else:
        key, alg = RSAKey.generate_key(2048, parameters={"kid": "push-rsa"}), "RS384"
    client = ClientRegistry(store).register(
        ods, f"{ods} push client", {"keys": [key.as_dict(private=False)]}
    )
    return SourceSystem(ods, client.client_id, key, alg)


def client_assertion(source: SourceSystem, token_url: str) -> str:
    claims = {
        "iss": source.client_id,
        "sub": source.client_id,
        "aud": token_url,
        "exp": int(time.time()) + 240,
        "jti": str(uuid.uuid4()),
    }
    header = {"alg": source.alg, "typ": "JWT", "kid": source.key.kid}
    return jwt.encode(header, claims, source.key, [source.alg])


class PushClient:
    """The push API as a source sees it; wraps any httpx.Client (a TestClient is one)."""

    def __init__(self, http: httpx.Client, token: str | None = None) -> None:
        self.http = http
        self.token = token

    def sign_in(self, source: SourceSystem) -> PushClient:
        # The audience is the token endpoint the server publishes, not the address we dialled.
        discovery = self.http.get("/fhir/.well-known/smart-configuration")
        token_url = discovery.json()["token_endpoint"]
        response = self.http.post(
            "/fhir/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(source, token_url),
                "scope": "system/*.write",
            },
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]
        return self

    def headers(self, content_type: str = FHIR_JSON) -> dict[str, str]:
        headers = {"Content-Type": content_type, "Accept": FHIR_JSON}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def post(self, body: Any) -> httpx.Response:
        return self.post_raw(orjson.dumps(body))

    def post_raw(self, content: bytes, content_type: str = FHIR_JSON) -> httpx.Response:
        return self.http.post("/fhir", content=content, headers=self.headers(content_type))

    def put(self, resource: dict[str, Any], resource_id: str | None = None) -> httpx.Response:
        url = f"/fhir/{resource['resourceType']}/{resource_id or resource['id']}"
        return self.http.put(url, content=orjson.dumps(resource), headers=self.headers())

    def delete(self, resource_type: str, resource_id: str) -> httpx.Response:
        return self.http.delete(f"/fhir/{resource_type}/{resource_id}", headers=self.headers())


def build_app(store: Store, db_url: str, exclusion_sets: str = "", **settings_: Any) -> FastAPI:
    """The app as `carerecord serve` on a free 127.0.0.1 port would be (live_server uses it)."""
    settings = Settings.from_env(
        {}, db=db_url, exclusion_sets=exclusion_sets, port=free_port(), **settings_
    )
    # TestClient addresses requests to "testserver"; the live server is 127.0.0.1.
    settings = replace(settings, allowed_hosts=settings.allowed_hosts or "127.0.0.1,testserver")
    return create_app(settings, store, RulesSource(store, settings, max_age_seconds=0))


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """uvicorn in a thread on the app's configured port (127.0.0.1); yields its base URL."""
    port = app.state.settings.port
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def row_count(store: Store, table: str, **where: Any) -> int:
    """Rows of one table (optionally matching column values), read straight from the store."""
    columns = metadata.tables[table].c
    query = select(func.count()).select_from(metadata.tables[table])
    for name, value in where.items():
        query = query.where(columns[name] == value)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
