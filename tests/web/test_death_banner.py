"""The banner's death, through the pages, on both databases (decision record 0009): "Died" only
from the registered GP practice or the national record; anyone else's is a report, in words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.app import create_app
from carerecord.ingest.pipeline import ingest_paths
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, make_patient, register, valid_nhs_number, write_ndjson
from tests.support.staff import StaffClient, add_staff
from tests.web.conftest import patient_url

NOW = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)
GP_DIED = valid_nhs_number(11)
PDS_DIED = valid_nhs_number(12)
HOSPITAL_DIED = valid_nhs_number(13)  # the GP's record says nothing of it
CARE_HOME_DIED = valid_nhs_number(14)
HOSPITAL_ONLY = valid_nhs_number(15)  # not known to the user's practice: a withheld record
NOT_CONFIRMED = "not confirmed by the GP or national record"


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    register(
        store,
        make_org("F83004", "gp"),
        make_org("RAL01", "acute"),
        make_org("VM123", "care-home", sections=("demographics", "alerts")),
        make_org("X26", "national", name="Personal Demographics Service", region="National"),
    )
    feeds = {
        "F83004": [
            make_patient(
                "g1", GP_DIED, family="JONES", birth_date="1940-01-10", deceased="2024-02-03"
            ),
            make_patient("g2", PDS_DIED, family="BROWN"),
            make_patient("g3", HOSPITAL_DIED, family="GREEN", deceasedBoolean=False),
            make_patient("g4", CARE_HOME_DIED, family="WHITE"),
        ],
        "X26": [make_patient("n2", PDS_DIED, family="BROWN", source="X26", deceased="2024-02-03")],
        "RAL01": [
            make_patient("h3", HOSPITAL_DIED, source="RAL01", gp_ods=None, deceased="2024-02-03"),
            make_patient(
                "h5", HOSPITAL_ONLY, source="RAL01", gp_ods="F99999", deceased="2024-02-03"
            ),
        ],
        "VM123": [make_patient("c4", CARE_HOME_DIED, source="VM123", deceasedBoolean=True)],
    }
    for source, patients in feeds.items():
        ingest_paths(store, [write_ndjson(tmp_path / f"{source}.ndjson", *patients)], source)
    add_staff(store, "gp-clinician", "F83004", "clinician", NOW - timedelta(days=30), NOW)
    app = create_app(Settings(db="unused://", allowed_hosts="testserver"), store)
    app.state.web_clock = lambda: NOW
    with StaffClient(app, store, "gp-clinician", NOW) as test_client:
        yield test_client


def banner_words(client: TestClient, nhs: str) -> str:
    page = client.get(patient_url(client, nhs))
    found = re.search(r'<section class="cr-banner[^"]*".*?</section>', page.text, re.S)
    assert found is not None, page.text
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def deceased_style(client: TestClient, nhs: str) -> bool:
    return "cr-banner--deceased" in client.get(patient_url(client, nhs)).text


def test_a_death_the_gp_records_is_shown_as_died(client: TestClient) -> None:
    words = banner_words(client, GP_DIED)
    assert "Born 10-Jan-1940 Died 03-Feb-2024 Age at Death 84y" in words
    assert NOT_CONFIRMED not in words and deceased_style(client, GP_DIED)


def test_a_death_the_national_record_holds_is_shown_as_died(client: TestClient) -> None:
    words = banner_words(client, PDS_DIED)
    assert "Died 03-Feb-2024" in words and NOT_CONFIRMED not in words
    assert deceased_style(client, PDS_DIED)


def test_a_hospitals_death_the_gp_record_does_not_show_is_a_report(client: TestClient) -> None:
    words = banner_words(client, HOSPITAL_DIED)
    assert f"Reported died on 03-Feb-2024 by Royal Free London — {NOT_CONFIRMED}" in words
    assert "Died 03-Feb-2024" not in words and "Age at Death" not in words
    assert "Born 14-Mar-1957 (69y)" in words
    assert not deceased_style(client, HOSPITAL_DIED)


def test_a_care_homes_death_alone_is_a_report(client: TestClient) -> None:
    words = banner_words(client, CARE_HOME_DIED)
    assert f"Reported died (date Not Known) by Kallar Lodge — {NOT_CONFIRMED}" in words
    assert " Died " not in f" {words} " and not deceased_style(client, CARE_HOME_DIED)


def test_a_withheld_record_reports_a_hospitals_death_without_naming_it(
    client: TestClient,
) -> None:
    page = client.get(patient_url(client, HOSPITAL_ONLY))
    assert 'data-reason="no-relationship"' in page.text
    words = banner_words(client, HOSPITAL_ONLY)
    assert f"Reported died on 03-Feb-2024 — {NOT_CONFIRMED}" in words
    assert "Royal Free London" not in words
