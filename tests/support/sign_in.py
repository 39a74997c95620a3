"""Signing in for the sign-in tests: the codes an authenticator app would show, a clock they
can move, quick password hashes, and the real password-then-code forms over HTTP."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response

from carerecord.store import Store
from tests.support.staff import PASSWORD, TOTP_SECRET, add_staff

# argon2 keeps its cost in the hash: one made cheap verifies in a millisecond through the same
# code as a production one, so tests that guess wrong many times take no time.
QUICK_HASH = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)


class Clock:
    """The server's clock in tests (app.state.web_clock): fixed, moved on only by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **elapsed: float) -> datetime:
        self.now += timedelta(**elapsed)
        return self.now


def code_at(moment: datetime, steps: int = 0) -> str:
    """The code the user's authenticator shows at `moment`, `steps` 30-second steps on."""
    return pyotp.TOTP(TOTP_SECRET).at(moment + timedelta(seconds=30 * steps))


def add_quick_staff(
    store: Store,
    username: str,
    org_ods: str,
    role: str,
    trained_at: datetime | None,
    now: datetime,
    networks: list[str] | None = None,
) -> int:
    """add_staff, with the test password kept as a quick hash."""
    user_id = add_staff(store, username, org_ods, role, trained_at, now, networks)
    store.accounts.update_user(user_id, password_hash=QUICK_HASH)
    return user_id


_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    """The form token a page's form carries (the first, when there are several)."""
    found = _FORM_TOKEN.search(html)
    assert found is not None, "no form token on the page"
    return found.group(1)


def send_password(
    client: TestClient, username: str, password: str = PASSWORD, next: str | None = None
) -> Response:
    """Opens the sign-in page and sends its form, as a person would."""
    page = client.get("/sign-in" if next is None else f"/sign-in?next={next}")
    assert page.status_code == 200, page.text
    form = {"username": username, "password": password, "csrf_token": form_token(page.text)}
    if next is not None:
        form["next"] = next
    sent: Response = client.post("/sign-in", data=form, follow_redirects=False)
    return sent


def send_code(client: TestClient, code: str, location: str = "/sign-in/code") -> Response:
    """Opens the code page (where the password step sent the browser) and sends its form."""
    page = client.get(location, follow_redirects=False)
    assert page.status_code == 200, page.text
    next_field = re.search(r'name="next" value="([^"]*)"', page.text)
    form = {"code": code, "csrf_token": form_token(page.text)}
    if next_field is not None:
        form["next"] = html.unescape(next_field.group(1))
    sent: Response = client.post("/sign-in/code", data=form, follow_redirects=False)
    return sent


def sign_in(client: TestClient, username: str, now: datetime) -> Response:
    """Both forms, the code as the app shows it at `now`; the answer to the code form."""
    sent = send_password(client, username)
    assert sent.status_code == 303, sent.text
    done = send_code(client, code_at(now), sent.headers["location"])
    assert done.status_code == 303, done.text
    return done
