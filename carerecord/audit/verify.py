"""Walking the chain: every entry's hash recomputed from its fields and the hash before it.

The first break is named with what it looks like, from the entries themselves:
- altered: an entry's fields no longer give its own hash;
- inserted: an entry is not chained to the one before it, but the next one is;
- reordered: an entry is chained to one that now comes after it;
- removed: an entry is chained to a hash no entry holds (the ones between are gone), or
  to an entry re-hashed after being altered — the log cannot tell which, and says so.
Removing the newest entries leaves a shorter valid chain: only a head kept elsewhere
(`carerecord audit head`) shows it, so `verify` takes one to check against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Protocol

from carerecord.audit import canonical
from carerecord.audit.entry import StoredEntry


@dataclass(frozen=True)
class Break:
    entry_id: int
    kind: str  # altered, inserted, reordered, removed, head-missing
    message: str


@dataclass(frozen=True)
class Report:
    checked: int
    head_id: int | None
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


class ChainIndex(Protocol):
    """Lookups into the stored log, used only to explain a break."""

    def id_of_hash(self, digest: str) -> int | None: ...

    def id_after(self, entry_id: int) -> int | None: ...


@dataclass(frozen=True)
class KnownHead:
    """A head printed earlier and kept by someone else: it must still be in the chain."""

    entry_id: int
    hash: str


def verify(
    entries: Iterable[StoredEntry],
    index: ChainIndex,
    start_hash: str = canonical.GENESIS,
    known: KnownHead | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Checks `entries` (in id order, from the start of the kept chain); `index` finds
    entries by hash, to tell a reordering from an insertion or a removal."""
    expected, checked, last = start_hash, 0, None
    known_seen = known is None
    stream: Iterator[StoredEntry] = iter(entries)
    for entry in stream:
        if canonical.link(entry.prev_hash, canonical.fields_of(entry)) != entry.hash:
            return _report(checked, last, expected, _altered(entry))
        if entry.prev_hash != expected:
            following = next(stream, None)
            if following is not None:
                stream = chain([following], stream)
            return _report(checked, last, expected, _unlinked(entry, following, expected, index))
        if known is not None and entry.id == known.entry_id:
            if entry.hash != known.hash:
                return _report(checked, last, expected, _head_replaced(known))
            known_seen = True
        expected, last, checked = entry.hash, entry, checked + 1
        if progress is not None and checked % 10_000 == 0:
            progress(checked)
    if not known_seen and known is not None:
        return _report(checked, last, expected, _head_missing(known, last))
    return _report(checked, last, expected, None)


def _report(checked: int, last: StoredEntry | None, expected: str, broken: Break | None) -> Report:
    return Report(checked, last.id if last else None, last.hash if last else expected, broken)


def _altered(entry: StoredEntry) -> Break:
    return Break(
        entry.id,
        "altered",
        f"entry #{entry.id} was altered: its fields no longer give the hash it was stored with",
    )


def _unlinked(
    entry: StoredEntry, following: StoredEntry | None, expected: str, index: ChainIndex
) -> Break:
    holder = index.id_of_hash(entry.prev_hash)
    if holder is not None and holder > entry.id:
        return Break(
            entry.id,
            "reordered",
            f"entry #{entry.id} is out of order: it is chained to #{holder}, which now comes "
            "after it",
        )
    if following is not None and following.prev_hash == expected:
        return Break(
            entry.id,
            "inserted",
            f"entry #{entry.id} was inserted: the entry after it (#{following.id}) is chained "
            "to the one before it",
        )
    if holder is not None:
        first = index.id_after(holder) or entry.id
        return Break(
            first,
            "inserted",
            f"entry #{first} was inserted: #{entry.id} is chained to #{holder}, so the entries "
            f"from #{first} up to #{entry.id} were not there when it was written",
        )
    return Break(
        entry.id,
        "removed",
        f"the chain is broken at entry #{entry.id}: the entry it is chained to is gone — "
        "removed, or altered and its hash recomputed",
    )


def _head_replaced(known: KnownHead) -> Break:
    return Break(
        known.entry_id,
        "altered",
        f"entry #{known.entry_id}, the head kept outside, now holds a different hash: the "
        "log was rewritten from there",
    )


def _head_missing(known: KnownHead, last: StoredEntry | None) -> Break:
    newest = f"#{last.id}" if last else "none"
    return Break(
        known.entry_id,
        "removed",
        f"entry #{known.entry_id}, the head kept outside, is no longer in the log (its newest "
        f"entry is {newest}): entries were removed from its end",
    )


@dataclass(frozen=True)
class Span:
    """One stretch of the log checked on its own: every entry's hash recomputed and each
    chained to the one before it within the stretch. Stretches are joined afterwards."""

    first_prev: str | None  # what the stretch's first entry is chained to
    last_hash: str | None
    checked: int
    intact: bool
    last_id: int | None = None


def check_span(entries: Iterable[StoredEntry]) -> Span:
    """Checks a stretch without knowing what came before it: every entry's link to the one
    before is checkable on its own, which lets a long log be walked by several processes."""
    first_prev, expected, checked, last_id = None, None, 0, None
    for entry in entries:
        if canonical.link(entry.prev_hash, canonical.fields_of(entry)) != entry.hash:
            return Span(first_prev, expected, checked, False)
        if expected is None:
            first_prev = entry.prev_hash
        elif entry.prev_hash != expected:
            return Span(first_prev, expected, checked, False)
        expected, checked, last_id = entry.hash, checked + 1, entry.id
    return Span(first_prev, expected, checked, True, last_id)


def joined(spans: list[Span], start_hash: str) -> bool:
    """Whether the stretches, each intact, chain one to the next from `start_hash`."""
    expected = start_hash
    for span in spans:
        if not span.intact:
            return False
        if span.checked == 0:
            continue
        if span.first_prev != expected:
            return False
        expected = span.last_hash or expected
    return True
