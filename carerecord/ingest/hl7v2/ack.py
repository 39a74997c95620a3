"""ACK messages that say exactly why a message was refused, for v2.3 and v2.5+ readers alike."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from datetime import UTC, datetime

from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.header import Header

OUR_APPLICATION = "CARERECORD"
OUR_FACILITY = "CARERECORD"
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))
_sequence = itertools.count(1)


def escape(text: str) -> str:
    """Text made safe to sit inside one HL7 field (escape character first)."""
    for char, sequence in _ESCAPES:
        text = text.replace(char, sequence)
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def _control_id(now: datetime) -> str:
    # Time, process and a counter: unique across restarts and within one busy second.
    return f"CR{now.strftime('%Y%m%d%H%M%S')}{os.getpid() % 100000:05d}{next(_sequence):06d}"


def _location_parts(location: str) -> list[str]:
    parts = [escape(part) for part in location.split("^")]
    return [*parts, "", "", ""][:3]


def _err(error: HL7Error) -> str:
    segment, sequence, field = _location_parts(error.location)
    text = escape(error.text)
    code = escape(error.code)
    # v2.3/2.4 ERR-1 is an ELD: segment^sequence^field^code&text (code is a CE, hence &).
    eld = f"{segment}^{sequence}^{field}^{code}&{text}&HL70357"
    location = "^".join((segment, sequence, field))
    return f"ERR|{eld}|{location}|{code}^{text}^HL70357|E||||{text}"


def ack(
    header: Header | None,
    code: str,
    errors: Sequence[HL7Error] = (),
    text: str = "",
    now: datetime | None = None,
) -> str:
    """An ACK (segments joined by CR, no MLLP framing) answering `header`'s message."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    trigger = escape(header.trigger) if header else ""
    msh = "|".join(
        (
            "MSH",
            "^~\\&",
            OUR_APPLICATION,
            OUR_FACILITY,
            escape(header.sending_application) if header else "",
            escape(header.sending_facility) if header else "",
            now.strftime("%Y%m%d%H%M%S+0000"),
            "",
            f"ACK^{trigger}^ACK",
            _control_id(now),
            escape(header.processing_id or "P") if header else "P",
            escape(header.version) if header and header.version else "2.4",
        )
    )
    original = escape(header.control_id) if header else ""
    msa = f"MSA|{escape(code)}|{original}" + (f"|{escape(text)}" if text else "")
    return "\r".join([msh, msa, *(_err(error) for error in errors)])
