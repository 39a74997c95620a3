"""Whatever a source posts, the push API answers in FHIR JSON and never with a server error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carerecord.store import Store
from tests.factories import make_condition, make_patient
from tests.push.helpers import FHIR_JSON, PushClient, build_app, register_source

pytestmark = pytest.mark.slow  # hypothesis sends each test hundreds of requests

FUZZ = settings(
    max_examples=120,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)

RESOURCE_TYPES = ["Patient", "Condition", "Encounter", "Observation", "AllergyIntolerance"]
ids = st.sampled_from(["pat-1", "cond-1", "x", "", "not valid!", "a" * 65]) | st.text(max_size=8)
references = st.sampled_from(
    ["Patient/pat-1", "Patient/unknown", "urn:uuid:p", "urn:uuid:missing", "Patient/", ""]
) | st.text(max_size=12)


SOUND = [
    make_patient(local_id="pat-1"),
    make_condition(patient="pat-1", resource_id="cond-1"),
    make_condition(patient="pat-1", resource_id="cond-2"),
]


@st.composite
def resources(draw: st.DrawFn) -> Any:
    """Often a sound resource (ids from a small pool, so entries collide), else one with any
    field possibly wrong, now and then not a resource at all."""
    resource: dict[str, Any] = dict(draw(st.sampled_from([*SOUND, {}])))
    if draw(st.booleans()):
        return resource
    resource["resourceType"] = draw(st.sampled_from(RESOURCE_TYPES) | json_values)
    if draw(st.booleans()):
        resource["id"] = draw(ids | json_values)
    if draw(st.booleans()):
        resource["subject"] = {"reference": draw(references)}
    if draw(st.booleans()):
        resource["meta"] = draw(
            st.fixed_dictionaries({"source": st.text(max_size=12)}) | json_values
        )
    if draw(st.booleans()):
        resource[draw(st.sampled_from(["code", "identifier", "status", "link"]))] = draw(
            json_values
        )
    return draw(st.just(resource) | json_values) if draw(st.integers(0, 9)) == 0 else resource


@st.composite
def entries(draw: st.DrawFn) -> Any:
    entry: dict[str, Any] = {}
    if draw(st.booleans()):
        entry["fullUrl"] = draw(st.sampled_from(["urn:uuid:p", "urn:uuid:c"]) | json_values)
    if draw(st.integers(0, 9)):
        entry["resource"] = draw(resources())
    if draw(st.integers(0, 3)):
        entry["request"] = {"method": draw(st.sampled_from(["POST", "PUT", "put"])), "url": "X"}
    else:
        method = st.sampled_from(["POST", "PUT", "DELETE", "GET"]) | json_values
        url = st.sampled_from(["Patient/pat-1", "Condition/cond-1", "/a/b/c"]) | json_values
        entry["request"] = draw(st.fixed_dictionaries({"method": method, "url": url}) | json_values)
    return draw(st.just(entry) | json_values) if draw(st.integers(0, 19)) == 0 else entry


# Mostly a transaction or batch of sound-looking entries; sometimes anything at all.
bundles = st.fixed_dictionaries(
    {
        "resourceType": st.just("Bundle"),
        "type": st.sampled_from(["transaction", "batch"]),
        "entry": st.lists(entries(), max_size=6),
    }
) | st.fixed_dictionaries(
    {
        "resourceType": st.just("Bundle"),
        "type": st.sampled_from(["transaction", "batch"]) | json_values,
        "entry": st.lists(entries(), max_size=3) | json_values,
    }
)


@pytest.fixture
def push(store: Store, db_url: str) -> Iterator[PushClient]:
    source = register_source(store, "F83004")
    register_source(store, "RAL", "acute", sections=("encounters",))
    with TestClient(build_app(store, db_url)) as http:
        client = PushClient(http).sign_in(source)
        assert client.put(make_patient(local_id="pat-1")).status_code == 201
        yield client


def assert_fhir_answer(response: httpx.Response, *success: str) -> None:
    """Under 500; errors as an OperationOutcome, success as one of `success` (or a warning)."""
    assert response.status_code < 500
    if response.status_code == 204:
        assert response.content == b""
        return
    assert response.headers["content-type"] == FHIR_JSON
    kind = response.json()["resourceType"]
    if response.status_code >= 400:
        assert kind == "OperationOutcome"
    else:
        assert kind in (*success, "OperationOutcome")


@FUZZ
@given(body=json_values)
def test_any_json_value_posted_gets_a_fhir_answer(push: PushClient, body: Any) -> None:
    assert_fhir_answer(push.post(body), "Bundle")


@FUZZ
@given(body=st.binary(max_size=200))
def test_any_bytes_posted_get_a_fhir_answer(push: PushClient, body: bytes) -> None:
    assert_fhir_answer(push.post_raw(body), "Bundle")


@FUZZ
@given(bundle=bundles)
def test_any_bundle_shaped_body_gets_a_fhir_answer(push: PushClient, bundle: Any) -> None:
    assert_fhir_answer(push.post(fresh_ids(bundle)), "Bundle")


def fresh_ids(body: Any) -> Any:
    """The pooled Condition ids made new for each example, so what earlier examples stored
    cannot hide what this one would do to a record holding only the patient."""
    salt = uuid.uuid4().hex[:8]
    raw = orjson.dumps(body)
    for pooled in (b"cond-1", b"cond-2"):
        raw = raw.replace(pooled, pooled + b"-" + salt.encode())
    return orjson.loads(raw)


@FUZZ
@given(
    resource_type=st.sampled_from(RESOURCE_TYPES)
    | st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True),
    resource_id=st.sampled_from(["pat-1", "cond-1"])
    # "." and ".." are path segments the client resolves away: they never reach the route
    | st.from_regex(r"[A-Za-z0-9.\-!]{1,70}", fullmatch=True).filter(lambda i: i.strip(".")),
    body=resources(),
)
def test_any_put_or_delete_gets_a_fhir_answer(
    push: PushClient, resource_type: str, resource_id: str, body: Any
) -> None:
    url = f"/fhir/{resource_type}/{resource_id}"
    headers = push.headers()

    assert_fhir_answer(push.http.put(url, json=body, headers=headers), resource_type)
    assert_fhir_answer(push.http.delete(url, headers=headers))
