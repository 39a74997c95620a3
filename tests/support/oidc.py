"""A real OpenID provider for the sign-in tests, and a person at its pages.

The provider is the certified `oidc-provider` package run by Node (oidc_provider.mjs), on a free
127.0.0.1 port, with the CIS2-shaped accounts of oidc_accounts.json. Nothing between carerecord
and the provider is mocked: tokens are signed by the provider's own keys.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from carerecord.access.oidc import OidcClient, OidcConfig
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import Role
from tests.conftest import require
from tests.support.http import http_client, http_get
from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
PACKAGE = REPO / "node_modules" / "oidc-provider" / "package.json"
ACCOUNTS: dict[str, dict[str, Any]] = json.loads(
    Path(__file__).with_name("oidc_accounts.json").read_text()
)
STARTUP_SECONDS = 15

# The national role map of carerecord's own rules file: the claims tests check it as shipped.
ROLE_MAP: dict[str, Role] = load_rules().national_roles


@dataclass(frozen=True)
class Registration:
    """A client registered at the test provider."""

    client_id: str
    client_secret: str
    redirect_uri: str
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 - a method's name

    def config(self, issuer: str) -> OidcConfig:
        return OidcConfig(
            issuer=issuer,
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_url=self.redirect_uri,
            scopes="openid profile nationalrbacaccess",
            token_auth_method=self.token_endpoint_auth_method,
        )


# carerecord as the tests serve it (TestClient's http://testserver), and another service.
CARERECORD = Registration(
    "carerecord", secrets.token_urlsafe(24), "http://testserver/sign-in/oidc/callback"
)
OTHER_SERVICE = Registration(
    "other-service",
    secrets.token_urlsafe(24),
    "https://other.example/callback",
    "client_secret_post",
)


@contextmanager
def running_provider(
    folder: Path, clients: Sequence[Registration] = (CARERECORD, OTHER_SERVICE)
) -> Iterator[str]:
    """Starts the provider, waits until its discovery document answers, yields its issuer."""
    node = shutil.which("node")
    require(node is not None, "Node.js (`node`) is not installed")
    require(PACKAGE.exists(), "node_modules/oidc-provider is missing: run `npm ci`")
    assert node is not None
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    argv = [node, str(SCRIPT), "--port", str(port), "--issuer", issuer]
    for client in clients:
        argv += ["--client", json.dumps(asdict(client))]
    log = folder / "oidc-provider.log"
    with log.open("wb") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        _wait_until_answering(issuer, process, log)
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(issuer: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited early:\n{log.read_text()}")
        try:
            if http_get(f"{issuer}/.well-known/openid-configuration", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(
        f"the OpenID provider did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}"
    )


class _Forms(HTMLParser):
    """The first form on a page: where it posts, and its hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = found.get("action") or ""
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


def sign_in_at_provider(authorisation_url: str, login: str, redirect_uri: str) -> str:
    """Plays the person at the provider: follows its redirects, types `login` and a password into
    its sign-in page, confirms on the consent page, and returns the address it sends the browser
    back to (the redirect URI with the code and state)."""
    with http_client(timeout=10) as browser:
        response = browser.get(authorisation_url)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(redirect_uri):
                    return location
                response = browser.get(location)
                continue
            page = _Forms()
            page.feed(response.text)
            if response.status_code != 200 or page.action is None:
                raise AssertionError(
                    f"the provider answered {response.status_code}: {response.text}"
                )
            form = dict(page.fields)
            if form.get("prompt") == "login":
                form.update(login=login, password="any password")  # noqa: S106 - not checked
            response = browser.post(urljoin(str(response.url), page.action), data=form)
    raise AssertionError("the provider's pages did not lead back to carerecord")


def answer(callback_url: str) -> dict[str, str]:
    """The query parameters of the provider's answer, as the callback route receives them."""
    return {name: values[-1] for name, values in parse_qs(urlsplit(callback_url).query).items()}


class MemoryPendingSignIns:
    """PendingSignIns in a dict, for tests that drive OidcClient directly (the store's version
    is tested on both databases in tests/store/test_oidc_states.py)."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[str, str, datetime]] = {}

    def save(self, state: str, nonce: str, verifier: str, now: datetime) -> None:
        self.saved[state] = (nonce, verifier, now)

    def take(self, state: str, now: datetime, max_age: timedelta) -> tuple[str, str] | None:
        found = self.saved.pop(state, None)
        if found is None or found[2] < now - max_age:
            return None
        return found[0], found[1]


def make_client(issuer: str, registration: Registration = CARERECORD) -> OidcClient:
    return OidcClient(registration.config(issuer), MemoryPendingSignIns(), ROLE_MAP)
