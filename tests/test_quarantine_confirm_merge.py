"""`carerecord quarantine confirm-merge`: a merge of two different people, quarantined until a
person confirms it, applied by a named operator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from carerecord.audit.entry import AuditRecord
from carerecord.cli import EXIT_OK, EXIT_USAGE, main
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.hl7_receive import receive
from carerecord.ingest.pipeline import ingest_paths
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.account_records import NewObjection
from carerecord.store.records import QuarantinedEntry
from tests.factories import (
    make_allergy,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)
from tests.support.audit_log import entries as log_entries
from tests.support.staff import PASSWORD, add_staff

Cli = Callable[..., tuple[int, str, str]]
NHS = "9434765919"
OTHER = valid_nhs_number(1)
OPERATOR = "ops-on-call"
OPS = ("--operator", OPERATOR)


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("CARERECORD_EXCLUSION_SETS", raising=False)
    monkeypatch.delenv("CARERECORD_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("CARERECORD_PASSWORD", PASSWORD)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*argv, "--db", db_url])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def rules(store: Store) -> IntakeRules:
    register(
        store,
        make_org("OPS01", "community", name="Record operations"),
        make_org("RCB", "acute"),
        make_org("F83004", "gp"),
    )
    add_staff(store, OPERATOR, "OPS01", "system-admin", None, datetime.now(UTC), networks=[])
    return IntakeRules({o.ods_code: o for o in store.organisations()}, ExclusionList())


def pid(local_id: str, nhs: str, born: str) -> str:
    return f"PID|1||{local_id}^^^RCB^MR~{nhs}^^^NHS^NH||SMITH^JO||{born}"


def hl7(control_id: str, kind: str, *segments: str) -> str:
    return "\r".join([f"MSH|^~\\&|PAS|RCB|CR|CR|2024||{kind}|{control_id}|P|2.4", *segments])


RESULT = [
    "OBR|1|PL1|FL1^LAB|BON^Bone profile^WinPath|||20240301080000|||||||||||||||202403010900|||F",
    "OBX|1|NM|2823-3^Potassium^LN||6.8|mmol/L^mmol/L^UCUM|3.5-5.0|HH|||F",
]
ADMIT = ["EVN|A01|2024", "PV1|1|I|WARD1^BAY1^BED1|||||||MED|||||||||V200"]


def shown(store: Store, nhs: str) -> list[str]:
    patient_id = store.patient_id_for_nhs_number(nhs) or ""
    return sorted(f"{r.resource_type}/{r.source_id}" for r in store.patient_resources(patient_id))


def quarantined_a40(store: Store, rules: IntakeRules) -> QuarantinedEntry:
    """OTHER's hospital result under RCB's OLD1, NHS's admission under SURV1, then RCB merges
    OLD1 into SURV1: two people by NHS number and date of birth."""
    receive(store, rules, hl7("M1", "ORU^R01", pid("OLD1", OTHER, "19800101"), *RESULT), "mllp")
    receive(store, rules, hl7("M2", "ADT^A01", pid("SURV1", NHS, "19570314"), *ADMIT), "mllp")
    merge = hl7("M3", "ADT^A40^ADT_A39", pid("SURV1", NHS, "19570314"), "MRG|OLD1^^^RCB^MR")
    assert receive(store, rules, merge, "mllp").code == "AE"
    [entry] = store.quarantine_entries()
    assert entry.reason_code == "merge-needs-confirmation"
    return entry


def audit_entries(store: Store, action: str) -> list[dict[str, Any]]:
    keys = ["actor", "patient_id", "detail"]
    return [{k: e[k] for k in keys} for e in log_entries(store, action)]


def test_confirming_an_a40_moves_the_records_resolves_it_and_audits_both_people(
    cli: Cli, store: Store, rules: IntakeRules
) -> None:
    entry = quarantined_a40(store, rules)
    assert shown(store, NHS) == ["Encounter/V200", "Patient/SURV1"]
    prior = store.patient_id_for_nhs_number(OTHER)
    survivor = store.patient_id_for_nhs_number(NHS)
    store.consent.add_objection(
        NewObjection(prior or "", "tester", "does not want sharing"),
        datetime.now(UTC),
        AuditRecord("tester", "record-objection", "success", {}, prior),
    )

    status, out, _ = cli("quarantine", "confirm-merge", str(entry.id), *OPS)

    assert status == EXIT_OK, out
    assert (
        f"#{entry.id}: merge confirmed by {OPERATOR}: RCB Patient/OLD1 into Patient/SURV1, "
        "2 item(s) moved; retried: message applied (AA)"
    ) in out
    assert shown(store, NHS) == [
        "DiagnosticReport/FL1",
        "Encounter/V200",
        "Observation/FL1-1",
        "Patient/SURV1",
    ]
    assert shown(store, OTHER) == []
    [resolved] = store.quarantine_entries("resolved")
    assert resolved.id == entry.id and (resolved.resolution or "").startswith("merge confirmed")
    assert len(store.consent.objections(survivor or "")) == 1  # carried with the records
    audited = audit_entries(store, "quarantine-confirm-merge")
    assert [a["patient_id"] for a in audited] == [survivor, prior]
    assert audited[0]["detail"]["prior_local_id"] == "OLD1"
    assert NHS not in out and OTHER not in out


def test_confirming_a_patient_link_replaced_by_applies_the_merge(
    cli: Cli, store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    first = write_ndjson(
        tmp_path / "1.ndjson",
        make_patient("old", nhs=OTHER, birth_date="1980-01-01"),
        make_allergy(patient="old", resource_id="a-old"),
        make_patient("new", nhs=NHS),
    )
    retired = make_patient(
        "old",
        nhs=OTHER,
        birth_date="1980-01-01",
        last_updated="2026-10-02T09:00:00+00:00",
        link=[{"other": {"reference": "Patient/new"}, "type": "replaced-by"}],
    )
    ingest_paths(store, [first, write_ndjson(tmp_path / "2.ndjson", retired)])
    [entry] = store.quarantine_entries()

    status, out, _ = cli("quarantine", "confirm-merge", str(entry.id), *OPS)

    assert status == EXIT_OK, out
    assert "F83004 Patient/old into Patient/new, 1 item(s) moved" in out
    assert shown(store, NHS) == ["AllergyIntolerance/a-old", "Patient/new"]
    assert store.quarantine_entries() == []


def quarantined_a40_after(
    store: Store, rules: IntakeRules, earlier: QuarantinedEntry
) -> QuarantinedEntry:
    store.resolve_quarantined(earlier.id, "set aside for this test")
    return quarantined_a40(store, rules)


def test_only_an_open_merge_waiting_for_confirmation_can_be_confirmed(
    cli: Cli, store: Store, rules: IntakeRules, tmp_path: Path
) -> None:
    ingest_paths(store, [write_ndjson(tmp_path / "x.ndjson", make_allergy(patient="nobody"))])
    [other] = store.quarantine_entries()

    status, _, err = cli("quarantine", "confirm-merge", str(other.id), *OPS)
    assert status == EXIT_USAGE
    assert f"#{other.id} is not a merge waiting for confirmation" in err

    status, _, err = cli("quarantine", "confirm-merge", "999", *OPS)
    assert (status, "no quarantined item #999" in err) == (EXIT_USAGE, True)

    entry = quarantined_a40_after(store, rules, other)
    assert cli("quarantine", "confirm-merge", str(entry.id), *OPS)[0] == EXIT_OK
    status, _, err = cli("quarantine", "confirm-merge", str(entry.id), *OPS)
    assert (status, f"#{entry.id} is already resolved" in err) == (EXIT_USAGE, True)


def test_a_wrong_password_changes_nothing(
    cli: Cli, store: Store, rules: IntakeRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = quarantined_a40(store, rules)
    monkeypatch.setenv("CARERECORD_PASSWORD", "not the password")

    status, out, _ = cli("quarantine", "confirm-merge", str(entry.id), *OPS)

    assert (status, out) == (EXIT_USAGE, "")
    assert shown(store, NHS) == ["Encounter/V200", "Patient/SURV1"]
    assert [e.id for e in store.quarantine_entries()] == [entry.id]
