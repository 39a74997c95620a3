"""Pending OpenID Connect sign-ins: each answer is taken once, and only while fresh."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from carerecord.store import Store
from carerecord.store.oidc_states import OidcStates
from carerecord.store.schema import oidc_states

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MAX_AGE = timedelta(minutes=10)


def test_a_saved_sign_in_is_taken_once(store: Store) -> None:
    pending = OidcStates(store)
    pending.save("state-1", "nonce-1", "verifier-1", NOW)

    assert pending.take("state-1", NOW + timedelta(minutes=1), MAX_AGE) == ("nonce-1", "verifier-1")
    assert pending.take("state-1", NOW + timedelta(minutes=1), MAX_AGE) is None


def test_an_unknown_state_is_nothing(store: Store) -> None:
    OidcStates(store).save("state-1", "nonce-1", "verifier-1", NOW)

    assert OidcStates(store).take("state-2", NOW, MAX_AGE) is None
    assert OidcStates(store).take("state-1", NOW, MAX_AGE) == ("nonce-1", "verifier-1")


def test_a_sign_in_older_than_max_age_is_refused_and_gone(store: Store) -> None:
    pending = OidcStates(store)
    pending.save("state-1", "nonce-1", "verifier-1", NOW)

    assert pending.take("state-1", NOW + MAX_AGE + timedelta(seconds=1), MAX_AGE) is None
    assert _rows(store) == 0


def test_exactly_max_age_is_still_fresh(store: Store) -> None:
    pending = OidcStates(store)
    pending.save("state-1", "nonce-1", "verifier-1", NOW)

    assert pending.take("state-1", NOW + MAX_AGE, MAX_AGE) == ("nonce-1", "verifier-1")


def test_taking_one_clears_the_abandoned(store: Store) -> None:
    pending = OidcStates(store)
    pending.save("abandoned", "n", "v", NOW - timedelta(hours=1))
    pending.save("waiting", "n", "v", NOW - timedelta(minutes=5))
    pending.save("answered", "n", "v", NOW)

    pending.take("answered", NOW, MAX_AGE)

    with store.engine.connect() as conn:
        assert conn.execute(select(oidc_states.c.state)).scalars().all() == ["waiting"]


def test_full_width_values_are_kept_whole(store: Store) -> None:
    state, nonce, verifier = "s" * 100, "n" * 100, "v" * 200
    OidcStates(store).save(state, nonce, verifier, NOW)

    assert OidcStates(store).take(state, NOW, MAX_AGE) == (nonce, verifier)


def test_of_two_answers_racing_with_one_state_exactly_one_wins(store: Store) -> None:
    pending = OidcStates(store)
    for n in range(20):
        pending.save(f"state-{n}", "nonce", "verifier", NOW)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda state: pending.take(state, NOW, MAX_AGE),
                [f"state-{n}" for n in range(20) for _ in range(2)],
            )
        )

    assert sum(result is not None for result in results) == 20
    assert _rows(store) == 0


def _rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(oidc_states)).scalar_one())
