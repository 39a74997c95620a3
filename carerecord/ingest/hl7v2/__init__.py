"""HL7 v2 (2.3-2.8) messages to FHIR R4 resources as plain dicts, and the ACKs that answer them.

Pure functions: no database, no network. The caller supplies `current`, a lookup of what this
source sent before, so that event messages (transfer, cancel discharge ...) can be applied.
"""

from carerecord.ingest.hl7v2.ack import ack
from carerecord.ingest.hl7v2.context import Lookup
from carerecord.ingest.hl7v2.errors import HL7Error
from carerecord.ingest.hl7v2.header import Header, parse_header
from carerecord.ingest.hl7v2.mapping import Mapped, Merge, map_message
from carerecord.ingest.hl7v2.parse import normalise, split_messages

__all__ = [
    "HL7Error",
    "Header",
    "Lookup",
    "Mapped",
    "Merge",
    "ack",
    "map_message",
    "normalise",
    "parse_header",
    "split_messages",
]
