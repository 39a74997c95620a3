"""Each source's Patient resource, the support network, and a recorded objection.

Restricted patients carry ``meta.security`` code ``R`` (restricted) from
``http://terminology.hl7.org/CodeSystem/v3-Confidentiality`` at every source.

An objection to sharing is recorded by the GP as a ``Consent`` resource: ``status`` active,
``scope`` patient-privacy, ``category`` LOINC 59284-0 plus SNOMED 416308001 (refused consent
for upload to national shared electronic record), ``policyRule`` v3 ActCode ``OPTOUT`` and
``provision.type = deny`` from the date the person objected.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from carerecord.nhs_number import SYSTEM as NHS_NUMBER_SYSTEM
from carerecord.synth.codes import (
    CONFIDENTIALITY,
    CONSENT_CATEGORY,
    OBJECTION_CODE,
    sct,
)
from carerecord.synth.people import Person
from carerecord.synth.source import Source, identifier_system, org_reference
from carerecord.synth.story import Story, at

_RELATIONS: tuple[tuple[str, str], ...] = (
    ("SPS", "spouse"),
    ("DAU", "natural daughter"),
    ("SON", "natural son"),
    ("SIS", "sister"),
    ("FRND", "unrelated friend"),
    ("NBOR", "neighbor"),
)
_RELATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


def patient(source: Source, story: Story) -> dict[str, Any]:
    person = story.person
    identifiers = [{"system": identifier_system(source.org), "value": source.local_id}]
    if story.nhs_number_missing_at != source.ods:
        identifiers.insert(0, {"system": NHS_NUMBER_SYSTEM, "value": person.nhs_number})
    content: dict[str, Any] = {
        "id": source.local_id,
        "identifier": identifiers,
        "active": True,
        "name": [_name(person)],
        "telecom": _telecom(person),
        "gender": person.gender,
        "birthDate": person.birth_date.isoformat(),
        "address": [
            {
                "use": "home",
                "line": list(person.address.line),
                "city": person.address.city,
                "postalCode": person.address.postcode,
            }
        ],
        "generalPractitioner": [org_reference(story.gp)],
    }
    if story.died is not None:
        content["deceasedDateTime"] = story.died.isoformat()
    resource = source.add("Patient", at(story.end, 8), **content)
    if story.restricted:
        resource["meta"]["security"] = [
            {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
        ]
    return resource


def _name(person: Person) -> dict[str, Any]:
    name: dict[str, Any] = {"use": "official", "family": person.family, "given": [person.given]}
    if person.prefix:
        name["prefix"] = [person.prefix]
    return name


def _telecom(person: Person) -> list[dict[str, Any]]:
    telecom = [{"system": "phone", "value": person.phone, "use": "mobile"}]
    if person.email:
        telecom.append({"system": "email", "value": person.email, "use": "home"})
    return telecom


def related_person(rng: random.Random, source: Source, story: Story) -> dict[str, Any]:
    """Next of kin: the person to contact, with their relationship."""
    code, display = rng.choice(_RELATIONS)
    given = rng.choice(("Anne", "John", "Grace", "Samuel", "Fatima", "Ravi", "Maria", "Kofi"))
    return source.add(
        "RelatedPerson",
        at(story.end - timedelta(days=90), 10),
        active=True,
        patient=source.patient(),
        relationship=[
            {"coding": [{"system": _RELATION_SYSTEM, "code": code, "display": display}]},
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                        "code": "N",
                        "display": "Next-of-Kin",
                    }
                ]
            },
        ],
        name=[
            {
                "family": story.person.family if code in ("SPS", "DAU", "SON", "SIS") else "Morgan",
                "given": [given],
            }
        ],
        telecom=[
            {
                "system": "phone",
                "value": f"07{rng.randrange(100, 999)} {rng.randrange(100_000, 999_999)}",
                "use": "mobile",
            }
        ],
    )


def objection(rng: random.Random, source: Source, story: Story) -> dict[str, Any]:
    when = at(story.end - timedelta(days=rng.randrange(30, 1500)), 11)
    return source.add(
        "Consent",
        when,
        status="active",
        scope={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                    "display": "Privacy Consent",
                }
            ]
        },
        category=[
            CONSENT_CATEGORY.concept(),
            sct(
                OBJECTION_CODE, "Refused consent for upload to national shared electronic record"
            ).concept(),
        ],
        patient=source.patient(),
        dateTime=when.isoformat(),
        organization=[source.me()],
        policyRule={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "OPTOUT",
                    "display": "opt-out",
                }
            ]
        },
        provision={"type": "deny", "period": {"start": when.date().isoformat()}},
    )
