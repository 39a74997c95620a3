"""One database holding a person, a user and their relation for every row of the permission
matrix, set up the way the real system gets them: organisations in the registry, clinical data
through the ingest pipeline, users and sessions in the account store, declarations, overrides,
objections and a national-emergency period through the consent store.

Rows differ by user and by person (see permission_people.py), so one database serves every
row, and no row's outcome depends on another's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from carerecord.access.actors import SYSTEM
from carerecord.access.gate import RecordAccess
from carerecord.access.rules import AccessRules, load_rules
from carerecord.access.sign_in import token_hash
from carerecord.access.vocabulary import Role
from carerecord.audit.entry import AuditRecord
from carerecord.ingest.pipeline import ingest_paths
from carerecord.store import Store
from carerecord.store.account_records import NewObjection
from carerecord.store.records import Organisation
from tests.factories import make_org, register, write_ndjson
from tests.support.staff import add_staff, session_for
from tests.web.permission_people import HOSPITAL, NOW, PRACTICE, Person, person, resources

COPI_NOW = NOW + timedelta(hours=6)  # inside the one national-emergency period
COPI_PERIOD = (COPI_NOW - timedelta(hours=2), COPI_NOW + timedelta(hours=2))
_KINDS = {
    "registered-gp": ("gp", "RG", "Rowan Practice"),
    "care-home-resident": ("care-home", "RC", "Rowan Care Home"),
}
_STATUS_CODES = {"live": "LIVE", "pilot": "PILOT", "onboarding": "ONB"}


@dataclass(frozen=True)
class Row:
    """One row of the matrix, set up: who asks, about whom, and how to ask as them."""

    combination: Mapping[str, str]
    person: Person
    username: str
    org: Organisation  # the user's
    patient_id: str
    letter_id: int  # the person's documents: a text letter and a scanned PDF
    scan_id: int
    session_token: str
    now: datetime  # when the user asks: within the national emergency, or not

    @property
    def restricted(self) -> bool:
        return self.combination["restricted"] == "yes"

    def practice(self) -> Organisation:
        """The person's registered GP practice."""
        return self.org if self.combination["relationship"] == "registered-gp" else PRACTICE


def organisation_for(combination: Mapping[str, str]) -> Organisation:
    """The user's organisation: a GP practice for a registered person, a care home for a
    resident, else a community service; in the row's rollout status."""
    kind, prefix, name = _KINDS.get(
        combination["relationship"], ("community", "RN", "Rowan Community Service")
    )
    status = combination["status"]
    return make_org(prefix + _STATUS_CODES[status], kind, name=f"{name} {status}", status=status)


def build(store: Store, folder: Path, combinations: Sequence[Mapping[str, str]]) -> list[Row]:
    """Seeds every row; returns them in the order given."""
    orgs = {organisation_for(c).ods_code: organisation_for(c) for c in combinations}
    register(store, HOSPITAL, PRACTICE, *orgs.values())
    people = [person(n, c["relationship"]) for n, c in enumerate(combinations, start=1)]
    shared = [
        resource
        for who, c in zip(people, combinations, strict=True)
        for resource in resources(
            who, organisation_for(c), c["relationship"], c["restricted"] == "yes"
        )
    ]
    ingest_paths(store, [write_ndjson(folder / "matrix.ndjson", *shared)])
    store.consent.declare_copi(
        *COPI_PERIOD, "national emergency", "tests", NOW, AuditRecord("tests", "copi", "ok", {})
    )
    reader = RecordAccess(store, SYSTEM, load_rules(), NOW)
    return [_row(store, reader, who, c) for who, c in zip(people, combinations, strict=True)]


def _row(store: Store, reader: RecordAccess, who: Person, combination: Mapping[str, str]) -> Row:
    patient_id = store.patient_id_for_nhs_number(who.nhs_number)
    assert patient_id is not None, f"row {who.n}: the person was not stored"
    documents = reader.view(patient_id, ["documents"]).sections["documents"].items
    by_kind = {item.resource["type"]["text"].split("-")[1]: item.id for item in documents}
    org = organisation_for(combination)
    username = f"row-{who.n:05d}"
    now = COPI_NOW if combination["override"] == "copi" else NOW
    token = _user(store, username, org, combination, now)
    _consent(store, username, patient_id, token, combination, now)
    return Row(
        combination,
        who,
        username,
        org,
        patient_id,
        by_kind["documents"],
        by_kind["scan"],
        token,
        now,
    )


def visible_markers(row: Row, rules: AccessRules, shown: bool) -> set[str]:
    """The markers of the sections (and resource types) the row's user may see."""
    if not shown:
        return set()
    role = rules.for_role(Role(row.combination["role"]))
    return {
        m.text
        for m in row.person.markers
        if m.section in role.sections
        and m.resource_type in role.only_types.get(m.section, {m.resource_type})  # type: ignore[call-overload]
    }


# -- The user and what the record holds about their access -----------------------------------

_TRAINED = {"current": timedelta(days=30), "expired": timedelta(days=400)}


def _user(
    store: Store, username: str, org: Organisation, combination: Mapping[str, str], now: datetime
) -> str:
    age = _TRAINED.get(combination["training"])
    trained_at = NOW - age if age is not None else None
    add_staff(store, username, org.ods_code, combination["role"], trained_at, NOW)
    token, _ = session_for(store, username, now)
    return token


def _consent(
    store: Store,
    username: str,
    patient_id: str,
    token: str,
    combination: Mapping[str, str],
    now: datetime,
) -> None:
    account = store.accounts.user_by_name(username)
    assert account is not None
    event = AuditRecord(username, "declare", "success", {}, patient_id)
    relationship, override = combination["relationship"], combination["override"]
    if relationship in ("self-declared", "lapsed-self-declared"):
        starts = NOW - timedelta(hours=1 if relationship == "self-declared" else 72)
        ends = starts + timedelta(hours=24)
        reason = "test: unplanned care"
        store.consent.declare(
            account.id,
            patient_id,
            "relationship",
            "unplanned-care",
            reason,
            starts,
            ends,
            None,
            event,
        )
    if override in ("emergency", "safeguarding"):
        store.consent.declare(
            account.id,
            patient_id,
            "override",
            override,
            "test: override",
            now,
            now + timedelta(minutes=60),
            token_hash(token),
            event,
        )
    if combination["objection"] in ("active", "withdrawn"):
        objection = NewObjection(patient_id, "tests", "the person asked not to share")
        store.consent.add_objection(objection, NOW - timedelta(days=5), event)
    if combination["objection"] == "withdrawn":
        held = store.consent.objections(patient_id)[0]
        store.consent.withdraw_objection(held.id, "tests", "changed their mind", NOW, event)
