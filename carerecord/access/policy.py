"""The one decision about what a user may see of a person. Pure: no I/O, tested as a table.

Every door (pages now; the FHIR API and launch from an EPR later) asks here, with what the gate
has gathered, before any clinical data is read. Deny by default: the grant names what may be
shown, and anything it does not name is simply absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from carerecord.access.actors import Actor, User
from carerecord.access.relationships import strongest
from carerecord.access.rules import AccessRules
from carerecord.access.vocabulary import (
    Gate,
    Level,
    OverrideKind,
    Purpose,
    Redaction,
    RelationshipKind,
    Section,
)

OPEN_STATUSES = frozenset({"live", "pilot"})
RESTRICTED = frozenset(Redaction)
NO_SECTIONS = frozenset[Section]()


@dataclass(frozen=True)
class Circumstances:
    """About the user and this request, whoever the person is."""

    org_status: str | None  # None when the user's organisation is not registered
    org_type: str
    network_allowed: bool
    copi: bool  # a national-emergency period is in force


@dataclass(frozen=True)
class PatientFacts:
    """What the record holds about this person's relation to this user."""

    restricted: bool
    relationships: frozenset[RelationshipKind]
    objection: bool  # an objection is in force
    override: OverrideKind | None = None  # one the user invoked in this session
    declared: tuple[datetime, datetime] | None = None  # the user's declaration: made, lapses


@dataclass(frozen=True)
class Grant:
    """What may be shown, and why."""

    level: Level
    reason: str
    sections: frozenset[Section] = NO_SECTIONS
    only_types: Mapping[Section, frozenset[str]] = field(default_factory=dict)
    redactions: frozenset[Redaction] = frozenset()
    refused: Gate | None = None  # a check about the user failed: say so in plain words
    relationship: RelationshipKind | None = None
    override: OverrideKind | None = None
    objection: bool = False  # an objection is recorded (set aside, or keeping sections back)
    copi: bool = False  # a national-emergency period is in force
    may_declare: bool = False  # no relationship: the user may declare one
    may_override: frozenset[OverrideKind] = frozenset()
    flagged: bool = False  # for the privacy officer's review
    declared: tuple[datetime, datetime] | None = None  # a declared relationship: made, lapses

    @property
    def found(self) -> bool:
        return self.level is not Level.NOT_FOUND

    @property
    def allowed(self) -> bool:
        return self.level is Level.SECTIONS and bool(self.sections)

    def shows(self, section: str) -> bool:
        return self.level is Level.SECTIONS and section in self.sections


SYSTEM_GRANT = Grant(Level.SECTIONS, "the system itself", frozenset(Section))


def decide(
    actor: Actor | User,
    rules: AccessRules,
    circumstances: Circumstances | None,
    facts: PatientFacts | None,
    purpose: Purpose,
    now: datetime,
) -> Grant:
    """`facts` is None when no such person is held."""
    if isinstance(actor, Actor):
        if not actor.is_system:
            return Grant(Level.NOT_FOUND, f"unknown kind of actor {actor.kind!r}")
        return SYSTEM_GRANT if facts is not None else Grant(Level.NOT_FOUND, "no such person")
    refusal = check_user(actor, rules, circumstances, now)
    if refusal is not None:
        return refusal
    role = rules.for_role(actor.role)
    if not role.records:
        return Grant(Level.NOT_FOUND, f"the {actor.role} role does not open records")
    if facts is None:
        return Grant(Level.NOT_FOUND, "no such person")
    assert circumstances is not None  # check_user() refuses without them
    redactions = RESTRICTED if facts.restricted else frozenset()
    if purpose is Purpose.FIND:
        return Grant(Level.BANNER, "search: who the person is", redactions=redactions)
    override = facts.override if facts.override in role.overrides else None
    relationship = strongest(facts.relationships)
    copi_applies = facts.objection and circumstances.copi and override is None
    base = Grant(
        Level.BANNER,
        "an objection is in force; no override",
        redactions=redactions,
        objection=facts.objection,
        copi=circumstances.copi,
        may_override=role.overrides,
    )
    if facts.objection and override is None and not circumstances.copi:
        return base
    if relationship is None and override is None:
        return replace(base, reason="no legitimate relationship held or declared", may_declare=True)
    if override is not None:
        why = f"override: {override}"
    else:
        why = f"relationship: {relationship}"
        why += "; objection set aside during a national emergency" if copi_applies else ""
    return replace(
        base,
        level=Level.SECTIONS,
        reason=why,
        sections=role.sections,
        only_types=role.only_types,
        relationship=relationship,
        override=OverrideKind.COPI if copi_applies else override,
        flagged=override is not None or relationship is RelationshipKind.SELF_DECLARED,
        declared=facts.declared if relationship is RelationshipKind.SELF_DECLARED else None,
    )


def check_user(
    user: User, rules: AccessRules, circumstances: Circumstances | None, now: datetime
) -> Grant | None:
    """The checks about the user and the request, each refusal in plain words."""
    if circumstances is None or circumstances.org_status is None:
        return _refused(Gate.ORGANISATION_STATUS, "your organisation is not registered")
    if circumstances.org_status not in OPEN_STATUSES:
        return _refused(
            Gate.ORGANISATION_STATUS,
            f"your organisation is {circumstances.org_status}, not yet live in the rollout",
        )
    if not circumstances.network_allowed:
        return _refused(
            Gate.NETWORK, "this device is not on a network registered for your organisation"
        )
    if rules.for_role(user.role).records:
        trained = user.trained_at
        if trained is None:
            return _refused(Gate.TRAINING, "no access-rules training is recorded for you")
        if now - trained > rules.training:
            return _refused(Gate.TRAINING, "your access-rules training has expired")
    return None


def _refused(which: Gate, reason: str) -> Grant:
    return Grant(Level.NOT_FOUND, reason, refused=which)
