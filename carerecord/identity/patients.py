"""The identity a source's Patient resource claims, or why it cannot be used to join records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from carerecord import nhs_number
from carerecord.fhir.extract import identifier_value, listed


@dataclass(frozen=True)
class SearchKeys:
    """What a person can be looked up by when their NHS number is not to hand. Used only to
    find records for a person to choose from, never to join records."""

    family: str | None  # normalised: upper case, letters and digits only
    birth_date: date | None
    postcode: str | None  # normalised: upper case, no spaces


@dataclass(frozen=True)
class PatientIdentity:
    local_id: str  # the source's own id for the person
    nhs_number: str  # ten digits, check digit verified
    search: SearchKeys


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
    return PatientIdentity(local_id, digits, search_keys(patient))


def search_keys(patient: dict[str, Any]) -> SearchKeys:
    names = [n for n in listed(patient.get("name")) if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    addresses = [a for a in listed(patient.get("address")) if isinstance(a, dict)]
    home = next((a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else {})
    return SearchKeys(
        family=normalise_name(official.get("family")),
        birth_date=_date(patient.get("birthDate")),
        postcode=normalise_postcode(home.get("postalCode")),
    )


def normalise_name(value: Any) -> str | None:
    """O'Brien, OBRIEN and o brien are the same surname to someone typing in a hurry."""
    if not isinstance(value, str):
        return None
    kept = "".join(ch for ch in value.upper() if ch.isalnum())
    return kept or None


def normalise_postcode(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    kept = "".join(ch for ch in value.upper() if ch.isalnum())
    return kept or None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
