"""Headers on every response, bidi controls dropped from pages, and validation errors shown
as the normal error pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from carerecord.web.invisible import finalize
from carerecord.web.templating import environment
from tests.web.conftest import patient_url
from tests.web.seed import JANE


def test_a_record_page_carries_the_policy_and_is_never_cached(client: TestClient) -> None:
    response = client.get(patient_url(client, JANE))
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    # nhsuk-frontend's CSS loads Frutiger from the NHS font service; nothing else is foreign
    assert "font-src 'self' https://assets.nhs.uk" in policy
    assert policy.count("https://") == 1
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["cache-control"] == "no-store"
    https = response.url.scheme == "https"
    assert ("strict-transport-security" in response.headers) == https


def test_pages_hold_no_inline_script_or_handler(client: TestClient) -> None:
    html = client.get(patient_url(client, JANE)).text
    for tag in html.split("<script")[1:]:
        assert tag.split(">", 1)[0].strip().startswith(("src=", 'type="module" src=')), tag[:80]
    assert " onclick=" not in html and " onload=" not in html


def test_errors_and_static_files_carry_the_headers_too(client: TestClient) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "default-src 'self'" in missing.headers["content-security-policy"]
    script = client.get("/static/js-enabled.js")
    assert script.status_code == 200 and "no-store" not in script.headers.get("cache-control", "")
    assert script.headers["x-content-type-options"] == "nosniff"


def test_bidi_overrides_are_dropped_from_every_printed_value() -> None:
    page = environment().from_string("<p title='{{ name }}'>{{ name }}</p>")
    html = page.render(name="SMITH\u202eenaJ\u2066x\u2069\u200f")
    assert html == "<p title='SMITHenaJx'>SMITHenaJx</p>"
    assert finalize(3) == 3


def test_a_malformed_parameter_shows_the_error_page_without_the_value(
    client: TestClient,
) -> None:
    app = client.app

    @app.get("/probe/{number}")  # type: ignore[attr-defined, misc]
    def probe(number: int) -> str:
        return str(number)

    @app.get("/fhir/probe/{number}")  # type: ignore[attr-defined, misc]
    def fhir_probe(number: int) -> str:
        return str(number)

    page = client.get("/probe/SECRET-VALUE")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "There is a problem with the web address" in page.text
    assert "SECRET-VALUE" not in page.text
    fhir = client.get("/fhir/probe/SECRET-VALUE")
    assert fhir.status_code == 400
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.json()["issue"][0]["code"] == "invalid"
    assert "SECRET-VALUE" not in fhir.text
