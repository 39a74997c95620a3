"""The push API's HTTP edge: POST /fhir (transaction and batch), PUT and DELETE of one resource.

Routes parse and translate; bundles.py decides what happens. Work runs in a thread (the store is
synchronous). Every error is an OperationOutcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from carerecord.audit.entry import AuditRecord
from carerecord.errors import InvalidSubmission
from carerecord.fhir.outcomes import fhir_response
from carerecord.ingest.limits import is_depth_error, json_values
from carerecord.ingest.rules import RulesSource
from carerecord.origin import token_endpoint
from carerecord.push.auth import AuthenticatedSource, BackendAuth
from carerecord.push.auth_routes import install_auth, require_source
from carerecord.push.bundles import process_bundle, process_delete, process_put
from carerecord.scopes import PUSH
from carerecord.settings import Settings
from carerecord.store import Store

# Starlette path parameters take no regular expressions: the type is checked in the handler.
_RESOURCE_PATH = "/fhir/{resource_type}/{resource_id}"
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


def install_push(
    app: FastAPI, store: Store, rules: RulesSource, auth: BackendAuth, settings: Settings
) -> None:
    install_auth(app, auth, token_endpoint(settings))
    source = Depends(require_source(auth, PUSH))

    @app.post("/fhir", include_in_schema=False)
    async def push_bundle(request: Request, sender: AuthenticatedSource = source) -> Response:
        raw = await _body(request, settings)
        bundle = _json(raw, settings)
        # rules.current() may re-read the registry: in the worker thread, off the event loop.
        status, body = await run_in_threadpool(
            lambda: process_bundle(store, rules.current(), sender.source_ods, bundle, raw.decode())
        )
        entries = bundle.get("entry") if isinstance(bundle, dict) else None
        detail = {"type": bundle.get("type") if isinstance(bundle, dict) else None}
        detail["entries"] = len(entries) if isinstance(entries, list) else 0
        await _audit(store, request, sender, "fhir-push", status, detail)
        return fhir_response(body, status)

    @app.put(_RESOURCE_PATH, include_in_schema=False)
    async def put_resource(
        resource_type: str, resource_id: str, request: Request, sender: AuthenticatedSource = source
    ) -> Response:
        _check_type(resource_type)
        body = _json(await _body(request, settings), settings)
        status, answer = await run_in_threadpool(
            lambda: process_put(
                store, rules.current(), sender.source_ods, resource_type, resource_id, body
            )
        )
        headers = {"Location": f"{resource_type}/{resource_id}"} if status in (200, 201) else None
        target = {"resource": f"{resource_type}/{resource_id[:64]}"}
        await _audit(store, request, sender, "fhir-put", status, target)
        return fhir_response(answer, status, headers)

    @app.delete(_RESOURCE_PATH, include_in_schema=False)
    async def delete_resource(
        resource_type: str, resource_id: str, request: Request, sender: AuthenticatedSource = source
    ) -> Response:
        _check_type(resource_type)
        status = await run_in_threadpool(
            process_delete, store, sender.source_ods, resource_type, resource_id
        )
        target = {"resource": f"{resource_type}/{resource_id[:64]}"}
        await _audit(store, request, sender, "fhir-delete", status, target)
        return Response(status_code=status)


async def _audit(
    store: Store,
    request: Request,
    sender: AuthenticatedSource,
    action: str,
    status: int,
    detail: Mapping[str, object],
) -> None:
    """Every call a source makes is in the audit log, after its work is committed (a source
    that sees a 503 for an unwritten entry re-sends, which changes nothing twice)."""
    client = request.client.host if request.client else ""
    record = AuditRecord(
        f"client:{sender.client_id}",
        action,
        "success" if status < 400 else "failure",
        {**detail, "status": status, "source": sender.source_ods, "scope": sender.scope,
         "client_address": client[:64]},
        requester=None,
    )  # fmt: skip
    await run_in_threadpool(store.consent.audit, record, datetime.now(UTC))


async def _body(request: Request, settings: Settings) -> bytes:
    cap = settings.push_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise InvalidSubmission(413, "too-costly", f"the body is over {cap:,} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/fhir+json", "application/json"):
        raise InvalidSubmission(
            415, "not-supported", "send FHIR JSON (Content-Type: application/fhir+json)"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise InvalidSubmission(413, "too-costly", f"the body is over {cap:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_type(resource_type: str) -> None:
    if not _RESOURCE_TYPE.fullmatch(resource_type):
        raise InvalidSubmission(404, "not-found", f"{resource_type!r} is not a FHIR resource type")


def _json(raw: bytes, settings: Settings) -> Any:
    # Counted before parsing: a body of a million empty arrays must not be built in memory.
    if json_values(raw) > settings.push_max_elements:
        raise InvalidSubmission(
            413, "too-costly", f"the body holds over {settings.push_max_elements:,} JSON values"
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if is_depth_error(str(error)):
            raise InvalidSubmission(
                400, "too-costly", f"the body nests too deep ({error})"
            ) from None
        raise InvalidSubmission(400, "structure", f"the body is not valid JSON ({error})") from None
