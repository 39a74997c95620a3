"""Sign-ins waiting for the OpenID Connect provider's answer, shared by every server process.

Each holds the secrets only carerecord may know (the nonce and the PKCE code verifier) under the
state the browser carries there and back. Taking one deletes it, so an answer is used once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from carerecord.store.schema import oidc_states
from carerecord.store.store import Store


class OidcStates:
    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, state: str, nonce: str, verifier: str, now: datetime) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                oidc_states.insert().values(
                    state=state, nonce=nonce, code_verifier=verifier, created_at=now
                )
            )

    def take(self, state: str, now: datetime, max_age: timedelta) -> tuple[str, str] | None:
        """The (nonce, code verifier) saved under `state` no longer than `max_age` ago, or None.

        The DELETE decides, not a lookup: of two requests answering with the same state at
        once, exactly one gets the row. Sign-ins abandoned long enough ago go at the same time.
        """
        oldest = now - max_age
        taking = (
            delete(oidc_states)
            .where(oidc_states.c.state == state)
            .returning(oidc_states.c.nonce, oidc_states.c.code_verifier, oidc_states.c.created_at)
        )
        with self.store.transaction() as conn:
            row = conn.execute(taking).first()
            conn.execute(delete(oidc_states).where(oidc_states.c.created_at < oldest))
        if row is None or row.created_at < oldest:
            return None
        return row.nonce, row.code_verifier
