"""A record whose words, numbers and units come as sources send them, for the page tests of
docs/ui.md "Words, numbers and units".

Wren's GP sends results with UCUM units and LOINC long names only (one with its own words in
`code.text`), a text result with no range and no flag, allergies of high and low criticality,
an admission of 238 hours and a contact of one hour, and a medicine with its route. Loaded
through the real ingest pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import make_allergy, make_patient, valid_nhs_number, write_ndjson
from tests.record.factories_results import observation

WREN = valid_nhs_number(80)
GP = "F83004"
PATIENT = "wren-g"
WBC = ("6690-2", "Leukocytes [#/volume] in Blood by Automated count")
EGFR = ("62238-1", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Blood")
CREATININE = ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma")
ALBUMIN_URINE = ("14957-5", "Microalbumin [Mass/volume] in Urine")
HIGH_CRITICALITY = "Allergy to penicillin"
LOW_CRITICALITY = "Allergy to elastoplast"
ROUTE = "Oral"
_UPDATED = "2026-09-30T09:00:00+00:00"


def _results() -> list[dict[str, Any]]:
    creatinine = observation(
        80, "2026-09-01T09:00:00+00:00", CREATININE, "umol/L", 59, 104, patient=PATIENT
    )
    creatinine["code"]["text"] = "Serum creatinine"  # the source's own words win
    microalbumin = observation(
        None, "2026-09-01T09:00:00+00:00", ALBUMIN_URINE, low=None, high=None, patient=PATIENT
    )
    microalbumin["valueString"] = "Trace"  # a text value: no range, no flag
    return [
        observation(6.8, "2026-03-01T09:00:00+00:00", WBC, "10*9/L", 4, 11, "N", PATIENT),
        observation(12.4, "2026-09-01T09:00:00+00:00", WBC, "10*9/L", 4, 11, "H", PATIENT),
        observation(
            72, "2026-09-01T09:00:00+00:00", EGFR, "mL/min/{1.73_m2}", 60, None, None, PATIENT
        ),
        creatinine,
        microalbumin,
    ]


def _encounter(local_id: str, klass: str, start: str, end: str, what: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": local_id,
        "meta": {"lastUpdated": _UPDATED, "source": f"urn:ods:{GP}"},
        "status": "finished",
        "class": {"code": klass},
        "type": [{"text": what}],
        "subject": {"reference": f"Patient/{PATIENT}"},
        "period": {"start": start, "end": end},
    }


def _medicine() -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "wren-med",
        "meta": {"lastUpdated": _UPDATED, "source": f"urn:ods:{GP}"},
        "status": "active",
        "medicationCodeableConcept": {"text": "Amlodipine 5mg tablets"},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectivePeriod": {"start": "2026-08-01"},
        "dosage": [{"text": "One tablet once a day", "route": {"text": ROUTE}}],
    }


def seed_words_person(store: Store, folder: Path) -> None:
    """Wren, at the GP of tests/web/seed.py (already registered)."""
    resources = [
        make_patient(PATIENT, WREN, family="WREN", given=("Robin",)),
        *_results(),
        make_allergy(PATIENT, display=HIGH_CRITICALITY, criticality="high"),
        make_allergy(PATIENT, code="402306009", display=LOW_CRITICALITY, criticality="low"),
        _encounter(
            "wren-adm", "IMP", "2026-08-01T08:00:00+00:00", "2026-08-11T06:00:00+00:00", "Stay"
        ),
        _encounter(
            "wren-amb", "AMB", "2026-07-01T10:00:00+00:00", "2026-07-01T11:00:00+00:00", "Clinic"
        ),
        _medicine(),
    ]
    ingest_paths(store, [write_ndjson(folder / "wren.ndjson", *resources)], source=GP)
