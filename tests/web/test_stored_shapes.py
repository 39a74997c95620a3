"""A source's resource stored with a single value where FHIR has a list never breaks a page:
the element counts as none (carerecord.fhir.extract.listed) and the rest is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_allergy, make_condition, write_ndjson
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
