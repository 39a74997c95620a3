"""MSH as a Header, and ACKs that both old and new readers understand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.ingest.hl7v2 import HL7Error, ack, parse_header

MSH = "MSH|^~\\&|PAS|RCB^^L|ROUTE|ROUTE|201007011418||ADT^A01^ADT_A01|CTRL1|T|2.4"


def test_header_fields() -> None:
    header = parse_header(MSH + "\rEVN|A01|2010")
    assert header.sending_application == "PAS"
    assert header.sending_facility == "RCB"
    assert (header.message_type, header.trigger) == ("ADT", "A01")
    assert (header.control_id, header.processing_id, header.version) == ("CTRL1", "T", "2.4")
    # 14:18 in July in London is 13:18 UTC.
    assert header.sent_at == datetime(2010, 7, 1, 13, 18, tzinfo=UTC)


def test_explicit_offset_is_honoured_and_a_missing_processing_id_stays_empty() -> None:
    header = parse_header("MSH|^~\\&|A|RCB|B|C|20100101120000+0200||ORU^R01|1||2.5")
    assert header.sent_at == datetime(2010, 1, 1, 10, 0, tzinfo=UTC)
    assert header.processing_id == ""


def test_trigger_from_evn_when_msh9_has_none() -> None:
    assert parse_header("MSH|^~\\&|A|RCB|B|C|2010||ADT|1|P|2.3\rEVN|A03").trigger == "A03"


@pytest.mark.parametrize(("field", "index"), [("RCB^^L", 4), ("ADT^A01^ADT_A01", 9), ("CTRL1", 10)])
def test_missing_required_msh_field_is_code_101_with_location(field: str, index: int) -> None:
    with pytest.raises(HL7Error) as caught:
        parse_header(MSH.replace(f"|{field}|", "||", 1))
    assert (caught.value.code, caught.value.location) == ("101", f"MSH^1^{index}")
    assert caught.value.reject


def _segments(message: str) -> dict[str, list[str]]:
    return {line.split("|")[0]: line.split("|") for line in message.split("\r")}


def test_ack_swaps_parties_and_echoes_the_control_id() -> None:
    header = parse_header(MSH)
    message = ack(header, "AA", now=datetime(2024, 5, 1, 9, 0, tzinfo=UTC))
    msh = _segments(message)["MSH"]
    assert msh[2:6] == ["CARERECORD", "CARERECORD", "PAS", "RCB"]
    assert msh[6] == "20240501090000+0000"
    assert msh[8] == "ACK^A01^ACK"
    assert msh[10:12] == ["T", "2.4"]
    assert message.split("\r")[1] == "MSA|AA|CTRL1"
    assert "\n" not in message


def test_ack_control_ids_are_unique() -> None:
    ids = {ack(None, "AA").split("\r")[0].split("|")[9] for _ in range(50)}
    assert len(ids) == 50


def test_err_segment_serves_v23_and_v25_readers_and_escapes_text() -> None:
    error = HL7Error("PID-3 is empty | no ^ids~ & more", code="101", location="PID^1^3")
    message = ack(parse_header(MSH), "AE", [error], text="bad")
    err = message.split("\r")[2].split("|")
    assert err[0] == "ERR"
    assert err[1].startswith("PID^1^3^101&PID-3 is empty \\F\\ no \\S\\ids\\R\\ \\T\\ more")
    assert err[2] == "PID^1^3"
    assert err[3].split("^") == [
        "101",
        "PID-3 is empty \\F\\ no \\S\\ids\\R\\ \\T\\ more",
        "HL70357",
    ]
    assert err[4] == "E"
    assert err[8] == "PID-3 is empty \\F\\ no \\S\\ids\\R\\ \\T\\ more"
    assert message.split("\r")[1] == "MSA|AE|CTRL1|bad"


def test_ack_without_a_header_is_still_valid() -> None:
    message = ack(None, "AR", [HL7Error("not HL7", code="100")])
    msh, msa, err = message.split("\r")
    assert msh.startswith("MSH|^~\\&|CARERECORD|CARERECORD|||")
    assert msh.split("|")[8] == "ACK^^ACK"
    assert msh.split("|")[10:12] == ["P", "2.4"]
    assert msa == "MSA|AR|"
    assert err.split("|")[3] == "100^not HL7^HL70357"
