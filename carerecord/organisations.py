"""What an organisation in the registry may be: its type, region, rollout status and sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord.errors import InvalidOrganisation
from carerecord.fhir.sections import SECTIONS


@dataclass(frozen=True)
class Organisation:
    ods_code: str
    name: str
    org_type: str
    region: str
    status: str
    sections: tuple[str, ...]
    registered_at: datetime | None = None
    last_received_at: datetime | None = None  # when its feed last delivered anything


NATIONAL = "national"
NATIONAL_REGION = "National"

# Organisation types, in the order a clinician reads a record's sources.
ORG_TYPES: dict[str, str] = {
    "gp": "GP practice",
    "acute": "Hospital",
    "mental-health": "Mental health",
    "community": "Community health",
    "social-care": "Social care",
    "ambulance": "Ambulance service",
    "111": "NHS 111",
    "care-home": "Care home",
    # The national demographics service (PDS in England): not a care provider, but with the
    # registered GP practice the source believed on who the person is and whether they have
    # died (decision record 0009). Its region is NATIONAL_REGION.
    NATIONAL: "National demographics",
}

REGIONS: tuple[str, ...] = (
    "North Central London",
    "North East London",
    "North West London",
    "South East London",
    "South West London",
    "Hertfordshire and West Essex",
    "Milton Keynes",
)

STATUSES: tuple[str, ...] = ("onboarding", "pilot", "live")

_ODS_CODE = re.compile(r"^[A-Z0-9]{3,12}$")


def looks_like_ods_code(code: str) -> bool:
    """Whether `code` has the shape of an ODS code as carerecord keeps it (upper case)."""
    return _ODS_CODE.match(code) is not None


def organisation(
    ods_code: str,
    name: str,
    org_type: str,
    region: str,
    status: str = "live",
    sections: tuple[str, ...] | None = None,
) -> Organisation:
    """A validated organisation; sections default to every section of the record."""
    ods_code = ods_code.strip().upper()
    if not looks_like_ods_code(ods_code):
        raise InvalidOrganisation(f"ODS code {ods_code!r} must be 3 to 12 letters and digits")
    if not name.strip():
        raise InvalidOrganisation("an organisation needs a name")
    _one_of("type", org_type, tuple(ORG_TYPES))
    _one_of("region", region, (NATIONAL_REGION,) if org_type == NATIONAL else REGIONS)
    _one_of("status", status, STATUSES)
    chosen = SECTIONS if sections is None else sections
    for section in chosen:
        _one_of("section", section, SECTIONS)
    return Organisation(ods_code, name.strip(), org_type, region, status, tuple(chosen))


def organisation_from_json(entry: Any, index: int) -> Organisation:
    """One entry of an organisations list (as `carerecord synth` writes it), validated."""
    try:
        return organisation(
            entry["ods_code"],
            entry["name"],
            entry["type"],
            entry["region"],
            entry.get("status", "live"),
            tuple(entry["sections"]) if "sections" in entry else None,
        )
    except (KeyError, TypeError) as error:
        raise InvalidOrganisation(f"organisation {index}: missing or wrong field {error}") from None
    except InvalidOrganisation as error:
        raise InvalidOrganisation(f"organisation {index}: {error}") from None


def _one_of(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidOrganisation(f"{what} {value!r} is not one of: {', '.join(allowed)}")
