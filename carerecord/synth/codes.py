"""Clinical codes the synthetic record uses: SNOMED CT, LOINC and the FHIR code systems.

Only codes whose meaning is certain are listed; where no code is certain a concept is
carried as text alone, which FHIR allows and which is what many real feeds send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord.fhir.systems import SNOMED

LOINC = "http://loinc.org"
DMD = "https://dmd.nhs.uk"
UCUM = "http://unitsofmeasure.org"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
OBJECTION_CODE = "416308001"  # Refused consent for upload to national shared electronic record


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    def coding(self) -> dict[str, Any]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self, text: str | None = None) -> dict[str, Any]:
        return {"coding": [self.coding()], "text": text or self.display}


def sct(code: str, display: str) -> Code:
    return Code(SNOMED, code, display)


def loinc(code: str, display: str) -> Code:
    return Code(LOINC, code, display)


def text_concept(text: str) -> dict[str, Any]:
    return {"text": text}


def hl7_concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {
        "coding": [
            {
                "system": f"http://terminology.hl7.org/CodeSystem/{system}",
                "code": code,
                "display": display,
            }
        ]
    }


# Allergies: the disorder/finding codes GP systems record, and the reactions seen.
NO_KNOWN_ALLERGY = sct("716186003", "No known allergy")
ALLERGIES: tuple[tuple[Code, str], ...] = (
    (sct("91936005", "Allergy to penicillin"), "medication"),
    (sct("293586001", "Allergy to aspirin"), "medication"),
    (sct("91935009", "Allergy to peanut"), "food"),
    (sct("300913006", "Shellfish allergy"), "food"),
    (sct("300916003", "Latex allergy"), "environment"),
    (sct("418689008", "Allergy to grass pollen"), "environment"),
    (sct("232350006", "House dust mite allergy"), "environment"),
)
REACTIONS: tuple[Code, ...] = (
    sct("271807003", "Eruption of skin"),
    sct("126485001", "Urticaria"),
    sct("418290006", "Itching"),
    sct("39579001", "Anaphylaxis"),
)

# Alerts that travel with a person between services.
ALERTS: tuple[tuple[Code, str], ...] = (
    (sct("129839007", "At risk for falls"), "safety"),
    (sct("105529008", "Lives alone"), "admin"),
    (sct("15188001", "Hearing loss"), "clinical"),
    (sct("397540003", "Visual impairment"), "clinical"),
)

ENCOUNTER_ADMISSION = sct("32485007", "Hospital admission")
ENCOUNTER_ED = sct("4525004", "Emergency department patient visit")
REFERRAL = sct("3457005", "Patient referral")
CARE_PLAN = sct("734163000", "Care plan")
ADVANCE_CARE_PLANNING = sct("713603004", "Advance care planning")
NOT_FOR_RESUSCITATION = sct("304253006", "Not for resuscitation")
CHEST_XRAY = sct("399208008", "Plain chest X-ray")

DOC_DISCHARGE = loinc("18842-5", "Discharge summary")
DOC_CONSULT = loinc("11488-4", "Consult note")
DOC_ED = loinc("34111-5", "Emergency department Note")
DOC_EPISODE = loinc("34133-9", "Summary of episode note")
DOC_REFERRAL = loinc("57133-1", "Referral note")

CONSENT_CATEGORY = loinc("59284-0", "Patient Consent")

CLASS_INPATIENT = {"system": ACT_CODE, "code": "IMP", "display": "inpatient encounter"}
CLASS_EMERGENCY = {"system": ACT_CODE, "code": "EMER", "display": "emergency"}
CLASS_AMBULATORY = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}
CLASS_HOME = {"system": ACT_CODE, "code": "HH", "display": "home health"}
CLASS_VIRTUAL = {"system": ACT_CODE, "code": "VR", "display": "virtual"}
CLASS_FIELD = {"system": ACT_CODE, "code": "FLD", "display": "field"}
