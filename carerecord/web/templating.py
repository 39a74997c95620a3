"""The Jinja2 environment: our templates first, then the NHS design system's macros."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)

from carerecord.web import formatting, invisible
from carerecord.web.access_notice import COPI_IN_FORCE

TEMPLATES = Path(__file__).parent / "templates"
SERVICE_NAME = "carerecord"

# Pages show personal data: never cached, never sent on in a Referer header.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class PageChrome:
    """What every page needs beyond its own content."""

    nhsuk_assets: bool  # False when the nhsuk-frontend copy is missing: pages still render


@cache
def environment() -> Environment:
    """One per process: compiling the NHS macros is slow, and nothing in here varies by app."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), PackageLoader("nhsuk_frontend_jinja")]),
        undefined=ChainableUndefined,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=invisible.finalize,  # every printed value, in every template and NHS macro
        auto_reload=False,  # templates ship with the package: checking their files per render
        # cost 7% of a summary view under load; restart the server to see an edited one
    )
    env.globals["service_name"] = SERVICE_NAME
    env.globals["NOT_KNOWN"] = formatting.NOT_KNOWN
    env.globals["date_hint"] = formatting.DATE_HINT
    return env


def _copi(request: Request) -> bool:
    in_force = getattr(request.app.state, "copi_in_force", None)
    return bool(in_force and in_force(request.app.state.web_clock()))


def render(
    request: Request, template: str, context: Mapping[str, Any], status_code: int = 200
) -> HTMLResponse:
    """One page, rendered with the app's environment and the headers every page carries."""
    env: Environment = request.app.state.web_templates
    chrome: PageChrome = request.app.state.web_chrome
    user = getattr(request.state, "user", None)
    role_title = request.app.state.access_rules.for_role(user.role).title if user else ""
    if user and "access_notices" not in context and _copi(request):
        context = {**context, "access_notices": [COPI_IN_FORCE]}  # every page says so
    html = env.get_template(template).render(
        chrome=chrome, **{"user": user, "role_title": role_title, **context}
    )
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)
