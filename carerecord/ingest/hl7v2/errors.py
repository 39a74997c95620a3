"""The one error an HL7 v2 message can raise, carrying what the ACK needs to explain it."""

from __future__ import annotations

from carerecord.errors import MalformedInput

# HL7 table 0357 codes used here.
SEGMENT_SEQUENCE = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE = "102"
TABLE_VALUE = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT = "201"
INTERNAL = "207"


class HL7Error(MalformedInput):
    """A message that cannot be used.

    code is an HL7 table 0357 error code; location names the place ("PID^1^3", "" when the
    whole message is at fault); text is a sentence a sender's analyst can act on. reject=True
    means the message itself is unusable (ACK code AR); False means it was understood but the
    content is in error (AE).
    """

    def __init__(
        self, text: str, code: str = INTERNAL, location: str = "", reject: bool = True
    ) -> None:
        super().__init__(text)
        self.text = text
        self.code = code
        self.location = location
        self.reject = reject

    def __repr__(self) -> str:
        return f"HL7Error({self.text!r}, code={self.code!r}, location={self.location!r})"
