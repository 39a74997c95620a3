"""Source systems' authentication: the client registry, the token grant, and the HTTP edge."""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from carerecord.errors import InvalidOrganisation
from carerecord.push.auth import ASSERTION_TYPE, AuthenticatedSource, AuthError, BackendAuth
from carerecord.push.auth_routes import install_auth, require_source
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry, InvalidKeySet, SourceClient
from carerecord.web.error_pages import install_error_pages
from tests.factories import make_org, register

AUD = "http://testserver/fhir/token"  # the token endpoint as TestClient reaches it
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RSA_KEY = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC_KEY = ECKey.generate_key("P-384", parameters={"kid": "ec-1"})


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def make_assertion(
    client_id: str, key: RSAKey | ECKey | OctKey = RSA_KEY, alg: str = "RS384", **claims: Any
) -> str:
    values = {
        "iss": client_id,
        "sub": client_id,
        "aud": AUD,
        "exp": int((START + timedelta(minutes=4)).timestamp()),
        "jti": str(uuid.uuid4()),
        **claims,
    }
    header = {"alg": alg, "typ": "JWT"}
    if key.kid:
        header["kid"] = key.kid
    return jwt.encode(header, {k: v for k, v in values.items() if v is not None}, key, [alg])


def token_form(assertion: str, **fields: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": "system/*.write",
        **fields,
    }


def _rsa_1024() -> dict[str, str]:
    # Built by hand: joserfc warns (an error under pytest) on creating a key this small.
    numbers = rsa.generate_private_key(65537, 1024).public_key().public_numbers()  # noqa: S505
    return {"kty": "RSA", "n": _b64_int(numbers.n), "e": _b64_int(numbers.e)}


def _b64_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def registry(store: Store) -> ClientRegistry:
    register(store, make_org("F83004"))
    return ClientRegistry(store)


@pytest.fixture
def client(registry: ClientRegistry) -> SourceClient:
    return registry.register("f83004", "Camden Road GP system", jwks(RSA_KEY, EC_KEY))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(registry: ClientRegistry, clock: Clock) -> BackendAuth:
    return BackendAuth(registry, clock=clock)


# The registry


def test_register_keeps_public_keys_under_a_random_id(
    registry: ClientRegistry, client: SourceClient
) -> None:
    assert client.source_ods == "F83004"
    assert len(client.client_id) >= 32
    assert registry.get(client.client_id) == client
    assert registry.all() == [client]
    assert registry.get("no-such-client") is None


def test_register_refuses_an_unregistered_organisation(registry: ClientRegistry) -> None:
    with pytest.raises(InvalidOrganisation, match="'X99999' is not registered"):
        registry.register("X99999", "Nowhere", jwks(RSA_KEY))


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"keys": [RSA_KEY.as_dict(private=True)]}, "private key material"),
        ({"keys": [OctKey.generate_key(256).as_dict()]}, "private key material"),
        ({"keys": []}, "no usable public signing key"),
        ({"keys": [_rsa_1024()]}, "no usable"),
        ({"keys": [ECKey.generate_key("P-521").as_dict(private=False)]}, "no usable"),
        ({"keys": [{**RSA_KEY.as_dict(private=False), "use": "enc"}]}, "no usable"),
        ({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}, "not a valid EC"),
        ({"keys": [RSA_KEY.as_dict(private=False)] * 2}, "share a kid"),
        ([], '"keys" list'),
    ],
)
def test_register_refuses_unusable_key_sets(
    registry: ClientRegistry, keys: Any, message: str
) -> None:
    with pytest.raises(InvalidKeySet, match=message):
        registry.register("F83004", "GP system", keys)
    assert registry.all() == []


def test_an_assertion_is_used_once(registry: ClientRegistry, client: SourceClient) -> None:
    expires = START + timedelta(minutes=5)

    assert registry.use_assertion(client.client_id, "jti-1", expires)
    assert not registry.use_assertion(client.client_id, "jti-1", expires)
    assert registry.use_assertion(client.client_id, "jti-2", expires)


def test_tokens_are_found_until_they_expire_or_the_client_is_disabled(
    registry: ClientRegistry, client: SourceClient
) -> None:
    registry.save_token("a" * 64, client.client_id, "system/*.write", START, START + timedelta(1))
    registry.use_assertion(client.client_id, "jti-1", START + timedelta(minutes=5))

    assert registry.token("a" * 64, START) == (client, "system/*.write")
    assert registry.token("b" * 64, START) is None
    assert registry.token("a" * 64, START + timedelta(days=1)) is None
    assert registry.purge_expired(START + timedelta(days=1)) == 2
    registry.save_token("c" * 64, client.client_id, "system/*.write", START, START + timedelta(1))
    assert registry.disable(client.client_id, "operator:test")
    assert registry.token("c" * 64, START) is None
    assert not registry.disable("no-such-client", "operator:test")


# The token grant


@pytest.mark.parametrize(("key", "alg"), [(RSA_KEY, "RS384"), (EC_KEY, "ES384")])
def test_a_signed_assertion_buys_a_token_that_authenticates(
    auth: BackendAuth, client: SourceClient, key: RSAKey | ECKey, alg: str
) -> None:
    grant = auth.issue_token(token_form(make_assertion(client.client_id, key, alg)), AUD)

    assert (grant.token_type, grant.expires_in, grant.scope) == ("bearer", 300, "system/*.write")
    assert auth.authenticate(f"Bearer {grant.access_token}") == AuthenticatedSource(
        client.client_id, "F83004", "system/*.write"
    )


def test_only_the_tokens_hash_is_stored(
    auth: BackendAuth, client: SourceClient, registry: ClientRegistry
) -> None:
    grant = auth.issue_token(token_form(make_assertion(client.client_id)), AUD)

    digest = hashlib.sha256(grant.access_token.encode()).hexdigest()
    assert registry.token(digest, START) == (client, "system/*.write")
    assert registry.token(grant.access_token, START) is None


def test_a_key_without_kid_is_found_by_trying_the_registered_keys(
    registry: ClientRegistry, auth: BackendAuth
) -> None:
    key = ECKey.generate_key("P-256")
    public = {k: v for k, v in key.as_dict(private=False).items() if k != "kid"}
    other = registry.register("F83004", "Second system", {"keys": [public]})
    assertion = jwt.encode({"alg": "ES256"}, _claims(other.client_id), key, ["ES256"])

    assert auth.issue_token(token_form(assertion), AUD).scope == "system/*.write"


def _claims(client_id: str, **extra: Any) -> dict[str, Any]:
    exp = int((START + timedelta(minutes=4)).timestamp())
    return {"iss": client_id, "sub": client_id, "aud": AUD, "exp": exp, "jti": "j", **extra}


def test_smart_v2_spelling_of_the_write_scope_is_granted(
    auth: BackendAuth, client: SourceClient
) -> None:
    form = token_form(make_assertion(client.client_id), scope="system/*.cud system/*.cud")

    assert auth.issue_token(form, AUD).scope == "system/*.cud"


def refused(auth: BackendAuth, form: dict[str, str]) -> AuthError:
    with pytest.raises(AuthError) as raised:
        auth.issue_token(form, AUD)
    return raised.value


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"aud": "https://elsewhere.example/token"}, "aud must be the token endpoint"),
        ({"exp": int((START - timedelta(minutes=2)).timestamp())}, "has expired"),
        ({"exp": int((START + timedelta(minutes=7)).timestamp())}, "at most 5 minutes"),
        ({"exp": 10**30}, "at most 5 minutes"),
        ({"exp": None}, "exp is required"),
        ({"exp": "soon"}, "exp is required"),
        ({"jti": None}, "jti is required"),
        ({"jti": "x" * 201}, "jti is required"),
        ({"sub": "someone-else"}, "iss and sub"),
        ({"iss": "no-such-client", "sub": "no-such-client"}, "unknown client"),
        ({"nbf": int((START + timedelta(minutes=2)).timestamp())}, "nbf is in the future"),
        ({"iat": int((START + timedelta(minutes=2)).timestamp())}, "iat is in the future"),
        ({"iat": "now"}, "iat must be seconds"),
    ],
)
def test_assertions_with_wrong_claims_are_refused(
    auth: BackendAuth, client: SourceClient, claims: dict[str, Any], description: str
) -> None:
    error = refused(auth, token_form(make_assertion(client.client_id, **claims)))

    assert (error.error, error.status) == ("invalid_client", 401)
    assert description in error.description


def test_clock_skew_of_a_minute_is_tolerated(
    auth: BackendAuth, client: SourceClient, clock: Clock
) -> None:
    exp = int((START + timedelta(minutes=5, seconds=50)).timestamp())
    assert auth.issue_token(token_form(make_assertion(client.client_id, exp=exp)), AUD)
    clock.now = START + timedelta(minutes=4, seconds=30)  # 30 s after the assertion's exp
    assert auth.issue_token(token_form(make_assertion(client.client_id)), AUD)


def test_nbf_and_iat_within_the_leeway_are_accepted(
    auth: BackendAuth, client: SourceClient
) -> None:
    soon = int((START + timedelta(seconds=50)).timestamp())
    form = token_form(make_assertion(client.client_id, nbf=soon, iat=soon))

    assert auth.issue_token(form, AUD).scope == "system/*.write"


def test_a_replayed_assertion_is_refused(auth: BackendAuth, client: SourceClient) -> None:
    form = token_form(make_assertion(client.client_id))
    auth.issue_token(form, AUD)

    error = refused(auth, form)

    assert error.error == "invalid_client"
    assert "used already" in error.description


def test_concurrent_replays_get_exactly_one_token(auth: BackendAuth, client: SourceClient) -> None:
    form = token_form(make_assertion(client.client_id))
    start = threading.Barrier(16)

    def attempt(_: int) -> bool:
        start.wait()
        try:
            auth.issue_token(form, AUD)
        except AuthError:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(attempt, range(16)))

    assert outcomes.count(True) == 1


def test_a_disabled_client_gets_no_token_and_its_tokens_stop(
    auth: BackendAuth, client: SourceClient, registry: ClientRegistry
) -> None:
    grant = auth.issue_token(token_form(make_assertion(client.client_id)), AUD)
    registry.disable(client.client_id, "operator:test")

    assert "disabled" in refused(auth, token_form(make_assertion(client.client_id))).description
    with pytest.raises(AuthError, match="unknown, expired or revoked"):
        auth.authenticate(f"Bearer {grant.access_token}")


@pytest.mark.parametrize(
    "assertion",
    [
        lambda cid: make_assertion(cid, RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})),
        lambda cid: make_assertion(cid, RSAKey.generate_key(2048)),
        # names the registered P-384 key, which cannot verify ES256
        lambda cid: make_assertion(cid, ECKey.generate_key("P-256", {"kid": "ec-1"}), "ES256"),
    ],
    ids=["same-kid-other-key", "unregistered-key", "wrong-curve"],
)
def test_a_signature_by_an_unregistered_key_is_refused(
    auth: BackendAuth, client: SourceClient, assertion: Callable[[str], str]
) -> None:
    error = refused(auth, token_form(assertion(client.client_id)))

    assert (error.error, error.description) == (
        "invalid_client",
        "the signature does not verify with a registered key",
    )


def test_unsigned_and_symmetric_assertions_are_refused(
    auth: BackendAuth, client: SourceClient
) -> None:
    secret = OctKey.generate_key(256)
    hs256 = make_assertion(client.client_id, secret, "HS256")
    header, payload, _ = make_assertion(client.client_id).split(".")
    unsigned = f"{_b64({'alg': 'none'})}.{payload}."

    for assertion in (hs256, unsigned):
        error = refused(auth, token_form(assertion))
        assert (error.error, error.description) == (
            "invalid_client",
            "alg must be one of RS384, ES384, RS256, ES256",
        )
    for assertion in (f"{header}.{payload}", "not-a-jwt"):
        error = refused(auth, token_form(assertion))
        assert (error.error, error.description) == (
            "invalid_client",
            "client_assertion is not a signed JWT",
        )


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"grant_type": ""}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"client_assertion_type": ""}, "invalid_request"),
        ({"client_assertion": ""}, "invalid_request"),
        ({"client_assertion_type": "urn:example:saml"}, "invalid_client"),
        ({"scope": ""}, "invalid_request"),
        ({"scope": "system/*.read"}, "invalid_scope"),
        ({"scope": "system/*.write patient/*.read"}, "invalid_scope"),
        ({"scope": "system/*.c"}, "invalid_scope"),
    ],
)
def test_malformed_token_requests_are_refused(
    auth: BackendAuth, client: SourceClient, change: dict[str, str], error: str
) -> None:
    form = {k: v for k, v in token_form(make_assertion(client.client_id), **change).items() if v}

    assert refused(auth, form).error == error


@pytest.mark.parametrize(
    "header", [None, "", "Basic abc", "Bearer", "Bearer a b", "Bearer not-a-token"]
)
def test_authenticate_refuses_anything_but_a_live_bearer_token(
    auth: BackendAuth, header: str | None
) -> None:
    with pytest.raises(AuthError) as raised:
        auth.authenticate(header)

    assert (raised.value.error, raised.value.status) == ("invalid_token", 401)


def test_a_token_expires_after_its_lifetime(
    auth: BackendAuth, client: SourceClient, clock: Clock
) -> None:
    grant = auth.issue_token(token_form(make_assertion(client.client_id)), AUD)
    clock.now = START + timedelta(minutes=4, seconds=59)
    assert auth.authenticate(f"Bearer {grant.access_token}").client_id == client.client_id
    clock.now = START + timedelta(minutes=5)

    with pytest.raises(AuthError, match="unknown, expired or revoked"):
        auth.authenticate(f"Bearer {grant.access_token}")


# The HTTP edge


@pytest.fixture
def http(auth: BackendAuth) -> TestClient:
    app = FastAPI()
    install_auth(app, auth, AUD)
    install_error_pages(app)  # the one translator of refusals, an OperationOutcome under /fhir
    source = require_source(auth)

    @app.post("/fhir")
    def push(who: AuthenticatedSource = Depends(source)) -> dict[str, str]:  # noqa: B008
        return {"source": who.source_ods}

    return TestClient(app)


def test_token_endpoint_grants_and_the_token_opens_push(
    http: TestClient, client: SourceClient
) -> None:
    response = http.post("/fhir/token", data=token_form(make_assertion(client.client_id)))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("bearer", 300)
    pushed = http.post("/fhir", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert pushed.json() == {"source": "F83004"}


def test_token_endpoint_errors_are_oauth_json(http: TestClient, client: SourceClient) -> None:
    wrong_aud = make_assertion(client.client_id, aud="http://elsewhere/fhir/token")
    refused_client = http.post("/fhir/token", data=token_form(wrong_aud))
    bad_grant = http.post("/fhir/token", data={"grant_type": "password"})
    twice = http.post("/fhir/token", content=b"grant_type=a&grant_type=b", headers=_FORM)

    assert refused_client.status_code == 401
    assert refused_client.json() == {
        "error": "invalid_client",
        "error_description": f"aud must be the token endpoint, {AUD}",
    }
    assert refused_client.headers["cache-control"] == "no-store"
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert (twice.status_code, twice.json()["error"]) == (400, "invalid_request")


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_an_expired_token_gets_401_operation_outcome(
    http: TestClient, client: SourceClient, clock: Clock
) -> None:
    token = http.post("/fhir/token", data=token_form(make_assertion(client.client_id)))
    clock.now = START + timedelta(minutes=6)

    response = http.post(
        "/fhir", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["www-authenticate"] == (
        'Bearer error="invalid_token", '
        'error_description="the access token is unknown, expired or revoked"'
    )
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "login",
                "diagnostics": "the access token is unknown, expired or revoked",
            }
        ],
    }


def test_push_without_a_token_is_refused(http: TestClient) -> None:
    response = http.post("/fhir")

    assert response.status_code == 401
    assert response.json()["issue"][0]["diagnostics"].startswith("no access token")


def test_smart_configuration_advertises_the_token_endpoint(http: TestClient) -> None:
    response = http.get("/fhir/.well-known/smart-configuration")

    assert response.json() == {
        "token_endpoint": AUD,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384", "RS256", "ES256"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ["system/*.write", "system/*.cud", "system/AuditEvent.read"],
        "capabilities": ["client-confidential-asymmetric"],
    }


def test_an_assertion_for_the_host_a_request_names_is_refused(
    http: TestClient, client: SourceClient
) -> None:
    # The attacker's Host header and aud agree; only the configured base URL counts.
    elsewhere = "http://elsewhere.example/fhir/token"
    assertion = make_assertion(client.client_id, aud=elsewhere)

    response = http.post(
        "/fhir/token", data=token_form(assertion), headers={"Host": "elsewhere.example"}
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_smart_configuration_ignores_a_hostile_host_header(http: TestClient) -> None:
    response = http.get(
        "/fhir/.well-known/smart-configuration", headers={"Host": "attacker.example"}
    )

    assert response.json()["token_endpoint"] == AUD
