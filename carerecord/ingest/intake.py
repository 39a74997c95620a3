"""The one way in. Every door (file ingest, HL7 v2 messages, the push API, quarantine retry)
hands what a source sent to `check` and then `admit`, so the rules are applied in one order
everywhere: each item is prepared; what the law keeps out is set aside, its key recorded and
its content dropped; what cannot be used is quarantined; the rest is written.

A delivery is either best effort (a file batch, a batch bundle: store what can be stored,
quarantine each item that cannot) or whole (a message, a transaction, a PUT, a retry: all of
it or none of it). A whole delivery that is refused is kept as the door says (`kept_as`),
always without its legally restricted parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from carerecord.errors import SubmissionRefused
from carerecord.ingest.fhir_json import prepare
from carerecord.ingest.reader import RawItem
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import (
    Deletion,
    ExcludedItem,
    IncomingResource,
    Merge,
    QuarantineItem,
    Submission,
    WriteCounts,
)
from carerecord.store.units import WriteUnit

Prepared = IncomingResource | QuarantineItem | ExcludedItem
# Given why a whole delivery was refused, the quarantine entries that keep it.
KeptAs = Callable[[Sequence[QuarantineItem]], list[QuarantineItem]]


@dataclass
class Checked:
    """A delivery's items after checking: what may be stored, what the law keeps out (its key
    only, never its content), and what cannot be used, with why."""

    resources: list[IncomingResource] = field(default_factory=list)
    excluded: list[ExcludedItem] = field(default_factory=list)
    refused: list[QuarantineItem] = field(default_factory=list)

    def add(self, prepared: Prepared) -> Prepared:
        if isinstance(prepared, QuarantineItem):
            self.refused.append(prepared)
        elif isinstance(prepared, ExcludedItem):
            self.excluded.append(prepared)
        else:
            self.resources.append(prepared)
        return prepared

    @property
    def keys(self) -> set[tuple[str, str, str]]:
        """The resources this delivery would write or exclude."""
        return {r.key for r in self.resources} | {e.key for e in self.excluded}

    def __len__(self) -> int:
        return len(self.resources) + len(self.excluded) + len(self.refused)


def check_one(item: RawItem, source: str | None, rules: IntakeRules) -> Prepared:
    """One item against what its sender may send (`source` is the authenticated sender, or
    None to take each resource's meta.source)."""
    return prepare(item, source, rules)


def check(items: Iterable[RawItem], source: str | None, rules: IntakeRules) -> Checked:
    checked = Checked()
    for item in items:
        checked.add(prepare(item, source, rules))
    return checked


@dataclass
class Delivery:
    checked: Checked
    deletions: Sequence[Deletion] = ()
    merges: Sequence[Merge] = ()
    whole: bool = False
    # For a whole delivery: the entries that keep it when refused. None when the caller keeps
    # it some other way (a retry is in the quarantine already; a group of messages is split
    # and each message admitted alone).
    kept_as: KeptAs | None = None


@dataclass
class Admitted:
    counts: WriteCounts
    refused: list[QuarantineItem] = field(default_factory=list)  # why a whole one was not stored

    @property
    def stored(self) -> bool:
        return not self.refused


def take(store: Store, delivery: Delivery) -> Admitted:
    """Admits the delivery in a transaction of its own (retried whole if it lost a race)."""
    return store.apply(lambda unit: admit(unit, delivery))


def admit(unit: WriteUnit, delivery: Delivery) -> Admitted:
    """Writes the delivery inside the caller's unit of work (one transaction)."""
    checked = delivery.checked
    submission = Submission(
        resources=checked.resources,
        rejected=[] if delivery.whole else checked.refused,
        excluded=checked.excluded,
        deletions=list(delivery.deletions),
        merges=list(delivery.merges),
    )
    if not delivery.whole:
        return Admitted(unit.write(submission, all_or_nothing=False))
    if checked.refused:
        return _refuse(unit, delivery, checked.refused)
    try:
        return Admitted(unit.write(submission, all_or_nothing=True))
    except SubmissionRefused as refused:
        return _refuse(unit, delivery, refused.rejected)


def _refuse(unit: WriteUnit, delivery: Delivery, why: Sequence[QuarantineItem]) -> Admitted:
    counts = WriteCounts()
    if delivery.kept_as is None:
        return Admitted(counts, list(why))
    # What the law keeps out is recorded (by key) even though the rest waits in quarantine: a
    # retry must not bring it in, and what cites it must still be refused.
    if delivery.checked.excluded:
        counts = unit.write(Submission(excluded=delivery.checked.excluded), all_or_nothing=False)
    kept = delivery.kept_as(why)
    unit.quarantine(kept)
    counts.quarantined += len(kept)
    counts.rejections = [*counts.rejections, *kept]
    for item in kept:
        reasons = counts.quarantine_reasons
        reasons[item.reason_code] = reasons.get(item.reason_code, 0) + 1
    return Admitted(counts, list(why))


def keep(unit: WriteUnit, items: Sequence[QuarantineItem]) -> WriteCounts:
    """Quarantines what could not even be checked (an unreadable message, an unknown sender)."""
    return admit(unit, Delivery(Checked(refused=list(items)))).counts


def keep_now(store: Store, items: Sequence[QuarantineItem]) -> WriteCounts:
    """The same, in a transaction of its own."""
    return take(store, Delivery(Checked(refused=list(items)))).counts


def reasons_of(why: Sequence[QuarantineItem]) -> str:
    """Why, in words, each reason once."""
    return "; ".join(dict.fromkeys(item.reason for item in why))
