"""Signing in the way a person does: the sign-in form, then the one-time code form."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pyotp
from fastapi.testclient import TestClient

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(app: Any) -> TestClient:
    """A client with no session, over HTTPS from 127.0.0.1 (a loopback network)."""
    return TestClient(
        app, base_url="https://testserver", client=("127.0.0.1", 50000), follow_redirects=False
    )


def form_token(html: str) -> str:
    found = _FORM_TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str, secret: str, at: datetime) -> bool:
    """True when the password and the code `secret` gives at `at` open a full session."""
    page = client.get("/sign-in")
    first = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    if first.status_code != 303:
        return False
    code_page = client.get("/sign-in/code")
    second = client.post(
        "/sign-in/code",
        data={"code": pyotp.TOTP(secret).at(at), "csrf_token": form_token(code_page.text)},
        follow_redirects=False,
    )
    return second.status_code == 303
