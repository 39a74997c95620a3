"""Receiving HL7 v2 messages: one (from a file), or several waiting on different MLLP
connections, which are applied together.

A message is applied whole or quarantined whole, recorded once by its sender and control id
(MSH-10) in the same transaction as its effects, and answered only after that commits, so `AA`
means stored; a message seen before gets its first answer again. Each message costs some fixed
work in the database (linking its patient, looking up what its resources replace, recording its
acknowledgement): messages received together share one transaction and, where they touch
different resources, one write, and are still each answered on their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from carerecord.ingest import hl7_intake
from carerecord.ingest.hl7_intake import MessageResult, PreparedMessage
from carerecord.ingest.hl7v2 import Header, HL7Error, ack
from carerecord.ingest.intake import Checked, Delivery, admit, keep
from carerecord.ingest.mllp import Peer
from carerecord.ingest.rules import IntakeRules
from carerecord.ingest.senders import REUSED, peer_record
from carerecord.store import Store
from carerecord.store.units import Arrival, MessageGroup, MessageKey

# A message as it arrived: its bytes, where from (for people), and the network peer that sent
# it (None for a file the operator vouches for).
Arrived = tuple[bytes | str, str, Peer | None]


def receive(
    store: Store, rules: IntakeRules, raw: bytes | str, location: str, peer: Peer | None = None
) -> MessageResult:
    """Applies one message (once) and returns its acknowledgement."""
    return receive_all(store, rules, [(raw, location, peer)])[0]


def receive_all(
    store: Store, rules: IntakeRules, deliveries: Sequence[Arrived]
) -> list[MessageResult]:
    """An answer for each message, in order."""
    results: list[MessageResult | None] = [None] * len(deliveries)
    waiting: dict[MessageKey, tuple[int, str, Header, str]] = {}
    arrivals: dict[MessageKey, Arrival] = {}
    later: list[int] = []  # a second copy of a message already in this group
    for index, (raw, location, peer) in enumerate(deliveries):
        screened = hl7_intake.screen(store, rules, raw, location, peer)
        if isinstance(screened, MessageResult):
            results[index] = screened
            continue
        text, header = screened
        key = hl7_intake.message_key(header)
        if key in waiting:
            later.append(index)
        else:
            waiting[key] = (index, text, header, location)
            digest = hashlib.sha256(text.encode()).hexdigest()
            arrivals[key] = Arrival(digest, peer_record(peer, location))

    if waiting:
        answered: dict[MessageKey, MessageResult] = {}

        def handle(group: MessageGroup) -> dict[MessageKey, tuple[str, str]]:
            answered.clear()  # a retried transaction starts again from nothing
            answered.update(_apply(group, rules, [(k, *waiting[k][1:]) for k in group.claimed]))
            answered.update(_reused(group, rules, [(k, *waiting[k][1:]) for k in group.reused]))
            return {key: (result.code, result.ack) for key, result in answered.items()}

        acks = store.apply_messages(list(waiting), handle, arrivals)
        for key, (index, *_) in waiting.items():
            found = answered.get(key)
            # An answer from an attempt that was rolled back and then found the message applied
            # by another writer is not this message's answer: the recorded ACK is.
            fresh = found is not None and found.ack == acks[key]
            results[index] = (
                found
                if fresh
                else MessageResult(hl7_intake.ack_code(acks[key]), acks[key], replayed=True)
            )
    for index in later:  # now a replay of the first copy
        results[index] = receive(store, rules, *deliveries[index])
    return [result for result in results if result is not None]


def _reused(
    group: MessageGroup, rules: IntakeRules, messages: list[tuple[MessageKey, str, Header, str]]
) -> dict[MessageKey, MessageResult]:
    """AE for each message whose control id an earlier, different message holds; each is
    kept whole in the quarantine, so nothing is silently dropped."""
    answers: dict[MessageKey, MessageResult] = {}
    for key, text, header, location in messages:
        error = HL7Error(
            f"control id {header.control_id} (MSH-10) was used before by {key.source_ods} for "
            "a different message; this one is not applied (send it with a new control id)",
            code="205",
            location="MSH^1^10",
            reject=False,
        )
        kept = hl7_intake.quarantined(
            text, key.source_ods, location, REUSED, error.text, rules.exclusions
        )
        counts = keep(group, [kept])
        counts.rejections = [kept]
        answers[key] = MessageResult("AE", ack(header, "AE", [error]), counts, problem=error.text)
    return answers


def _apply(
    group: MessageGroup, rules: IntakeRules, messages: list[tuple[MessageKey, str, Header, str]]
) -> dict[MessageKey, MessageResult]:
    answers: dict[MessageKey, MessageResult] = {}
    batch: list[tuple[MessageKey, PreparedMessage]] = []
    pending: set[tuple[str, str, str]] = set()  # keys the batch will write

    def flush() -> None:
        answers.update(_write(group, batch))
        batch.clear()
        pending.clear()

    def current(source: str, kind: str, key: str) -> dict[str, object] | None:
        if (source, kind, key) in pending:
            flush()  # a message reads what one before it in the batch writes
        return group.current(source, kind, key)

    for key, text, header, location in messages:
        prepared = hl7_intake.prepare_message(current, rules, text, header, location)
        if isinstance(prepared, MessageResult):
            keep(group, prepared.counts.rejections)
            answers[key] = prepared
            continue
        if prepared.checked.refused:  # refused already: nothing of it joins the batch
            answers.update(_alone(group, key, prepared))
            continue
        if prepared.keys & pending or prepared.merges:
            flush()  # one version per resource per write; merges move data, so go alone
        batch.append((key, prepared))
        pending.update(prepared.keys)
        if prepared.merges:
            flush()
    flush()
    return answers


def _write(
    group: MessageGroup, batch: list[tuple[MessageKey, PreparedMessage]]
) -> dict[MessageKey, MessageResult]:
    """One write for the batch; if any message in it cannot be stored, each goes alone."""
    if not batch:
        return {}
    if len(batch) == 1:
        return _alone(group, *batch[0])
    together = Delivery(
        Checked(
            resources=[r for _, p in batch for r in p.checked.resources],
            excluded=[e for _, p in batch for e in p.checked.excluded],
        ),
        merges=[m for _, p in batch for m in p.merges],
        whole=True,  # and kept by no one: refused, the batch is split
    )
    admitted = admit(group, together)
    if admitted.stored:
        return {key: hl7_intake.answer(p, admitted.counts) for key, p in batch}
    answers: dict[MessageKey, MessageResult] = {}
    for key, prepared in batch:
        answers.update(_alone(group, key, prepared))
    return answers


def _alone(
    group: MessageGroup, key: MessageKey, prepared: PreparedMessage
) -> dict[MessageKey, MessageResult]:
    return {key: hl7_intake.result(prepared, admit(group, prepared.delivery()))}
