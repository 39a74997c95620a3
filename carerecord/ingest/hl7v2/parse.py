"""From bytes on a wire or in a file to parsed messages.

This module makes the input tidy (encoding, MLLP framing, line endings) and checks MSH-1 and
MSH-2; tokens.py splits it. The `hl7` library is kept only as the reference the tests check
that tokeniser against: it cost more than half of receiving a message.
"""

from __future__ import annotations

import re

from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.segments import Message
from carerecord.ingest.hl7v2.tokens import tokenise

_MLLP = str.maketrans("", "", "\x0b\x1c")
_LINE_BREAKS = re.compile(r"\r\n|\n|\r")
_LINE_ENDS_IN_SPACE = re.compile(r"\s(?:\r|\Z)")  # a blank line too: \r is a space


def _tidy(text: str) -> bool:
    """True when normalise would leave the text as it is (as the receiving path passes it on,
    normalised already): no framing, NUL or LF, no blank line, no line ending in a space."""
    return not (
        "\n" in text
        or "\x0b" in text
        or "\x1c" in text
        or "\x00" in text
        or text.startswith("\r")
        or _LINE_ENDS_IN_SPACE.search(text)
    )


# MSH-18 values that name something other than UTF-8; everything else is tried as UTF-8 first.
_MSH18_CODECS = {
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "ASCII": "ascii",
    "WINDOWS-1252": "cp1252",
    "CP1252": "cp1252",
}


def _declared_charset(raw: bytes) -> str:
    """MSH-18 (first repetition/component), read before the bytes are decoded."""
    first_line = re.split(rb"[\r\n]", raw.lstrip(b"\x0b\r\n "), maxsplit=1)[0]
    if not first_line.startswith(b"MSH") or len(first_line) < 8:
        return ""
    fields = first_line.split(first_line[3:4])
    value = fields[17] if len(fields) > 17 else b""
    return re.split(rb"[\^~]", value, maxsplit=1)[0].decode("ascii", "replace").strip().upper()


def _decode(raw: bytes) -> str:
    codec = _MSH18_CODECS.get(_declared_charset(raw))
    if codec:
        return raw.decode(codec, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older feeds send Windows-1252/Latin-1 without saying so; latin-1 never fails.
        return raw.decode("latin-1")


def normalise(raw: bytes | str) -> str:
    """Text with segments separated by CR only, no MLLP framing and no blank lines."""
    text = _decode(raw) if isinstance(raw, bytes) else raw
    if _tidy(text):
        return text
    text = text.translate(_MLLP).replace("\x00", "")
    lines = (line.rstrip() for line in _LINE_BREAKS.split(text))
    return "\r".join(line for line in lines if line)


def split_messages(text: bytes | str) -> list[str]:
    """One string per message: a new message starts at every segment named MSH."""
    messages: list[list[str]] = []
    for line in normalise(text).split("\r"):
        if line.startswith("MSH") or not messages:
            messages.append([])
        messages[-1].append(line)
    return ["\r".join(lines) for lines in messages]


def _tidy_encoding_characters(text: str) -> str:
    """Undo a doubled escape in MSH-2 (a copy from source code), so it reads ^~\\&."""
    msh2 = text[4:].split(text[3], 1)[0]
    unique = "".join(dict.fromkeys(msh2))
    if unique != msh2 and len(unique) >= 4:
        return text[:4] + unique + text[4 + len(msh2) :]
    return text


def parse(message: str) -> Message:
    """The parsed message; HL7Error (AR) when it cannot be tokenised at all."""
    return tokenise(checked(message))


def checked(message: str) -> str:
    """The message normalised, once its MSH-1 and MSH-2 are known to be usable separators."""
    text = normalise(message)
    if not text.startswith("MSH") or len(text) < 8:
        raise HL7Error(
            "The message does not start with an MSH segment, so it cannot be read.",
            code="100",
            location="MSH",
        )
    text = _tidy_encoding_characters(text)
    separators = text[3:8]
    if len(set(separators)) < 5 or any(c.isalnum() or c.isspace() for c in separators):
        raise HL7Error(
            "MSH-1 and MSH-2 must be five different separator characters, usually |^~\\&.",
            code="102",
            location="MSH^2",
        )
    if text.find(text[3], 4, _line_end(text)) < 0:  # where MSH-2 ends is then unknowable
        raise HL7Error(
            "The MSH segment ends after its encoding characters (MSH-2): MSH-3 to MSH-12, "
            "the message's sender, type and id, are missing.",
            code="101",
            location="MSH^3",
        )
    return text


def _line_end(text: str) -> int:
    end = text.find("\r")
    return len(text) if end < 0 else end
