"""FHIR OperationOutcome and FHIR JSON responses: how every FHIR door answers a client."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from carerecord.errors import Refused, ScopeRefused, SourceUnauthorized

FHIR_JSON = "application/fhir+json"


def is_fhir_path(path: str) -> bool:
    """A request to the FHIR API, whose client reads OperationOutcomes, not pages."""
    return path == "/fhir" or path.startswith("/fhir/")


def outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def outcome_of(issues: list[tuple[str, str, str]]) -> dict[str, Any]:
    """(severity, code, diagnostics) for each issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": s, "code": c, "diagnostics": d} for s, c, d in issues],
    }


def fhir_response(
    body: dict[str, Any] | None, status: int, headers: dict[str, str] | None = None
) -> Response:
    content = orjson.dumps(body) if body is not None else b""
    return Response(content, status_code=status, media_type=FHIR_JSON, headers=headers)


def refusal(error: Refused) -> Response:
    """Any refused request at a FHIR door; a missing or bad token also gets its challenge."""
    headers = None
    quoted = str(error).replace("\\", "").replace('"', "'")  # an RFC 7230 quoted-string
    if isinstance(error, SourceUnauthorized):
        headers = {
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{quoted}"'
        }
    elif isinstance(error, ScopeRefused):  # RFC 6750 section 3.1: name the scope needed
        needed = " ".join(error.needed)
        headers = {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'}
    return fhir_response(outcome(error.code, str(error)), error.status, headers)
