"""Medicines as dm+d virtual medicinal products (VMPs), and how prescriptions are shown.

Medicines are coded with dm+d (``https://dmd.nhs.uk``) where the VMP code is certain; the
others are carried as the VMP name alone in ``medicationCodeableConcept.text``. No separate
Medication resources are written.

Prescription status. A GP prescription issue is a ``MedicationRequest`` (intent ``order``,
``courseOfTherapyType`` continuous for repeats, acute otherwise). Its lifecycle as the
pharmacy sees it is carried the way the NHS Electronic Prescription Service does, in the
``Extension-EPS-TaskBusinessStatus`` extension with codes from
``https://fhir.nhs.uk/CodeSystem/EPS-task-business-status``:

* ``0001`` To be Dispensed — issued by the practice, not yet downloaded by a pharmacy;
* ``0002`` With Dispenser — sent to (downloaded by) the nominated pharmacy;
* ``0006`` Dispensed — handed over; a ``MedicationDispense`` (status ``completed``) whose
  ``authorizingPrescription`` points at the request is written too.

``MedicationRequest.status`` stays FHIR's own: ``active`` while the issue is current,
``completed`` once dispensed, ``stopped`` when the prescriber ended the medicine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord.synth.codes import DMD

EPS_STATUS_URL = "https://fhir.nhs.uk/StructureDefinition/Extension-EPS-TaskBusinessStatus"
EPS_STATUS_SYSTEM = "https://fhir.nhs.uk/CodeSystem/EPS-task-business-status"
EPS_STATUSES: dict[str, str] = {
    "0001": "To be Dispensed",
    "0002": "With Dispenser",
    "0006": "Dispensed",
}


@dataclass(frozen=True)
class Medicine:
    key: str
    name: str  # the dm+d VMP name
    dmd: str | None  # the VMP code, when certain
    dose: str
    quantity: int
    unit: str

    def concept(self) -> dict[str, Any]:
        if self.dmd is None:
            return {"text": self.name}
        return {
            "coding": [{"system": DMD, "code": self.dmd, "display": self.name}],
            "text": self.name,
        }


MEDICINES: dict[str, Medicine] = {
    m.key: m
    for m in (
        Medicine(
            "amlodipine",
            "Amlodipine 5mg tablets",
            "319283006",
            "One tablet once a day",
            28,
            "tablet",
        ),
        Medicine(
            "metformin",
            "Metformin 500mg tablets",
            "325278007",
            "One tablet twice a day with meals",
            56,
            "tablet",
        ),
        Medicine(
            "atorvastatin",
            "Atorvastatin 20mg tablets",
            "39733011000001106",
            "One tablet at night",
            28,
            "tablet",
        ),
        Medicine(
            "salbutamol",
            "Salbutamol 100micrograms/dose inhaler CFC free",
            "39113611000001102",
            "Two puffs up to four times a day when required",
            200,
            "dose",
        ),
        Medicine(
            "paracetamol",
            "Paracetamol 500mg tablets",
            "322236009",
            "Two tablets up to four times a day when required",
            100,
            "tablet",
        ),
        Medicine(
            "amoxicillin",
            "Amoxicillin 500mg capsules",
            "39732411000001106",
            "One capsule three times a day for five days",
            15,
            "capsule",
        ),
        Medicine(
            "ramipril", "Ramipril 2.5mg capsules", None, "One capsule once a day", 28, "capsule"
        ),
        Medicine(
            "sertraline", "Sertraline 50mg tablets", None, "One tablet once a day", 28, "tablet"
        ),
        Medicine(
            "levothyroxine",
            "Levothyroxine sodium 50microgram tablets",
            None,
            "One tablet each morning",
            28,
            "tablet",
        ),
        Medicine(
            "co-codamol",
            "Co-codamol 8mg/500mg tablets",
            None,
            "One or two tablets up to four times a day when required",
            100,
            "tablet",
        ),
        Medicine(
            "furosemide", "Furosemide 40mg tablets", None, "One tablet each morning", 28, "tablet"
        ),
        Medicine("apixaban", "Apixaban 5mg tablets", None, "One tablet twice a day", 56, "tablet"),
        Medicine(
            "omeprazole",
            "Omeprazole 20mg gastro-resistant capsules",
            None,
            "One capsule once a day",
            28,
            "capsule",
        ),
        Medicine("donepezil", "Donepezil 5mg tablets", None, "One tablet at night", 28, "tablet"),
        Medicine(
            "olanzapine", "Olanzapine 10mg tablets", None, "One tablet at night", 28, "tablet"
        ),
        Medicine(
            "thiamine", "Thiamine 100mg tablets", None, "One tablet three times a day", 84, "tablet"
        ),
    )
}


def eps_extension(code: str) -> dict[str, Any]:
    return {
        "url": EPS_STATUS_URL,
        "valueCoding": {"system": EPS_STATUS_SYSTEM, "code": code, "display": EPS_STATUSES[code]},
    }
