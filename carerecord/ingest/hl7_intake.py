"""One HL7 v2 message in, one acknowledgement out: the same path for MLLP, files and retries.

A message is applied whole or not at all. Its effects, any quarantine and the acknowledgement
are committed in one transaction before the acknowledgement is returned, so `AA` means stored.
A message the store has seen before (same sender, same MSH-10) gets its first answer again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


def screen(
    store: Store, rules: IntakeRules, raw: bytes | str, location: str
) -> tuple[str, Header] | MessageResult:
    """The message's text and header, or its AR answer when it cannot be applied at all
    (unreadable, or from a sender that is not registered); such a message is quarantined here,
    because there is no sender and control id to record it by."""
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
    return text, header


@dataclass
class PreparedMessage:
    """A message mapped and checked, ready to write: its submission and the keys it touches."""

    header: Header
    text: str
    location: str
    submission: Submission
    warnings: list[str] = field(default_factory=list)  # what of it was left out, and why

    @property
    def keys(self) -> set[tuple[str, str, str]]:
        return {r.key for r in self.submission.resources} | {
            e.key for e in self.submission.excluded
        }


Lookup = Callable[[str, str, str], dict[str, Any] | None]  # (source, type, id) → current body


def apply(
    unit: WriteUnit, rules: IntakeRules, text: str, header: Header, location: str
) -> MessageResult:
    """Maps and writes one parsed message inside the caller's unit of work."""
    prepared = prepare_message(unit.current, rules, text, header, location)
    if isinstance(prepared, MessageResult):
        unit.quarantine(prepared.counts.rejections)
        return prepared
    try:
        counts = unit.write(prepared.submission)
    except SubmissionRefused as refused:
        failed = refuse(prepared, refused.rejected)
        unit.quarantine(failed.counts.rejections)
        return failed
    return answer(prepared, counts)


def prepare_message(
    current: Lookup, rules: IntakeRules, text: str, header: Header, location: str
) -> PreparedMessage | MessageResult:
    """The message's submission, or (when it cannot be used) the answer, with the message to
    quarantine in its counts' rejections. Nothing is written here."""
    source = sender_of(header)
    try:
        mapped = map_message(text, lambda kind, key: current(source, kind, key))
    except HL7Error as error:
        reason = "unsupported-message" if error.reject else "unusable-message"
        code = "AR" if error.reject else "AE"
        counts = WriteCounts(quarantined=1, quarantine_reasons={reason: 1})
        counts.rejections = [_quarantined(text, source, location, reason, error.text)]
        return MessageResult(code, ack(header, code, [error]), counts, problem=error.text)

    incoming: list[IncomingResource] = []
    excluded: list[ExcludedItem] = []
    problems: list[QuarantineItem] = []
    resources = ([mapped.patient] if mapped.patient else []) + mapped.resources
    for index, resource in enumerate(resources):
        item = RawItem(
            f"{location} resource {index + 1}", orjson.dumps(resource).decode(), resource
        )
        checked = prepare(item, source, rules)
        if isinstance(checked, QuarantineItem):
            problems.append(checked)
        elif isinstance(checked, ExcludedItem):
            excluded.append(checked)
        else:
            incoming.append(checked)
    merges = (
        [Merge(source, mapped.merge.prior_local_id, mapped.merge.surviving_local_id)]
        if mapped.merge
        else []
    )
    prepared = PreparedMessage(
        header,
        text,
        location,
        Submission(incoming, excluded=excluded, merges=merges),
        mapped.warnings,
    )
    return refuse(prepared, problems) if problems else prepared


def refuse(prepared: PreparedMessage, problems: Sequence[QuarantineItem]) -> MessageResult:
    """AE: the whole message goes to the quarantine (in the counts' rejections) with why."""
    header, source = prepared.header, sender_of(prepared.header)
    reason = "; ".join(dict.fromkeys(p.reason for p in problems))
    counts = WriteCounts(quarantined=1, quarantine_reasons={problems[0].reason_code: 1})
    counts.rejections = [
        _quarantined(prepared.text, source, prepared.location, problems[0].reason_code, reason)
    ]
    errors = [HL7Error(p.reason, code="207", reject=False) for p in problems]
    return MessageResult("AE", ack(header, "AE", errors), counts, problem=reason)


def message_key(header: Header) -> MessageKey:
    """What makes a message the same message again: its sender and control id (MSH-10)."""
    return MessageKey(
        sender_of(header), header.control_id[:199], f"{header.message_type}^{header.trigger}"
    )


def sender_of(header: Header) -> str:
    """The sending organisation's ODS code: MSH-4, which feeds spell in either case."""
    return header.sending_facility.strip().upper()


def answer(prepared: PreparedMessage, counts: WriteCounts) -> MessageResult:
    """AA, or AE when legally restricted items of this message were excluded (`counts` may
    cover other messages written with it). What the mapping left out is said in MSA-3."""
    header, note = prepared.header, "; ".join(prepared.warnings)
    excluded = counts.excluded_keys & prepared.keys
    if not excluded:
        return MessageResult("AA", ack(header, "AA", text=note), counts)
    categories = ", ".join(sorted(counts.excluded_categories))
    error = HL7Error(
        f"{len(excluded)} item(s) not stored: legally restricted data ({categories}) is "
        "kept out of the shared record; the rest of the message was stored",
        code="207",
        reject=False,
    )
    return MessageResult("AE", ack(header, "AE", [error], text=note), counts)


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


def ack_code(ack_text: str) -> str:
    for segment in ack_text.split("\r"):
        if segment.startswith("MSA"):
            fields = segment.split(segment[3:4] or "|")
            return fields[1] if len(fields) > 1 else ""
    return ""
