"""Whatever arrives, the parser answers with a result or an HL7Error, and does so quickly."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carerecord.ingest.hl7v2 import (
    HL7Error,
    ack,
    map_message,
    normalise,
    parse_header,
    split_messages,
)

FAST = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

_HL7_CHARS = st.sampled_from(list('|^~\\&\r\n\x0b\x1c ABCXZ019.-+"é'))
_FIELD = st.text(_HL7_CHARS, max_size=30)
_NAMES = st.sampled_from(
    [
        "PID",
        "PV1",
        "PD1",
        "EVN",
        "OBR",
        "OBX",
        "NTE",
        "ORC",
        "MRG",
        "TXA",
        "SCH",
        "AIS",
        "AIP",
        "AIL",
        "ZU1",
    ]
)
_KINDS = st.sampled_from(
    [
        "ADT^A01",
        "ADT^A02",
        "ADT^A03",
        "ADT^A12",
        "ADT^A13",
        "ADT^A40",
        "ADT^A31",
        "ORU^R01",
        "MDM^T02",
        "SIU^S12",
        "SIU^S15",
        "OML^O21",
        "ADT",
        "",
        "^",
    ]
)


@st.composite
def plausible_messages(draw: st.DrawFn) -> str:
    kind = draw(_KINDS)
    msh = f"MSH|^~\\&|APP|{draw(_FIELD)}|R|R|{draw(_FIELD)}||{kind}|{draw(_FIELD)}|P|2.4"
    segments = [msh]
    for _ in range(draw(st.integers(0, 8))):
        name = draw(_NAMES)
        fields = draw(st.lists(_FIELD, max_size=52))
        segments.append("|".join([name, *fields]))
    return draw(st.sampled_from(["\r", "\n", "\r\n"])).join(segments)


def _exercise(text: str | bytes) -> None:
    normalised = normalise(text)
    assert "\n" not in normalised
    for message in split_messages(normalised):
        try:
            header = parse_header(message)
        except HL7Error as error:
            ack(None, "AR", [error])
            header = None
        try:
            mapped = map_message(message, lambda kind, id_: None)
        except HL7Error as error:
            assert error.code and error.text
            ack(header, "AE", [error])
        else:
            assert mapped.header == header
            for resource in [mapped.patient, *mapped.resources]:
                if resource is not None:
                    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@FAST
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    _exercise(text)


@FAST
@given(st.binary())
def test_arbitrary_bytes(raw: bytes) -> None:
    _exercise(raw)


@FAST
@given(plausible_messages())
def test_plausible_messages(message: str) -> None:
    _exercise(message)


@FAST
@given(plausible_messages())
def test_messages_applied_to_their_own_previous_output(message: str) -> None:
    stored: dict[tuple[str, str], dict[str, object]] = {}
    for _ in range(2):
        try:
            mapped = map_message(message, lambda kind, id_: stored.get((kind, id_)))
        except HL7Error:
            return
        for resource in mapped.resources:
            stored[(str(resource["resourceType"]), str(resource["id"]))] = resource
