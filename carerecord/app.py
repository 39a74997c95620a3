"""Composition root for the web server: one Store, one Settings, passed to everything."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

from carerecord import __version__, web
from carerecord.access.actors import Actor
from carerecord.access.gate import RecordAccess
from carerecord.access.oidc import OidcClient, OidcConfig
from carerecord.access.vocabulary import Role
from carerecord.ingest.rules import RulesSource
from carerecord.push.auth import BackendAuth
from carerecord.push.routes import install_push
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from carerecord.store.oidc_states import OidcStates


def create_app(
    settings: Settings,
    store: Store,
    rules: RulesSource | None = None,
    national_roles: Mapping[str, Role] | None = None,
) -> FastAPI:
    app = FastAPI(title="carerecord", version=__version__, docs_url=None, redoc_url=None)
    app.state.settings = settings

    # Sign-in through an identity provider, when one is configured: its pending sign-ins live
    # in the database, so any server process can finish one another began.
    oidc = OidcConfig.from_settings(settings)
    app.state.oidc = (
        None if oidc is None else OidcClient(oidc, OidcStates(store), national_roles or {})
    )

    # Pages receive a factory, never the store: every read goes through RecordAccess.
    def open_record(actor: Actor) -> RecordAccess:
        return RecordAccess(store, actor)

    app.state.open_record = open_record

    @app.get("/health", include_in_schema=False)
    def health() -> Response:
        up = store.ping()
        body = {"status": "ok" if up else "unavailable", "database": store.dialect}
        return Response(
            orjson.dumps({**body, "version": __version__}),
            status_code=200 if up else 503,
            media_type="application/json",
        )

    # Source systems push FHIR here; what they may send is decided by the intake rules.
    install_push(
        app, store, rules or RulesSource(store, settings), BackendAuth(ClientRegistry(store))
    )
    web.install(app, settings)
    return app
