"""Pathology and imaging results: LOINC-coded tests, plausible values, repeated over time.

Values follow each person's conditions (a diabetic's HbA1c sits higher, kidney disease lowers
the eGFR) and drift between tests, so trends show. Reference ranges are typical UK adult
ranges; units are UCUM.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from carerecord.synth.codes import CHEST_XRAY, INTERPRETATION, UCUM, Code, hl7_concept, loinc
from carerecord.synth.source import Source
from carerecord.synth.story import Story, at


@dataclass(frozen=True)
class Analyte:
    code: Code
    unit: str  # UCUM code
    unit_display: str
    low: float | None
    high: float | None
    decimals: int
    spread: float  # day-to-day variation
    female: tuple[float | None, float | None] | None = None  # (low, high) when they differ

    def bounds(self, female: bool) -> tuple[float | None, float | None]:
        return self.female if female and self.female else (self.low, self.high)


@dataclass(frozen=True)
class Panel:
    code: Code
    analytes: tuple[str, ...]


@dataclass(frozen=True)
class LabReport:
    """One filled request: the filler order number ties the FHIR report to the HL7 ORU."""

    filler_number: str
    panel: str
    collected: datetime
    issued: datetime
    values: tuple[tuple[str, float], ...]


ANALYTES: dict[str, Analyte] = {
    "sodium": Analyte(
        loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
        "mmol/L",
        "mmol/L",
        133,
        146,
        0,
        2.0,
    ),
    "potassium": Analyte(
        loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
        "mmol/L",
        "mmol/L",
        3.5,
        5.3,
        1,
        0.3,
    ),
    "creatinine": Analyte(
        loinc("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
        "umol/L",
        "µmol/L",
        59,
        104,
        0,
        6.0,
    ),
    "egfr": Analyte(
        loinc(
            "62238-1",
            "Glomerular filtration rate/1.73 sq M.predicted "
            "[Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based "
            "formula (CKD-EPI)",
        ),
        "mL/min/{1.73_m2}",
        "mL/min/1.73m2",
        60,
        None,
        0,
        4.0,
    ),
    "haemoglobin": Analyte(
        loinc("718-7", "Hemoglobin [Mass/volume] in Blood"), "g/L", "g/L", 130, 170, 0, 5.0
    ),
    "wbc": Analyte(
        loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
        "10*9/L",
        "10*9/L",
        4.0,
        11.0,
        1,
        0.8,
    ),
    "platelets": Analyte(
        loinc("777-3", "Platelets [#/volume] in Blood by Automated count"),
        "10*9/L",
        "10*9/L",
        150,
        410,
        0,
        25.0,
    ),
    "crp": Analyte(
        loinc("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"),
        "mg/L",
        "mg/L",
        None,
        5,
        0,
        2.0,
    ),
    "hba1c": Analyte(
        loinc("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol"),
        "mmol/mol",
        "mmol/mol",
        20,
        41,
        0,
        3.0,
    ),
    "cholesterol": Analyte(
        loinc("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma"),
        "mmol/L",
        "mmol/L",
        None,
        5.0,
        1,
        0.3,
    ),
    "tsh": Analyte(
        loinc("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma"),
        "m[IU]/L",
        "mU/L",
        0.27,
        4.2,
        2,
        0.5,
    ),
    "alt": Analyte(
        loinc("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
        "U/L",
        "U/L",
        None,
        41,
        0,
        6.0,
    ),
    "ggt": Analyte(
        loinc(
            "2324-2", "Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma"
        ),
        "U/L",
        "U/L",
        None,
        60,
        0,
        10.0,
    ),
}

PANELS: dict[str, Panel] = {
    "renal": Panel(
        loinc("24362-6", "Renal function panel - Serum or Plasma"),
        ("sodium", "potassium", "creatinine", "egfr"),
    ),
    "fbc": Panel(
        loinc("58410-2", "CBC panel - Blood by Automated count"),
        ("haemoglobin", "wbc", "platelets"),
    ),
    "hba1c": Panel(ANALYTES["hba1c"].code, ("hba1c",)),
    "lipids": Panel(loinc("24331-1", "Lipid 1996 panel - Serum or Plasma"), ("cholesterol",)),
    "tft": Panel(ANALYTES["tsh"].code, ("tsh",)),
    "lft": Panel(loinc("24325-3", "Hepatic function panel - Serum or Plasma"), ("alt", "ggt")),
    "crp": Panel(ANALYTES["crp"].code, ("crp",)),
}


def baselines(story: Story) -> dict[str, float]:
    """Where each value sits for this person, before day-to-day variation."""
    codes = {p.spec.code.code for p in story.problems}
    ckd, diabetic = "709044004" in codes, "44054006" in codes
    female = story.person.gender == "female"
    egfr = 42.0 if ckd else max(60.0, 105.0 - 0.6 * max(story.age - 30, 0))
    return {
        "sodium": 139,
        "potassium": 4.4,
        "egfr": egfr,
        "creatinine": (62 if female else 80) * 90 / egfr,
        "haemoglobin": (133 if female else 145) - (12 if ckd else 0),
        "wbc": 6.8,
        "platelets": 260,
        "crp": 3,
        "hba1c": 58 if diabetic else 36,
        "cholesterol": 4.4 if "55822004" in codes else 5.1,
        "tsh": 3.1 if "40930008" in codes else 1.8,
        "alt": 55 if "7200002" in codes else 24,
        "ggt": 110 if "7200002" in codes else 30,
    }


def gp_reports(rng: random.Random, story: Story, prefix: str) -> list[LabReport]:
    """Monitoring bloods every six to twelve months over the last three years."""
    wanted = {test for p in story.problems for test in p.spec.tests}
    if not wanted:
        wanted = {"fbc", "renal"} if story.age >= 18 else {"fbc"}
    base, reports = baselines(story), list[LabReport]()
    first = max(story.end - timedelta(days=1095), story.person.birth_date)
    span = max((story.end - first).days, 1)
    for panel in sorted(wanted):
        day, drift = first + timedelta(days=rng.randrange(min(span, 150))), rng.uniform(-0.08, 0.08)
        while day < story.end:
            years = (day - story.end).days / 365
            collected = at(day, rng.randrange(8, 12), rng.randrange(60))
            number = f"{prefix}{story.person.index:07d}{len(reports):02d}"
            values = _values(rng, panel, base, 1 + drift * years)
            issued = collected + timedelta(hours=rng.randrange(5, 30))
            reports.append(LabReport(number, panel, collected, issued, values))
            day += timedelta(days=rng.randrange(180, 366))
    return reports


def admission_report(
    rng: random.Random, story: Story, panel: str, when: datetime, number: str
) -> LabReport:
    base = dict(baselines(story), crp=rng.uniform(40, 180), wbc=rng.uniform(11, 17))
    return LabReport(number, panel, when, when + timedelta(hours=2), _values(rng, panel, base, 1))


def _values(
    rng: random.Random, panel: str, base: dict[str, float], factor: float
) -> tuple[tuple[str, float], ...]:
    values = []
    for key in PANELS[panel].analytes:
        analyte = ANALYTES[key]
        value = max(base[key] * factor + rng.gauss(0, analyte.spread), 0.1)
        values.append((key, round(value, analyte.decimals)))
    return tuple(values)


def interpretation(analyte: Analyte, value: float, female: bool) -> str:
    low, high = analyte.bounds(female)
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
        return "H"
    return "N"


def lab_resources(source: Source, report: LabReport, lab_name: str, female: bool) -> None:
    """A DiagnosticReport and its Observations, as the source's laboratory issued them."""
    observations = [
        _observation(source, report, key, value, female) for key, value in report.values
    ]
    source.add(
        "DiagnosticReport",
        report.issued,
        identifier=[
            {
                "system": f"https://fhir.{source.ods.lower()}.nhs.uk/Id/filler-order-number",
                "value": report.filler_number,
            }
        ],
        status="final",
        category=[hl7_concept("v2-0074", "LAB", "Laboratory")],
        code=PANELS[report.panel].code.concept(),
        subject=source.patient(),
        effectiveDateTime=report.collected.isoformat(),
        issued=report.issued.isoformat(),
        performer=[{"display": lab_name}],
        result=[source.ref(o) for o in observations],
    )


def _observation(
    source: Source,
    report: LabReport,
    key: str,
    value: float,
    female: bool,
) -> dict[str, Any]:
    analyte = ANALYTES[key]
    flag = interpretation(analyte, value, female)
    return source.add(
        "Observation",
        report.issued,
        status="final",
        category=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ]
            }
        ],
        code=analyte.code.concept(),
        subject=source.patient(),
        effectiveDateTime=report.collected.isoformat(),
        issued=report.issued.isoformat(),
        valueQuantity=_quantity(analyte, value),
        interpretation=[{"coding": [{"system": INTERPRETATION, "code": flag}]}],
        referenceRange=[_range(analyte, female)],
    )


def _quantity(analyte: Analyte, value: float) -> dict[str, Any]:
    number: float | int = int(value) if analyte.decimals == 0 else value
    return {"value": number, "unit": analyte.unit_display, "system": UCUM, "code": analyte.unit}


def _range(analyte: Analyte, female: bool) -> dict[str, Any]:
    low, high, bounds = *analyte.bounds(female), {}
    if low is not None:
        bounds["low"] = _quantity(analyte, low)
    if high is not None:
        bounds["high"] = _quantity(analyte, high)
    return bounds


def imaging_report(source: Source, when: datetime, number: str, finding: str) -> None:
    source.add(
        "DiagnosticReport",
        when + timedelta(hours=4),
        identifier=[
            {
                "system": f"https://fhir.{source.ods.lower()}.nhs.uk/Id/filler-order-number",
                "value": number,
            }
        ],
        status="final",
        category=[hl7_concept("v2-0074", "RAD", "Radiology")],
        code=CHEST_XRAY.concept(),
        subject=source.patient(),
        effectiveDateTime=when.isoformat(),
        issued=(when + timedelta(hours=4)).isoformat(),
        performer=[{"display": f"{source.org.name} Radiology"}],
        conclusion=finding,
    )
