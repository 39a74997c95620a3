"""Which Consents are opt-outs from sharing, and whether they are in force: a table."""

from __future__ import annotations

from typing import Any

import pytest

from carerecord.fhir.consent import OptOut, opt_out

PRIVACY = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}
    ]
}
TREATMENT = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment"}
    ]
}
REFUSED_UPLOAD = {"coding": [{"system": "http://snomed.info/sct", "code": "416308001"}]}
OPTOUT_RULE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]
}


def consent(**fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": PRIVACY,
        "patient": {"reference": "Patient/p1"},
        "provision": {"type": "deny"},
        **fields,
    }


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (consent(), OptOut.IN_FORCE),
        (consent(status="inactive"), OptOut.LIFTED),
        (consent(status="rejected"), OptOut.LIFTED),
        (consent(status="entered-in-error"), OptOut.LIFTED),
        (consent(provision={"type": "permit"}), OptOut.LIFTED),
        (consent(status="draft"), None),
        (consent(status="proposed"), None),
        (consent(status=None), None),
        (consent(provision=None), None),
        (consent(provision={"type": "nonsense"}), None),
        # a permit that denies part of the record denies it all: the safer reading
        (consent(provision={"type": "permit", "provision": [{"type": "deny"}]}), OptOut.IN_FORCE),
        # about sharing by its category or policy rule, whatever the scope says
        (consent(scope=TREATMENT), None),
        (consent(scope=TREATMENT, category=[REFUSED_UPLOAD]), OptOut.IN_FORCE),
        (consent(scope=None, policyRule=OPTOUT_RULE), OptOut.IN_FORCE),
        (consent(scope="patient-privacy"), None),  # not a CodeableConcept
        (consent(patient=None), None),
        (consent(patient="Patient/p1"), None),
        ({**consent(), "resourceType": "Condition"}, None),
    ],
)
def test_opt_out(resource: dict[str, Any], expected: OptOut | None) -> None:
    assert opt_out(resource) is expected


def test_deeply_nested_provisions_are_read_only_so_far() -> None:
    provision: dict[str, Any] = {"type": "deny"}
    for _ in range(50):
        provision = {"type": "permit", "provision": [provision]}

    assert opt_out(consent(provision=provision)) is OptOut.LIFTED
