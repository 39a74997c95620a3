"""Getting from bytes to segments: encodings, framing, line endings, escapes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carerecord.ingest.hl7v2 import HL7Error, map_message, normalise, split_messages
from carerecord.ingest.hl7v2.parse import parse

MSH = "MSH|^~\\&|PAS|RCB|CR|CR|20240101120000||ADT^A08|C1|P|2.4"
PID = "PID|1||L1^^^RCB^MR||SMITH^JO"
PV1 = "PV1|1|I|W1^R1^B1||||||||||||||||V1"


def nothing(kind: str, id_: str) -> None:
    return None


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n", "\n\r", "\r\n\r\n"])
def test_every_line_ending_gives_cr_segments(newline: str) -> None:
    text = newline.join([MSH, PID, PV1]) + newline
    assert normalise(text) == "\r".join([MSH, PID, PV1])


def test_mllp_framing_blank_lines_and_trailing_spaces_are_dropped() -> None:
    framed = f"\x0b{MSH}  \r\r{PID}\t\r{PV1}\x1c\r".encode()
    assert normalise(framed) == "\r".join([MSH, PID, PV1])


def test_latin1_bytes_decode_when_not_utf8() -> None:
    raw = f"{MSH}\rPID|1||L1^^^RCB^MR||BRONT\xcb^ANNE".encode("latin-1")
    assert "BRONTË" in normalise(raw)


def test_msh18_names_the_character_set() -> None:
    msh = "MSH|^~\\&|PAS|RCB|CR|CR|2024||ADT^A08|C1|P|2.4||||||8859/1"
    raw = f"{msh}\rPID|1||L1||Z\xe9".encode("latin-1")
    assert normalise(raw).endswith("Zé")


def test_split_messages_on_each_msh_with_noise_between() -> None:
    one = "\r".join([MSH, PID, PV1])
    text = f"\x0b{one}\x1c\r\n\n\x0b{one.replace('C1', 'C2')}\x1c\r"
    messages = split_messages(text)
    assert [m.split("|")[9] for m in messages] == ["C1", "C2"]


def test_text_before_the_first_msh_is_its_own_item_that_fails_clearly() -> None:
    items = split_messages("garbage line\r" + MSH)
    assert items[0] == "garbage line"
    with pytest.raises(HL7Error) as caught:
        map_message(items[0], nothing)
    assert caught.value.reject
    assert "MSH" in caught.value.text


def test_escape_sequences_are_decoded_in_values() -> None:
    message = parse(f"{MSH}\rNTE|1||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\X4142\\h\\H\\i\\N\\")
    nte = message.first("NTE")
    assert nte is not None
    assert nte.get(3) == "a|b^c&d~e\\f\ngABhi"


def test_repeating_fields_are_all_kept() -> None:
    message = parse(f"{MSH}\rPID|1||A^^^X^MR~B^^^NHS^NH~C")
    pid = message.first("PID")
    assert pid is not None
    assert [rep[0][0] for rep in pid.reps(3)] == ["A", "B", "C"]


def test_hl7_null_reads_as_empty() -> None:
    pid = parse(f'{MSH}\rPID|1||""').first("PID")
    assert pid is not None
    assert pid.get(3) == ""


def test_doubled_escape_character_in_msh2_is_tolerated() -> None:
    text = MSH.replace("^~\\&", "^~\\\\&")
    assert parse(text).first("MSH") is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "100"),
        ("PID|1", "100"),
        ("MSH|^^^^|x", "102"),
        ("MSHaaaaa", "102"),
        # Nothing after MSH-2: where it ends cannot be known (a hypothesis-found example).
        ("MSH|^~&\\", "101"),
        ("MSH|^~\\&\rPID|1|x", "101"),
    ],
)
def test_unreadable_text_is_rejected(text: str, code: str) -> None:
    with pytest.raises(HL7Error) as caught:
        parse(text)
    assert caught.value.code == code
    assert caught.value.reject


def test_a_huge_line_is_still_handled_quickly() -> None:
    raw = b"MSH|" + b"a|" * 15 + b"x" * 1_000_000 + b"\xff"
    assert normalise(raw).startswith("MSH|a|")


def test_extreme_dates_do_not_overflow() -> None:
    message = f"{MSH}\rPID|1||L1||X^Y||99991231230000-0500"
    mapped = map_message(message.replace("ADT^A08", "ADT^A28"), nothing)
    assert mapped.patient is not None and "birthDate" not in mapped.patient


def _normalised_line_by_line(text: str) -> str:
    """normalise as written before it learnt to leave normal text alone."""
    text = text.replace("\x0b", "").replace("\x1c", "").replace("\x00", "")
    lines = (line.rstrip() for line in re.split(r"\r\n|\n|\r", text))
    return "\r".join(line for line in lines if line)


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from("MSH|^a \t\r\n\x0b\x1c\x00\x0c\u2028\u00a0é"), max_size=30))
def test_normalise_gives_what_tidying_line_by_line_gives(text: str) -> None:
    assert normalise(text) == _normalised_line_by_line(text)
    assert normalise(normalise(text)) == normalise(text)
