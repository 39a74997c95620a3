"""Whatever arrives as an HL7 v2 message, the sender gets an ACK whose MSA-1 is AA, AE or AR,
and the listener goes on answering good messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carerecord.ingest import hl7_receive
from carerecord.ingest.mllp_client import MLLPClient
from carerecord.ingest.rules import RulesSource
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, register
from tests.ingest.listener import HOST, adt_a01, hl7_listener, parse_ack

pytestmark = pytest.mark.slow  # hypothesis sends each test hundreds of requests

ACK_CODES = {"AA", "AE", "AR"}
FUZZ = settings(
    max_examples=150,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MESSAGE_TYPES = [
    "ADT^A01",
    "ADT^A02",
    "ADT^A03",
    "ADT^A08",
    "ADT^A11",
    "ADT^A40",
    "ORU^R01",
    "MDM^T02",
    "SIU^S12",
    "ACK",
    "",
]
SEGMENT_NAMES = ["EVN", "PID", "PD1", "MRG", "PV1", "PV2", "OBR", "OBX", "TXA", "SCH", "NTE"]
# Field contents that mean something to the mapping: ids, NHS numbers, dates, coded values.
FIELD_PIECES = [
    "L1^^^RAL^MR",
    "9434765919^^^NHS^NH",
    "1234567890^^^NHS^NH",
    "SMITH^JO",
    "19570314",
    "202401011000",
    "2024",
    "99999999999999",
    "I",
    "O",
    "WARD1^BAY1^BED1",
    "V100",
    "NM",
    "ST",
    "TX",
    "718-7^Haemoglobin^LN",
    "13.5",
    "g/dL",
    "F",
    "\\E\\",
    "^~\\&",
    "",
]
fields = st.lists(st.sampled_from(FIELD_PIECES) | st.text(max_size=12), max_size=25).map("|".join)
segments = st.builds(
    lambda name, body: f"{name}|{body}",
    st.sampled_from(SEGMENT_NAMES) | st.from_regex(r"[A-Z][A-Z0-9]{2}", fullmatch=True),
    fields,
)


@st.composite
def hl7ish(draw: st.DrawFn) -> str:
    """An MSH that is usually well formed, from RAL, then segments the mapping may meet."""
    facility = draw(st.sampled_from(["RAL", "RAL", "RXX", ""]))
    kind = draw(st.sampled_from(MESSAGE_TYPES) | st.text(max_size=8))
    control_id = draw(st.from_regex(r"[A-Z0-9]{0,8}", fullmatch=True))
    version = draw(st.sampled_from(["2.3", "2.4", "2.5.1", ""]))
    msh = f"MSH|^~\\&|PAS|{facility}|CR|CR|202401011000||{kind}|{control_id}|P|{version}"
    if draw(st.integers(0, 9)) == 0:
        msh = draw(st.text(max_size=40))
    separator = draw(st.sampled_from(["\r", "\n", "\r\n"]))
    return separator.join([msh, *draw(st.lists(segments, max_size=8))])


def msa_1(ack: str) -> str:
    return parse_ack(ack.encode()).code


@pytest.fixture
def hospital(store: Store) -> Store:
    register(store, make_org("RAL", "acute"))
    return store


@pytest.fixture
def rules(hospital: Store, db_url: str) -> RulesSource:
    return RulesSource(hospital, Settings.from_env({}, db=db_url))


@FUZZ
@given(raw=st.binary(max_size=300))
def test_any_bytes_received_get_an_ack(hospital: Store, rules: RulesSource, raw: bytes) -> None:
    result = hl7_receive.receive(hospital, rules.current(), raw, "fuzz")

    assert msa_1(result.ack) in ACK_CODES
    assert result.code == msa_1(result.ack)


@FUZZ
@given(message=hl7ish())
def test_any_hl7ish_message_received_gets_an_ack(
    hospital: Store, rules: RulesSource, message: str
) -> None:
    result = hl7_receive.receive(hospital, rules.current(), message, "fuzz")

    assert msa_1(result.ack) in ACK_CODES


@pytest.fixture
def port(hospital: Store, db_url: str) -> Iterator[int]:
    with hl7_listener(hospital, db_url) as listening:
        yield listening


@settings(
    max_examples=25,
    deadline=10000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payload=(hl7ish().map(str.encode) | st.binary(max_size=200)).filter(
        lambda b: b"\x0b" not in b and b"\x1c" not in b  # what MLLP framing can carry
    )
)
def test_over_a_live_socket_any_message_gets_an_ack_and_a_good_one_still_aa(
    hospital: Store, port: int, payload: bytes
) -> None:
    good = adt_a01(f"GOOD-{uuid.uuid4().hex[:12]}")

    with MLLPClient(HOST, port, timeout=30) as client:
        fuzzed, after = client.send_many([payload, good])

    assert parse_ack(fuzzed).code in ACK_CODES
    assert parse_ack(after).code == "AA"
