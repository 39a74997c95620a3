"""Composition root for the web server: one Store, one Settings, passed to everything."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from carerecord import __version__, web
from carerecord.access.actors import Actor
from carerecord.access.gate import RecordAccess
from carerecord.settings import Settings
from carerecord.store import Store


def create_app(settings: Settings, store: Store) -> FastAPI:
    app = FastAPI(title="carerecord", version=__version__, docs_url=None, redoc_url=None)
    app.state.settings = settings

    # Pages receive a factory, never the store: every read goes through RecordAccess.
    def open_record(actor: Actor) -> RecordAccess:
        return RecordAccess(store, actor)

    app.state.open_record = open_record

    @app.get("/health", include_in_schema=False)
    def health() -> ORJSONResponse:
        if not store.ping():
            return ORJSONResponse({"status": "unavailable", "database": store.dialect}, 503)
        return ORJSONResponse({"status": "ok", "database": store.dialect, "version": __version__})

    web.install(app, settings)
    return app
