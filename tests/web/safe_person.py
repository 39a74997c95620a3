"""A record with the traps a tired reader falls into, for the record view's safety tests.

Sam is known to their GP, a hospital, the ambulance service and NHS 111. The GP sent a
dispensing dated the day after the page's now (a pharmacy system's clock set wrong) of the
amlodipine the hospital stopped ten days ago, writing the dose in its own words; the
hospital's last update is dated four hours ahead; the newest summary of an episode of care is
an ambulance crew's, after an A&E attendance summary and an older ward discharge summary. The
GP's care team names its care coordinator only through a PractitionerRole, which names its
practitioner only through a Practitioner: directory entries about no patient.

Kit has as much as a frail person often has (UI.md's screen goals): 15 medicines, 8 allergies,
and 6 alerts sent as 8 (the GP, the hospital and the ambulance service each sent "Not for
resuscitation"), the heaviest recorded longest ago, so that weight, not date, orders them;
a care home that shares no allergies knows them too.
Loaded through the real ingest pipeline.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.web.formatting import day
from tests.factories import (
    make_allergy,
    make_org,
    make_patient,
    register,
    valid_nhs_number,
    write_ndjson,
)
from tests.record.factories_results import DISCHARGE, LETTER, document
from tests.web.conftest import NOW
from tests.web.factories_medicines import (
    AMLODIPINE,
    make_dispense,
    make_issue,
    make_plan,
    make_statement,
)

SAM = valid_nhs_number(70)
KIT = valid_nhs_number(71)
GP, HOSPITAL, AMBULANCE, NHS_111 = "F83004", "RAL01", "RRU", "NHS111"
CARE_HOME = "CH0001"  # shares demographics and medicines only, never allergies
ED_NOTE = ("34111-5", "Emergency department Note")
TOMORROW = (NOW + timedelta(days=1)).isoformat()
HOURS_AHEAD = (NOW + timedelta(hours=4)).isoformat()
COORDINATOR, COORDINATOR_PHONE = "Joanne Baker", "020 7616 8707"
DISPENSED_TOMORROW = f"Dispensed by High Street Pharmacy on {day(NOW + timedelta(days=1))}"
STOP_REASON = "Stopped on admission: low blood pressure and acute kidney injury"
STOPPED, STOPPED_ON = "2026-09-21", "21-Sep-2026"  # ten days before the page's now


def _days_ago(days: int) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def _directory(kind: str, local_id: str, **fields: object) -> dict[str, object]:
    meta = {"lastUpdated": _days_ago(20), "source": f"urn:ods:{GP}"}
    return {"resourceType": kind, "id": local_id, "meta": meta, **fields}


def care_team() -> list[dict[str, object]]:
    """A team whose coordinator is known only by reference: team -> role -> practitioner."""
    practitioner = _directory(
        "Practitioner", "sam-prac", name=[{"family": "Baker", "given": ["Joanne"]}]
    )
    role = _directory(
        "PractitionerRole",
        "sam-role",
        practitioner={"reference": "Practitioner/sam-prac"},
        code=[{"text": "Practice care coordinator"}],
        telecom=[{"system": "phone", "value": COORDINATOR_PHONE, "use": "work"}],
    )
    team = _directory(
        "CareTeam",
        "sam-team",
        status="active",
        name="Frailty team",
        subject={"reference": "Patient/sam-g"},
        participant=[
            {
                "role": [{"text": "Care coordinator"}],
                "member": {"reference": "PractitionerRole/sam-role"},
            },
            {"role": [{"text": "Lead clinician"}], "member": {"display": "Dr J. Murphy"}},
        ],
    )
    return [practitioner, role, team]


def seed_safe_person(store: Store, folder: Path) -> None:
    register(
        store,
        make_org(GP, "gp"),
        make_org(HOSPITAL, "acute"),
        make_org(AMBULANCE, "ambulance", name="London Ambulance Service"),
        make_org(NHS_111, "111", name="NHS 111 London"),
    )
    issue = make_issue("sam-g", AMLODIPINE, "0006", _days_ago(1))
    gp = write_ndjson(
        folder / "safe-gp.ndjson",
        make_patient("sam-g", SAM, family="OKONJO", given=("Sam",)),
        make_plan("sam-g", AMLODIPINE),
        issue,
        make_dispense("sam-g", issue, "High Street Pharmacy", TOMORROW),
        *care_team(),
    )
    hospital = write_ndjson(
        folder / "safe-hospital.ndjson",
        make_patient(
            "sam-h", SAM, family="OKONJO", given=("Sam",), source=HOSPITAL, last_updated=HOURS_AHEAD
        ),
        make_statement(
            "sam-h",
            (*AMLODIPINE[:2], "5mg OD"),
            status="stopped",
            effectivePeriod={"start": "2023-05-01", "end": STOPPED},
            statusReason=[{"text": STOP_REASON}],
        ),
        document(
            "Ward discharge summary", _days_ago(30), DISCHARGE, patient="sam-h", source=HOSPITAL
        ),
        document(
            "Emergency department attendance summary",
            _days_ago(7),
            ED_NOTE,
            patient="sam-h",
            source=HOSPITAL,
        ),
        document("Clinic letter", TOMORROW, LETTER, patient="sam-h", source=HOSPITAL),
    )
    ambulance = write_ndjson(
        folder / "safe-ambulance.ndjson",
        make_patient("sam-a", SAM, family="OKONJO", given=("Sam",), source=AMBULANCE, gp_ods=None),
        document(
            "Ambulance patient care record",
            _days_ago(3),
            LETTER,
            patient="sam-a",
            source=AMBULANCE,
        ),
    )
    ingest_paths(store, [gp], source=GP)
    ingest_paths(store, [hospital], source=HOSPITAL)
    ingest_paths(store, [ambulance], source=AMBULANCE)


SNOMED = "http://snomed.info/sct"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
# (code, words, category), lightest first; the order they must be read in is the reverse.
KIT_ALERTS = (
    ("105529008", "Lives alone", "admin"),
    (None, "Key safe by the front door, code held by the district nurses", "contact"),
    ("129839007", "At risk for falls", "safety"),
    (None, "Aggressive dog at the property: risk to staff", "safety"),
    (None, "Adult safeguarding concern: financial abuse", "safety"),
    ("304253006", "Not for resuscitation", "clinical"),
)
KIT_ALLERGIES = (
    ("91936005", "Allergy to penicillin"),
    ("91935009", "Allergy to peanut"),
    ("294505008", "Allergy to amoxicillin"),
    ("293586001", "Allergy to aspirin"),
    ("300916003", "Latex allergy"),
    ("418689008", "Allergy to grass pollen"),
    ("294532003", "Allergy to trimethoprim"),
    ("91934008", "Allergy to nut"),
)
KIT_MEDICINES = tuple(
    (name, None, dose)
    for name, dose in (
        ("Amlodipine 5mg tablets", "One tablet once a day"),
        ("Atorvastatin 20mg tablets", "One tablet at night"),
        ("Bisoprolol 2.5mg tablets", "One tablet once a day"),
        ("Furosemide 40mg tablets", "One tablet in the morning"),
        ("Apixaban 2.5mg tablets", "One tablet twice a day"),
        ("Lansoprazole 15mg capsules", "One capsule once a day"),
        ("Paracetamol 500mg tablets", "Two tablets four times a day when required"),
        ("Sertraline 50mg tablets", "One tablet once a day"),
        ("Levothyroxine sodium 50microgram tablets", "One tablet in the morning"),
        ("Metformin 500mg tablets", "One tablet twice a day with meals"),
        ("Ramipril 2.5mg capsules", "One capsule once a day"),
        ("Senna 7.5mg tablets", "Two tablets at night"),
        ("Tamsulosin 400microgram capsules", "One capsule once a day"),
        ("Donepezil 5mg tablets", "One tablet at night"),
        ("Alendronic acid 70mg tablets", "One tablet once a week"),
    )
)


def flag(
    patient: str, source: str, code: str | None, words: str, kind: str, days_ago: int
) -> dict[str, object]:
    concept: dict[str, object] = {"text": words}
    if code:
        concept["coding"] = [{"system": SNOMED, "code": code, "display": words}]
    return {
        "resourceType": "Flag",
        "id": f"{patient}-flag-{days_ago}",
        "meta": {"lastUpdated": _days_ago(days_ago), "source": f"urn:ods:{source}"},
        "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": kind}]}],
        "code": concept,
        "subject": {"reference": f"Patient/{patient}"},
        "period": {"start": _days_ago(days_ago)[:10]},
    }


def seed_busy_person(store: Store, folder: Path) -> None:
    register(
        store,
        make_org(GP, "gp"),
        make_org(HOSPITAL, "acute"),
        make_org(AMBULANCE, "ambulance", name="London Ambulance Service"),
        make_org(CARE_HOME, "care-home", sections=("demographics", "medications")),
    )
    gp_alerts = [
        flag("kit-g", GP, code, words, kind, days_ago=10 + 10 * n)
        for n, (code, words, kind) in enumerate(KIT_ALERTS)
    ]
    resuscitation = KIT_ALERTS[-1]
    gp = write_ndjson(
        folder / "busy-gp.ndjson",
        make_patient("kit-g", KIT, family="MORRIS", given=("Kit",)),
        *gp_alerts,
        *(make_plan("kit-g", medicine) for medicine in KIT_MEDICINES),
        *(make_allergy("kit-g", code=code, display=words) for code, words in KIT_ALLERGIES),
    )
    hospital = write_ndjson(
        folder / "busy-hospital.ndjson",
        make_patient("kit-h", KIT, family="MORRIS", given=("Kit",), source=HOSPITAL),
        flag("kit-h", HOSPITAL, *resuscitation, days_ago=65),
    )
    ambulance = write_ndjson(
        folder / "busy-ambulance.ndjson",
        make_patient("kit-a", KIT, family="MORRIS", given=("Kit",), source=AMBULANCE, gp_ods=None),
        flag("kit-a", AMBULANCE, *resuscitation, days_ago=70),
    )
    care_home = write_ndjson(
        folder / "busy-care-home.ndjson",
        make_patient("kit-c", KIT, family="MORRIS", given=("Kit",), source=CARE_HOME, gp_ods=None),
    )
    ingest_paths(store, [gp], source=GP)
    ingest_paths(store, [hospital], source=HOSPITAL)
    ingest_paths(store, [ambulance], source=AMBULANCE)
    ingest_paths(store, [care_home], source=CARE_HOME)
