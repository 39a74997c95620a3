"""What the access decision reads about the world rather than about one person: each
organisation's registry entry and allowed networks, and the national-emergency (COPI) periods.
Every record page needs them and they change rarely, so a long-running server holds them for a
few seconds instead of reading them on every request (as carerecord.ingest.rules does for the
intake rules). A change (an organisation's rollout status, a network added, a period declared)
takes effect within `max_age_seconds`; zero reads them every time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from carerecord.organisations import Organisation
from carerecord.store import Store
from carerecord.store.account_records import CopiPeriod

MAX_AGE_SECONDS = 5.0
T = TypeVar("T")


class AccessRegistry:
    def __init__(
        self,
        store: Store,
        max_age_seconds: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._max_age = max_age_seconds
        self._clock = clock
        # (what, ODS code) -> (when read, value); a race only means reading twice
        self._held: dict[tuple[str, str], tuple[float, object]] = {}

    def organisation(self, ods_code: str) -> Organisation | None:
        return self._read("organisation", ods_code, lambda: self._store.organisation(ods_code))

    def networks(self, ods_code: str) -> tuple[str, ...]:
        return self._read(
            "networks", ods_code, lambda: tuple(self._store.accounts.networks(ods_code))
        )

    def copi_in_force(self, now: datetime) -> bool:
        periods = self._read("copi", "", lambda: tuple(self._store.consent.copi_periods()))
        return any(_in_force(period, now) for period in periods)

    def _read(self, what: str, key: str, load: Callable[[], T]) -> T:
        if self._max_age <= 0:
            return load()
        started = self._clock()
        held = self._held.get((what, key))
        if held is not None and started - held[0] <= self._max_age:
            return held[1]  # type: ignore[return-value]
        value = load()
        self._held[(what, key)] = (started, value)
        return value


def _in_force(period: CopiPeriod, now: datetime) -> bool:
    return period.cancelled_at is None and period.starts_at <= now < period.ends_at
