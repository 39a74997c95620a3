"""Long-term conditions, how common they are by age, and what follows from each.

Each condition names the medicines usually prescribed for it (keys of ``MEDICINES``), the
blood tests that monitor it (keys of ``results.PANELS``) and the service that sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from carerecord.synth.codes import Code, sct


@dataclass(frozen=True)
class ConditionSpec:
    code: Code
    min_age: int
    chance: float  # chance for someone comfortably over min_age
    medicines: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    service: str = ""  # "mental-health" or "addiction" when such a service is involved


CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec(
        sct("38341003", "Hypertensive disorder, systemic arterial"),
        35,
        0.32,
        ("amlodipine",),
        ("renal",),
    ),
    ConditionSpec(
        sct("44054006", "Diabetes mellitus type 2"), 30, 0.14, ("metformin",), ("hba1c", "renal")
    ),
    ConditionSpec(sct("55822004", "Hyperlipidemia"), 40, 0.2, ("atorvastatin",), ("lipids",)),
    ConditionSpec(sct("195967001", "Asthma"), 4, 0.1, ("salbutamol",)),
    ConditionSpec(sct("13645005", "Chronic obstructive lung disease"), 50, 0.06, ("salbutamol",)),
    ConditionSpec(sct("35489007", "Depressive disorder"), 16, 0.1, ("sertraline",)),
    ConditionSpec(sct("197480006", "Anxiety disorder"), 14, 0.06),
    ConditionSpec(sct("40930008", "Hypothyroidism"), 25, 0.05, ("levothyroxine",), ("tft",)),
    ConditionSpec(sct("709044004", "Chronic kidney disease"), 60, 0.12, (), ("renal", "fbc")),
    ConditionSpec(sct("49436004", "Atrial fibrillation"), 60, 0.08, ("apixaban",), ("fbc",)),
    ConditionSpec(
        sct("84114007", "Heart failure"), 65, 0.06, ("furosemide", "ramipril"), ("renal",)
    ),
    ConditionSpec(sct("396275006", "Osteoarthritis"), 50, 0.18, ("co-codamol",)),
    ConditionSpec(sct("52448006", "Dementia"), 70, 0.15, ("donepezil",)),
    ConditionSpec(
        sct("58214004", "Schizophrenia"), 18, 0.012, ("olanzapine",), ("fbc",), "mental-health"
    ),
    ConditionSpec(sct("13746004", "Bipolar disorder"), 18, 0.01, (), (), "mental-health"),
    ConditionSpec(sct("7200002", "Alcoholism"), 18, 0.025, ("thiamine",), ("lft",), "addiction"),
)

BY_CODE: dict[str, ConditionSpec] = {spec.code.code: spec for spec in CONDITIONS}

# Reasons people are admitted or attend ED, with the presenting complaint.
ACUTE_PROBLEMS: tuple[tuple[Code, str], ...] = (
    (sct("233604007", "Pneumonia"), "cough, fever and shortness of breath"),
    (sct("68566005", "Urinary tract infectious disease"), "confusion and urinary symptoms"),
    (sct("29857009", "Chest pain"), "central chest pain"),
    (sct("267036007", "Dyspnea"), "worsening shortness of breath"),
)


def chance_at(spec: ConditionSpec, age: int) -> float:
    """Prevalence rises over the twenty years after the youngest age it usually starts."""
    if age < spec.min_age:
        return 0.0
    return spec.chance * min(1.0, 0.3 + (age - spec.min_age) / 20)
