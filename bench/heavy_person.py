"""The heavy person the view benchmarks open: the same 1,000 resources at every database size.

Their records are copied from a small synthetic population of their own (its own seed and
size, written to a scratch folder), never from the population being measured, so the heavy
person's results, medicines and documents do not change with the number of people around them.
Six sources of the first region (and the national ambulance service) each give a fixed number
of resources, taken in file order and re-identified as the heavy person's; the GP practice
among them is the person's registered practice.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from carerecord import nhs_number
from carerecord.fhir.sections import SUPPORTING, section_of
from carerecord.synth import generate

HEAVY_SEED = 1066  # the donors' own seed: never the measured population's
DONORS = 300  # people whose records are copied onto the heavy person
# How many resources each source gives, by organisation type: 1,000 in all.
PER_SOURCE: dict[str, int] = {
    "gp": 300,
    "acute": 300,
    "mental-health": 60,
    "community": 180,
    "social-care": 30,
    "ambulance": 130,
}
HEAVY_RESOURCES = sum(PER_SOURCE.values())
_PATIENT_FIELDS = ("subject", "patient", "beneficiary")


def heavy_nhs_number() -> str:
    """A valid test-range number above the block synth hands out."""
    for serial in range(999_900_000, 999_999_999):
        digit = nhs_number.check_digit(str(serial))
        if digit is not None:
            return f"{serial}{digit}"
    raise RuntimeError("no valid number found")


def write_heavy_patient(out: Path) -> tuple[str, Counter[str]]:
    """Writes one NDJSON file per source into `out`; returns the person's NHS number and how
    many resources they hold in each section."""
    number = heavy_nhs_number()
    with tempfile.TemporaryDirectory(prefix="carerecord-heavy-") as scratch:
        donors = Path(scratch)
        generate(DONORS, donors, seed=HEAVY_SEED)
        sources = _sources(donors)
        practice = sources["gp"]
        sections: Counter[str] = Counter()
        for org_type, ods in sources.items():
            pool = _pool(donors / "fhir" / f"{ods}.ndjson")
            lines = [_patient(ods, number, practice)]
            for i in range(PER_SOURCE[org_type]):
                resource = _retarget(orjson.loads(pool[i % len(pool)]), ods, i)
                sections[section_of(resource)] += 1
                lines.append(resource)
            (out / f"{ods}.ndjson").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    return number, sections


def _sources(donors: Path) -> dict[str, str]:
    """The first organisation of each wanted type that holds data, in the listing's order."""
    found: dict[str, str] = {}
    for org in json.loads((donors / "organisations.json").read_text()):
        held = (donors / "fhir" / f"{org['ods_code']}.ndjson").exists()
        if org["type"] in PER_SOURCE and org["type"] not in found and held:
            found[org["type"]] = org["ods_code"]
    missing = set(PER_SOURCE) - set(found)
    if missing:
        raise RuntimeError(f"the donors hold nothing at {sorted(missing)}")
    return found


def _pool(path: Path) -> list[bytes]:
    """The source's clinical resources about a person, in file order."""
    with path.open("rb") as handle:
        return [line for line in handle if _about_someone(orjson.loads(line))]


def _about_someone(resource: dict[str, Any]) -> bool:
    """Clinical items only: no Patient records, and nothing outside the sections (a donor's
    objection to sharing, recorded as a Consent, would close the heavy record)."""
    return section_of(resource) not in (SUPPORTING, "demographics") and any(
        isinstance(resource.get(f), dict) for f in _PATIENT_FIELDS
    )


def _patient(ods: str, number: str, practice: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "heavy",
        "meta": {"lastUpdated": "2026-10-01T09:00:00+00:00", "source": f"urn:ods:{ods}"},
        "identifier": [{"system": nhs_number.SYSTEM, "value": number}],
        "name": [{"use": "official", "family": "HEAVY", "given": ["Record"]}],
        "gender": "unknown",
        "birthDate": "1950-01-01",
        "generalPractitioner": [
            {
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": practice,
                }
            }
        ],
    }


def _retarget(resource: dict[str, Any], ods: str, index: int) -> dict[str, Any]:
    resource["id"] = f"heavy-{index}"
    resource.setdefault("meta", {})["source"] = f"urn:ods:{ods}"
    for field in _PATIENT_FIELDS:
        if isinstance(resource.get(field), dict):
            resource[field] = {"reference": "Patient/heavy"}
    return resource
