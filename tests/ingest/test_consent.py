"""Opt-outs a source sends as FHIR Consents: stored as received, and turned into the person's
objection (or its withdrawal) in the same transaction, through files and the push API alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from carerecord.app import create_app
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.records import Deletion, Submission
from carerecord.store.schema import audit_events, resources
from tests.factories import make_allergy, make_org, make_patient, register, write_ndjson
from tests.push.helpers import PushClient, build_app, register_source
from tests.support.staff import signed_in
from tests.web.conftest import NOW

NHS = "9434765919"
SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"


def make_consent(
    resource_id: str = "optout-1",
    patient: str = "p1",
    status: str = "active",
    provision: str = "deny",
    last_updated: str = "2026-09-01T10:00:00+00:00",
) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "id": resource_id,
        "meta": {"lastUpdated": last_updated, "source": "urn:ods:F83004"},
        "status": status,
        "scope": {"coding": [{"system": SCOPE, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{patient}"},
        "dateTime": "2026-08-30T14:00:00+00:00",
        "provision": {"type": provision},
    }


@pytest.fixture
def gp(store: Store) -> Store:
    register(store, make_org("F83004", "gp"))
    return store


def send(store: Store, folder: Path, *items: dict[str, Any]) -> None:
    path = write_ndjson(folder / f"batch-{len(list(folder.iterdir()))}.ndjson", *items)
    ingest_paths(store, [path], source="F83004")


def patient_id(store: Store) -> str:
    found = store.patient_id_for_nhs_number(NHS)
    assert found is not None
    return found


def in_force(store: Store) -> list[str]:
    return [
        o.external_ref or ""
        for o in store.consent.objections(patient_id(store))
        if not o.withdrawn_at
    ]


def test_a_deny_consent_hides_the_record_from_a_clinician_with_a_relationship(
    gp: Store, tmp_path: Path
) -> None:
    send(gp, tmp_path, make_patient(), make_allergy(), make_consent())
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), gp)
    app.state.web_clock = lambda: NOW
    clinician = signed_in(app, gp, NOW)  # at the person's registered practice
    url = f"/patients/{patient_id(gp)}"

    page = clinician.get(url).text

    assert 'data-reason="objection"' in page and "penicillin" not in page.lower()
    [objection] = gp.consent.objections(patient_id(gp))
    assert (objection.source_ods, objection.external_ref) == ("F83004", "F83004|optout-1")
    assert objection.recorded_at.isoformat().startswith("2026-08-30T14:00")  # when she objected

    send(gp, tmp_path, make_consent(status="inactive", last_updated="2026-09-20T10:00:00+00:00"))

    assert "penicillin" in clinician.get(url).text.lower()
    [withdrawn] = gp.consent.objections(patient_id(gp))
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by == "F83004"


def test_the_consent_itself_is_stored_as_received(gp: Store, tmp_path: Path) -> None:
    sent = make_consent()
    send(gp, tmp_path, make_patient(), sent)

    with gp.engine.connect() as conn:
        body = conn.execute(
            select(resources.c.body).where(resources.c.resource_type == "Consent")
        ).scalar_one()
    assert orjson.loads(body) == sent


def test_sending_the_same_consent_again_adds_nothing(gp: Store, tmp_path: Path) -> None:
    send(gp, tmp_path, make_patient(), make_consent())
    send(gp, tmp_path, make_consent())
    send(gp, tmp_path, make_consent(last_updated="2026-09-02T10:00:00+00:00"))  # a new version

    assert len(gp.consent.objections(patient_id(gp))) == 1
    assert in_force(gp) == ["F83004|optout-1"]


@pytest.mark.parametrize(
    ("status", "provision"),
    [
        ("inactive", "deny"),
        ("rejected", "deny"),
        ("entered-in-error", "deny"),
        ("active", "permit"),
    ],
)
def test_a_later_version_that_no_longer_denies_withdraws_it(
    gp: Store, tmp_path: Path, status: str, provision: str
) -> None:
    send(gp, tmp_path, make_patient(), make_consent())

    send(gp, tmp_path, make_consent(status=status, provision=provision, last_updated="2026-09-20"))

    assert in_force(gp) == []


def test_a_draft_or_an_older_version_arriving_late_changes_nothing(
    gp: Store, tmp_path: Path
) -> None:
    send(gp, tmp_path, make_patient(), make_consent())

    send(gp, tmp_path, make_consent(status="draft", last_updated="2026-09-20T10:00:00+00:00"))
    send(gp, tmp_path, make_consent(status="inactive", last_updated="2026-01-01T10:00:00+00:00"))

    assert in_force(gp) == ["F83004|optout-1"]  # a draft is not yet in force either way


def test_objecting_again_after_a_withdrawal_keeps_both_in_the_history(
    gp: Store, tmp_path: Path
) -> None:
    send(gp, tmp_path, make_patient(), make_consent())
    send(gp, tmp_path, make_consent(status="inactive", last_updated="2026-09-20T10:00:00+00:00"))
    send(gp, tmp_path, make_consent(last_updated="2026-09-25T10:00:00+00:00"))
    send(gp, tmp_path, make_consent(last_updated="2026-09-25T10:00:00+00:00"))  # re-sent

    history = gp.consent.objections(patient_id(gp))
    assert [o.withdrawn_at is None for o in history] == [False, True]
    assert in_force(gp) == ["F83004|optout-1"]


def test_a_consent_about_treatment_is_no_objection(gp: Store, tmp_path: Path) -> None:
    treatment = make_consent()
    treatment["scope"] = {"coding": [{"system": SCOPE, "code": "treatment"}]}

    send(gp, tmp_path, make_patient(), treatment)

    assert gp.consent.objections(patient_id(gp)) == []


def test_a_delete_from_the_source_withdraws_it(gp: Store, tmp_path: Path) -> None:
    send(gp, tmp_path, make_patient(), make_consent())

    gp.write(Submission(deletions=[Deletion("F83004", "Consent", "optout-1")]))

    assert in_force(gp) == []


def test_each_change_is_audited_in_the_same_write(gp: Store, tmp_path: Path) -> None:
    send(gp, tmp_path, make_patient(), make_consent())
    send(gp, tmp_path, make_consent(status="inactive", last_updated="2026-09-20T10:00:00+00:00"))

    with gp.engine.connect() as conn:
        rows = conn.execute(select(audit_events.c.actor, audit_events.c.action)).all()
    assert [tuple(r) for r in rows] == [
        ("source:F83004", "record-objection"),
        ("source:F83004", "withdraw-objection"),
    ]


@pytest.fixture
def push(store: Store, db_url: str) -> Iterator[PushClient]:
    source = register_source(store, "F83004")
    with TestClient(build_app(store, db_url)) as http:
        yield PushClient(http).sign_in(source)


def test_the_push_api_is_the_same_door(push: PushClient, store: Store) -> None:
    assert push.put(make_patient()).status_code in (200, 201)

    assert push.put(make_consent()).status_code in (200, 201)
    assert in_force(store) == ["F83004|optout-1"]

    assert push.delete("Consent", "optout-1").status_code == 204
    assert in_force(store) == []
