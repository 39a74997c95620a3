"""What senders may send: the registered organisations (with the sections each shares) and the
legally restricted code lists. Loaded from the store and settings, then passed explicitly."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from carerecord.ingest.exclusions import ExclusionList, load_exclusions
from carerecord.ingest.limits import ResourceLimits
from carerecord.ingest.senders import SenderRules
from carerecord.organisations import Organisation
from carerecord.settings import Settings
from carerecord.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IntakeRules:
    organisations: Mapping[str, Organisation]
    exclusions: ExclusionList
    # Network peers and the organisations each may send as (none: every peer is refused).
    senders: SenderRules = field(default_factory=SenderRules)
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    processing_ids: frozenset[str] = frozenset({"P"})  # MSH-11 values that reach records
    clock_skew: timedelta = timedelta(minutes=5)  # how far ahead a sender's time may be
    clock: Callable[[], datetime] = utc_now  # tests fix it

    def believable_until(self) -> datetime:
        """The latest time a sender may claim now: later is in the future."""
        return self.clock() + self.clock_skew


def processing_ids(setting: str) -> frozenset[str]:
    """CARERECORD_HL7_PROCESSING_IDS ("P,T") as a set of ids."""
    return frozenset(part.strip().upper() for part in setting.split(",") if part.strip())


class RulesSource:
    """Long-running listeners re-read the organisation and sender registries every few seconds,
    so a source registered (or its sections changed, or a sender revoked) takes effect without
    a restart."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        max_age_seconds: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store, self.max_age = store, max_age_seconds
        self.exclusions = load_exclusions(settings.exclusion_sets)
        self.settings, self.clock = settings, clock
        self.limits = ResourceLimits.from_settings(settings)
        self.excerpt_bytes = settings.hl7_quarantine_excerpt_bytes
        self._rules: IntakeRules | None = None
        self._loaded_at = 0.0

    def current(self) -> IntakeRules:
        now = time.monotonic()
        if self._rules is None or now - self._loaded_at > self.max_age:
            organisations = {org.ods_code: org for org in self.store.organisations()}
            senders = SenderRules.of(self.store.senders.all(active_only=True), self.excerpt_bytes)
            self._rules = IntakeRules(
                organisations,
                self.exclusions,
                senders,
                self.limits,
                processing_ids(self.settings.hl7_processing_ids),
                timedelta(minutes=self.settings.clock_skew_minutes),
                self.clock or utc_now,
            )
            self._loaded_at = now
        return self._rules
