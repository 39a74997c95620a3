"""The privacy officer's alert desk over a real store, on SQLite and PostgreSQL: who may use
it; a clean synthetic month of ordinary use raises nothing; the same month with one planted
case of each rule raises exactly those; reviews are kept, checked and audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from carerecord.access.actors import User
from carerecord.access.admin_input import InvalidInput
from carerecord.access.alert_desk import AlertDesk, NotIgOfficer, UnknownAlert
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import Role
from carerecord.audit.alert_rules import load_alert_rules
from carerecord.audit.alerts import UK
from carerecord.audit.entry import AuditRecord
from carerecord.errors import AccessRefused
from carerecord.ingest.pipeline import ingest_paths
from carerecord.organisations import organisation_from_json
from carerecord.store import Store
from carerecord.store.schema import audit_reviews
from carerecord.synth.generate import generate
from tests.audit.planting import Staff, declaration, override, plant, view
from tests.factories import make_org, make_patient, register, valid_nhs_number, write_ndjson
from tests.support.audit_log import entries
from tests.support.staff import add_staff

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
SEPTEMBER = [date(2026, 9, day) for day in range(1, 31)]
GP_ONE = Staff(101, "gp-one", "Nadia Okafor-Quist")
GP_TWO = Staff(102, "gp-two", "Tomasz Varga-Lind")
NURSE = Staff(103, "ward-one", "Priya Lindqvist", organisation="RAL01", org_type="acute")
CREW = Staff(104, "crew-one", "Lee Moreau-Haig", organisation="RRU01", org_type="ambulance")
ALICE = Staff(105, "a-khan", "Alice Khan")


@dataclass(frozen=True)
class World:
    store: Store
    people: list[str]  # synthetic people, none marked sensitive
    hidden: str  # a person whose record a source marks restricted
    ruby: str  # Ruby Khan, at the address where Alice Khan is recorded too


def seed_world(store: Store, folder: Path) -> None:
    """Forty synthetic people, a restricted person, and Ruby and Alice Khan at one address;
    seeded once per session and engine, each test getting its own copy."""
    out = folder / "synth"
    generate(40, out, seed=7, as_of=date(2026, 8, 31))
    for index, entry in enumerate(orjson.loads((out / "organisations.json").read_bytes())):
        store.save_organisation(organisation_from_json(entry, index))
    ingest_paths(store, [out / "fhir"])
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    household = [{"use": "home", "line": ["4 Fieldgate Street"], "postalCode": "E1 1JE"}]
    ingest_paths(
        store,
        [
            write_ndjson(
                folder / "extra.ndjson",
                make_patient("x1", valid_nhs_number(901), "HIDDEN", ("Alex",), restricted=True),
                make_patient("x2", valid_nhs_number(902), "Khan", ("Ruby",), address=household),
                make_patient("x3", valid_nhs_number(903), "KHAN", ("Alice",), address=household),
            )
        ],
        source="F83004",
    )
    add_staff(store, "ig-lead", "RAL01", "ig-officer", NOW - timedelta(days=30), NOW)


pytestmark = pytest.mark.seeded("alert-world", seed_world)


@pytest.fixture
def world(store: Store) -> World:
    extra = {store.patient_id_for_nhs_number(valid_nhs_number(n)) for n in (901, 902, 903)}
    marked = {pid for pid, body in patients(store) if body.get("meta", {}).get("security")}
    people = sorted({pid for pid, _ in patients(store)} - marked - extra)
    hidden, ruby = (store.patient_id_for_nhs_number(valid_nhs_number(n)) for n in (901, 902))
    assert hidden and ruby and len(people) >= 32
    return World(store, people, hidden, ruby)


def patients(store: Store) -> list[tuple[str, dict[str, object]]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT patient_id, body FROM resources WHERE resource_type = 'Patient' ORDER BY id"
        ).all()
    return [(pid, orjson.loads(body)) for pid, body in rows if pid]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UK).astimezone(UTC)


def ordinary_month(people: list[str]) -> Iterator[tuple[AuditRecord, datetime]]:
    """A September of ordinary use: two GPs opening a dozen records each working day, a ward
    nurse in the evenings for patients on the ward, a paramedic crew at night with no
    relationship (their organisation works around the clock), sign-ins, and a refused
    override. None of it is anything a rule should raise."""
    actions = ("view-record", "view-document", "view-timeline")
    for n, day in enumerate(SEPTEMBER):
        if day.weekday() < 5:
            for slot in range(12):
                for k, staff in enumerate((GP_ONE, GP_TWO)):
                    who = people[(n * 7 + slot + k * 13) % len(people)]
                    moment = at(day, 9 + (slot * 40) // 60, (slot * 40) % 60 + k)
                    yield view(staff, who, action=actions[slot % 3]), moment
            yield AuditRecord(GP_ONE.username, "sign-in", "success", {}), at(day, 8, 55)
        nurse_sees = people[n % len(people)]
        yield view(NURSE, nurse_sees, relationship="recent-encounter"), at(day, 21, 10)
        crew_sees = people[(n * 3) % len(people)]
        yield view(CREW, crew_sees, relationship=None), at(day, 2, 40)
    refused = AuditRecord(**{**override(NURSE, people[0]).__dict__, "outcome": "refused"})
    yield refused, at(SEPTEMBER[10], 23, 0)


def officer(store: Store, role: Role = Role.IG_OFFICER, username: str = "ig-lead") -> User:
    account = store.accounts.user_by_name(username)
    assert account is not None
    return User(
        account.id,
        username,
        "Ig Lead",
        "RAL01",
        role,
        NOW - timedelta(days=30),
        "AAL2",
        "session",
        "csrf",
        None,
    )


def desk(store: Store, user: User | None = None, address: str = "127.0.0.1") -> AlertDesk:
    rules, access = load_alert_rules(), load_rules()
    return AlertDesk(store, rules, access, user or officer(store), NOW, address)


def september(store: Store) -> list[tuple[str, int]]:
    found = desk(store).alerts(desk(store).window("2026-09-01", "2026-09-30"))
    return sorted(v.alert.key for v in found)


def test_a_clean_synthetic_month_raises_no_alert(world: World) -> None:
    planted = plant(world.store, ordinary_month(world.people))
    assert len(planted) > 500
    assert september(world.store) == []


def test_one_planted_case_of_each_rule_is_raised_and_nothing_else(world: World) -> None:
    plant(world.store, ordinary_month(world.people))
    people = world.people
    cases = plant(
        world.store,
        [
            (override(NURSE, people[0]), at(SEPTEMBER[14], 14, 0)),
            (declaration(GP_TWO, people[1]), at(SEPTEMBER[15], 10, 3)),
            (view(GP_ONE, people[2], relationship=None), at(SEPTEMBER[16], 22, 15)),
            (view(GP_ONE, world.hidden), at(SEPTEMBER[17], 11, 5)),
            (view(ALICE, world.ruby, relationship="care-team"), at(SEPTEMBER[20], 10, 10)),
        ],
    )
    # 31 different people in half an hour on a Sunday, each with a relationship: only their
    # number is unusual.
    sunday = at(SEPTEMBER[26], 13, 0)
    crowd = [
        (view(GP_TWO, pid), sunday + timedelta(minutes=m)) for m, pid in enumerate(people[:31])
    ]
    volume = plant(world.store, crowd)
    assert september(world.store) == sorted(
        [
            ("override", cases[0]),
            ("declared-relationship", cases[1]),
            ("out-of-hours-no-relationship", cases[2]),
            ("sensitive-record", cases[3]),
            ("same-surname-and-address", cases[4]),
            ("unusual-volume", volume[-1]),
        ]
    )
    same = desk(world.store).alert("same-surname-and-address", cases[4])
    assert "E1 1JE" in same.alert.why and same.person is not None
    assert same.person.family == "Khan"


# Who may use the desk
@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.SYSTEM_ADMIN])
def test_only_a_privacy_officer_opens_the_desk(world: World, role: Role) -> None:
    with pytest.raises(NotIgOfficer):
        desk(world.store, officer(world.store, role))


def test_an_officer_off_the_organisations_networks_is_refused(world: World) -> None:
    with pytest.raises(AccessRefused, match="not on a network registered"):
        desk(world.store, address="203.0.113.9")


def test_an_officer_of_an_organisation_not_yet_live_is_refused(world: World) -> None:
    register(world.store, make_org("RQX01", "acute", status="onboarding"))
    add_staff(world.store, "ig-early", "RQX01", "ig-officer", NOW, NOW)
    early = User(**{**officer(world.store, username="ig-early").__dict__, "org_ods": "RQX01"})
    with pytest.raises(AccessRefused, match="onboarding"):
        desk(world.store, early)
    assert entries(world.store, "audit-alerts") == []


# Reviews
def reviews_held(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_reviews)).scalar_one())


def test_a_review_is_kept_with_its_audit_entry_and_a_later_one_supersedes(world: World) -> None:
    (entry_id,) = plant(world.store, [(override(NURSE, world.people[0]), at(SEPTEMBER[3], 9))])
    first = desk(world.store).review("override", entry_id, "escalated", "  Asked the ward.  ")
    assert first.state == "escalated" and first.reviews[0].note == "Asked the ward."
    desk(world.store).review("override", entry_id, "justified", "The ward confirmed it.")
    held = desk(world.store).alert("override", entry_id)
    assert [r.outcome for r in held.reviews] == ["escalated", "justified"]
    assert held.state == "justified" and held.latest and held.latest.reviewed_by == "ig-lead"
    logged = entries(world.store, "alert-review")
    assert [e["detail"] for e in logged] == [
        {"rule": "override", "event_id": entry_id, "outcome": "escalated"},
        {"rule": "override", "event_id": entry_id, "outcome": "justified"},
    ]
    assert all(e["patient_id"] == world.people[0] for e in logged)


@pytest.mark.parametrize(
    ("outcome", "note", "fields"),
    [
        ("", "a note", {"outcome"}),
        ("fine", "a note", {"outcome"}),
        ("justified", " \n ", {"note"}),
        ("justified", "n" * 2001, {"note"}),
        ("", "", {"outcome", "note"}),
    ],
)
def test_an_incomplete_review_stores_nothing(
    world: World, outcome: str, note: str, fields: set[str]
) -> None:
    (entry_id,) = plant(world.store, [(override(NURSE, world.people[0]), at(SEPTEMBER[3], 9))])
    with pytest.raises(InvalidInput) as refused:
        desk(world.store).review("override", entry_id, outcome, note)
    assert set(refused.value.problems) == fields
    assert reviews_held(world.store) == 0 and entries(world.store, "alert-review") == []


def test_a_review_of_no_alert_is_refused(world: World) -> None:
    (ordinary,) = plant(world.store, [(view(GP_ONE, world.people[0]), at(SEPTEMBER[3], 10))])
    for rule, entry_id in [("override", ordinary), ("made-up", ordinary), ("override", 10**12)]:
        with pytest.raises(UnknownAlert):
            desk(world.store).review(rule, entry_id, "justified", "a note")
    assert reviews_held(world.store) == 0


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2026-09-31", "", "first"),
        ("", "soon", "last"),
        ("2026-09-10", "2026-09-09", "first"),
        ("2026-01-01", "2026-09-30", "first"),
    ],
)
def test_a_bad_window_is_refused(world: World, first: str, last: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        desk(world.store).window(first, last)
    assert field in refused.value.problems


def test_the_default_window_is_the_last_seven_uk_days(world: World) -> None:
    window = desk(world.store).window()
    assert (window.first, window.last) == (date(2026, 9, 25), date(2026, 10, 1))
