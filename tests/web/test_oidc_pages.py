"""Sign-in pages for an OpenID Connect provider: the real app, the real provider, both databases.

Two "browsers" take part: the TestClient at carerecord, and the provider's pages played by
tests.support.oidc, handing the provider's answer back as a real browser's redirect would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from carerecord.access.sign_in import token_hash
from carerecord.app import create_app
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import SessionRow, UserAccount
from carerecord.web.oidc_pages import STATE_COOKIE
from carerecord.web.session import SESSION_COOKIE
from tests.factories import make_org, register
from tests.support.oidc import CARERECORD, answer, running_provider, sign_in_at_provider


def signed_in_users(store: Store, issuer: str) -> list[tuple[UserAccount, SessionRow]]:
    """The users the provider has signed in, each with their newest session."""
    found = []
    for user in store.accounts.list_users():
        if user.external_issuer != issuer:
            continue
        with store.engine.connect() as conn:
            newest = conn.exec_driver_sql(
                "SELECT token_hash FROM sessions WHERE user_id = ? ORDER BY created_at DESC"
                if store.dialect == "sqlite"
                else "SELECT token_hash FROM sessions WHERE user_id = %s ORDER BY created_at DESC",
                (user.id,),
            ).scalar()
        held = store.accounts.session(str(newest)) if newest else None
        if held is not None:
            found.append((user, held[0]))
    return found


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_provider(tmp_path_factory.mktemp("oidc")) as url:
        yield url


@pytest.fixture
def visitor(store: Store, issuer: str) -> Iterator[TestClient]:
    register(store, make_org("RAL01", "acute"))
    settings = Settings(
        db="unused://",
        allowed_hosts="testserver",
        oidc_issuer=issuer,
        oidc_client_id=CARERECORD.client_id,
        oidc_client_secret=CARERECORD.client_secret,
        oidc_redirect_url=CARERECORD.redirect_uri,
    )
    app = create_app(settings, store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def at_provider(visitor: TestClient, login: str) -> str:
    """Starts at carerecord, signs in at the provider: the callback address it sends back."""
    response = visitor.get("/sign-in/oidc", follow_redirects=False)
    assert response.status_code == 303
    return sign_in_at_provider(response.headers["location"], login, CARERECORD.redirect_uri)


def callback(visitor: TestClient, url: str) -> tuple[int, str, str]:
    """Follows the provider's redirect back: status, where it leads, and the page."""
    parts = urlsplit(url)
    response = visitor.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def test_a_clinician_is_signed_in_and_sent_to_the_find_page(
    visitor: TestClient, store: Store, issuer: str
) -> None:
    start = visitor.get("/sign-in/oidc", follow_redirects=False)
    assert start.headers["location"].startswith(f"{issuer}/auth?")
    assert STATE_COOKIE in visitor.cookies
    back = sign_in_at_provider(start.headers["location"], "clinician", CARERECORD.redirect_uri)

    status, location, _ = callback(visitor, back)

    assert (status, location) == (303, "/")
    assert STATE_COOKIE not in visitor.cookies
    [(user, session)] = signed_in_users(store, issuer)
    assert session.token_hash == token_hash(visitor.cookies[SESSION_COOKIE])
    assert (user.external_subject, user.role, user.org_ods) == (
        "910000000001",
        "clinician",
        "RAL01",
    )
    assert (session.client_address, session.user_agent, session.stage) == (
        "testclient",
        "testclient",
        "full",
    )


def test_the_state_cookie_is_http_only_and_scoped_to_sign_in(visitor: TestClient) -> None:
    response = visitor.get("/sign-in/oidc", follow_redirects=False)

    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Path=/sign-in/oidc" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http://testserver: an https redirect URL makes it Secure


def test_a_refusal_is_a_plain_page_that_reveals_nothing(
    visitor: TestClient, store: Store, issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    back = at_provider(visitor, "no-role")

    with caplog.at_level(logging.WARNING):
        status, _, page = callback(visitor, back)

    assert status == 400
    assert "You could not be signed in" in page
    assert "no role was selected at sign-in (selected_roleid)" in page
    secrets = [value for name, value in answer(back).items() if name in ("code", "state")]
    for secret in secrets:
        assert secret not in page
        assert secret not in caplog.text
    assert "910000000009" not in page  # the user's sub
    assert "no role was selected at sign-in" in caplog.text
    assert signed_in_users(store, issuer) == []
    assert SESSION_COOKIE not in visitor.cookies


def test_an_answer_brought_to_another_browser_is_refused(
    visitor: TestClient, store: Store, issuer: str
) -> None:
    back = at_provider(visitor, "clinician")
    visitor.cookies.clear()

    status, _, page = callback(visitor, back)

    assert status == 400
    assert "this sign-in was not started in this browser" in page
    assert signed_in_users(store, issuer) == []


def test_a_replayed_answer_is_refused(visitor: TestClient, store: Store, issuer: str) -> None:
    back = at_provider(visitor, "clinician")
    assert callback(visitor, back)[0] == 303
    visitor.cookies.set(STATE_COOKIE, answer(back)["state"], path="/sign-in/oidc")

    status, _, page = callback(visitor, back)

    assert status == 400
    assert "this sign-in has expired or was already used" in page
    assert len(signed_in_users(store, issuer)) == 1


def test_an_answer_repeating_a_parameter_is_refused(visitor: TestClient) -> None:
    back = at_provider(visitor, "clinician")

    status, _, page = callback(visitor, back + "&code=another")

    assert status == 400
    assert "repeats a parameter" in page


def test_a_disabled_account_is_refused_though_the_provider_vouches(
    visitor: TestClient, store: Store, issuer: str
) -> None:
    assert callback(visitor, at_provider(visitor, "clinician"))[0] == 303
    [(user, _)] = signed_in_users(store, issuer)
    store.accounts.update_user(user.id, disabled=True)
    visitor.cookies.clear()

    status, _, page = callback(visitor, at_provider(visitor, "clinician"))

    assert status == 400
    assert "this account is disabled" in page
    assert SESSION_COOKIE not in visitor.cookies


def test_an_organisation_carerecord_does_not_know_is_refused(store: Store, issuer: str) -> None:
    settings = Settings(
        db="unused://",
        allowed_hosts="testserver",
        oidc_issuer=issuer,
        oidc_client_id=CARERECORD.client_id,
        oidc_client_secret=CARERECORD.client_secret,
        oidc_redirect_url=CARERECORD.redirect_uri,
    )
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as stranger:
        status, _, page = callback(stranger, at_provider(stranger, "clinician"))

    assert status == 400
    assert "your organisation (RAL01) is not registered" in page
    assert signed_in_users(store, issuer) == []


def test_a_provider_that_cannot_be_reached_gets_the_refusal_page(store: Store) -> None:
    settings = Settings(
        db="unused://",
        allowed_hosts="testserver",
        oidc_issuer="http://127.0.0.1:9",
        oidc_client_id="carerecord",
        oidc_client_secret="unused",  # noqa: S106 - never sent: the provider is not there
        oidc_redirect_url=CARERECORD.redirect_uri,
    )
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        response = client.get("/sign-in/oidc", follow_redirects=False)

    assert response.status_code == 400
    assert "configuration could not be read" in response.text


def test_without_a_provider_there_are_no_such_pages(store: Store) -> None:
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/sign-in/oidc", follow_redirects=False).status_code == 404
        assert client.get("/sign-in/oidc/callback?state=x&code=y").status_code == 404


def test_the_access_log_shows_the_callback_without_its_code(
    visitor: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("uvicorn.access")
    line = ("127.0.0.1:50000", "GET", "/sign-in/oidc/callback?code=SECRET&state=S", "1.1", 303)

    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info('%s - "%s %s HTTP/%s" %d', *line)
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", "/?x=1", "1.1", 200)

    assert "SECRET" not in caplog.text
    assert '"GET /sign-in/oidc/callback?(hidden) HTTP/1.1" 303' in caplog.text
    assert '"GET /?x=1 HTTP/1.1" 200' in caplog.text
