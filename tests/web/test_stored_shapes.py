"""A source's resource stored with a single value where FHIR has a list never breaks a page:
the element counts as none (carerecord.fhir.extract.listed) and the rest is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_allergy, make_condition, make_patient, write_ndjson
from tests.web.conftest import patient_url
from tests.web.seed import JANE

SCALARS: list[dict[str, Any]] = [
    {**make_condition("p1", resource_id="odd-condition"), "category": True, "clinicalStatus": 7},
    {**make_allergy("p1", resource_id="odd-allergy"), "reaction": True, "category": 3},
]


@pytest.mark.parametrize("path", ["", "/problems", "/allergies", "/timeline"])
def test_a_scalar_where_fhir_has_a_list_is_read_as_none_and_the_page_shows(
    client: TestClient, store: Store, tmp_path: Path, path: str
) -> None:
    ingest_paths(store, [write_ndjson(tmp_path / "odd.ndjson", *SCALARS)], source="F83004")

    page = client.get(patient_url(client, JANE) + path)

    assert page.status_code == 200, page.text[-500:]
    assert "SMITH, Jane" in page.text


def test_names_and_an_address_holding_things_other_than_words_show_the_words(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    names = [
        {"use": "official", "family": "SMITH", "given": [5, "Jane", None], "prefix": True},
        {"use": "usual", "given": [7]},
    ]
    address = [{"use": "home", "line": [3, "12 Agar Grove"], "postalCode": "NW1 9SL"}]
    patient = make_patient("p1", JANE, name=names, address=address)
    ingest_paths(store, [write_ndjson(tmp_path / "odd.ndjson", patient)], source="F83004")

    page = client.get(patient_url(client, JANE))

    assert page.status_code == 200, page.text[-500:]
    assert "SMITH, Jane" in page.text and "12 Agar Grove" in page.text
