"""Who is asking for data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # "system" for ingest and the CLI; "anonymous" until sign-in exists
    id: str

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


SYSTEM = Actor(kind="system", id="system")

# The web pages have no sign-in yet: everyone using them is this actor, named honestly.
ANONYMOUS = Actor(kind="anonymous", id="anonymous")
