"""The synthetic organisations that share into the record: every type in every region.

Names and ODS codes are invented for the synthetic dataset (they follow the shape of real
codes: GP practices a letter and five digits, trusts three characters, care homes ``VM``
and three characters). London Ambulance Service is the one real name, kept with its own
code, because London has one ambulance service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from carerecord.fhir.sections import SECTIONS
from carerecord.organisations import NATIONAL, ORG_TYPES, REGIONS

TYPES: tuple[str, ...] = tuple(t for t in ORG_TYPES if t != NATIONAL)  # providers, regionally

# What each type of organisation shares; it writes data only for these sections.
_SECTIONS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "gp": tuple(s for s in SECTIONS if s != "community"),
    "acute": (
        "demographics",
        "alerts",
        "allergies",
        "medications",
        "problems",
        "results",
        "encounters",
        "documents",
        "referrals",
    ),
    "mental-health": (
        "demographics",
        "alerts",
        "medications",
        "problems",
        "encounters",
        "documents",
        "care-plans",
        "care-team",
        "community",
    ),
    "community": (
        "demographics",
        "encounters",
        "documents",
        "referrals",
        "care-plans",
        "care-team",
        "community",
    ),
    "social-care": ("demographics", "alerts", "documents", "care-plans", "care-team", "community"),
    "ambulance": ("demographics", "encounters", "documents"),
    "111": ("demographics", "encounters", "documents"),
    "care-home": ("demographics", "alerts", "medications", "care-plans", "care-team", "community"),
}

# Per region: (GP practice prefix letter, trust code stem, place name used in names).
_REGION_SHAPE: dict[str, tuple[str, str, str]] = {
    "North Central London": ("F", "RK", "Camden and Haringey"),
    "North East London": ("F", "RQ", "Hackney and Newham"),
    "North West London": ("E", "RY", "Ealing and Brent"),
    "South East London": ("G", "RJ", "Lambeth and Lewisham"),
    "South West London": ("H", "RV", "Wandsworth and Merton"),
    "Hertfordshire and West Essex": ("E", "RW", "Hertfordshire and West Essex"),
    "Milton Keynes": ("K", "RD", "Milton Keynes"),
}

_PRACTICE_NAMES: tuple[str, ...] = (
    "Canal Side Medical Centre",
    "Parkview Surgery",
    "The Elms Health Centre",
    "Riverside Group Practice",
)
_CARE_HOME_NAMES: tuple[str, ...] = (
    "Willow Court Care Home",
    "Beechwood House Nursing Home",
    "Cedar Lodge Residential Home",
    "Rosemary Gardens Care Home",
    "Oakfield Manor Nursing Home",
    "Lavender Hill Care Home",
    "Brookside Residential Home",
)


@dataclass(frozen=True)
class SynthOrganisation:
    ods_code: str
    name: str
    type: str
    region: str
    status: str
    sections: tuple[str, ...]

    @property
    def holds_data(self) -> bool:
        """Onboarding organisations are registered but do not yet send anything."""
        return self.status != "onboarding"


def organisations(seed: int = 1) -> list[SynthOrganisation]:
    """Every synthetic organisation, in a stable order; the seed only moves a few statuses."""
    rng = random.Random(f"organisations:{seed}")
    found: list[SynthOrganisation] = []
    for number, region in enumerate(REGIONS):
        found.extend(_regional(region, number, rng))
    found.append(
        _make("RRU", "London Ambulance Service NHS Trust", "ambulance", REGIONS[0], "live")
    )
    found.append(_make("NL111", "London NHS 111 Integrated Urgent Care", "111", REGIONS[1], "live"))
    return found


def _regional(region: str, number: int, rng: random.Random) -> list[SynthOrganisation]:
    letter, stem, place = _REGION_SHAPE[region]
    practices = [
        _make(
            f"{letter}{84 + number:02d}{101 + 37 * i:03d}",
            _PRACTICE_NAMES[i],
            "gp",
            region,
            # the fourth practice in each region is still joining, or piloting
            "live" if i < 3 else rng.choice(("onboarding", "pilot")),
        )
        for i in range(len(_PRACTICE_NAMES))
    ]
    care_home = _CARE_HOME_NAMES[number % len(_CARE_HOME_NAMES)]
    return [
        *practices,
        _make(
            f"{stem}{number + 1}",
            f"{place} University Hospitals NHS Trust",
            "acute",
            region,
            "live",
        ),
        _make(
            f"{stem}X",
            f"{place} Mental Health NHS Foundation Trust",
            "mental-health",
            region,
            "live",
        ),
        _make(
            f"{stem}C",
            f"{place} Community Health Services",
            "community",
            region,
            rng.choice(("live", "live", "pilot")),
        ),
        _make(
            f"{700 + number * 11}",
            f"{place} Council Adult and Children's Social Care",
            "social-care",
            region,
            "live",
        ),
        _make(f"VM2{chr(65 + number)}{number + 3}", care_home, "care-home", region, "live"),
    ]


def _make(ods: str, name: str, kind: str, region: str, status: str) -> SynthOrganisation:
    return SynthOrganisation(ods, name, kind, region, status, _SECTIONS_BY_TYPE[kind])


def as_json(organisation: SynthOrganisation) -> dict[str, object]:
    return {
        "ods_code": organisation.ods_code,
        "name": organisation.name,
        "type": organisation.type,
        "region": organisation.region,
        "status": organisation.status,
        "sections": list(organisation.sections),
    }
