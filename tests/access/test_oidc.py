"""OpenID Connect sign-in against a real provider (oidc-provider on Node), driven as a browser
would: the authorisation code flow with PKCE, and the answers carerecord must refuse."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson
import pytest
from joserfc import jwk, jws

from carerecord.access.oidc import OidcClient, OidcConfig
from carerecord.access.oidc_claims import ExternalIdentity
from carerecord.access.vocabulary import Role
from carerecord.errors import ConfigurationError, SignInRefused
from carerecord.settings import Settings
from tests.support.oidc import (
    CARERECORD,
    OTHER_SERVICE,
    MemoryPendingSignIns,
    Registration,
    answer,
    make_client,
    running_provider,
    sign_in_at_provider,
)
from tests.support.postgres import free_port


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_provider(tmp_path_factory.mktemp("oidc")) as url:
        yield url


@pytest.fixture
def client(issuer: str) -> OidcClient:
    return make_client(issuer)


def now() -> datetime:
    return datetime.now(UTC)


def go_to_provider(
    client: OidcClient, login: str, registration: Registration = CARERECORD
) -> dict[str, str]:
    """Begins a sign-in and signs in as `login` at the provider: its answer to the callback."""
    start = client.begin(now())
    return answer(sign_in_at_provider(start.url, login, registration.redirect_uri))


def refusal(reason: str) -> AbstractContextManager[pytest.ExceptionInfo[SignInRefused]]:
    return pytest.raises(SignInRefused, match=re.escape(reason))


def test_a_clinician_signs_in_with_a_smartcard(client: OidcClient, issuer: str) -> None:
    identity = client.complete(go_to_provider(client, "clinician"), now())

    assert identity == ExternalIdentity(
        issuer=issuer,
        subject="910000000001",
        name="Dr Asha Patel",
        org_ods="RAL01",
        role=Role.CLINICIAN,
        national_role="R8000",
        assurance="AAL3",
    )


def test_the_request_carries_pkce_state_and_nonce_and_keeps_them_server_side(
    issuer: str,
) -> None:
    pending = MemoryPendingSignIns()
    client = OidcClient(CARERECORD.config(issuer), pending, {})

    start = client.begin(now())

    query = {name: value[0] for name, value in parse_qs(urlsplit(start.url).query).items()}
    nonce, verifier, _ = pending.saved[start.state]
    assert query["state"] == start.state
    assert query["nonce"] == nonce
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == _b64(hashlib.sha256(verifier.encode()).digest())
    assert verifier not in start.url
    assert query["scope"] == "openid profile nationalrbacaccess"
    assert start.state != client.begin(now()).state


@pytest.mark.parametrize(
    ("login", "role", "org", "assurance"),
    [
        ("nurse", Role.CLINICIAN, "RRV", "AAL2"),
        ("care-professional", Role.CARE_PROFESSIONAL, "F83004", "AAL3"),
        ("admin-clerical", Role.ADMIN_CLERICAL, "F83004", "AAL1"),
        ("ig-officer", Role.IG_OFFICER, "RAL", "AAL3"),
        ("system-admin", Role.SYSTEM_ADMIN, "RAL", "AAL1"),  # no acr at all
        ("two-roles", Role.CLINICIAN, "RRV", "AAL3"),  # the second of two, as selected
    ],
)
def test_each_role_signs_in(
    client: OidcClient, login: str, role: Role, org: str, assurance: str
) -> None:
    identity = client.complete(go_to_provider(client, login), now())

    assert (identity.role, identity.org_ods, identity.assurance) == (role, org, assurance)


def test_a_client_registered_for_client_secret_post_signs_in(issuer: str) -> None:
    client = make_client(issuer, OTHER_SERVICE)

    identity = client.complete(go_to_provider(client, "nurse", OTHER_SERVICE), now())

    assert identity.subject == "910000000002"


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("student", "the selected role does not give access to carerecord"),
        ("no-role", "no role was selected at sign-in"),
    ],
)
def test_people_without_a_usable_role_are_refused(
    client: OidcClient, login: str, reason: str
) -> None:
    with refusal(reason):
        client.complete(go_to_provider(client, login), now())


def test_an_answer_with_another_state_is_refused(client: OidcClient) -> None:
    back = go_to_provider(client, "clinician")

    with refusal("this sign-in has expired or was already used"):
        client.complete({**back, "state": client.begin(now()).state[::-1]}, now())


@pytest.mark.parametrize("state", [None, "", "short", "x" * 101, "not/url-safe-characters!"])
def test_an_answer_without_a_valid_state_is_refused(client: OidcClient, state: str | None) -> None:
    back = go_to_provider(client, "clinician")
    back.pop("state")
    if state is not None:
        back["state"] = state

    with refusal("the identity provider's answer has no valid state"):
        client.complete(back, now())


def test_a_replayed_answer_is_refused(client: OidcClient) -> None:
    back = go_to_provider(client, "clinician")
    client.complete(back, now())

    with refusal("this sign-in has expired or was already used"):
        client.complete(back, now())


def test_an_answer_after_ten_minutes_is_refused(client: OidcClient) -> None:
    back = go_to_provider(client, "clinician")

    with refusal("this sign-in has expired or was already used"):
        client.complete(back, now() + timedelta(minutes=10, seconds=1))


def test_a_code_from_another_sign_in_is_refused_by_pkce(client: OidcClient) -> None:
    """A code injected into this sign-in's answer: its verifier is not this sign-in's."""
    mine, theirs = go_to_provider(client, "clinician"), go_to_provider(client, "nurse")

    with refusal("would not exchange the authorisation code (invalid_grant)"):
        client.complete({**mine, "code": theirs["code"]}, now())


def test_a_code_issued_to_another_service_is_refused(client: OidcClient, issuer: str) -> None:
    other = make_client(issuer, OTHER_SERVICE)
    theirs = go_to_provider(other, "clinician", OTHER_SERVICE)
    mine = client.begin(now())

    with refusal("would not exchange the authorisation code (invalid_grant)"):
        client.complete({"state": mine.state, "code": theirs["code"]}, now())


def test_a_nonce_that_is_not_this_sign_ins_is_refused(client: OidcClient) -> None:
    start = client.begin(now())
    url = _with_query(start.url, nonce="a-nonce-from-somewhere-else")

    back = answer(sign_in_at_provider(url, "clinician", CARERECORD.redirect_uri))

    with refusal("the ID token does not answer this sign-in (nonce)"):
        client.complete(back, now())


def test_an_answer_naming_another_issuer_is_refused(client: OidcClient) -> None:
    back = go_to_provider(client, "clinician")

    with refusal("the answer came from a different identity provider (iss)"):
        client.complete({**back, "iss": "https://elsewhere.example"}, now())


def test_the_provider_declining_is_refused_without_repeating_its_text(client: OidcClient) -> None:
    start = client.begin(now())
    back = {"state": start.state, "error": "access_denied", "error_description": "<b>no</b>"}

    with refusal("the identity provider did not sign you in (access_denied)") as refused:
        client.complete(back, now())
    assert "<b>" not in str(refused.value)


def test_an_error_code_outside_oauth_is_not_repeated(client: OidcClient) -> None:
    start = client.begin(now())

    with pytest.raises(SignInRefused) as refused:
        client.complete({"state": start.state, "error": "<script>"}, now())
    assert str(refused.value) == "the identity provider did not sign you in"


def test_an_answer_without_a_code_is_refused(client: OidcClient) -> None:
    start = client.begin(now())

    with refusal("no valid authorisation code"):
        client.complete({"state": start.state}, now())


class TestIdToken:
    """Tokens issued by the real provider, then changed on their way to carerecord."""

    @pytest.fixture
    def issued(self, client: OidcClient) -> tuple[str, str]:
        """An ID token the provider issued for a sign-in, with that sign-in's nonce."""
        pending = client.pending
        assert isinstance(pending, MemoryPendingSignIns)
        back = go_to_provider(client, "clinician")
        nonce, verifier, _ = pending.saved[back["state"]]
        return client.exchange(back["code"], verifier).id_token, nonce

    def test_as_issued_it_verifies(self, client: OidcClient, issued: tuple[str, str]) -> None:
        id_token, nonce = issued
        claims = client.verify_id_token(id_token, nonce, now())
        assert (claims["sub"], claims["acr"]) == ("910000000001", "AAL3_ANY")
        # as CIS2 does, the provider sends the roles to userinfo only: complete() asks there
        assert "nhsid_nrbac_roles" not in claims

    def test_changed_claims_are_refused(self, client: OidcClient, issued: tuple[str, str]) -> None:
        id_token, nonce = issued
        header, payload, signature = id_token.split(".")
        claims = orjson.loads(_unb64(payload))
        forged = _b64(orjson.dumps({**claims, "sub": "910000000006"}))

        with refusal("signature does not verify"):
            client.verify_id_token(f"{header}.{forged}.{signature}", nonce, now())

    def test_a_changed_signature_is_refused(
        self, client: OidcClient, issued: tuple[str, str]
    ) -> None:
        id_token, nonce = issued
        header, payload, signature = id_token.split(".")
        flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))

        with refusal("signature does not verify"):
            client.verify_id_token(f"{header}.{payload}.{flipped}", nonce, now())

    def test_an_unsigned_copy_is_refused(self, client: OidcClient, issued: tuple[str, str]) -> None:
        id_token, nonce = issued
        payload = id_token.split(".")[1]
        unsigned = f"{_b64(orjson.dumps({'alg': 'none', 'typ': 'JWT'}))}.{payload}."

        with refusal("not signed with an algorithm carerecord accepts"):
            client.verify_id_token(unsigned, nonce, now())

    def test_a_copy_signed_with_the_client_secret_is_refused(
        self, client: OidcClient, issued: tuple[str, str]
    ) -> None:
        id_token, nonce = issued
        claims = orjson.loads(_unb64(id_token.split(".")[1]))
        secret = jwk.import_key(CARERECORD.client_secret.encode(), "oct")
        forged = jws.serialize_compact({"alg": "HS256"}, orjson.dumps(claims), secret)

        with refusal("not signed with an algorithm carerecord accepts"):
            client.verify_id_token(forged, nonce, now())

    def test_a_copy_signed_by_another_key_under_the_providers_kid_is_refused(
        self, client: OidcClient, issued: tuple[str, str]
    ) -> None:
        id_token, nonce = issued
        header = orjson.loads(_unb64(id_token.split(".")[0]))
        claims = orjson.loads(_unb64(id_token.split(".")[1]))
        key = jwk.RSAKey.generate_key(2048)
        forged = jws.serialize_compact(header, orjson.dumps(claims), key, algorithms=["RS256"])

        with refusal("signature does not verify"):
            client.verify_id_token(forged, nonce, now())

    def test_another_sign_ins_nonce_is_refused(
        self, client: OidcClient, issued: tuple[str, str]
    ) -> None:
        id_token, _ = issued
        with refusal("(nonce)"):
            client.verify_id_token(id_token, "another-nonce", now())

    def test_after_it_expires_it_is_refused(
        self, client: OidcClient, issued: tuple[str, str]
    ) -> None:
        id_token, nonce = issued
        with refusal("the ID token has expired (exp)"):
            client.verify_id_token(id_token, nonce, now() + timedelta(minutes=12))

    def test_issued_more_than_a_minute_ahead_of_our_clock_it_is_refused(
        self, client: OidcClient, issued: tuple[str, str]
    ) -> None:
        id_token, nonce = issued
        client.verify_id_token(id_token, nonce, now() - timedelta(seconds=50))
        with refusal("issued in the future (iat)"):
            client.verify_id_token(id_token, nonce, now() - timedelta(seconds=70))

    def test_one_issued_to_another_service_is_refused(self, issuer: str) -> None:
        """The second registered client's genuine ID token, offered to carerecord."""
        other = make_client(issuer, OTHER_SERVICE)
        pending = other.pending
        assert isinstance(pending, MemoryPendingSignIns)
        back = go_to_provider(other, "clinician", OTHER_SERVICE)
        nonce, verifier, _ = pending.saved[back["state"]]
        id_token = other.exchange(back["code"], verifier).id_token

        with refusal("the ID token was issued to another service (aud)"):
            make_client(issuer).verify_id_token(id_token, nonce, now())


def test_a_provider_that_cannot_be_reached_is_refused() -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}")

    with refusal("the identity provider's configuration could not be read"):
        client.begin(now())


def test_a_provider_naming_another_issuer_is_refused(issuer: str) -> None:
    """The same provider, configured under another spelling of its address."""
    client = make_client(issuer.replace("127.0.0.1", "localhost"))

    with refusal("the identity provider's configuration names a different issuer"):
        client.begin(now())


class _Oversized(BaseHTTPRequestHandler):
    """A discovery document of 2 MiB, with its length declared or sent in chunks."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = orjson.dumps({"issuer": "x", "padding": "x" * 2 * 1024 * 1024})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if "chunked" in self.path:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 65536):
                chunk = body[start : start + 65536]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("path", ["/declared", "/chunked"])
def test_an_oversized_answer_from_the_provider_is_refused(path: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Oversized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = make_client(f"http://127.0.0.1:{server.server_port}{path}")
        with refusal("the identity provider's answer is too large"):
            client.begin(now())
    finally:
        server.shutdown()
        server.server_close()


def test_the_client_secret_is_not_in_the_configurations_repr(issuer: str) -> None:
    assert CARERECORD.client_secret not in repr(CARERECORD.config(issuer))


CONFIGURED = {
    "oidc_issuer": "https://cis2.example/realms/oidc",
    "oidc_client_id": "carerecord",
    "oidc_client_secret": secrets.token_urlsafe(16),
    "oidc_redirect_url": "https://carerecord.example/sign-in/oidc/callback",
}


def test_settings_make_the_configuration() -> None:
    config = OidcConfig.from_settings(Settings(**CONFIGURED))

    assert config == OidcConfig(
        issuer="https://cis2.example/realms/oidc",
        client_id="carerecord",
        client_secret=CONFIGURED["oidc_client_secret"],
        redirect_url="https://carerecord.example/sign-in/oidc/callback",
        scopes="openid profile nationalrbacaccess",
        token_auth_method="client_secret_basic",  # noqa: S106 - a method's name
    )


def test_without_an_issuer_sign_in_through_a_provider_is_off() -> None:
    assert OidcConfig.from_settings(Settings()) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"oidc_client_id": ""}, "CARERECORD_OIDC_CLIENT_ID is needed"),
        ({"oidc_client_secret": ""}, "CARERECORD_OIDC_CLIENT_SECRET is needed"),
        ({"oidc_redirect_url": ""}, "CARERECORD_OIDC_REDIRECT_URL is needed"),
        ({"oidc_issuer": "http://cis2.example"}, "must be an https:// address"),
        ({"oidc_issuer": "cis2.example"}, "must be an https:// address"),
        ({"oidc_redirect_url": "/sign-in/oidc/callback"}, "must be an absolute address"),
        ({"oidc_scopes": "profile nationalrbacaccess"}, "must include openid"),
        ({"oidc_token_auth_method": "private_key_jwt"}, "must be one of client_secret_basic"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_name(
    changes: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        OidcConfig.from_settings(Settings(**{**CONFIGURED, **changes}))


def test_plain_http_is_allowed_to_a_provider_on_this_machine() -> None:
    settings = Settings(**{**CONFIGURED, "oidc_issuer": "http://127.0.0.1:4000"})

    assert OidcConfig.from_settings(settings) is not None


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: value[0] for name, value in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
