"""The privacy officer's alerts and their reviews. Only a signed-in user with the ig-officer
role may use them (anyone else is told nothing exists), from a live organisation on one of its
networks. Every use is written to the audit log: listing and opening alerts, and each review
in the same transaction as the review itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from carerecord.access.actors import User, requester
from carerecord.access.admin_input import InvalidInput
from carerecord.access.gate import address_allowed
from carerecord.access.policy import Circumstances, check_user
from carerecord.access.rules import AccessRules
from carerecord.access.vocabulary import Role
from carerecord.audit.alert_rules import RULE_NAMES, AlertRules
from carerecord.audit.alerts import (
    ACTIONS,
    LOOKBACK,
    REVIEW_OUTCOMES,
    UK,
    Alert,
    Person,
    Review,
    find_alerts,
)
from carerecord.audit.entry import AuditRecord
from carerecord.errors import AccessRefused, UsageError
from carerecord.store import Store
from carerecord.store import audit_alerts as held

DEFAULT_DAYS = 7  # the list's window unless the officer chooses another
MAX_DAYS = 92  # the longest window computed at once
MAX_NOTE = 2000
STATES = ("unreviewed", *REVIEW_OUTCOMES)


class NotIgOfficer(UsageError):
    """The user is not a privacy officer; pages answer as if there were nothing here."""


class UnknownAlert(UsageError):
    """No alert of that rule is anchored on that entry."""


@dataclass(frozen=True)
class AlertView:
    """An alert, whose record it is about, and every review of it, oldest first."""

    alert: Alert
    person: Person | None
    reviews: tuple[Review, ...]

    @property
    def latest(self) -> Review | None:
        return self.reviews[-1] if self.reviews else None

    @property
    def state(self) -> str:
        return self.latest.outcome if self.latest else "unreviewed"


@dataclass(frozen=True)
class Window:
    first: date  # UK local days, both included
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UK)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UK)


class AlertDesk:
    def __init__(
        self,
        store: Store,
        rules: AlertRules,
        access_rules: AccessRules,
        user: User,
        now: datetime,
        client_address: str = "",
    ) -> None:
        self._store = store
        self._rules = rules
        self._user = user
        self._now = now
        self._client_address = client_address
        if user.role is not Role.IG_OFFICER:
            raise NotIgOfficer(f"the {user.role} role does not review alerts")
        refusal = check_user(user, access_rules, self._circumstances(), now)
        if refusal is not None:
            raise AccessRefused(refusal.reason)

    @property
    def rules(self) -> AlertRules:
        return self._rules

    def window(self, first: str = "", last: str = "") -> Window:
        """The days to list, from the form's dates (ISO, UK days); the last DEFAULT_DAYS
        when none are given. InvalidInput names each problem."""
        today = self._now.astimezone(UK).date()
        problems: dict[str, str] = {}
        end = _day(last, "last", problems) or today
        start = _day(first, "first", problems) or end - timedelta(days=DEFAULT_DAYS - 1)
        if not problems and start > end:
            problems["first"] = "The first day must be on or before the last day"
        elif not problems and (end - start).days >= MAX_DAYS:
            problems["first"] = f"Choose at most {MAX_DAYS} days at once"
        if problems:
            raise InvalidInput(problems)
        return Window(start, end)

    def alerts(self, window: Window, rule: str = "", state: str = "") -> list[AlertView]:
        """The window's alerts, unreviewed first, then newest first; only those of one rule
        or one review state when asked. The listing is audited."""
        problems = {}
        if rule and rule not in RULE_NAMES:
            problems["rule"] = "Choose a rule from the list"
        if state and state not in STATES:
            problems["state"] = "Choose a review state from the list"
        if problems:
            raise InvalidInput(problems)
        found = self._computed(window.start, window.end)
        if rule:
            found = [a for a in found if a.rule == rule]
        views = self._viewed(found)
        if state:
            views = [v for v in views if v.state == state]
        views.sort(key=lambda v: v.alert.entry.id, reverse=True)
        views.sort(key=lambda v: v.state != "unreviewed")
        detail = {"first": window.first.isoformat(), "last": window.last.isoformat()}
        self._audit(
            "audit-alerts", None, detail | {"rule": rule, "state": state, "found": len(views)}
        )
        return views

    def alert(self, rule: str, event_id: int) -> AlertView:
        """One alert with its review history; UnknownAlert if there is none. Audited."""
        view = self._one(rule, event_id)
        self._audit(
            "audit-alerts", view.alert.entry.patient_id, {"rule": rule, "event_id": event_id}
        )
        return view

    def review(self, rule: str, event_id: int, outcome: str, note: str) -> AlertView:
        """Records a review (a later one supersedes, the earlier are kept) and its audit entry
        in one transaction; InvalidInput names each problem with the form."""
        view = self._one(rule, event_id)
        problems = {}
        if outcome not in REVIEW_OUTCOMES:
            problems["outcome"] = "Choose whether the access was justified"
        text = note.strip()
        if not text:
            problems["note"] = "Enter a note saying what you found"
        elif len(text) > MAX_NOTE:
            problems["note"] = f"The note must be {MAX_NOTE:,} characters or fewer"
        if problems:
            raise InvalidInput(problems)
        review = Review(rule, event_id, outcome, text, self._user.username, self._now)
        detail = {"rule": rule, "event_id": event_id, "outcome": outcome}
        held.add_review(
            self._store.engine,
            review,
            self._event("alert-review", view.alert.entry.patient_id, detail),
        )
        return AlertView(view.alert, view.person, (*view.reviews, review))

    def _one(self, rule: str, event_id: int) -> AlertView:
        entry = held.entry(self._store.engine, event_id) if rule in RULE_NAMES else None
        if entry is None:
            raise UnknownAlert(f"no {rule} alert on entry {event_id}")
        moment = entry.occurred_at
        found = self._computed(moment, moment + timedelta(microseconds=1))
        match = [a for a in found if a.key == (rule, event_id)]
        if not match:
            raise UnknownAlert(f"no {rule} alert on entry {event_id}")
        return self._viewed(match)[0]

    def _computed(self, start: datetime, end: datetime) -> list[Alert]:
        engine = self._store.engine
        entries = held.entries_between(engine, start - LOOKBACK, end, ACTIONS)
        return find_alerts(entries, self._rules, held.StoredRecordFacts(engine), start, end)

    def _viewed(self, alerts: list[Alert]) -> list[AlertView]:
        engine = self._store.engine
        history: dict[tuple[str, int], list[Review]] = {}
        for review in held.reviews(engine, {a.entry.id for a in alerts}):
            history.setdefault((review.rule, review.event_id), []).append(review)
        facts = held.StoredRecordFacts(engine)
        return [
            AlertView(
                a,
                facts.person(a.entry.patient_id) if a.entry.patient_id else None,
                tuple(history.get(a.key, ())),
            )
            for a in alerts
        ]

    def _circumstances(self) -> Circumstances:
        org = self._store.organisation(self._user.org_ods)
        networks = self._store.accounts.networks(self._user.org_ods)
        return Circumstances(
            org_status=org.status if org else None,
            org_type=org.org_type if org else "unknown",
            network_allowed=address_allowed(self._client_address, networks),
            copi=False,
        )

    def _event(self, action: str, patient_id: str | None, detail: dict[str, object]) -> AuditRecord:
        user = self._user
        org = self._store.organisation(user.org_ods)
        who = requester(user, org, self._client_address)
        return AuditRecord(
            user.username, action, "success", detail, patient_id=patient_id, requester=who
        )

    def _audit(self, action: str, patient_id: str | None, detail: dict[str, object]) -> None:
        self._store.consent.audit(self._event(action, patient_id, detail), self._now)


def _day(value: str, field: str, problems: dict[str, str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:20])
    except ValueError:
        problems[field] = "Enter a real date, for example 2026-10-01"
        return None
