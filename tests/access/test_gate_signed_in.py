"""RecordAccess for a signed-in user: the decision made from one read of what the record holds
about the person and the user (relationships, declarations, objections, restriction), on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carerecord.access.actors import User
from carerecord.access.gate import RecordAccess
from carerecord.access.registry import AccessRegistry
from carerecord.access.rules import load_rules
from carerecord.access.sign_in import Client, SignIn
from carerecord.access.vocabulary import Redaction, RelationshipKind
from carerecord.audit.entry import AuditRecord
from carerecord.errors import RecordWithheld
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import NewObjection
from tests.factories import make_allergy, make_org, make_patient, register, write_ndjson
from tests.support.staff import add_staff, declared_for, session_for

EVENT = AuditRecord("tests", "test", "success", {})
LOOPBACK = "127.0.0.1"


def signed_in(store: Store, username: str, org_ods: str) -> User:
    now = datetime.now(UTC)
    add_staff(store, username, org_ods, "clinician", now - timedelta(days=30), now)
    token, _ = session_for(store, username, now)
    user = SignIn(store, Settings()).resolve(token, Client(LOOPBACK, "tests"), now)
    assert user is not None
    return user


def reader(store: Store, user: User) -> RecordAccess:
    registry = AccessRegistry(store, max_age_seconds=0)
    return RecordAccess(store, user, load_rules(), datetime.now(UTC), LOOPBACK, None, registry)


@pytest.fixture
def jane(store: Store, tmp_path: Path) -> str:
    """Registered at F83004; known to the RAL01 hospital too. The RV3 trust has no link."""
    register(
        store,
        make_org("F83004", "gp"),
        make_org("RAL01", "acute"),
        make_org("RV3", "mental-health"),
    )
    ingest_paths(
        store,
        [
            write_ndjson(tmp_path / "gp.ndjson", make_patient(), make_allergy()),
            write_ndjson(
                tmp_path / "ral.ndjson",
                make_patient("h1", source="RAL01", gp_ods=None),
                make_allergy("h1", source="RAL01"),
            ),
        ],
    )
    patient_id = store.patient_id_for_nhs_number("9434765919")
    assert patient_id is not None
    return patient_id


def test_the_registered_practice_may_open_the_record(store: Store, jane: str) -> None:
    grant = reader(store, signed_in(store, "gp-doctor", "F83004")).grant(jane)

    assert grant.allowed and grant.relationship is RelationshipKind.REGISTERED_GP
    assert grant.redactions == frozenset()


def test_without_a_relationship_the_user_may_declare_one(store: Store, jane: str) -> None:
    user = signed_in(store, "trust-nurse", "RV3")

    before = reader(store, user).grant(jane)
    declared_for(store, "trust-nurse", jane, datetime.now(UTC))
    after = reader(store, user).grant(jane)

    assert (before.found, before.allowed, before.may_declare) == (True, False, True)
    assert after.allowed and after.relationship is RelationshipKind.SELF_DECLARED


def test_an_objection_withholds_the_record_until_it_is_withdrawn(store: Store, jane: str) -> None:
    user = signed_in(store, "gp-doctor", "F83004")
    now = datetime.now(UTC)
    store.consent.add_objection(NewObjection(jane, recorded_by="tests", basis="self"), now, EVENT)
    [held] = store.consent.objections(jane)

    objected = reader(store, user).grant(jane)
    with pytest.raises(RecordWithheld):
        reader(store, user).view(jane, ["allergies"])
    store.consent.withdraw_objection(held.id, "tests", "withdrawn", now, EVENT)

    assert objected.found and not objected.allowed and objected.objection
    assert reader(store, user).grant(jane).allowed


def test_a_person_any_source_marks_restricted_is_redacted(
    store: Store, jane: str, tmp_path: Path
) -> None:
    hidden = make_patient("h1", source="RAL01", gp_ods=None, restricted=True)
    ingest_paths(store, [write_ndjson(tmp_path / "ral-2.ndjson", hidden)])

    grant = reader(store, signed_in(store, "gp-doctor", "F83004")).grant(jane)

    assert grant.allowed
    assert Redaction.ADDRESS in grant.redactions and Redaction.TELECOM in grant.redactions


def test_nobody_is_found_under_an_id_the_record_does_not_hold(store: Store, jane: str) -> None:
    grant = reader(store, signed_in(store, "gp-doctor", "F83004")).grant("0" * 32)

    assert not grant.found
