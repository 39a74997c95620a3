"""Composition root for the web server: one Store, one Settings, passed to everything."""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

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
    def health() -> Response:
        up = store.ping()
        body = {"status": "ok" if up else "unavailable", "database": store.dialect}
        return Response(
            orjson.dumps({**body, "version": __version__}),
            status_code=200 if up else 503,
            media_type="application/json",
        )

    web.install(app, settings)
    return app
