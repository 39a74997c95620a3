"""Who is the same person, decided from what the record already holds: pure rules, no I/O.

Records are joined by NHS number alone (decision record 0003): two identities are the same
person when they carry the same NHS number, and a date of birth that disagrees with what is held
is a warning that they may not be. The store reads what it holds, asks these rules, and carries
out the answer; nothing here guesses, and nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Conflict(StrEnum):
    """Why an identity was not joined or merged: the quarantine reason code."""

    IDENTITY = "identity-conflict"  # a local id already linked to another person
    BIRTH_DATE = "birth-date-conflict"  # same NHS number, a different date of birth
    UNKNOWN_SURVIVOR = "unknown-patient"  # a merge into a local id the source never sent
    MERGE = "merge-needs-confirmation"  # a merge of two different people, for a person to confirm


def same_person(nhs_number: str | None, other: str | None) -> bool:
    """The same person: the same NHS number. Names and dates of birth never make two people one."""
    return nhs_number is not None and nhs_number == other


def link_conflict(linked_to: str | None, claimed_for: str) -> Conflict | None:
    """A source's local id already linked to one person is never re-linked to another by what a
    source sends (only by hand): the source has given that id a different NHS number."""
    if linked_to is not None and linked_to != claimed_for:
        return Conflict.IDENTITY
    return None


def birth_date_conflict(born: date | None, held: Collection[date]) -> Conflict | None:
    """A date of birth that none of the other records of the person gives is a possible
    wrong-patient match. Either side not knowing the date proves nothing."""
    if born is not None and held and born not in held:
        return Conflict.BIRTH_DATE
    return None


@dataclass(frozen=True)
class HeldIdentity:
    """What the record holds for one of a source's local ids: the person it is linked to (and
    that person's NHS number), and the date of birth the source last gave for it."""

    local_id: str
    patient_id: str | None = None  # None: the source has never sent it with a usable NHS number
    nhs_number: str | None = None
    birth_date: date | None = None


@dataclass(frozen=True)
class MergeVerdict:
    conflict: Conflict | None = None
    differs: tuple[str, ...] = ()  # what differs between the two identities, in words

    @property
    def goes_ahead(self) -> bool:
        return self.conflict is None


def merge_verdict(prior: HeldIdentity, surviving: HeldIdentity) -> MergeVerdict:
    """Whether a source's merge of its prior local id into its surviving one may be applied as
    sent. A merge within one person (duplicate local ids: same NHS number, same date of birth)
    goes ahead; one joining two different people moves one person's records into another's,
    so it waits for a person to confirm it."""
    if surviving.patient_id is None:
        return MergeVerdict(Conflict.UNKNOWN_SURVIVOR)
    if prior.patient_id is None:
        return MergeVerdict()  # nothing is held under the prior id: nothing moves
    differs = []
    if not same_person(prior.nhs_number, surviving.nhs_number):
        differs.append("NHS numbers")
    both_known = prior.birth_date is not None and surviving.birth_date is not None
    if both_known and prior.birth_date != surviving.birth_date:
        differs.append("dates of birth")
    if differs:
        return MergeVerdict(Conflict.MERGE, tuple(differs))
    return MergeVerdict()
