"""Fixtures for the HL7 v2 listener tests: a registered hospital and a live listener."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from carerecord.fhir.systems import SNOMED
from carerecord.ingest.exclusions import ExclusionList
from carerecord.ingest.rules import IntakeRules
from carerecord.store import Store
from tests.factories import make_org, register
from tests.ingest.listener import hl7_listener

FERTILITY = "46249006"  # Artificial insemination, heterologous: assisted fertilisation set


@pytest.fixture
def hospital(store: Store) -> Store:
    register(store, make_org("RAL", "acute"))
    return store


@pytest.fixture
def port(hospital: Store, db_url: str) -> Iterator[int]:
    # Room for the concurrency tests' many connections from one address; the caps have their own.
    caps = {"mllp_max_connections": 128, "mllp_max_connections_per_peer": 128}
    with hl7_listener(hospital, db_url, **caps) as listening:
        yield listening


@pytest.fixture
def rules(store: Store) -> IntakeRules:
    """Two hospitals, and one legally restricted code (assisted fertilisation)."""
    register(store, make_org("RCB", "acute"), make_org("RAL", "acute"))
    exclusions = ExclusionList({f"{SNOMED}|{FERTILITY}": "assisted fertilisation"})
    return IntakeRules({o.ods_code: o for o in store.organisations()}, exclusions)
