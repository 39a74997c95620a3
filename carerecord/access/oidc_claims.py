"""Who an identity provider says is signing in, read from claims in the shape NHS CIS2 uses.

Pure: the claims (ID token and userinfo together) and the national role map in, an
`ExternalIdentity` or a `SignInRefused` out. A refusal names the claim at fault, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carerecord.access.vocabulary import Role
from carerecord.errors import SignInRefused
from carerecord.organisations import looks_like_ods_code

ROLES_CLAIM = "nhsid_nrbac_roles"
SELECTED_ROLE_CLAIM = "selected_roleid"
LOWEST_ASSURANCE = "AAL1"

# What a provider may send. OpenID Connect caps `sub` at 255 ASCII characters; the rest are
# generous for CIS2's values and small enough that no page, log line or column is strained.
MAX_SUBJECT = 255
MAX_NAME = 200
MAX_CODE = 100  # role ids, role codes, acr values
MAX_ROLES = 200

_NATIONAL_ROLE = re.compile(r"R\d{4}")
_ASSURANCE = re.compile(r"AAL([1-3])(?![0-9])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class ExternalIdentity:
    """A person as an identity provider vouched for them, in the role chosen for this sign-in."""

    issuer: str
    subject: str  # the provider's id for the person: unique only together with the issuer
    name: str
    org_ods: str  # the organisation of the selected role
    role: Role
    national_role: str  # the SDS job role code of the selected role, e.g. R8000
    assurance: str  # authenticator assurance: AAL1 (password) up to AAL3 (smartcard)


def identity_from_claims(
    claims: Mapping[str, Any], issuer: str, role_map: Mapping[str, Role]
) -> ExternalIdentity:
    """The identity the claims describe, or SignInRefused saying which claim cannot be used."""
    subject = _text(claims.get("sub"), "sub", MAX_SUBJECT)
    if not _PRINTABLE_ASCII.fullmatch(subject):
        raise SignInRefused("the user's id (sub) is not plain printable text")
    chosen = _selected_role(claims)
    org_ods = chosen.get("org_code")
    if not isinstance(org_ods, str) or not looks_like_ods_code(org_ods):
        raise SignInRefused("the selected role's organisation (org_code) is not an ODS code")
    national_role = _national_role(chosen.get("role_code"))
    role = role_map.get(national_role)
    if role is None:
        raise SignInRefused("the selected role does not give access to carerecord")
    return ExternalIdentity(
        issuer=issuer,
        subject=subject,
        name=_name(claims),
        org_ods=org_ods,
        role=role,
        national_role=national_role,
        assurance=_assurance(claims.get("acr")),
    )


def _text(value: Any, claim: str, limit: int) -> str:
    if value is None:
        raise SignInRefused(f"the identity provider did not send {claim}")
    if not isinstance(value, str) or not value.strip():
        raise SignInRefused(f"{claim} is not text")
    if len(value) > limit:
        raise SignInRefused(f"{claim} is longer than {limit} characters")
    if _CONTROL.search(value):
        raise SignInRefused(f"{claim} holds control characters")
    return value.strip()


def _name(claims: Mapping[str, Any]) -> str:
    if claims.get("name") is not None:
        return _text(claims["name"], "name", MAX_NAME)
    parts = [
        _text(claims[claim], claim, MAX_NAME)
        for claim in ("given_name", "family_name")
        if claims.get(claim) is not None
    ]
    if not parts:
        raise SignInRefused("the identity provider did not send the user's name")
    if len(name := " ".join(parts)) > MAX_NAME:
        raise SignInRefused(f"the user's name is longer than {MAX_NAME} characters")
    return name


def _selected_role(claims: Mapping[str, Any]) -> Mapping[str, Any]:
    if claims.get(SELECTED_ROLE_CLAIM) is None:
        raise SignInRefused(f"no role was selected at sign-in ({SELECTED_ROLE_CLAIM})")
    selected = _text(claims[SELECTED_ROLE_CLAIM], SELECTED_ROLE_CLAIM, MAX_CODE)
    roles = claims.get(ROLES_CLAIM)
    if roles is None:
        raise SignInRefused(f"the identity provider did not send the user's roles ({ROLES_CLAIM})")
    if not isinstance(roles, list) or not all(isinstance(role, Mapping) for role in roles):
        raise SignInRefused(f"the user's roles ({ROLES_CLAIM}) are not a list of roles")
    if len(roles) > MAX_ROLES:
        raise SignInRefused(f"the user has more than {MAX_ROLES} roles ({ROLES_CLAIM})")
    matching = [role for role in roles if role.get("person_roleid") == selected]
    if not matching:
        raise SignInRefused("the selected role is not one of the user's roles")
    if len(matching) > 1:
        raise SignInRefused("the selected role appears more than once in the user's roles")
    chosen: Mapping[str, Any] = matching[0]
    return chosen


def _national_role(role_code: Any) -> str:
    """The job role part of a CIS2 role code ("S8000:G8000:R8000" → "R8000")."""
    code = _text(role_code, "role_code", MAX_CODE)
    parts = [part for part in code.split(":") if _NATIONAL_ROLE.fullmatch(part)]
    if not parts:
        raise SignInRefused("the selected role has no national job role code (role_code)")
    return parts[-1]


def _assurance(acr: Any) -> str:
    """AAL1 to AAL3 from the acr claim. An absent or unrecognised acr counts as the lowest level:
    carerecord never assumes more assurance than the provider asserted."""
    if acr is None:
        return LOWEST_ASSURANCE
    found = _ASSURANCE.match(_text(acr, "acr", MAX_CODE))
    return f"AAL{found.group(1)}" if found else LOWEST_ASSURANCE
