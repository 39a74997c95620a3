"""Who is asking for data: the system itself (ingest, the CLI) or a signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carerecord.access.vocabulary import Role
from carerecord.audit.entry import Requester
from carerecord.organisations import Organisation


@dataclass(frozen=True)
class Actor:
    """The system: ingest and operator commands, which see everything they process."""

    kind: str
    id: str

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


SYSTEM = Actor(kind="system", id="system")


@dataclass(frozen=True)
class User:
    """A person signed in, as their session says: the only kind of actor pages serve."""

    id: int
    username: str
    name: str
    org_ods: str
    role: Role
    trained_at: datetime | None
    assurance: str  # AAL1 password, AAL2 password and one-time code, AAL3 smartcard
    session_hash: str  # the session's key (never the cookie's token itself)
    csrf_token: str
    stepped_up_at: datetime | None  # the last fresh second-factor check in this session

    @property
    def kind(self) -> str:
        return "user"


def requester(
    user: User,
    organisation: Organisation | None,
    client_address: str = "",
    user_agent: str = "",
    request_id: str = "",
) -> Requester:
    """The user as the audit log records them: who, in which organisation (its type and region
    as they are now), how they signed in, and where the request came from."""
    return Requester(
        user_id=user.id,
        username=user.username,
        name=user.name,
        role=user.role.value,
        organisation=user.org_ods,
        org_type=organisation.org_type if organisation else "unknown",
        region=organisation.region if organisation else "unknown",
        assurance=user.assurance,
        client_address=client_address,
        user_agent=user_agent,
        request_id=request_id,
    )
