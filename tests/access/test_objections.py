"""The pure pieces of objections: the form's rules, who may change an objection, and what a
user may be told of the history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord.access.actors import SYSTEM, User
from carerecord.access.objections import (
    ObjectionDetails,
    entries,
    may_change,
    may_name,
    read_details,
)
from carerecord.access.policy import Grant
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import Gate, Level, OnBehalf, Role, Section
from carerecord.store.account_records import ObjectionRow

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
BANNER = Grant(Level.BANNER, "an objection is in force", objection=True)
OPEN = Grant(Level.SECTIONS, "override", frozenset({Section.ALLERGIES}))
NOT_FOUND = Grant(Level.NOT_FOUND, "no such person")
REFUSED = Grant(Level.NOT_FOUND, "untrained", refused=Gate.TRAINING)


def user(role: Role = Role.CLINICIAN, org: str = "F83004") -> User:
    return User(1, "u", "Ann Lee", org, role, NOW, "AAL2", "h", "t", None)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            ("self", "", "", "  asked today  "),
            ObjectionDetails(OnBehalf.SELF, None, None, "asked today"),
        ),
        # evidence given for the person themselves is not kept: it belongs to no attorney
        (("self", "7000", "Sam", ""), ObjectionDetails(OnBehalf.SELF, None, None, "")),
        (
            ("lpa-health-welfare", " 7000-1234 ", "Sam\tOkafor", ""),
            ObjectionDetails(OnBehalf.LPA_HEALTH_WELFARE, "7000-1234", "Sam Okafor", ""),
        ),
        (("self", "", "", "a\x00b\r\nc"), ObjectionDetails(OnBehalf.SELF, None, None, "ab\nc")),
    ],
)
def test_a_good_form_is_read(form: tuple[str, str, str, str], expected: ObjectionDetails) -> None:
    assert read_details(*form) == expected


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        (("", "", "", ""), {"on-behalf"}),
        (("SELF", "", "", ""), {"on-behalf"}),
        (("lpa-health-welfare", "", "", ""), {"evidence-ref", "checked-by"}),
        (("lpa-health-welfare", "7000", " \x00 ", ""), {"checked-by"}),
        (("lpa-health-welfare", "7" * 201, "Sam", ""), {"evidence-ref"}),
        (("lpa-health-welfare", "7000", "S" * 101, ""), {"checked-by"}),
        (("self", "", "", "x" * 1001), {"note"}),
    ],
)
def test_a_wrong_form_names_each_wrong_field(
    form: tuple[str, str, str, str], fields: set[str]
) -> None:
    errors = read_details(*form)

    assert isinstance(errors, dict) and set(errors) == fields
    assert all(errors.values())


@pytest.mark.parametrize(
    ("actor", "grant", "allowed"),
    [
        (user(Role.CLINICIAN), BANNER, True),
        (user(Role.CARE_PROFESSIONAL), BANNER, True),
        (user(Role.CARE_HOME), OPEN, True),
        (user(Role.ADMIN_CLERICAL), BANNER, True),
        (user(Role.IG_OFFICER), BANNER, False),
        (user(Role.SYSTEM_ADMIN), BANNER, False),
        (user(Role.CLINICIAN), NOT_FOUND, False),
        (user(Role.CLINICIAN), REFUSED, False),
        (SYSTEM, BANNER, False),  # the system records none: a person asks a person
    ],
)
def test_who_may_record_or_withdraw(actor: User, grant: Grant, allowed: bool) -> None:
    assert may_change(actor, load_rules(), grant) is allowed


@pytest.mark.parametrize(
    ("organisation", "grant", "named"),
    [
        ("F83004", BANNER, True),  # the user's own organisation
        ("Y0001", BANNER, True),  # the practice the banner shows
        ("RAL01", BANNER, False),  # would say the hospital holds data about the person
        (None, BANNER, False),  # imported: its recorder may name where they worked
        ("RAL01", OPEN, True),  # the user may open the record and see its sources anyway
        (None, OPEN, True),
    ],
)
def test_whom_the_history_may_name(organisation: str | None, grant: Grant, named: bool) -> None:
    assert may_name(organisation, "F83004", grant, "Y0001") is named


def objection(**fields: object) -> ObjectionRow:
    base: dict[str, object] = {
        "id": 1,
        "patient_id": "p",
        "recorded_at": NOW,
        "recorded_by": "Dee Khan",
        "basis": "seen at the sexual health clinic",
        "withdrawn_at": None,
        "on_behalf": "lpa-health-welfare",
        "evidence_ref": "7000-1234",
        "checked_by": "Sam Okafor",
        "source_ods": None,
        "external_ref": None,
        "withdrawn_by": None,
        "withdrawal_reason": None,
        "recorded_org": "RAL01",
    }
    return ObjectionRow(**{**base, **fields})  # type: ignore[arg-type]


NAMES = {"RAL01": "Royal Free London", "F83004": "Camden Road Surgery"}


def test_an_entry_from_elsewhere_keeps_its_names_and_note_back() -> None:
    [entry] = entries([objection()], "F83004", BANNER, None, NAMES)

    assert (entry.kind, entry.in_force, entry.withdrawable) == ("recorded", True, True)
    assert (entry.recorded_by, entry.organisation, entry.checked_by, entry.note) == (None,) * 4
    assert entry.evidence_ref == "7000-1234"  # the attorney's power names no organisation


def test_an_entry_from_the_users_own_organisation_is_told_whole() -> None:
    [entry] = entries([objection()], "RAL01", BANNER, None, NAMES)

    assert entry.recorded_by == "Dee Khan" and entry.organisation == "Royal Free London (RAL01)"
    assert entry.note == "seen at the sexual health clinic"


def test_one_a_source_sent_is_withdrawn_only_there() -> None:
    sent = objection(source_ods="RAL01", recorded_by="RAL01", recorded_org="RAL01")

    [entry] = entries([sent], "RAL01", BANNER, None, NAMES)

    assert (entry.kind, entry.withdrawable) == ("sent", False)
    assert entry.recorded_by == "Royal Free London (RAL01)" and entry.organisation is None


def test_the_history_is_newest_first_and_withdrawals_are_told_apart() -> None:
    old = objection(
        id=1,
        recorded_by="Imported",
        recorded_org=None,
        external_ref="import:CC-1",
        withdrawn_at=NOW,
        withdrawn_by="Ann Lee",
        withdrawn_org="F83004",
        withdrawn_on_behalf="self",
        withdrawal_reason="changed her mind",
    )
    new = objection(id=2)

    history = entries([old, new], "F83004", BANNER, None, NAMES)

    assert [e.id for e in history] == [2, 1]
    gone = history[1]
    assert (gone.kind, gone.in_force, gone.withdrawable) == ("imported", False, False)
    assert gone.recorded_by is None  # an import's recorder may name where they worked
    assert (gone.withdrawn_by, gone.withdrawal_reason) == ("Ann Lee", "changed her mind")
