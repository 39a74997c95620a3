"""The alert rules as pure functions over stored entries: each rule's boundaries (exactly N
people in an hour, 07:59, 08:00 and 18:00 in summer and winter time), and what the record
facts decide for same-surname-and-address and sensitive records."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from carerecord.audit.alert_rules import load_alert_rules
from carerecord.audit.alerts import (
    Person,
    find_alerts,
    name_parts,
    person_from,
    unusual_volume,
)
from carerecord.audit.entry import AuditRecord, StoredEntry, context_of
from tests.audit.planting import Staff, declaration, override, view

RULES = load_alert_rules()
ALICE = Staff(1, "a.khan", "Alice Khan")
PARAMEDIC = Staff(2, "p.obi", "Pat Obi", organisation="RRU01", org_type="ambulance")
_ids = itertools.count(1)


def stored(record: AuditRecord, at: datetime) -> StoredEntry:
    """An entry as the log would hold it (the chain's own fields left empty)."""
    return StoredEntry(
        id=next(_ids),
        occurred_at=at,
        format=2,
        actor=record.actor,
        action=record.action,
        outcome=record.outcome,
        patient_id=record.patient_id,
        organisation=record.requester.organisation if record.requester else None,
        user_id=record.requester.user_id if record.requester else None,
        role=record.requester.role if record.requester else None,
        request_id=None,
        detail=context_of(record),
        prev_hash="",
        hash="",
    )


class Facts:
    """RecordFacts over people held in memory."""

    def __init__(self, *people: Person, search: Sequence[tuple[str, str, str]] = ()) -> None:
        self.people = {p.patient_id: p for p in people}
        self.search = search  # (patient_id, family, postcode) as the sources index them

    def person(self, patient_id: str) -> Person | None:
        return self.people.get(patient_id)

    def residents(self, family: str, postcodes: frozenset[str]) -> Sequence[Person]:
        ids = {pid for pid, fam, pc in self.search if fam == family and pc in postcodes}
        return [self.people[pid] for pid in sorted(ids) if pid in self.people]


def rules_of(entries: list[StoredEntry], facts: Facts | None = None) -> list[tuple[str, int]]:
    start = min(e.occurred_at for e in entries) - timedelta(days=1)
    end = max(e.occurred_at for e in entries) + timedelta(days=1)
    return [a.key for a in find_alerts(entries, RULES, facts or Facts(), start, end)]


def test_every_override_and_declaration_is_raised() -> None:
    at = datetime(2026, 10, 6, 10, tzinfo=UTC)
    entries = [stored(override(ALICE, "p1"), at), stored(declaration(ALICE, "p2"), at)]
    assert rules_of(entries) == [
        ("override", entries[0].id),
        ("declared-relationship", entries[1].id),
    ]
    found = find_alerts(entries, RULES, Facts(), at, at + timedelta(seconds=1))
    assert "unconscious in A&E" in found[0].why and "seen in clinic today" in found[1].why


def test_a_refused_override_is_not_an_alert() -> None:
    at = datetime(2026, 10, 6, 10, tzinfo=UTC)
    refused = AuditRecord(**{**override(ALICE, "p1").__dict__, "outcome": "refused"})
    assert rules_of([stored(refused, at)]) == []


# unusual-volume
def hour_of_views(staff: Staff, people: int, start: datetime, step: timedelta) -> list[StoredEntry]:
    return [stored(view(staff, f"p{n}"), start + n * step) for n in range(people)]


def test_exactly_n_people_in_an_hour_is_no_alert_and_one_more_is() -> None:
    start = datetime(2026, 10, 6, 9, tzinfo=UTC)
    thirty = hour_of_views(ALICE, 30, start, timedelta(minutes=1))
    assert unusual_volume(thirty, 30) == []
    more = [*thirty, stored(view(ALICE, "p-extra"), start + timedelta(minutes=40))]
    found = unusual_volume(more, 30)
    assert [a.entry.id for a in found] == [more[-1].id]  # anchored on the entry that crossed
    assert "31 different people" in found[0].why


def test_the_same_person_opened_again_is_not_counted_twice() -> None:
    start = datetime(2026, 10, 6, 9, tzinfo=UTC)
    entries = hour_of_views(ALICE, 30, start, timedelta(minutes=1))
    entries += [stored(view(ALICE, "p0", page="medications"), start + timedelta(minutes=50))]
    assert unusual_volume(entries, 30) == []


def test_an_hour_is_sliding_and_an_entry_exactly_an_hour_old_has_left_it() -> None:
    start = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)  # across a clock hour
    entries = hour_of_views(ALICE, 30, start, timedelta(minutes=2))  # 09:30 .. 10:28
    at_hour = stored(view(ALICE, "p-late"), start + timedelta(hours=1))  # p0 is an hour old
    assert unusual_volume([*entries, at_hour], 30) == []
    within = stored(view(ALICE, "p-late"), start + timedelta(minutes=59))
    assert [a.entry.id for a in unusual_volume([*entries, within], 30)] == [within.id]


def test_one_alert_per_user_per_hour_while_the_volume_goes_on() -> None:
    start = datetime(2026, 10, 6, 9, tzinfo=UTC)
    entries = hour_of_views(ALICE, 100, start, timedelta(seconds=60))  # 100 people in 100 min
    found = unusual_volume(entries, 30)
    assert len(found) == 1 and found[0].entry.id == entries[30].id
    later = hour_of_views(ALICE, 40, start + timedelta(hours=5), timedelta(seconds=30))
    assert len(unusual_volume([*entries, *later], 30)) == 2  # a new episode hours later


def test_volume_is_counted_per_user() -> None:
    start = datetime(2026, 10, 6, 9, tzinfo=UTC)
    other = Staff(3, "b.jones", "Bea Jones")
    entries = hour_of_views(ALICE, 20, start, timedelta(minutes=1))
    entries += hour_of_views(other, 20, start, timedelta(minutes=1))
    assert unusual_volume(entries, 30) == []


def test_the_window_asks_for_alerts_only_anchored_inside_it() -> None:
    start = datetime(2026, 10, 6, 9, tzinfo=UTC)
    entries = hour_of_views(ALICE, 31, start, timedelta(minutes=1))
    anchor = entries[-1].occurred_at
    assert find_alerts(entries, RULES, Facts(), anchor, anchor + timedelta(seconds=1))
    assert not find_alerts(
        entries, RULES, Facts(), anchor + timedelta(seconds=1), anchor + timedelta(hours=1)
    )


# out-of-hours-no-relationship: London is UTC+1 in summer time, UTC in winter
@pytest.mark.parametrize(
    ("utc", "raised"),
    [
        (datetime(2026, 7, 1, 6, 59, tzinfo=UTC), True),  # Wed 07:59 BST
        (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), False),  # Wed 08:00 BST
        (datetime(2026, 7, 1, 16, 59, tzinfo=UTC), False),  # Wed 17:59 BST
        (datetime(2026, 7, 1, 17, 0, tzinfo=UTC), True),  # Wed 18:00 BST
        (datetime(2026, 12, 2, 7, 59, tzinfo=UTC), True),  # Wed 07:59 GMT
        (datetime(2026, 12, 2, 8, 0, tzinfo=UTC), False),  # Wed 08:00 GMT
        (datetime(2026, 12, 2, 18, 0, tzinfo=UTC), True),  # Wed 18:00 GMT
        (datetime(2026, 12, 5, 11, 0, tzinfo=UTC), True),  # Sat 11:00 GMT
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), True),  # Sun, the night the clocks change
    ],
)
def test_out_of_hours_boundaries_in_uk_time(utc: datetime, raised: bool) -> None:
    entry = stored(view(ALICE, "p1", relationship=None, override="emergency"), utc)
    assert rules_of([entry]) == ([("out-of-hours-no-relationship", entry.id)] if raised else [])


def test_out_of_hours_with_a_relationship_or_from_an_exempt_type_is_no_alert() -> None:
    night = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    with_relationship = stored(view(ALICE, "p1", relationship="registered-gp"), night)
    paramedic = stored(view(PARAMEDIC, "p1", relationship=None, override="emergency"), night)
    assert rules_of([with_relationship, paramedic]) == []


def test_an_entry_of_the_first_format_is_not_judged_for_a_relationship() -> None:
    night = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    entry = stored(view(ALICE, "p1", relationship=None), night)
    old = StoredEntry(**{**entry.__dict__, "format": 1, "detail": {"page": "overview"}})
    assert rules_of([old]) == []


# same-surname-and-address and sensitive-record
def patient(pid: str, family: str, given: str, postcode: str, **meta: object) -> Person:
    body = {
        "resourceType": "Patient",
        "meta": meta,
        "name": [{"use": "official", "family": family, "given": [given]}],
        "address": [{"use": "home", "postalCode": postcode}],
    }
    return person_from(pid, [orjson.dumps(body).decode()])


def test_a_relative_at_the_users_address_is_raised() -> None:
    mother = patient("p1", "Khan", "Ruby", "NW1 9SL")
    alice = patient("p2", "KHAN", "Alice", "nw1 9sl")  # the user, as the record holds her
    facts = Facts(mother, alice, search=[("p1", "KHAN", "NW19SL"), ("p2", "KHAN", "NW19SL")])
    at = datetime(2026, 10, 6, 10, tzinfo=UTC)
    entry = stored(view(ALICE, "p1"), at)
    found = find_alerts([entry], RULES, facts, at, at + timedelta(seconds=1))
    assert [a.key for a in found] == [("same-surname-and-address", entry.id)]
    assert "NW1 9SL" in found[0].why
    own = stored(view(ALICE, "p2"), at)
    assert "own record" in find_alerts([own], RULES, facts, at, at + timedelta(seconds=1))[0].why


@pytest.mark.parametrize(
    ("who", "search"),
    [
        ("Alice Khan", [("p1", "KHAN", "NW19SL")]),  # nobody named Alice Khan lives there
        ("Alice Khan", [("p1", "KHAN", "NW19SL"), ("p3", "KHAN", "E17AA")]),  # she lives elsewhere
        ("Alice Smith", [("p1", "KHAN", "NW19SL"), ("p2", "KHAN", "NW19SL")]),  # another surname
        ("Alice", [("p1", "KHAN", "NW19SL"), ("p2", "KHAN", "NW19SL")]),  # no surname to compare
    ],
)
def test_a_surname_alone_or_an_address_alone_is_no_alert(
    who: str, search: list[tuple[str, str, str]]
) -> None:
    facts = Facts(
        patient("p1", "Khan", "Ruby", "NW1 9SL"),
        patient("p2", "Khan", "Zara", "NW1 9SL"),
        patient("p3", "Khan", "Alice", "E1 7AA"),
        search=search,
    )
    staff = Staff(1, "a.khan", who)
    at = datetime(2026, 10, 6, 10, tzinfo=UTC)
    assert rules_of([stored(view(staff, "p1"), at)], facts) == []


@pytest.mark.parametrize(
    ("display", "parts"),
    [
        ("Alice Khan", ("ALICE", "KHAN")),
        ("Dr Alice Khan", ("ALICE", "KHAN")),
        ("KHAN, Alice", ("ALICE", "KHAN")),
        ("Alice Mary O'Brien", ("ALICE", "OBRIEN")),
        ("Alice", None),
        ("", None),
    ],
)
def test_a_users_first_name_and_surname(display: str, parts: tuple[str, str] | None) -> None:
    assert name_parts(display) == parts


def test_a_view_of_a_record_marked_restricted_is_raised() -> None:
    restricted = patient("p1", "Hidden", "Alex", "N1 1AA", security=[{"code": "R"}])
    normal = patient("p2", "Open", "Sam", "N1 1AA", security=[{"code": "N"}])
    at = datetime(2026, 10, 6, 10, tzinfo=UTC)
    entries = [stored(view(ALICE, "p1"), at), stored(view(ALICE, "p2"), at)]
    assert rules_of(entries, Facts(restricted, normal)) == [("sensitive-record", entries[0].id)]
