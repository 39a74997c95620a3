"""The sign-in pages over HTTPS, through their real forms: cookies, the pages a signed-out
browser may see, where `next` may lead, CSRF, forged and stale cookies, oversized forms and
the plain-words refusals. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.schema import access_declarations
from tests.factories import make_org, register
from tests.support.audit_log import entries
from tests.support.sign_in import (
    Clock,
    add_quick_staff,
    code_at,
    form_token,
    send_code,
    send_password,
    sign_in,
)
from tests.web.seed import JANE, seed

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
GP = "gp-clinician"  # Jane's registered practice: sees her record
WARD = "ward-doctor"  # at the hospital, which holds no relationship with Jane
COOKIE = "carerecord_session"
TRAINED = NOW - timedelta(days=30)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(store: Store, tmp_path: Path, clock: Clock) -> FastAPI:
    seed(store, tmp_path)
    add_quick_staff(store, GP, "F83004", "clinician", TRAINED, NOW)
    add_quick_staff(store, WARD, "RAL01", "clinician", TRAINED, NOW)
    app = create_app(
        Settings(db="unused://", allowed_hosts="testserver,127.0.0.1,carerecord.example"), store
    )
    app.state.web_clock = clock
    return app


def browser(app: FastAPI, address: str = "127.0.0.1", base: str = "https://testserver") -> Any:
    return TestClient(app, base_url=base, client=(address, 50000), raise_server_exceptions=False)


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    with browser(app) as client:
        yield client


def jane(store: Store) -> str:
    patient_id = store.patient_id_for_nhs_number(JANE)
    assert patient_id is not None
    return patient_id


def goes_to_sign_in(response: Any) -> bool:
    return bool(response.status_code == 303 and response.headers["location"].startswith("/sign-in"))


def declarations(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(access_declarations)).scalar_one())


# Signing in through the forms


def test_the_password_then_the_code_sign_in_and_open_the_search(
    http: TestClient, clock: Clock
) -> None:
    sent = send_password(http, GP)
    assert sent.headers["location"] == "/sign-in/code?next=/"

    done = send_code(http, code_at(clock.now), sent.headers["location"])

    assert done.headers["location"] == "/"
    page = http.get("/")
    assert page.status_code == 200 and "<h1>Find a person's record</h1>" in page.text
    assert "Gp Clinician" in page.text  # the header names who is signed in


def test_a_wrong_password_is_a_form_error(http: TestClient, store: Store) -> None:
    refused = send_password(http, GP, "not the password")

    assert refused.status_code == 422
    assert "The username or password is not right" in refused.text
    assert refused.headers.get("set-cookie", "").count(COOKIE) == 0


def test_a_code_of_the_wrong_shape_is_a_form_error_and_not_counted(
    http: TestClient, store: Store
) -> None:
    sent = send_password(http, GP)
    for typed in ("12345", "abcdef", "١٢٣٤٥٦", "1" * 10_000):
        refused = send_code(http, typed, sent.headers["location"])
        assert refused.status_code == 422
        assert "Enter the 6-digit code from your authenticator app" in refused.text
    held = store.accounts.user_by_name(GP)
    assert held is not None and held.failed_attempts == 0


def test_starting_again_from_the_code_page_works(http: TestClient, clock: Clock) -> None:
    send_password(http, GP)
    again = send_password(http, GP)  # "Start again": the sign-in page, from the code page

    assert again.status_code == 303, again.text
    assert send_code(http, code_at(clock.now)).headers["location"] == "/"


def test_the_half_signed_in_browser_reads_no_page(http: TestClient, store: Store) -> None:
    send_password(http, GP)

    assert goes_to_sign_in(http.get("/", follow_redirects=False))
    assert goes_to_sign_in(http.get(f"/patients/{jane(store)}", follow_redirects=False))


# Cookies


def cookie_attributes(response: Any, name: str) -> set[str]:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set")


def test_every_cookie_is_httponly_secure_lax_and_for_the_whole_site(
    http: TestClient, clock: Clock
) -> None:
    form = http.get("/sign-in")
    sent = send_password(http, GP)
    done = send_code(http, code_at(clock.now), sent.headers["location"])

    for response, name in [(form, "carerecord_presign"), (sent, COOKIE), (done, COOKIE)]:
        assert {"httponly", "secure", "samesite=lax", "path=/"} <= cookie_attributes(response, name)


def test_only_plain_http_to_this_machine_itself_gets_a_cookie_without_secure(
    app: FastAPI,
) -> None:
    with browser(app, base="http://127.0.0.1:8000") as demo:
        assert "secure" not in cookie_attributes(demo.get("/sign-in"), "carerecord_presign")
    with browser(app, base="http://carerecord.example") as named:
        assert "secure" in cookie_attributes(named.get("/sign-in"), "carerecord_presign")


# What a signed-out browser may see

OPEN_TO_ALL = ("/sign-in", "/sign-in/code", "/signed-out", "/health", "/static")
API = "/fhir"  # the FHIR API signs its clients in itself (tests/push)


def every_route(routes: list[Any]) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from every_route(inner.routes)
        elif getattr(route, "methods", None):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route.path
        else:
            yield "GET", str(getattr(route, "path", ""))


def test_every_page_but_sign_in_sends_a_signed_out_browser_to_sign_in(
    app: FastAPI, http: TestClient, store: Store
) -> None:
    walked = []
    for method, path in every_route(app.routes):
        if path.startswith(OPEN_TO_ALL) or path.startswith(API):
            continue
        url = path.replace("{patient_id}", jane(store)).replace("{item_id}", "1")
        url = url.replace("{section}", "allergies").replace("{code}", "1234-5")
        response = http.request(method, url, follow_redirects=True)
        assert urlsplit(str(response.url)).path == "/sign-in", (method, path)
        assert all(step.status_code == 303 for step in response.history), (method, path)
        walked.append((method, path))
    assert ("GET", "/patients/{patient_id}") in walked and ("POST", "/find") in walked
    assert ("POST", "/patients/{patient_id}/override") in walked
    assert len(walked) >= 12


def test_the_open_pages_are_open(http: TestClient) -> None:
    for path in ("/sign-in", "/signed-out", "/health", "/static/carerecord.css"):
        assert http.get(path, follow_redirects=False).status_code == 200, path
    assert http.get("/sign-in/code", follow_redirects=False).headers["location"] == "/sign-in"


# Where `next` may lead

OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "///evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


def on_this_site(location: str) -> bool:
    resolved = urlsplit(urljoin("https://testserver/sign-in", location))
    return (resolved.scheme, resolved.netloc) == ("https", "testserver")


def test_next_never_leads_off_the_site(http: TestClient, clock: Clock) -> None:
    for target in OFF_SITE:
        form = http.get("/sign-in", params={"next": target})
        assert 'name="next" value="/"' in form.text, target
    sent = send_password(http, GP, next="//evil.example")
    done = send_code(http, code_at(clock.now), sent.headers["location"])
    assert done.headers["location"] == "/"
    for target in OFF_SITE:  # signed in, /sign-in sends the browser straight on
        onward = http.get("/sign-in", params={"next": target}, follow_redirects=False)
        assert on_this_site(onward.headers["location"]), target
        assert onward.headers["location"] == "/", target


def test_next_leads_back_to_the_page_asked_for(
    http: TestClient, store: Store, clock: Clock
) -> None:
    record = f"/patients/{jane(store)}"
    asked = http.get(record, follow_redirects=False)
    assert asked.headers["location"] == f"/sign-in?next={record}"

    sent = send_password(http, GP, next=record)
    done = send_code(http, code_at(clock.now), sent.headers["location"])

    assert done.headers["location"] == record
    assert http.get(record).status_code == 200


# Cross-site request forgery


def signed_in_as(app: FastAPI, username: str, clock: Clock) -> Any:
    client = browser(app)
    sign_in(client, username, clock.now)
    clock.advance(seconds=30)  # the next sign-in's code is a new one
    return client


def token_of(client: TestClient) -> str:
    return form_token(client.get("/").text)


def test_a_post_without_the_form_token_changes_nothing(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    with signed_in_as(app, WARD, clock) as ward:
        record = f"/patients/{jane(store)}"
        declare = {"reason": "unplanned-care", "detail": "seeing them in the emergency department"}

        for path, form in [
            ("/find", {"nhs_no": JANE}),
            (f"{record}/declare", declare),
            (f"{record}/override", {"kind": "emergency", "detail": "collapsed", "code": "1"}),
            ("/sign-out", {}),
        ]:
            refused = ward.post(path, data=form, follow_redirects=False)
            assert refused.status_code == 403, path
            assert "did not come from this service" in refused.text

        assert declarations(store) == 0
        assert ward.get("/").status_code == 200  # still signed in: sign-out was refused too
        done = ward.post(f"{record}/declare", data={**declare, "csrf_token": token_of(ward)})
        assert done.status_code == 200 and declarations(store) == 1  # the real form works


@pytest.mark.parametrize("sent", ["", "x" * 43, "ü" * 43, "x" * 60_000])
def test_a_made_up_form_token_is_refused(
    app: FastAPI, store: Store, clock: Clock, sent: str
) -> None:
    with signed_in_as(app, WARD, clock) as ward:
        form = {"reason": "unplanned-care", "detail": "seeing them now", "csrf_token": sent}
        refused = ward.post(f"/patients/{jane(store)}/declare", data=form)

        assert refused.status_code == 403
        assert declarations(store) == 0


def test_another_sessions_form_token_is_refused(app: FastAPI, store: Store, clock: Clock) -> None:
    with signed_in_as(app, WARD, clock) as ward, signed_in_as(app, GP, clock) as gp:
        theirs = token_of(gp)
        record = f"/patients/{jane(store)}"
        for path, form in [
            (f"{record}/declare", {"reason": "unplanned-care", "detail": "seeing them now"}),
            (f"{record}/override", {"kind": "emergency", "detail": "collapsed"}),
        ]:
            refused = ward.post(path, data={**form, "csrf_token": theirs})
            assert refused.status_code == 403, path
        assert declarations(store) == 0


def test_the_sign_in_form_without_its_token_signs_nobody_in(http: TestClient, store: Store) -> None:
    http.get("/sign-in")
    refused = http.post("/sign-in", data={"username": GP, "password": "x"})

    assert refused.status_code == 403
    assert entries(store, "sign-in") == [] and entries(store, "sign-in-password") == []


# Forged, replayed and stale cookies


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_urlsafe(32),
        "a" * 101,
        "a" * 100_000,
        "ünïcødé-tökén",
        "; carerecord_session=",
        "\\x00",
    ],
    ids=["random", "too-long", "100-KB", "non-ASCII", "punctuation", "escape"],
)
def test_a_forged_cookie_is_as_good_as_none(app: FastAPI, value: str) -> None:
    with browser(app) as forger:
        cookie = {"cookie": f"{COOKIE}={value}".encode()}
        assert goes_to_sign_in(forger.get("/", headers=cookie, follow_redirects=False))
        posted = forger.post("/find", data={"nhs_no": JANE}, headers=cookie)
        assert urlsplit(str(posted.url)).path == "/sign-in"


def test_a_cookie_replayed_after_sign_out_is_signed_out(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    with signed_in_as(app, GP, clock) as gp:
        kept = gp.cookies[COOKIE]
        out = gp.post("/sign-out", data={"csrf_token": token_of(gp)}, follow_redirects=False)
        assert out.headers["location"] == "/signed-out"
        assert COOKIE not in gp.cookies

        gp.cookies.set(COOKIE, kept)
        assert goes_to_sign_in(gp.get("/", follow_redirects=False))
    assert len(entries(store, "sign-out")) == 1


def test_an_idle_sessions_cookie_is_signed_out_and_its_forms_ask_for_sign_in(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    with signed_in_as(app, GP, clock) as gp:
        token = token_of(gp)
        clock.advance(minutes=16)

        assert goes_to_sign_in(gp.get("/", follow_redirects=False))
        posted = gp.post("/find", data={"nhs_no": JANE, "csrf_token": token})
        assert urlsplit(str(posted.url)).path == "/sign-in"
    assert [e["detail"]["reason"] for e in entries(store, "session-timeout")] == ["idle-timeout"]


# Oversized forms


def test_a_ten_kilobyte_username_is_a_form_error(http: TestClient, store: Store) -> None:
    refused = send_password(http, "u" * 10_000)

    assert refused.status_code == 422
    assert "Usernames are at most 200 characters" in refused.text
    assert "u" * 201 not in refused.text
    assert entries(store) == []


def test_a_megabyte_password_is_refused_as_too_large(http: TestClient, store: Store) -> None:
    refused = send_password(http, GP, "p" * 1_000_000)

    assert refused.status_code == 413
    assert "This form is too large to be sent" in refused.text
    held = store.accounts.user_by_name(GP)
    assert held is not None and held.failed_attempts == 0
    assert entries(store) == []


def test_any_form_over_64_kilobytes_is_refused_and_changes_nothing(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    with signed_in_as(app, WARD, clock) as ward:
        token = token_of(ward)
        record = f"/patients/{jane(store)}"
        big = {"reason": "unplanned-care", "detail": "d" * 70_000, "csrf_token": token}
        for path in ("/find", f"{record}/declare"):
            refused = ward.post(path, data={**big, "nhs_no": JANE})
            assert refused.status_code == 413, path
            assert "This form is too large to be sent" in refused.text
        assert declarations(store) == 0


# The gates, refused in plain words


def refusal(app: FastAPI, username: str, clock: Clock, address: str = "127.0.0.1") -> Any:
    with browser(app, address) as client:
        sign_in(client, username, clock.now)
        return client.get("/")


def test_an_onboarding_organisation_is_refused_in_plain_words(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    register(store, make_org("RKE01", "acute", name="Whittington", status="onboarding"))
    add_quick_staff(store, "new-doctor", "RKE01", "clinician", TRAINED, NOW)

    page = refusal(app, "new-doctor", clock)

    assert page.status_code == 403
    assert "Your organisation is onboarding, not yet live in the rollout." in page.text


def test_a_network_not_registered_is_refused_in_plain_words(app: FastAPI, clock: Clock) -> None:
    page = refusal(app, GP, clock, address="10.1.2.3")

    assert page.status_code == 403
    assert "This device is not on a network registered for your organisation." in page.text


def test_expired_training_is_refused_in_plain_words(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    add_quick_staff(store, "lapsed-nurse", "F83004", "clinician", NOW - timedelta(days=400), NOW)

    page = refusal(app, "lapsed-nurse", clock)

    assert page.status_code == 403
    assert "Your access-rules training has expired." in page.text
