"""The one decision about what an actor may see of a patient. Pure: no I/O, tested as a table."""

from __future__ import annotations

from dataclasses import dataclass

from carerecord.access.actors import Actor
from carerecord.fhir.sections import SECTIONS


@dataclass(frozen=True)
class Grant:
    """What may be read, and why. An empty grant means the patient is not found."""

    sections: frozenset[str]
    reason: str

    @property
    def allowed(self) -> bool:
        return bool(self.sections)


NOTHING = frozenset[str]()


def decide(actor: Actor, purpose: str) -> Grant:
    """Every door asks here before any clinical data is loaded.

    Sign-in, roles, legitimate relationships and objections do not exist yet, so no rule can
    restrict anyone: the reason says exactly that, so nobody mistakes it for a checked grant.
    """
    if actor.kind not in ("system", "anonymous"):
        return Grant(NOTHING, f"unknown kind of actor {actor.kind!r}")
    return Grant(
        frozenset(SECTIONS),
        f"{purpose}: no access rules exist yet (no sign-in, roles or objections), all sections",
    )
