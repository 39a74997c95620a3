"""A withheld record: the gate hands over who the person is, and nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carerecord.access.actors import User
from carerecord.access.gate import WITHHELD_ODS, RecordAccess, Withheld
from carerecord.access.rules import load_rules
from carerecord.access.vocabulary import Role
from carerecord.errors import RecordWithheld
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_allergy, make_org, make_patient, register, write_ndjson
from tests.support.staff import add_staff

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("restricted", [False, True])
def test_a_withheld_record_names_no_organisation_and_no_way_to_reach_the_person(
    store: Store, tmp_path: Path, restricted: bool
) -> None:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    person = make_patient(restricted=restricted)
    ingest_paths(store, [write_ndjson(tmp_path / "gp.ndjson", person, make_allergy())])
    add_staff(store, "stranger", "RAL01", "clinician", NOW - timedelta(days=3), NOW)
    account = store.accounts.user_by_name("stranger")
    assert account is not None
    user = User(account.id, "stranger", "S", "RAL01", Role.CLINICIAN, NOW, "AAL2", "h", "c", None)
    patient_id = store.patient_id_for_nhs_number("9434765919") or ""

    with pytest.raises(RecordWithheld) as raised:
        RecordAccess(store, user, load_rules(), NOW, "127.0.0.1").view(patient_id, ["allergies"])

    withheld = raised.value.withheld
    assert isinstance(withheld, Withheld)
    who = withheld.demographics
    assert (who.family, who.nhs_number, who.restricted) == ("SMITH", "9434765919", restricted)
    assert (who.address, who.telecom, who.gp_practice, who.gp_practice_ods) == ((), (), None, None)
    assert (who.source_ods, who.source_updated_at) == (WITHHELD_ODS, None)
    assert withheld.grant.may_declare
