"""Composition root for the web server: one Store, one Settings, passed to everything."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

from carerecord import __version__, web
from carerecord.access.actors import Actor, User
from carerecord.access.gate import RecordAccess
from carerecord.access.registry import AccessRegistry
from carerecord.access.rules import load_rules
from carerecord.access.sign_in import SignIn
from carerecord.ingest.rules import RulesSource
from carerecord.push.auth import BackendAuth
from carerecord.push.routes import install_push
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry


def create_app(settings: Settings, store: Store, rules: RulesSource | None = None) -> FastAPI:
    app = FastAPI(title="carerecord", version=__version__, docs_url=None, redoc_url=None)
    app.state.settings = settings

    intake = rules or RulesSource(store, settings)
    access_rules = load_rules(Path(settings.access_rules) if settings.access_rules else None)
    app.state.access_rules = access_rules
    app.state.sign_in = SignIn(store, settings)

    # Organisations, networks and COPI periods are re-read every few seconds, not per request.
    registry = AccessRegistry(store)

    # Pages receive a factory, never the store: every read goes through RecordAccess.
    def open_record(actor: Actor | User, now: datetime, client_address: str) -> RecordAccess:
        return RecordAccess(
            store, actor, access_rules, now, client_address, intake.exclusions, registry
        )

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
    install_push(app, store, intake, BackendAuth(ClientRegistry(store)))
    web.install(app, settings)
    return app
