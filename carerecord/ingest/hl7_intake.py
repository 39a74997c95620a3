"""One HL7 v2 message in, one acknowledgement out: the same path for MLLP, files and retries.

A message is applied whole or not at all. Its effects, any quarantine and the acknowledgement
are committed in one transaction before the acknowledgement is returned, so `AA` means stored.
A message the store has seen before (same sender, same MSH-10) gets its first answer again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.hl7v2 import Header, HL7Error, ack, map_message, normalise, parse_header
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import (
    ExcludedItem,
    IncomingResource,
    Merge,
    QuarantineItem,
    Submission,
    WriteCounts,
)
from carerecord.store.units import MessageKey, WriteUnit
from carerecord.store.writes import SubmissionRefused


@dataclass
class MessageResult:
    code: str  # AA, AE or AR
    ack: str
    counts: WriteCounts = field(default_factory=WriteCounts)
    replayed: bool = False
    problem: str = ""  # why it was not applied, when it was not


def receive(store: Store, rules: IntakeRules, raw: bytes | str, location: str) -> MessageResult:
    """Applies one message (once) and returns its acknowledgement."""
    text = normalise(raw)
    try:
        header = parse_header(text)
    except HL7Error as error:
        store.quarantine([_quarantined(text, None, location, "malformed", error.text)])
        counts = WriteCounts(quarantined=1, quarantine_reasons={"malformed": 1})
        return MessageResult("AR", ack(None, "AR", [error]), counts, problem=error.text)
    if sender_of(header) not in rules.organisations:
        unknown = HL7Error(
            f"sending facility {header.sending_facility} (MSH-4) is not a registered source",
            code="204",
            location="MSH^1^4",
        )
        store.quarantine(
            [_quarantined(text, sender_of(header), location, "unknown-source", unknown.text)]
        )
        counts = WriteCounts(quarantined=1, quarantine_reasons={"unknown-source": 1})
        return MessageResult("AR", ack(header, "AR", [unknown]), counts, problem=unknown.text)

    key = MessageKey(
        sender_of(header),
        header.control_id[:199],
        f"{header.message_type}^{header.trigger}",
    )
    outcome = MessageResult("", "", replayed=True)

    def handle(unit: WriteUnit) -> tuple[str, str]:
        nonlocal outcome
        outcome = apply(unit, rules, text, header, location)
        return outcome.code, outcome.ack

    answer = store.apply_message(key, handle)
    if outcome.replayed:
        return MessageResult(_ack_code(answer), answer, replayed=True)
    return outcome


def apply(
    unit: WriteUnit, rules: IntakeRules, text: str, header: Header, location: str
) -> MessageResult:
    """Maps and writes one parsed message inside the caller's unit of work."""
    source = sender_of(header)
    try:
        mapped = map_message(text, lambda kind, key: unit.current(source, kind, key))
    except HL7Error as error:
        reason = "unsupported-message" if error.reject else "unusable-message"
        unit.quarantine([_quarantined(text, source, location, reason, error.text)])
        code = "AR" if error.reject else "AE"
        counts = WriteCounts(quarantined=1, quarantine_reasons={reason: 1})
        return MessageResult(code, ack(header, code, [error]), counts, problem=error.text)

    incoming: list[IncomingResource] = []
    excluded: list[ExcludedItem] = []
    problems: list[QuarantineItem] = []
    resources = ([mapped.patient] if mapped.patient else []) + mapped.resources
    for index, resource in enumerate(resources):
        item = RawItem(
            f"{location} resource {index + 1}", orjson.dumps(resource).decode(), resource
        )
        prepared = prepare(item, source, rules)
        if isinstance(prepared, QuarantineItem):
            problems.append(prepared)
        elif isinstance(prepared, ExcludedItem):
            excluded.append(prepared)
        else:
            incoming.append(prepared)
    merges = (
        [Merge(source, mapped.merge.prior_local_id, mapped.merge.surviving_local_id)]
        if mapped.merge
        else []
    )
    if not problems:
        try:
            counts = unit.write(Submission(incoming, excluded=excluded, merges=merges))
        except SubmissionRefused as refused:
            problems = refused.rejected
        else:
            return _answer(header, counts)
    reason = "; ".join(dict.fromkeys(p.reason for p in problems))
    unit.quarantine([_quarantined(text, source, location, problems[0].reason_code, reason)])
    counts = WriteCounts(quarantined=1, quarantine_reasons={problems[0].reason_code: 1})
    errors = [HL7Error(p.reason, code="207", reject=False) for p in problems]
    return MessageResult("AE", ack(header, "AE", errors), counts, problem=reason)


def sender_of(header: Header) -> str:
    """The sending organisation's ODS code: MSH-4, which feeds spell in either case."""
    return header.sending_facility.strip().upper()


def _answer(header: Header, counts: WriteCounts) -> MessageResult:
    if not counts.excluded:
        return MessageResult("AA", ack(header, "AA"), counts)
    categories = ", ".join(sorted(counts.excluded_categories))
    error = HL7Error(
        f"{counts.excluded} item(s) not stored: legally restricted data ({categories}) is "
        "kept out of the shared record; the rest of the message was stored",
        code="207",
        reject=False,
    )
    return MessageResult("AE", ack(header, "AE", [error]), counts)


def _quarantined(
    text: str, source: str | None, location: str, reason_code: str, reason: str
) -> QuarantineItem:
    return QuarantineItem(
        input_format="hl7v2",
        location=location,
        reason_code=reason_code,
        reason=reason,
        raw=text,
        source_ods=source,
    )


def _ack_code(ack_text: str) -> str:
    for segment in ack_text.split("\r"):
        if segment.startswith("MSA"):
            fields = segment.split(segment[3:4] or "|")
            return fields[1] if len(fields) > 1 else ""
    return ""
