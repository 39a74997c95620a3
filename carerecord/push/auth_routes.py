"""HTTP edge of source authentication: the token endpoint, SMART discovery, and the guard
that push routes depend on. Errors are translated here once: OAuth JSON at the token
endpoint, a FHIR OperationOutcome on FHIR routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from carerecord.errors import ScopeRefused, SourceUnauthorized
from carerecord.origin import TOKEN_PATH
from carerecord.push.auth import (
    GRANT_TYPE,
    SCOPES,
    SIGNING_ALGORITHMS,
    AuthenticatedSource,
    AuthError,
    BackendAuth,
)

# Token responses are credentials: no cache may keep them (RFC 6749 section 5.1).
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def install_auth(app: FastAPI, auth: BackendAuth, token_url: str) -> None:
    """`token_url` is the token endpoint under the configured base URL: the only audience a
    client assertion may name, and what discovery advertises, whatever the Host header says."""

    @app.post(TOKEN_PATH, include_in_schema=False)
    async def token(request: Request) -> Response:
        try:
            form = await _single_valued_form(request)
            grant = await run_in_threadpool(auth.issue_token, form, token_url)
        except AuthError as error:
            body = {"error": error.error, "error_description": error.description}
            return _json(body, error.status, _NO_STORE)
        return _json(grant.as_json(), 200, _NO_STORE)

    @app.get("/fhir/.well-known/smart-configuration", include_in_schema=False)
    def smart_configuration() -> Response:
        return _json(
            {
                "token_endpoint": token_url,
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
                "grant_types_supported": [GRANT_TYPE],
                "scopes_supported": list(SCOPES),
                "capabilities": ["client-confidential-asymmetric"],
            },
            200,
        )


def require_source(
    auth: BackendAuth, any_of: Sequence[str] = ()
) -> Callable[[Request], AuthenticatedSource]:
    """A dependency for FHIR routes: the authenticated source, or a 401 OperationOutcome; with
    `any_of`, a token carrying none of those scopes gets a 403 OperationOutcome."""

    def source(request: Request) -> AuthenticatedSource:
        try:
            found = auth.authenticate(request.headers.get("authorization"))
        except AuthError as error:
            raise SourceUnauthorized(error.description) from None
        if any_of and not found.scopes & set(any_of):
            needed = tuple(any_of)
            raise ScopeRefused(f"this needs the scope {' or '.join(needed)}", needed)
        return found

    return source


async def _single_valued_form(request: Request) -> dict[str, str]:
    """The form's fields; RFC 6749 forbids sending a parameter twice, and files mean nothing."""
    try:
        form = await request.form()
    except (HTTPException, MultiPartException):  # starlette's answers to a broken multipart body
        raise AuthError("invalid_request", "send application/x-www-form-urlencoded") from None
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if name in fields or not isinstance(value, str):
            raise AuthError("invalid_request", f"{name} must be sent once, as text")
        fields[name] = value
    return fields


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )
