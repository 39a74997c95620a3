"""Server-rendered pages. Renders only: access is decided in carerecord.access."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from carerecord.settings import Settings
from carerecord.web import (
    access_pages,
    admin_pages,
    alert_pages,
    as_seen_pages,
    assets,
    audit_pages,
    document_pages,
    objection_pages,
    oidc_pages,
    sign_in_pages,
    timeline_pages,
    usage_pages,
)
from carerecord.web.error_pages import install_error_pages
from carerecord.web.routes import router, utc_now
from carerecord.web.templating import PageChrome, environment

logger = logging.getLogger(__name__)

OWN_STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, settings: Settings) -> None:
    """Adds the pages and static assets to the app (being built)."""
    nhsuk = assets.nhsuk_dir(settings)
    found = assets.present(nhsuk)
    if not found:
        logger.warning(
            "nhsuk-frontend assets not found in %s: pages render without NHS styles; "
            "run `npm ci && python -m carerecord.web.assets`",
            nhsuk,
        )
    app.state.web_templates = environment()
    app.state.web_chrome = PageChrome(nhsuk_assets=found)
    app.state.web_clock = utc_now
    if found:
        app.mount("/static/nhsuk", StaticFiles(directory=nhsuk), name="nhsuk")
    app.mount("/static", StaticFiles(directory=OWN_STATIC), name="static")
    # each module of pages brings its own router; timeline_pages before routes, whose
    # /patients/{id}/{section} would otherwise answer its addresses
    routers = (
        sign_in_pages.router,
        oidc_pages.router,
        access_pages.router,
        objection_pages.router,
        document_pages.router,
        admin_pages.router,
        usage_pages.router,
        as_seen_pages.router,
        audit_pages.router,
        alert_pages.router,
    )
    for pages in (*routers, timeline_pages.router, router):
        app.include_router(pages)
    install_error_pages(app)
    oidc_pages.hide_callback_query()
