"""What the user saw, rebuilt for the privacy officer from the audit log, on SQLite and
PostgreSQL: after the record changes (a new version, an item entered in error, a new item),
the page for an earlier view still shows what was on it then, and nothing that came later."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_allergy, make_condition, write_ndjson
from tests.support.audit_log import entries
from tests.support.staff import signed_in
from tests.web.conftest import NOW, patient_url
from tests.web.factories_results import seed_results_and_documents
from tests.web.seed import JANE

IG = "ig-officer-ola"
ERRONEOUS = {
    "verificationStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "entered-in-error",
            }
        ]
    }
}


def load(store: Store, folder: Path, name: str, *resources: dict[str, object]) -> None:
    ingest_paths(store, [write_ndjson(folder / name, *resources)], source="F83004")


@pytest.fixture
def officer(client: TestClient, store: Store) -> Iterator[TestClient]:
    with signed_in(client.app, store, NOW, IG, "F83004", "ig-officer") as ig:
        yield ig


def newest_id(store: Store, action: str) -> int:
    return int(entries(store, action)[-1]["id"])


def test_the_summary_is_rebuilt_as_it_was_after_the_record_changed(
    client: TestClient, store: Store, officer: TestClient, tmp_path: Path
) -> None:
    load(
        store, tmp_path, "before.ndjson",
        make_allergy(
            "p1", resource_id="a-seen", code="294505008", display="Allergy to co-amoxiclav"
        ),
        make_condition("p1", resource_id="c-seen", code={"text": "Heart failure"}),
    )  # fmt: skip
    url = patient_url(client, JANE)
    seen = client.get(url).text
    assert "Allergy to co-amoxiclav" in seen and "Heart failure" in seen
    viewed = newest_id(store, "view-record")

    later = "2026-10-01T12:00:00+00:00"
    load(
        store, tmp_path, "after.ndjson",
        make_allergy(
            "p1", resource_id="a-seen", code="300916003", display="Allergy to latex",
            last_updated=later,
        ),
        make_condition(
            "p1", resource_id="c-seen", code={"text": "Heart failure"},
            meta={"lastUpdated": later, "source": "urn:ods:F83004"}, **ERRONEOUS,
        ),
        make_allergy(
            "p1", resource_id="a-new", code="293586001", display="Allergy to aspirin",
            last_updated=later,
        ),
    )  # fmt: skip
    now = client.get(url).text
    assert "Allergy to latex" in now and "Heart failure" not in now  # the live record moved on

    page = officer.get(f"/audit/events/{viewed}/as-seen")

    assert page.status_code == 200
    assert "Allergy to co-amoxiclav" in page.text and "Heart failure" in page.text
    assert "Allergy to latex" not in page.text and "Allergy to aspirin" not in page.text
    notice = re.search(r'data-role="as-seen".*?</div>', page.text, re.S)
    assert notice is not None
    assert "As seen by Gp Clinician (clinician)" in notice.group(0)
    assert "02-Oct-2026 00:00" in notice.group(0) and f"audit entry {viewed}" in notice.group(0)
    banner = re.search(r'class="cr-banner.*?</section>', seen, re.S)
    if banner:  # the same banner, word for word
        assert banner.group(0) in page.text
    [use] = entries(store, "audit-as-seen")
    assert (use["actor"], use["detail"]["entry"], use["detail"]["viewer"]) == (
        IG, viewed, "gp-clinician",
    )  # fmt: skip


def test_a_section_page_is_rebuilt_with_its_filters(
    client: TestClient, store: Store, officer: TestClient
) -> None:
    url = patient_url(client, JANE)
    seen = client.get(f"{url}/problems?status=active")
    viewed = newest_id(store, "view-record")

    page = officer.get(f"/audit/events/{viewed}/as-seen")

    assert page.status_code == 200
    table = re.search(r"<table.*?</table>", seen.text, re.S)
    assert table is not None and table.group(0) in page.text


def test_a_document_is_rebuilt_as_it_was(
    client: TestClient, store: Store, officer: TestClient, tmp_path: Path
) -> None:
    seed_results_and_documents(store, tmp_path)
    url = patient_url(client, JANE)
    listing = client.get(f"{url}/documents").text
    href = re.findall(r'href="(/patients/[^"/]+/documents/\d+)"', listing)[0]
    seen = client.get(href)
    viewed = newest_id(store, "view-document")

    page = officer.get(f"/audit/events/{viewed}/as-seen")

    assert page.status_code == 200
    title = re.search(r"<h1[^>]*>(.*?)</h1>", seen.text, re.S)
    assert title is not None and title.group(1) in page.text


def test_only_a_privacy_officer_may_open_a_rebuilt_page(
    client: TestClient, store: Store, officer: TestClient
) -> None:
    client.get(patient_url(client, JANE))
    viewed = newest_id(store, "view-record")
    assert client.get(f"/audit/events/{viewed}/as-seen").status_code == 404  # the clinician


@pytest.mark.parametrize("which", ["a-search", "not-a-number", "no-such-entry", "too-long"])
def test_anything_but_a_view_entry_is_not_found(
    client: TestClient, store: Store, officer: TestClient, which: str
) -> None:
    patient_url(client, JANE)
    entry = {
        "a-search": str(newest_id(store, "search-nhs-number")),
        "not-a-number": "12a",
        "no-such-entry": "987654",
        "too-long": "9" * 30,
    }[which]
    assert officer.get(f"/audit/events/{entry}/as-seen").status_code == 404


def test_a_view_is_rebuilt_as_it_was_after_the_person_was_merged_into_another(
    client: TestClient, store: Store, officer: TestClient, tmp_path: Path
) -> None:
    """The source merged a duplicate of Jane's into her record: the records moved, the
    duplicate's Patient was retired; the view of the duplicate still reads as it did."""
    from carerecord.store.records import Merge
    from tests.factories import make_patient, valid_nhs_number

    duplicate = valid_nhs_number(7)
    load(
        store, tmp_path, "duplicate.ndjson",
        make_patient("dup", duplicate, family="MERGEDAWAY", given=("Martha",)),
        make_allergy("dup", resource_id="a-dup", code="91935009", display="Allergy to peanut"),
    )  # fmt: skip
    seen = client.get(patient_url(client, duplicate)).text
    assert "MERGEDAWAY" in seen and "Allergy to peanut" in seen
    viewed = newest_id(store, "view-record")

    assert store.confirm_merge(Merge("F83004", "dup", "p1")) is not None
    assert "Allergy to peanut" in client.get(patient_url(client, JANE)).text  # moved to Jane

    page = officer.get(f"/audit/events/{viewed}/as-seen")

    assert page.status_code == 200
    assert "MERGEDAWAY" in page.text and "Allergy to peanut" in page.text
    assert "Allergy to penicillin" not in page.text  # Jane's own, never on that page


def test_an_item_purged_as_legally_restricted_since_is_not_shown_again(
    client: TestClient, store: Store, officer: TestClient, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from carerecord.ingest.exclusions import load_exclusions
    from carerecord.store import purge
    from tests.ingest.test_exclusions import FERTILITY, snomed, write_sets

    load(
        store, tmp_path, "ivf.ndjson",
        make_condition("p1", resource_id="c-ivf", code=snomed(FERTILITY),
                       note=[{"text": "MARKER-IVF"}]),
    )  # fmt: skip
    client.get(patient_url(client, JANE))
    viewed = newest_id(store, "view-record")
    listed = load_exclusions(write_sets(tmp_path / "sets"))
    purge.purge(store.engine, listed.match, datetime.now(UTC), "operator:test")

    page = officer.get(f"/audit/events/{viewed}/as-seen")

    assert page.status_code == 200 and "MARKER-IVF" not in page.text
    assert "1 item shown then is no longer held" in page.text
