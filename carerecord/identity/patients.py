"""The identity a source's Patient resource claims, or why it cannot be used to join records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord import nhs_number
from carerecord.fhir.extract import identifier_value


@dataclass(frozen=True)
class PatientIdentity:
    local_id: str  # the source's own id for the person
    nhs_number: str  # ten digits, check digit verified


@dataclass(frozen=True)
class IdentityProblem:
    code: str  # a quarantine reason code
    reason: str


def patient_identity(patient: dict[str, Any], local_id: str) -> PatientIdentity | IdentityProblem:
    """Records are joined across organisations by NHS number alone, so a Patient without a
    valid one cannot be joined to anything: names and dates of birth are never matched on."""
    found = identifier_value(patient, nhs_number.SYSTEM)
    if found is None:
        return IdentityProblem("no-nhs-number", f"Patient/{local_id} has no NHS number")
    digits = nhs_number.normalise(found)
    if not nhs_number.is_valid(digits):
        return IdentityProblem(
            "invalid-nhs-number",
            f"Patient/{local_id} has an NHS number that fails the modulus-11 check",
        )
    return PatientIdentity(local_id, digits)
