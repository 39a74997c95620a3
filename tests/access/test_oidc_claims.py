"""From CIS2-shaped claims to an ExternalIdentity, as a table: what is accepted, what is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from carerecord.access.oidc_claims import ExternalIdentity, identity_from_claims
from carerecord.access.vocabulary import Role
from carerecord.errors import SignInRefused
from tests.support.oidc import ROLE_MAP

ISSUER = "https://cis2.example/openam/oauth2/realms/root/realms/oidc"
MISSING = object()


def make_role(
    person_roleid: str = "555254240100",
    org_code: Any = "RAL01",
    role_code: Any = "S8000:G8000:R8000",
    role_name: str = '"Clinical":"Clinical Provision":"Clinical Practitioner Access Role"',
) -> dict[str, Any]:
    return {
        "person_roleid": person_roleid,
        "org_code": org_code,
        "role_name": role_name,
        "role_code": role_code,
        "activity_codes": ["B0168", "B0380"],
    }


def make_claims(**changes: Any) -> dict[str, Any]:
    """A CIS2 user with one clinical role, selected; MISSING drops a claim."""
    claims: dict[str, Any] = {
        "sub": "910000000001",
        "name": "Dr Asha Patel",
        "given_name": "Asha",
        "family_name": "Patel",
        "acr": "AAL3_ANY",
        "nhsid_nrbac_roles": [make_role()],
        "selected_roleid": "555254240100",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not MISSING}


def test_a_clinician_with_a_smartcard() -> None:
    assert identity_from_claims(make_claims(), ISSUER, ROLE_MAP) == ExternalIdentity(
        issuer=ISSUER,
        subject="910000000001",
        name="Dr Asha Patel",
        org_ods="RAL01",
        role=Role.CLINICIAN,
        national_role="R8000",
        assurance="AAL3",
    )


@pytest.mark.parametrize(
    ("national", "role"),
    [
        ("R8000", Role.CLINICIAN),
        ("R8001", Role.CLINICIAN),
        ("R8002", Role.CLINICIAN),
        ("R8003", Role.CLINICIAN),
        ("R8008", Role.CARE_PROFESSIONAL),
        ("R8006", Role.ADMIN_CLERICAL),
        ("R8009", Role.ADMIN_CLERICAL),
        ("R8010", Role.ADMIN_CLERICAL),
        ("R0001", Role.IG_OFFICER),
        ("R5105", Role.IG_OFFICER),
        ("R8012", Role.IG_OFFICER),
        ("R8015", Role.SYSTEM_ADMIN),
    ],
)
def test_each_national_role_maps_to_its_carerecord_role(national: str, role: Role) -> None:
    claims = make_claims(nhsid_nrbac_roles=[make_role(role_code=f"S8000:G8000:{national}")])
    identity = identity_from_claims(claims, ISSUER, ROLE_MAP)
    assert (identity.role, identity.national_role) == (role, national)


ACCEPTED = {
    "the selected one of several roles": (
        make_claims(
            nhsid_nrbac_roles=[
                make_role(person_roleid="1", org_code="F83004", role_code="S8000:G8000:R8010"),
                make_role(person_roleid="2", org_code="RRV", role_code="S8000:G8000:R8001"),
            ],
            selected_roleid="2",
        ),
        {"org_ods": "RRV", "national_role": "R8001", "role": Role.CLINICIAN},
    ),
    "a role code that is only the job role": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code="R8008")]),
        {"national_role": "R8008", "role": Role.CARE_PROFESSIONAL},
    ),
    "the last job role of a role code": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code="S8000:G8000:R8010:R8000")]),
        {"national_role": "R8000"},
    ),
    "no acr: the lowest assurance": (make_claims(acr=MISSING), {"assurance": "AAL1"}),
    "acr for either of two levels: the lower": (
        make_claims(acr="AAL2_OR_AAL3_ANY"),
        {"assurance": "AAL2"},
    ),
    "password acr": (make_claims(acr="AAL1_USERPASS"), {"assurance": "AAL1"}),
    "an acr carerecord does not know: the lowest assurance": (
        make_claims(acr="urn:example:loa:4"),
        {"assurance": "AAL1"},
    ),
    "an acr that only starts like a level: the lowest assurance": (
        make_claims(acr="AAL30"),
        {"assurance": "AAL1"},
    ),
    "no name, given and family names": (make_claims(name=MISSING), {"name": "Asha Patel"}),
    "no name, family name only": (
        make_claims(name=MISSING, given_name=MISSING),
        {"name": "Patel"},
    ),
    "spaces around the name": (make_claims(name="  Dr Asha Patel "), {"name": "Dr Asha Patel"}),
    "extra claims are ignored": (make_claims(nhsid_useruid="910000000001", uid="x"), {}),
}


@pytest.mark.parametrize(("claims", "expected"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted(claims: dict[str, Any], expected: dict[str, Any]) -> None:
    identity = identity_from_claims(claims, ISSUER, ROLE_MAP)
    assert {name: getattr(identity, name) for name in expected} == expected


REFUSED = {
    "no sub": (make_claims(sub=MISSING), "did not send sub"),
    "empty sub": (make_claims(sub=""), "sub is not text"),
    "sub not text": (make_claims(sub=910000000001), "sub is not text"),
    "sub too long": (make_claims(sub="9" * 256), "sub is longer than 255"),
    "sub with spaces inside": (make_claims(sub="910 000"), "not plain printable text"),
    "sub not ASCII": (make_claims(sub="91000000000\u0661"), "not plain printable text"),
    "no name at all": (
        make_claims(name=MISSING, given_name=MISSING, family_name=MISSING),
        "did not send the user's name",
    ),
    "name not text": (make_claims(name=["Asha"]), "name is not text"),
    "name too long": (make_claims(name="A" * 201), "name is longer than 200"),
    "given and family names together too long": (
        make_claims(name=MISSING, given_name="A" * 150, family_name="B" * 150),
        "the user's name is longer than 200",
    ),
    "name with a NUL": (make_claims(name="Asha\x00Patel"), "name holds control characters"),
    "name with a line break": (make_claims(name="Asha\nPatel"), "name holds control"),
    "no selected role": (make_claims(selected_roleid=MISSING), "no role was selected"),
    "selected role not text": (make_claims(selected_roleid=["555254240100"]), "not text"),
    "selected role too long": (make_claims(selected_roleid="5" * 101), "longer than 100"),
    "no roles": (make_claims(nhsid_nrbac_roles=MISSING), "did not send the user's roles"),
    "no roles held": (make_claims(nhsid_nrbac_roles=[]), "not one of the user's roles"),
    "roles not a list": (make_claims(nhsid_nrbac_roles=make_role()), "not a list of roles"),
    "roles a string": (make_claims(nhsid_nrbac_roles="R8000"), "not a list of roles"),
    "a role that is not an object": (
        make_claims(nhsid_nrbac_roles=[make_role(), "R8000"]),
        "not a list of roles",
    ),
    "too many roles": (
        make_claims(nhsid_nrbac_roles=[make_role(person_roleid=str(n)) for n in range(201)]),
        "more than 200 roles",
    ),
    "selected role not held": (make_claims(selected_roleid="999"), "not one of the user's roles"),
    "selected role held twice": (
        make_claims(nhsid_nrbac_roles=[make_role(), make_role(org_code="RRV")]),
        "appears more than once",
    ),
    "unknown national role": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code="S8000:G8000:R8004")]),
        "does not give access to carerecord",
    ),
    "no job role in the role code": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code="S8000:G8000")]),
        "no national job role code",
    ),
    "a job role code of the wrong shape": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code="S8000:G8000:R80001")]),
        "no national job role code",
    ),
    "role code not text": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code=8000)]),
        "role_code is not text",
    ),
    "role code too long": (
        make_claims(nhsid_nrbac_roles=[make_role(role_code="S8000:" * 20 + "R8000")]),
        "role_code is longer than 100",
    ),
    "no org code": (
        make_claims(nhsid_nrbac_roles=[make_role(org_code=None)]),
        "(org_code) is not an ODS code",
    ),
    "org code in lower case": (
        make_claims(nhsid_nrbac_roles=[make_role(org_code="ral01")]),
        "is not an ODS code",
    ),
    "org code with punctuation": (
        make_claims(nhsid_nrbac_roles=[make_role(org_code="RAL-01")]),
        "is not an ODS code",
    ),
    "org code too long": (
        make_claims(nhsid_nrbac_roles=[make_role(org_code="R" * 13)]),
        "is not an ODS code",
    ),
    "org code not text": (
        make_claims(nhsid_nrbac_roles=[make_role(org_code=["RAL01"])]),
        "is not an ODS code",
    ),
    "acr not text": (make_claims(acr=3), "acr is not text"),
    "acr too long": (make_claims(acr="AAL3_" + "X" * 100), "acr is longer than 100"),
}


@pytest.mark.parametrize(("claims", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(SignInRefused, match=re.escape(reason)):
        identity_from_claims(claims, ISSUER, ROLE_MAP)


@pytest.mark.parametrize(("claims", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_a_refusal_never_quotes_a_claim_value(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(SignInRefused) as refused:
        identity_from_claims(claims, ISSUER, ROLE_MAP)
    values = [str(value) for value in claims.values() if len(str(value)) > 3]
    assert [value for value in values if value in str(refused.value)] == []


def test_an_empty_role_map_gives_no_one_access() -> None:
    with pytest.raises(SignInRefused, match="does not give access"):
        identity_from_claims(make_claims(), ISSUER, {})
