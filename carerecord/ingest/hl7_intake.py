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

from carerecord.ingest import believable, senders
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.hl7v2 import Header, HL7Error, ack, map_message, normalise, parse_header
from carerecord.ingest.hl7v2.restricted import without_restricted
from carerecord.ingest.intake import (
    Admitted,
    Checked,
    Delivery,
    admit,
    check,
    keep,
    keep_now,
    reasons_of,
)
from carerecord.ingest.limits import excerpt
from carerecord.ingest.mllp import Peer
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import Merge, QuarantineItem, WriteCounts
from carerecord.store.units import MessageKey, WriteUnit


@dataclass
class MessageResult:
    code: str  # AA, AE or AR
    ack: str
    counts: WriteCounts = field(default_factory=WriteCounts)
    replayed: bool = False
    problem: str = ""  # why it was not applied, when it was not


def screen(
    store: Store, rules: IntakeRules, raw: bytes | str, location: str, peer: Peer | None = None
) -> tuple[str, Header] | MessageResult:
    """The message's text and header, or its AR answer when it cannot be applied at all
    (unreadable, from a network peer not registered to send as its MSH-4, or from a sender that
    is not a registered source); such a message is quarantined here, because there is no sender
    and control id to record it by. `peer` is None for a file the operator vouches for."""
    text = normalise(raw)
    try:
        header = parse_header(text)
    except HL7Error as error:
        excerpt = senders.excerpt_limit(rules.senders, peer)
        kept = quarantined(text, None, location, "malformed", error.text, rules.exclusions, excerpt)
        keep_now(store, [kept])
        counts = WriteCounts(quarantined=1, quarantine_reasons={"malformed": 1})
        return MessageResult("AR", ack(None, "AR", [error]), counts, problem=error.text)
    refused = senders.refusal(rules.senders, sender_of(header), peer) or _unknown_source(
        rules, header
    )
    if refused is not None:
        kept = quarantined(
            text,
            sender_of(header),
            location,
            refused.reason_code,
            refused.reason,
            rules.exclusions,
            refused.excerpt_bytes,
        )
        keep_now(store, [kept])
        counts = WriteCounts(quarantined=1, quarantine_reasons={refused.reason_code: 1})
        why = refused.error
        return MessageResult("AR", ack(header, "AR", [why]), counts, problem=why.text)
    problem = believable.header_problem(header, rules)
    if problem is not None:
        return _refused_early(store, rules, text, header, location, *problem)
    return text, header


def _refused_early(
    store: Store,
    rules: IntakeRules,
    text: str,
    header: Header,
    location: str,
    reason_code: str,
    error: HL7Error,
) -> MessageResult:
    """Kept and answered before its sender and control id are recorded, so the same message
    sent again once its sender is fixed is applied."""
    kept = quarantined(text, sender_of(header), location, reason_code, error.text, rules.exclusions)
    keep_now(store, [kept])
    code = "AR" if error.reject else "AE"
    counts = WriteCounts(quarantined=1, quarantine_reasons={reason_code: 1})
    return MessageResult(code, ack(header, code, [error]), counts, problem=error.text)


def _unknown_source(rules: IntakeRules, header: Header) -> senders.Refusal | None:
    if sender_of(header) in rules.organisations:
        return None
    unknown = HL7Error(
        f"sending facility {header.sending_facility} (MSH-4) is not a registered source",
        code="204",
        location="MSH^1^4",
    )
    return senders.Refusal("unknown-source", unknown, unknown.text)


@dataclass
class PreparedMessage:
    """A message mapped and checked, ready to admit: its items and merges, and the keys it
    touches."""

    header: Header
    text: str
    location: str
    checked: Checked
    merges: list[Merge] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what of it was left out, and why
    exclusions: ExclusionList = field(default_factory=ExclusionList)

    @property
    def keys(self) -> set[tuple[str, str, str]]:
        return self.checked.keys

    def delivery(self, kept: bool = True) -> Delivery:
        """The message as one whole delivery; refused, it is kept as one quarantine entry (the
        message without its restricted segments) unless `kept` is False."""
        return Delivery(
            self.checked,
            merges=self.merges,
            whole=True,
            kept_as=self._kept_as if kept else None,
        )

    def _kept_as(self, why: Sequence[QuarantineItem]) -> list[QuarantineItem]:
        source = sender_of(self.header)
        return [
            quarantined(self.text, source, self.location, why[0].reason_code, reasons_of(why), self)
        ]


Lookup = Callable[[str, str, str], dict[str, Any] | None]  # (source, type, id) → current body


def apply(
    unit: WriteUnit, rules: IntakeRules, text: str, header: Header, location: str
) -> MessageResult:
    """Maps and admits one parsed message inside the caller's unit of work."""
    prepared = prepare_message(unit.current, rules, text, header, location)
    if isinstance(prepared, MessageResult):
        keep(unit, prepared.counts.rejections)
        return prepared
    return result(prepared, admit(unit, prepared.delivery()))


def prepare_message(
    current: Lookup, rules: IntakeRules, text: str, header: Header, location: str
) -> PreparedMessage | MessageResult:
    """The message checked, or (when it cannot be mapped at all) the answer, with the message
    to quarantine in its counts' rejections. Nothing is written here."""
    source = sender_of(header)
    try:
        mapped = map_message(text, lambda kind, key: current(source, kind, key))
    except HL7Error as error:
        reason = "unsupported-message" if error.reject else "unusable-message"
        code = "AR" if error.reject else "AE"
        counts = WriteCounts(quarantined=1, quarantine_reasons={reason: 1})
        counts.rejections = [
            quarantined(text, source, location, reason, error.text, rules.exclusions)
        ]
        return MessageResult(code, ack(header, code, [error]), counts, problem=error.text)

    resources = ([mapped.patient] if mapped.patient else []) + mapped.resources
    checked = check(
        (
            RawItem(f"{location} resource {index + 1}", orjson.dumps(r).decode(), r)
            for index, r in enumerate(resources)
        ),
        source,
        rules,
    )
    merges = (
        [Merge(source, mapped.merge.prior_local_id, mapped.merge.surviving_local_id)]
        if mapped.merge
        else []
    )
    return PreparedMessage(
        header, text, location, checked, merges, mapped.warnings, rules.exclusions
    )


def result(prepared: PreparedMessage, admitted: Admitted) -> MessageResult:
    """The answer to a message once admitted: AA, or AE saying what was left out or why none
    of it was stored."""
    if admitted.stored:
        return answer(prepared, admitted.counts)
    return refuse(prepared, admitted.refused, admitted.counts)


def refuse(
    prepared: PreparedMessage, problems: Sequence[QuarantineItem], counts: WriteCounts
) -> MessageResult:
    """AE: none of the message was stored (it waits in the quarantine), and why."""
    reason = reasons_of(problems)
    errors = [HL7Error(p.reason, code="207", reject=False) for p in problems]
    return MessageResult("AE", ack(prepared.header, "AE", errors), counts, problem=reason)


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


def quarantined(
    text: str,
    source: str | None,
    location: str,
    reason_code: str,
    reason: str,
    exclusions: ExclusionList | PreparedMessage,
    excerpt_bytes: int | None = None,
) -> QuarantineItem:
    """The message as it will be kept: restricted segments are taken out first, whatever else
    is wrong with it; then, for a message nobody has vouched for, only its first
    `excerpt_bytes`, so a flood cannot fill the quarantine."""
    if isinstance(exclusions, PreparedMessage):
        exclusions = exclusions.exclusions
    kept, removed = without_restricted(text, exclusions)
    if removed:
        reason = f"{reason} ({removed} legally restricted segment(s) removed before keeping it)"
    if excerpt_bytes is not None:
        kept, note = excerpt(kept, excerpt_bytes)
        reason += note
    return QuarantineItem(
        input_format="hl7v2",
        location=location,
        reason_code=reason_code,
        reason=reason,
        raw=kept,
        source_ods=source,
    )


def ack_code(ack_text: str) -> str:
    for segment in ack_text.split("\r"):
        if segment.startswith("MSA"):
            fields = segment.split(segment[3:4] or "|")
            return fields[1] if len(fields) > 1 else ""
    return ""
