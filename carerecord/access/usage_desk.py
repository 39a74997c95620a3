"""The usage figures' desk: who may see how the record is used (a signed-in system
administrator; anyone else is told nothing is here), the figures over a chosen range of months,
and their export. Each look and each export is written to the audit log, with its range.
Nothing here reads clinical data or any patient's identity: only counts from the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carerecord.access.actors import User, requester
from carerecord.access.admin_records import NotAdministrator
from carerecord.access.gate import address_allowed
from carerecord.access.policy import Circumstances, check_user
from carerecord.access.rules import AccessRules
from carerecord.access.vocabulary import Role
from carerecord.audit import usage
from carerecord.audit.entry import AuditRecord
from carerecord.audit.usage import Figure, MonthRange
from carerecord.errors import AccessRefused
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store import usage as counted


class UnknownFigure(usage.InvalidRange):
    """An export of a figure that does not exist."""


@dataclass(frozen=True)
class UsageFigures:
    span: MonthRange
    figures: dict[str, Figure]  # by name, in usage.FIGURES' order
    organisation_names: dict[str, str]  # ODS code to name, for the care homes counted


class UsageDesk:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        user: User,
        now: datetime,
        rules: AccessRules,
        client_address: str = "",
    ) -> None:
        if user.role is not Role.SYSTEM_ADMIN:
            raise NotAdministrator(f"the {user.role} role does not see usage figures")
        self._store = store
        self._user = user
        self._now = now
        self._client_address = client_address
        self.threshold = settings.usage_suppress_below
        org = store.organisation(user.org_ods)
        circumstances = Circumstances(
            org_status=org.status if org else None,
            org_type=org.org_type if org else "unknown",
            network_allowed=address_allowed(client_address, store.accounts.networks(user.org_ods)),
            copi=False,
        )
        refusal = check_user(user, rules, circumstances, now)
        if refusal is not None:
            raise AccessRefused(refusal.reason)

    def span(self, first: str, last: str) -> MonthRange:
        """The months a form asks for; InvalidRange names each field's problem."""
        return usage.choose_range(first, last, self._now)

    def default_span(self) -> MonthRange:
        return usage.default_range(self._now)

    def figures(self, span: MonthRange) -> UsageFigures:
        """Every figure over the range, as the page shows it (not suppressed: see docs/audit.md)."""
        shown = {name: self._figure(name, span) for name in usage.FIGURES}
        homes = {c.dimension for c in shown["care-home-views-by-organisation"].counts}
        names = {o.ods_code: o.name for o in self._store.organisations() if o.ods_code in homes}
        self._audit("usage-view", {"from": span.first.key, "to": span.last.key})
        return UsageFigures(span, shown, names)

    def export(self, name: str, span: MonthRange) -> list[usage.ExportRow]:
        """One figure in long format, values from too few staff left out."""
        if name not in usage.FIGURES:
            raise UnknownFigure({"figure": "Choose one of the figures on this page to download"})
        rows = usage.export_rows(self._figure(name, span), self.threshold)
        detail = {
            "figure": name,
            "from": span.first.key,
            "to": span.last.key,
            "rows": len(rows),
            "suppressed": sum(1 for row in rows if row.suppressed),
        }
        self._audit("usage-export", detail)
        return rows

    def _figure(self, name: str, span: MonthRange) -> Figure:
        engine = self._store.engine
        counts = {
            "active-users-by-org-type": lambda: counted.active_users(engine, span, "org_type"),
            "active-users-by-region": lambda: counted.active_users(engine, span, "region"),
            "views-by-page": lambda: counted.views_by_page(engine, span),
            "care-home-views": lambda: counted.care_home_views(engine, span, False),
            "care-home-views-by-organisation": lambda: counted.care_home_views(engine, span, True),
        }[name]()
        return usage.figure(usage.FIGURES[name], span, counts)

    def _audit(self, action: str, detail: dict[str, object]) -> None:
        user = self._user
        who = requester(user, self._store.organisation(user.org_ods), self._client_address)
        record = AuditRecord(user.username, action, "success", detail, requester=who)
        self._store.consent.audit(record, self._now)
