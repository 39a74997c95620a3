"""The tokeniser gives what the `hl7` library (with carerecord's unescaping) gives: the same
segments, fields, repetitions, components, subcomponents and unescaped values, on every shared
sample, on everything the synthetic feeds send, and on generated messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carerecord.ingest.hl7v2 import HL7Error, split_messages
from carerecord.ingest.hl7v2.parse import checked, parse
from carerecord.ingest.hl7v2.tokens import tokenise
from carerecord.synth import generate
from tests.conftest import require
from tests.ingest.hl7v2.reference import reference_parse
from tests.ingest.hl7v2.samples import DATA, sample_files


def readable(message: str) -> str | None:
    """The text both tokenisers are given, or None for a message refused before that."""
    try:
        return checked(message)
    except HL7Error:
        return None


def assert_same_as_library(text: str) -> None:
    """Equal messages, or both refuse (the library by raising, carerecord with HL7Error)."""
    try:
        expected = reference_parse(text)
    except Exception:  # the library raises assorted types on text it cannot split
        with pytest.raises(HL7Error):
            tokenise(text)
        return
    assert tokenise(text) == expected


def test_the_usual_message_splits_into_every_level() -> None:
    text = "MSH|^~\\&|PAS|RCB|||2024||ADT^A01|C1|P|2.4\rPID|1||L1^^^RCB^MR~9434765919^^^NHS^NH"
    pid = parse(text).segments[1]
    assert pid.fields[3] == (
        (("L1",), ("",), ("",), ("RCB",), ("MR",)),
        (("9434765919",), ("",), ("",), ("NHS",), ("NH",)),
    )
    msh = parse(text).segments[0]
    assert (msh.get(1), msh.get(2), msh.get(9, 2)) == ("|", "^~\\&", "A01")


def test_escapes_are_decoded_in_each_leaf_after_splitting() -> None:
    text = "MSH|^~\\&|PAS|RCB\rNTE|1||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g\\X41\\h&\\H\\x\\N\\"
    (leaves,) = parse(text).segments[1].fields[3]
    assert leaves == (("a|b^c&d~e\\f\ngAh", "x"),)


@pytest.mark.parametrize(  # with the folder absent one stand-in case runs: under CI it fails
    "path", sample_files() or [DATA], ids=lambda p: str(p.relative_to(DATA)) if p != DATA else ""
)
def test_every_shared_sample_tokenises_as_the_library_does(path: Path) -> None:
    require(DATA.is_dir(), f"shared samples absent at {DATA}")
    for message in split_messages(path.read_bytes()):
        text = readable(message)
        if text is not None:
            assert_same_as_library(text)


def test_every_synthetic_feed_message_tokenises_as_the_library_does(tmp_path: Path) -> None:
    generate(25, tmp_path, seed=3)
    files = sorted((tmp_path / "hl7").glob("*.hl7"))
    messages = [m for path in files for m in split_messages(path.read_bytes())]
    assert len(messages) > 50
    for message in messages:
        text = checked(message)
        assert_same_as_library(text)


# Generated messages: any five separators, and values built from plain text, the separators
# themselves, escape sequences (known, unknown, hex, unfinished), spaces and the HL7 null.
_SEPARATOR_POOL = "|^~\\&#!$%*+,-./:;<=>?@[]_`{}"


@st.composite
def separators(draw: st.DrawFn) -> str:
    chosen = draw(st.permutations(_SEPARATOR_POOL))
    return "".join(chosen[:5])


def _pieces(seps: str) -> st.SearchStrategy[str]:
    component, repetition, escape, sub = seps[1], seps[2], seps[3], seps[4]
    names = st.sampled_from(["F", "S", "T", "R", "E", ".br", ".sp", "H", "N", "X41", "XC3A9"])
    escaped = names.map(lambda name: f"{escape}{name}{escape}")
    odd = st.sampled_from([f"{escape}X4{escape}", f"{escape}Xzz{escape}", escape, f"{escape}.in+4"])
    return st.one_of(
        st.text(alphabet="abcXYZ019 é", max_size=6),
        st.sampled_from([component, repetition, sub, '""', " ", "\t"]),
        escaped,
        odd,
    )


@st.composite
def messages(draw: st.DrawFn) -> str:
    seps = draw(separators())
    field = seps[0]
    value = st.lists(_pieces(seps), max_size=6).map("".join)
    msh_fields = draw(st.lists(value, max_size=14))
    lines = [field.join(["MSH", seps[1:], *msh_fields])]
    names = st.sampled_from(["PID", "PV1", "OBX", "NTE", "ZZ1", "BHS", "EVN"])
    for _ in range(draw(st.integers(0, 4))):
        lines.append(field.join([draw(names), *draw(st.lists(value, max_size=10))]))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["free text without separators", "MSH", "BTS"])))
    return "\r".join(lines)


@settings(max_examples=300, deadline=None)
@given(messages())
def test_generated_messages_tokenise_as_the_library_does(message: str) -> None:
    text = readable(message)
    if text is not None:  # whitespace-only lines are dropped first, for both alike
        assert_same_as_library(text)


@settings(max_examples=100, deadline=None)
@given(separators(), st.text(alphabet="abc|^~\\&#!.X0123456789ABCDEF", max_size=40))
def test_any_value_in_any_separators_tokenises_as_the_library_does(seps: str, value: str) -> None:
    text = readable(f"MSH{seps}\r" + seps[0].join(["NTE", value, value]))
    if text is not None:
        assert_same_as_library(text)
