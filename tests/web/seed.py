"""A small, known set of people loaded through the real ingest pipeline, for page tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import (
    make_allergy,
    make_condition,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)

JANE = "9434765919"  # living, known to her GP and a hospital
RESTRICTED = valid_nhs_number(1)
DECEASED = valid_nhs_number(2)
PREFERRED = valid_nhs_number(3)
NOBODY = valid_nhs_number(4)  # valid, but no record holds it
RESTRICTED_ADDRESS = "7 Hidden Mews"
RESTRICTED_PHONE = "020 7946 0999"


@dataclass(frozen=True)
class Seeded:
    nhs_numbers: dict[str, str]  # who -> NHS number; tests look ids up through the pages


def seed(store: Store, folder: Path) -> Seeded:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    gp = write_ndjson(
        folder / "gp.ndjson",
        make_patient("p1", JANE),
        make_allergy("p1"),
        make_condition("p1"),
        make_patient(
            "p2",
            RESTRICTED,
            family="HIDDEN",
            given=("Alex",),
            restricted=True,
            address=[{"use": "home", "line": [RESTRICTED_ADDRESS], "postalCode": "N1 1AA"}],
            telecom=[{"system": "phone", "value": RESTRICTED_PHONE}],
        ),
        make_patient(
            "p3",
            DECEASED,
            family="JONES",
            given=("Edith",),
            birth_date="1940-01-10",
            deceased="2024-02-03",
        ),
        make_patient(
            "p4",
            PREFERRED,
            family="BROWN",
            name=[
                {"use": "official", "family": "Brown", "given": ["Jennifer"], "prefix": ["Ms"]},
                {"use": "usual", "given": ["Jenny"]},
            ],
        ),
    )
    hospital = write_ndjson(
        folder / "hospital.ndjson",
        make_patient("h1", JANE, source="RAL01", gp_ods=None),
        make_allergy("h1", source="RAL01"),
    )
    ingest_paths(store, [gp], source="F83004")
    ingest_paths(store, [hospital], source="RAL01")
    return Seeded(
        {"jane": JANE, "restricted": RESTRICTED, "deceased": DECEASED, "preferred": PREFERRED}
    )
