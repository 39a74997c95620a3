"""MSH: who sent the message, what it is, and its control id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.parse import normalise, parse
from carerecord.ingest.hl7v2.segments import Message, Segment
from carerecord.ingest.hl7v2.values import to_utc


@dataclass(frozen=True)
class Header:
    sending_application: str
    sending_facility: str  # MSH-4.1: the sender's ODS code
    receiving_application: str
    receiving_facility: str
    message_type: str
    trigger: str
    control_id: str
    processing_id: str
    version: str
    sent_at: datetime | None
    recorded_at: datetime | None = None  # EVN-2

    @property
    def kind(self) -> str:
        return f"{self.message_type}^{self.trigger}" if self.trigger else self.message_type


def _required(msh: Segment, field: int, what: str) -> str:
    value = msh.get(field)
    if not value:
        raise HL7Error(
            f"MSH-{field} ({what}) is empty; it is required.",
            code="101",
            location=f"MSH^1^{field}",
        )
    return value


def _msh(message: Message) -> Segment:
    msh = message.first("MSH")
    if msh is None:
        raise HL7Error("The message has no MSH segment.", code="100", location="MSH")
    return msh


def kind_of(message: Message) -> tuple[str, str]:
    """(message type, trigger event) from MSH-9, or EVN-1 when a sender leaves MSH-9.2 empty."""
    msh = _msh(message)
    message_type = _required(msh, 9, "message type").upper()
    evn = message.first("EVN")
    return message_type, (msh.get(9, 2) or (evn.get(1) if evn else "")).upper()


def header_of(message: Message) -> Header:
    msh = _msh(message)
    evn = message.first("EVN")
    message_type, trigger = kind_of(message)
    facility = _required(msh, 4, "sending facility")
    control_id = _required(msh, 10, "message control id")
    return Header(
        sending_application=msh.get(3),
        sending_facility=facility,
        receiving_application=msh.get(5),
        receiving_facility=msh.get(6),
        message_type=message_type,
        trigger=trigger,
        control_id=control_id,
        processing_id=msh.get(11).upper(),  # PT.1; empty when not sent
        version=msh.get(12),
        sent_at=to_utc(msh.get(7)),
        recorded_at=to_utc(evn.get(2)) if evn else None,
    )


def parse_header(message: str) -> Header:
    """The MSH of one message; HL7Error (AR) when it is missing or unusable.

    Only MSH (and EVN, for the trigger some senders leave out of MSH-9) is parsed: the header
    is read for every message, replays included, and parsing a long result message whole just
    to read its MSH would double the cost of receiving it.
    """
    msh, _, rest = normalise(message).partition("\r")
    evn = _first_line(rest, "EVN")
    return header_of(parse(msh if evn is None else f"{msh}\r{evn}"))


def _first_line(text: str, name: str) -> str | None:
    """The first line starting with `name`, found without splitting a long message into lines."""
    if text.startswith(name):
        start = 0
    else:
        start = text.find("\r" + name) + 1
        if start == 0:
            return None
    end = text.find("\r", start)
    return text[start:] if end < 0 else text[start:end]
