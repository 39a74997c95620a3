"""GET /fhir/AuditEvent (a searchset Bundle) and GET /fhir/AuditEvent/{id}: the audit log as
FHIR, for systems with a bearer token and for a signed-in privacy officer. Who may read, and
the record of each reading, are carerecord.access.audit_reader's; these routes only parse,
translate and draw. Every error is an OperationOutcome (carerecord.web.error_pages)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from carerecord.access.audit_reader import AuditEventReader, EventPage, SystemReader
from carerecord.audit.fhir_event import audit_event
from carerecord.audit.fhir_search import parse_search
from carerecord.errors import Refused, SourceUnauthorized
from carerecord.fhir.outcomes import fhir_response
from carerecord.push.auth import BackendAuth
from carerecord.push.auth_routes import require_source
from carerecord.web.session import client_of, current_user, request_time

PATH = "/fhir/AuditEvent"
_MAX_ID = 2**63 - 1


def install_audit_events(app: FastAPI, auth: BackendAuth, base: str) -> None:
    """`base` is the configured base URL: the links of a Bundle never follow the Host header."""
    system = require_source(auth)

    def reader(request: Request) -> AuditEventReader:
        """A bearer token speaks for a system; otherwise the session's user, if any."""
        who: Any
        if "authorization" in request.headers:
            source = system(request)
            who = SystemReader(source.client_id, source.source_ods, source.scopes)
        else:
            who = current_user(request)
            if who is None:
                raise SourceUnauthorized("sign in, or send Authorization: Bearer <token>")
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        opened: AuditEventReader = request.app.state.open_audit_reader(
            who, request_time(request), client_of(request), request_id
        )
        return opened

    @app.get(PATH, include_in_schema=False)
    async def search(request: Request) -> Response:
        opened = await run_in_threadpool(reader, request)
        asked = parse_search(request.query_params.multi_items())
        page = await run_in_threadpool(opened.search, asked)
        return fhir_response(_bundle(page, asked.parameters, base), 200)

    @app.get(PATH + "/{entry_id}", include_in_schema=False)
    async def read(request: Request, entry_id: str) -> Response:
        opened = await run_in_threadpool(reader, request)
        if not entry_id.isascii() or not entry_id.isdigit() or int(entry_id) > _MAX_ID:
            raise Refused(f"no AuditEvent {entry_id[:40]!r}", status=404, code="not-found")
        found = await run_in_threadpool(opened.read, int(entry_id))
        if found is None:
            raise Refused(f"no AuditEvent {entry_id}", status=404, code="not-found")
        return fhir_response(audit_event(found, base), 200)


def _bundle(page: EventPage, parameters: tuple[tuple[str, str], ...], base: str) -> dict[str, Any]:
    links = [{"relation": "self", "url": _url(base, parameters)}]
    if page.next_before is not None:
        following = (*parameters, ("_before", str(page.next_before)))
        links.append({"relation": "next", "url": _url(base, following)})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}{PATH}/{entry.id}",
                "resource": audit_event(entry, base),
                "search": {"mode": "match"},
            }
            for entry in page.entries
        ],
    }


def _url(base: str, parameters: tuple[tuple[str, str], ...]) -> str:
    return f"{base}{PATH}" + (f"?{urlencode(parameters)}" if parameters else "")
