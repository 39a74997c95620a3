"""Whether an HL7 v2 message's header can be believed before anything in it is used: its
processing id says it is meant for live records, and its times are not in the future."""

from __future__ import annotations

from datetime import datetime

from carerecord.ingest.hl7v2 import Header, HL7Error
from carerecord.ingest.rules import IntakeRules

UNSUPPORTED_PROCESSING_ID = "202"


def header_problem(header: Header, rules: IntakeRules) -> tuple[str, HL7Error] | None:
    """(quarantine reason code, the error for the ACK), or None when the header is believable."""
    if header.processing_id not in rules.processing_ids:
        sent = f"'{header.processing_id}'" if header.processing_id else "empty"
        accepted = ", ".join(sorted(rules.processing_ids)) or "none"
        return "processing-id", HL7Error(
            f"Processing id (MSH-11) {sent} is not accepted here (accepted: {accepted}); "
            "training, debugging and unmarked messages never reach live records.",
            code=UNSUPPORTED_PROCESSING_ID,
            location="MSH^1^11",
        )
    until = rules.believable_until()
    for moment, where in ((header.sent_at, "MSH^1^7"), (header.recorded_at, "EVN^1^2")):
        if moment is not None and moment > until:
            return "future-timestamp", _future(moment, where, rules)
    return None


def _future(moment: datetime, where: str, rules: IntakeRules) -> HL7Error:
    field = where.replace("^1^", "-")
    minutes = int(rules.clock_skew.total_seconds() // 60)
    return HL7Error(
        f"{field} ({moment.isoformat(timespec='seconds')}) is in the future by this "
        f"server's clock ({rules.clock().isoformat(timespec='seconds')}, allowing "
        f"{minutes} minutes); the message was not applied. Check the sending system's clock.",
        code="207",
        location=where,
        reject=False,
    )
