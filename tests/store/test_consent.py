"""What the gate reads about one person for one user on every record page (store.consent), on
SQLite and PostgreSQL: the relationship evidence, the user's declarations, objections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from carerecord.audit.entry import AuditRecord
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.store.account_records import NewObjection
from tests.factories import make_org, make_patient, register, write_ndjson
from tests.support.staff import add_staff

SINCE = datetime(2026, 6, 1, tzinfo=UTC)  # the relationship window opens here
EVENT = AuditRecord("tests", "test", "success", {})


def _meta(source: str) -> dict[str, str]:
    return {"lastUpdated": "2026-10-01T09:00:00+00:00", "source": f"urn:ods:{source}"}


def encounter(rid: str, source: str, start: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "meta": _meta(source),
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": "Patient/h1"},  # the hospital's own id for Jane
        "period": {"start": start},
        **extra,
    }


def referral(rid: str, status: str, performer: str) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": rid,
        "meta": _meta("F83004"),
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "performer": [{"reference": f"Organization/{performer}"}],
    }


def care_team(rid: str, status: str, member: str) -> dict[str, Any]:
    return {
        "resourceType": "CareTeam",
        "id": rid,
        "meta": _meta("F83004"),
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "participant": [{"member": {"reference": f"Organization/{member}"}}],
    }


@pytest.fixture
def person(store: Store, tmp_path: Path) -> str:
    """Jane, registered at F83004, seen by the RAL01 hospital; referred to and cared for by
    several teams, some of them no longer."""
    register(
        store,
        make_org("F83004", "gp"),
        make_org("RAL01", "acute"),
        make_org("RV3", "mental-health"),
    )
    gp = write_ndjson(
        tmp_path / "gp.ndjson",
        make_patient("p1"),
        referral("r-open", "active", "RV3"),
        referral("r-held", "on-hold", "rv3"),
        referral("r-done", "completed", "RV3"),
        referral("r-elsewhere", "active", "RAL01"),
        care_team("t-now", "active", "RV3"),
        care_team("t-past", "inactive", "RV3"),
    )
    hospital = write_ndjson(
        tmp_path / "ral.ndjson",
        make_patient("h1", source="RAL01", gp_ods=None),
        encounter("e-old", "RAL01", "2026-01-10T09:00:00+00:00"),
        encounter("e-recent", "RAL01", "2026-09-15T09:00:00+00:00"),
        encounter("e-newest", "RAL01", "2026-10-20T09:00:00+00:00"),
        encounter("e-error", "RAL01", "2026-11-01T09:00:00+00:00", status="entered-in-error"),
    )
    ingest_paths(store, [gp, hospital])
    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    return patient_id


def test_the_newest_contact_is_the_organisations_own_within_the_window(
    store: Store, person: str
) -> None:
    hospital = store.consent.evidence(person, "RAL01", SINCE)
    practice = store.consent.evidence(person, "F83004", SINCE)
    closed = store.consent.evidence(person, "RAL01", datetime(2026, 10, 21, tzinfo=UTC))

    assert hospital.last_contact_at == datetime(2026, 10, 20, 9, 0, tzinfo=UTC)  # not hidden
    assert practice.last_contact_at is None  # no encounter of its own
    assert closed.last_contact_at is None


def test_every_source_holding_the_person_is_linked(store: Store, person: str) -> None:
    assert store.consent.evidence(person, "RV3", SINCE).linked_sources == ("F83004", "RAL01")


def test_open_referrals_active_care_teams_and_every_patient_record_are_read(
    store: Store, person: str
) -> None:
    evidence = store.consent.evidence(person, "RV3", SINCE)

    assert sorted(_ids(evidence.referral_bodies)) == ["r-elsewhere", "r-held", "r-open"]
    assert _ids(evidence.care_team_bodies) == ["t-now"]
    assert sorted(_ids(evidence.patient_bodies)) == ["h1", "p1"]


def _ids(bodies: tuple[str, ...]) -> list[str]:
    return [orjson.loads(body)["id"] for body in bodies]


def test_a_person_nobody_holds_has_no_evidence(store: Store) -> None:
    nothing = store.consent.evidence("no-such-person", "F83004", SINCE)

    assert nothing.patient_bodies == nothing.referral_bodies == nothing.care_team_bodies == ()
    assert (nothing.linked_sources, nothing.last_contact_at) == ((), None)


def test_access_facts_read_evidence_declarations_and_objection_together(
    store: Store, person: str
) -> None:
    now = datetime.now(UTC)
    user_id = add_staff(store, "team-nurse", "RV3", "clinician", now, now)
    store.consent.declare(
        user_id,
        person,
        "relationship",
        "unplanned-care",
        "seen today",
        now,
        now + timedelta(hours=8),
        None,
        EVENT,
    )
    store.consent.declare(
        user_id,
        person,
        "override",
        "emergency",
        "collapsed",
        now,
        now + timedelta(minutes=30),
        "session-a",
        EVENT,
    )

    evidence, declared, objected = store.consent.access_facts(
        person, user_id, "RV3", SINCE, now, "session-b"
    )

    assert evidence == store.consent.evidence(person, "RV3", SINCE)
    assert [(d.kind, d.code) for d in declared] == [("relationship", "unplanned-care")]
    assert objected is False


def test_an_objection_counts_until_it_is_withdrawn(store: Store, person: str) -> None:
    now = datetime.now(UTC)
    store.consent.add_objection(NewObjection(person, recorded_by="tests", basis="self"), now, EVENT)
    [held] = store.consent.objections(person)

    assert store.consent.access_facts(person, 1, "RV3", SINCE, now, "s")[2] is True
    assert store.consent.withdraw_objection(held.id, "tests", "changed their mind", now, EVENT)
    assert store.consent.access_facts(person, 1, "RV3", SINCE, now, "s")[2] is False


def test_a_cancelled_contact_or_one_far_ahead_is_no_evidence(store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    hospital = write_ndjson(
        tmp_path / "ral.ndjson",
        make_patient("h1", source="RAL01", gp_ods=None),
        encounter("e-cancelled", "RAL01", "2026-09-15T09:00:00+00:00", status="cancelled"),
        encounter("e-far-ahead", "RAL01", "2029-09-15T09:00:00+00:00", status="planned"),
    )
    ingest_paths(store, [hospital])
    person = store.patient_id_for_nhs_number("9434765919") or ""
    until = datetime(2027, 6, 1, tzinfo=UTC)

    assert store.consent.evidence(person, "RAL01", SINCE, until).last_contact_at is None
    soon = write_ndjson(
        tmp_path / "soon.ndjson",
        encounter("e-booked", "RAL01", "2027-01-15T09:00:00+00:00", status="planned"),
    )
    ingest_paths(store, [soon])
    assert store.consent.evidence(person, "RAL01", SINCE, until).last_contact_at == datetime(
        2027, 1, 15, 9, 0, tzinfo=UTC
    )
