"""Retrying quarantined input: sent through ingest again exactly as it first arrived, resolved
only when it was stored this time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from carerecord.fhir.systems import SNOMED
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.hl7_receive import receive
from carerecord.ingest.pipeline import ingest_paths
from carerecord.ingest.retry import patient_local_id, retry
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from carerecord.store.records import QuarantinedEntry
from tests.factories import make_condition, make_org, make_patient, register, write_ndjson

ADMIT = "\r".join(
    [
        "MSH|^~\\&|PAS|RCB|CR|CR|202401011000||ADT^A01|M1|P|2.4",
        "EVN|A01|202401011000",
        "PID|1||L1^^^RCB^MR~9434765919^^^NHS^NH||SMITH^JO||19570314",
        "PV1|1|I|WARD1^BAY1^BED1|||||||MED|||||||||V100",
    ]
)


def rules_of(store: Store, exclusions: ExclusionList | None = None) -> IntakeRules:
    organisations = {o.ods_code: o for o in store.organisations()}
    return IntakeRules(organisations, exclusions or ExclusionList())


def only_entry(store: Store) -> QuarantinedEntry:
    [entry] = store.quarantine_entries()
    return entry


def shown(store: Store) -> list[str]:
    patient_id = store.patient_id_for_nhs_number("9434765919")
    if patient_id is None:
        return []
    return sorted(f"{r.resource_type}/{r.source_id}" for r in store.patient_resources(patient_id))


def test_a_resource_from_an_unregistered_source_is_stored_once_it_is_registered(
    store: Store, tmp_path: Path
) -> None:
    ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", make_patient())], source="F83004")
    entry = only_entry(store)
    register(store, make_org("F83004", "gp"))

    outcome = retry(store, rules_of(store), entry)

    assert (outcome.resolved, outcome.detail) == (True, "retried: stored")
    assert shown(store) == ["Patient/p1"]
    assert store.quarantine_entries() == []
    resolved = store.quarantine_entry(entry.id)
    assert resolved is not None
    assert (resolved.status, resolved.resolution) == ("resolved", "retried: stored")


def test_a_bundle_entry_citing_its_patient_by_full_url_is_stored_on_retry(
    store: Store, tmp_path: Path
) -> None:
    condition = make_condition(resource_id="c1", subject={"reference": "urn:uuid:patient-1"})
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:patient-1", "resource": make_patient()},
            {"fullUrl": "urn:uuid:condition-1", "resource": condition},
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(bundle))
    ingest_paths(store, [path], source="F83004")
    register(store, make_org("F83004", "gp"))

    outcomes = [retry(store, rules_of(store), entry) for entry in store.quarantine_entries()]

    assert [o.resolved for o in outcomes] == [True, True]
    assert shown(store) == ["Condition/c1", "Patient/p1"]


def test_a_retry_that_still_fails_leaves_the_item_open(store: Store, tmp_path: Path) -> None:
    register(store, make_org("F83004", "gp"))
    orphan = make_condition(patient="nobody", resource_id="c1")
    ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", orphan)])
    entry = only_entry(store)

    outcome = retry(store, rules_of(store), entry)

    assert not outcome.resolved
    assert outcome.detail.startswith("still not storable: Condition/c1 refers to Patient/nobody")
    assert only_entry(store).status == "open"
    assert store.counts()["resources"] == 0


def test_a_resolved_item_is_not_retried_again(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", make_patient())], source="F83004")
    entry = only_entry(store)
    register(store, make_org("F83004", "gp"))
    retry(store, rules_of(store), entry)

    outcome = retry(store, rules_of(store), store.quarantine_entry(entry.id) or entry)

    assert (outcome.resolved, outcome.detail) == (False, f"#{entry.id} is already resolved")


def test_a_retried_item_now_known_to_be_restricted_is_excluded_not_stored(
    store: Store, tmp_path: Path
) -> None:
    register(store, make_org("F83004", "gp"))
    restricted = make_condition(
        patient="nobody",
        resource_id="c1",
        code={"coding": [{"system": SNOMED, "code": "46249006"}]},
    )
    ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", restricted)])
    exclusions = ExclusionList({f"{SNOMED}|46249006": "assisted fertilisation"})

    outcome = retry(store, rules_of(store, exclusions), only_entry(store))

    assert outcome.resolved
    assert "excluded as legally restricted (assisted fertilisation)" in outcome.detail
    assert store.counts()["resources"] == 0


def test_an_hl7_message_from_an_unregistered_source_is_applied_once_it_is_registered(
    store: Store,
) -> None:
    assert receive(store, rules_of(store), ADMIT, "mllp").code == "AR"
    entry = only_entry(store)
    register(store, make_org("RCB", "acute"))

    outcome = retry(store, rules_of(store), entry)

    assert (outcome.resolved, outcome.detail) == (True, "retried: message applied (AA)")
    assert shown(store) == ["Encounter/V100", "Patient/L1"]


def test_an_hl7_message_still_from_an_unregistered_source_stays_open(store: Store) -> None:
    receive(store, rules_of(store), ADMIT, "mllp")

    outcome = retry(store, rules_of(store), only_entry(store))

    assert (outcome.resolved, outcome.detail) == (
        False,
        "still not usable: RCB is not a registered source",
    )


@pytest.mark.parametrize(
    ("raw", "input_format", "expected"),
    [
        ('{"resourceType": "Patient", "id": "p7"}', "fhir", "p7"),
        ('{"resourceType": "Condition", "subject": {"reference": "Patient/p7"}}', "fhir", "p7"),
        ('{"resourceType": "Condition"}', "fhir", None),
        ("not json", "fhir", None),
        (ADMIT, "hl7v2", "L1"),
        ("MSH|^~\\&|PAS|RCB|CR|CR|2024||VXU^V04|M1|P|2.4", "hl7v2", None),
    ],
)
def test_the_patient_a_quarantined_item_is_about(
    raw: str, input_format: str, expected: str | None
) -> None:
    now = datetime.now(UTC)
    entry = QuarantinedEntry(
        1,
        now,
        now,
        1,
        "F83004",
        input_format,
        "test",
        "malformed",
        "",
        None,
        None,
        raw,
        "open",
        None,
        None,
    )

    assert patient_local_id(entry) == expected
