"""The access registry holds organisations, networks and COPI periods for a few seconds, on
SQLite and PostgreSQL. Only the clock is the test's own: the store is real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from carerecord.access.registry import AccessRegistry
from carerecord.audit.entry import AuditRecord
from carerecord.store import Store
from tests.factories import make_org, register

EVENT = AuditRecord("tests", "declare-copi", "success", {})


@dataclass
class Ticks:
    seconds: float = 0.0

    def __call__(self) -> float:
        return self.seconds


def test_a_change_is_seen_once_the_held_copy_is_older_than_its_limit(store: Store) -> None:
    register(store, make_org("F83004", "gp"))
    store.accounts.set_networks("F83004", ["10.0.0.0/8"])
    ticks = Ticks()
    registry = AccessRegistry(store, max_age_seconds=5, clock=ticks)
    assert registry.networks("F83004") == ("10.0.0.0/8",)

    store.accounts.set_networks("F83004", ["192.168.0.0/16"])
    register(store, make_org("F83004", "gp", status="onboarding"))
    ticks.seconds = 5
    held = (registry.networks("F83004"), registry.organisation("F83004"))
    ticks.seconds = 5.1
    fresh = (registry.networks("F83004"), registry.organisation("F83004"))

    assert held[0] == ("10.0.0.0/8",)
    assert fresh[0] == ("192.168.0.0/16",)
    assert fresh[1] is not None and fresh[1].status == "onboarding"


def test_each_organisation_is_held_on_its_own(store: Store) -> None:
    register(store, make_org("F83004", "gp"), make_org("RAL01", "acute"))
    registry = AccessRegistry(store, clock=Ticks())

    gp, hospital = registry.organisation("F83004"), registry.organisation("RAL01")

    assert (gp and gp.org_type, hospital and hospital.org_type) == ("gp", "acute")
    assert registry.organisation("NOPE") is None


def test_a_national_emergency_period_is_in_force_only_between_its_times(store: Store) -> None:
    now = datetime.now(UTC)
    registry = AccessRegistry(store, max_age_seconds=0)  # read afresh every time
    assert registry.copi_in_force(now) is False

    period = store.consent.declare_copi(now, now + timedelta(days=7), "test", "ops", now, EVENT)

    assert registry.copi_in_force(now) is True
    assert registry.copi_in_force(now + timedelta(days=7)) is False
    assert registry.copi_in_force(now - timedelta(seconds=1)) is False
    assert store.consent.cancel_copi(period, now, EVENT)
    assert registry.copi_in_force(now) is False
