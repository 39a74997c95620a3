"""Medicines and allergies from two sources (and a care home that shares neither), for page tests.

Loaded through the real ingest pipeline. Jo's record holds the awkward cases: the same medicine
and dose at the GP and the hospital, a medicine stopped at the hospital but active at the GP,
the same allergy with different reactions, a resolved allergy, and prescriptions in each state.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from tests.factories import (
    make_allergy,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)
from tests.web.browser import browsing as shared_browsing
from tests.web.conftest import NOW
from tests.web.test_pages import text_of

JO = valid_nhs_number(40)  # medicines and allergies from GP and hospital
NKA_PERSON = valid_nhs_number(41)  # the GP positively recorded "no known allergy"
CARE_HOME_ONLY = valid_nhs_number(42)  # known only to a care home, which does not share allergies
GP, HOSPITAL, CARE_HOME = "F83004", "RAL01", "CH0001"
DMD = "https://dmd.nhs.uk"
EPS = "https://fhir.nhs.uk/StructureDefinition/Extension-EPS-TaskBusinessStatus"
AMLODIPINE = ("Amlodipine 5mg tablets", "319283006", "One tablet once a day")
METFORMIN = ("Metformin 500mg tablets", "325278007", "One tablet twice a day with meals")
RAMIPRIL = ("Ramipril 2.5mg capsules", None, "One capsule once a day")
_ids = itertools.count(1)


def _concept(name: str, dmd: str | None) -> dict[str, Any]:
    if dmd is None:
        return {"text": name}
    return {"coding": [{"system": DMD, "code": dmd, "display": name}], "text": name}


def _base(kind: str, source: str, updated: str) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "id": f"{kind[:4].lower()}{next(_ids)}",
        "meta": {"lastUpdated": updated, "source": f"urn:ods:{source}"},
    }


def make_plan(
    patient: str, medicine: tuple[str, str | None, str], status: str = "active", **extra: Any
) -> dict[str, Any]:
    """The GP's authorisation of a medicine (MedicationRequest, intent plan)."""
    name, dmd, dose = medicine
    return {
        **_base("MedicationRequest", GP, "2026-06-01T09:00:00+00:00"),
        "status": status,
        "intent": "plan",
        "medicationCodeableConcept": _concept(name, dmd),
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": "2024-03-04T10:00:00+00:00",
        "dosageInstruction": [{"text": dose}],
        **extra,
    }


def make_issue(
    patient: str, medicine: tuple[str, str | None, str], eps: str, authored: str
) -> dict[str, Any]:
    """One prescription issue (intent order) with its EPS task business status."""
    return {
        **make_plan(patient, medicine, status="completed" if eps == "0006" else "active"),
        **_base("MedicationRequest", GP, authored),
        "intent": "order",
        "authoredOn": authored,
        "extension": [{"url": EPS, "valueCoding": {"code": eps}}],
    }


def make_dispense(patient: str, issue: dict[str, Any], pharmacy: str, when: str) -> dict[str, Any]:
    return {
        **_base("MedicationDispense", GP, when),
        "status": "completed",
        "medicationCodeableConcept": issue["medicationCodeableConcept"],
        "subject": {"reference": f"Patient/{patient}"},
        "performer": [{"actor": {"display": pharmacy}}],
        "authorizingPrescription": [{"reference": f"MedicationRequest/{issue['id']}"}],
        "whenHandedOver": when,
    }


def make_statement(
    patient: str, medicine: tuple[str, str | None, str], status: str = "active", **extra: Any
) -> dict[str, Any]:
    """The hospital's medicines reconciliation (MedicationStatement)."""
    name, dmd, dose = medicine
    return {
        **_base("MedicationStatement", HOSPITAL, "2026-07-02T12:00:00+00:00"),
        "status": status,
        "medicationCodeableConcept": _concept(name, dmd),
        "subject": {"reference": f"Patient/{patient}"},
        "effectivePeriod": {"start": "2024-03-04"},
        "dateAsserted": "2026-07-01",
        "dosage": [{"text": dose}],
        **extra,
    }


def _reaction(text: str, severity: str | None = None) -> list[dict[str, Any]]:
    reaction: dict[str, Any] = {"manifestation": [{"text": text}]}
    if severity:
        reaction["severity"] = severity
    return [reaction]


def seed_medicines(store: Store, folder: Path) -> None:
    register(
        store,
        make_org(GP, "gp"),
        make_org(HOSPITAL, "acute"),
        make_org(CARE_HOME, "care-home", sections=("demographics", "medications")),
    )
    amlodipine_issue = make_issue("m1", AMLODIPINE, "0002", "2026-09-28T09:00:00+00:00")
    metformin_issue = make_issue("m1", METFORMIN, "0006", "2026-09-01T09:00:00+00:00")
    gp = write_ndjson(
        folder / "meds-gp.ndjson",
        make_patient("m1", JO, family="PATEL", given=("Jo",)),
        make_plan("m1", AMLODIPINE),
        make_plan("m1", METFORMIN),
        make_plan("m1", RAMIPRIL, status="stopped"),
        amlodipine_issue,
        metformin_issue,
        make_issue("m1", AMLODIPINE, "0001", "2026-09-30T09:00:00+00:00"),
        make_dispense("m1", metformin_issue, "Boots Pharmacy", "2026-09-02T14:00:00+00:00"),
        make_allergy("m1", reaction=_reaction("Urticaria")),
        make_allergy(
            "m1",
            code="91935009",
            display="Allergy to peanut",
            clinicalStatus={"coding": [{"code": "resolved"}]},
            reaction=_reaction("Wheezing"),
        ),
        make_patient("n1", NKA_PERSON, family="OKAFOR", given=("Ada",)),
        make_allergy("n1", code="716186003", display="No known allergy"),
    )
    hospital = write_ndjson(
        folder / "meds-hospital.ndjson",
        make_patient("h9", JO, family="PATEL", given=("Jo",), source=HOSPITAL, gp_ods=None),
        make_statement("h9", AMLODIPINE),
        make_statement(
            "h9",
            METFORMIN,
            status="stopped",
            effectivePeriod={"start": "2024-03-04", "end": "2026-01-05"},
            statusReason=[{"text": "Stopped on admission: acute kidney injury"}],
        ),
        make_allergy("h9", source=HOSPITAL, reaction=_reaction("Anaphylaxis", "severe")),
    )
    care_home = write_ndjson(
        folder / "meds-care-home.ndjson",
        make_patient("c1", CARE_HOME_ONLY, family="EVANS", source=CARE_HOME, gp_ods=None),
    )
    ingest_paths(store, [gp], source=GP)
    ingest_paths(store, [hospital], source=HOSPITAL)
    ingest_paths(store, [care_home], source=CARE_HOME)


# Source (type in words), the item's recorded date, when the source last updated it.
PROVENANCE = re.compile(
    r"\((GP practice|Hospital)\) · recorded \d\d-\w{3}-\d{4}"
    r" · updated at source \d\d-\w{3}-\d{4} \d\d:\d\d"
)


def rows(html: str) -> list[str]:
    """Each clinical row's words: medicine lines and prescription rows."""
    found = re.findall(r'<(li|tr)[^>]*data-testid="clinical-row"[^>]*>(.*?)</\1>', html, re.S)
    return [text_of(body) for _, body in found]


@contextmanager
def browsing(template: Path, folder: Path) -> Iterator[Page]:
    """A real server over a copy of `template` seeded with these records, and a Chromium page."""
    with shared_browsing(template, folder, NOW, seed_medicines) as page:
        yield page
