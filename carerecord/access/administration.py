"""Administration: accounts, organisations' rollout status and networks, national-emergency
periods. Who may administer is decided here: an operator at the server's own terminal, or a
signed-in user with the system-admin role (anyone else is told nothing exists). Every change is
written to the audit log. Nothing here reads clinical data."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from carerecord.access import admin_input as check
from carerecord.access.actors import User
from carerecord.access.admin_records import (
    Account,
    Credentials,
    EmergencyPeriod,
    NotAdministrator,
    Operator,
    RegisteredOrganisation,
    UnknownAccount,
    UnknownPeriod,
    credentials,
    new_password_text,
)
from carerecord.access.gate import address_allowed
from carerecord.access.policy import Circumstances, check_user
from carerecord.access.rules import AccessRules, load_rules
from carerecord.access.sign_in import SignIn, hash_password, new_totp_secret
from carerecord.access.vocabulary import Role
from carerecord.audit.entry import AuditRecord
from carerecord.errors import AccessRefused, UnknownOrganisation, UsageError
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import CopiPeriod, NewUser, UserAccount


class Administration:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        by: User | Operator,
        now: datetime,
        *,
        client_address: str = "",
        rules: AccessRules | None = None,
    ) -> None:
        self._store = store
        self._accounts = store.accounts
        self._consent = store.consent
        self._sign_in = SignIn(store, settings)
        self._rules = rules or load_rules(
            Path(settings.access_rules) if settings.access_rules else None
        )
        self.by = by
        self._now = now
        self._client_address = client_address
        if isinstance(by, User):
            self._check(by)

    def _check(self, user: User) -> None:
        if user.role is not Role.SYSTEM_ADMIN:
            raise NotAdministrator(f"the {user.role} role does not administer")
        refusal = check_user(user, self._rules, self._circumstances(user.org_ods), self._now)
        if refusal is not None:
            raise AccessRefused(refusal.reason)

    def _circumstances(self, org_ods: str) -> Circumstances:
        org = self._store.organisation(org_ods)
        networks = self._accounts.networks(org_ods)
        return Circumstances(
            org_status=org.status if org else None,
            org_type=org.org_type if org else "unknown",
            network_allowed=address_allowed(self._client_address, networks),
            copi=False,
        )

    # Accounts
    def users(self) -> list[Account]:
        return [self._account(row) for row in self._accounts.list_users()]

    def user(self, user_id: int) -> Account:
        row = self._accounts.user(user_id)
        if row is None:
            raise UnknownAccount(f"no user with id {user_id}")
        return self._account(row)

    def user_named(self, username: str) -> Account:
        row = self._accounts.user_by_name(username[: check.MAX_USERNAME])
        if row is None:
            raise UnknownAccount(f"no user {username!r}: see `carerecord user list`")
        return self._account(row)

    def check_new_user(
        self,
        username: str,
        org_ods: str,
        role: str,
        name: str | None = None,
        trained: str | None = None,
        password: str | None = None,
        totp_secret: str | None = None,
    ) -> NewUser:
        """The user as they would be added (without password or secret), or InvalidInput
        naming every problem; nothing is written."""
        checks = check.Checks()
        wanted = checks.run("username", check.username, username)
        if wanted is not None and self._accounts.user_by_name(wanted) is not None:
            checks.problems["username"] = f"The username {wanted!r} is taken"
        ods = org_ods.strip().upper()[:12]
        if not ods:
            checks.problems["org"] = "Choose the user's organisation"
        elif self._store.organisation(ods) is None:
            checks.problems["org"] = f"No organisation {ods!r} is registered"
        chosen_role = checks.run("role", check.role, role)
        display = checks.run("name", check.display_name, name)
        when = checks.run("trained", check.trained_on, trained, self._now) if trained else None
        if password is not None:
            checks.run("password", check.password, password)
        if totp_secret:
            checks.run("totp_secret", check.totp_secret, totp_secret)
        checks.done()
        assert wanted is not None and chosen_role is not None
        return NewUser(
            username=wanted,
            org_ods=ods,
            role=chosen_role.value,
            password_hash=None,
            totp_secret=None,
            trained_at=when,
            display_name=display,
        )

    def add_user(
        self,
        username: str,
        org_ods: str,
        role: str,
        name: str | None = None,
        trained: str | None = None,
        password: str | None = None,
        totp_secret: str | None = None,
        *,
        password_hash: str | None = None,
    ) -> Credentials:
        """A new user; a password and a second-factor secret are generated unless given.
        `password_hash` is the given password already hashed (several accounts given one
        password, as the demo's are, are hashed once: the hash is slow on purpose)."""
        new = self.check_new_user(username, org_ods, role, name, trained, password, totp_secret)
        chosen_password = password or new_password_text()
        secret = check.totp_secret(totp_secret) if totp_secret else new_totp_secret()
        hashed = password_hash if password and password_hash else hash_password(chosen_password)
        added = self._accounts.add_user(
            replace(new, password_hash=hashed, totp_secret=secret), self._now
        )
        if added is None:  # taken since the check, by someone else
            raise check.InvalidInput({"username": f"The username {new.username!r} is taken"})
        self._audit(
            "user-add",
            user=new.username,
            organisation=new.org_ods,
            role=new.role,
            trained_at=new.trained_at.isoformat() if new.trained_at else None,
            second_factor="given" if totp_secret else "generated",
        )
        return credentials(new.username, None if password else chosen_password, secret)

    def reset(self, user_id: int, password: str | None = None) -> Credentials:
        """A new password and second factor; the account is unlocked and every session of it
        ends (reset by an administrator)."""
        account = self._changeable(user_id, "reset")
        if account.external:
            raise UsageError(
                f"{account.username} signs in through an identity provider: reset it there"
            )
        if password is not None:
            check.password(password)
        new_password = password or new_password_text()
        secret = new_totp_secret()
        self._accounts.update_user(
            user_id,
            password_hash=hash_password(new_password),
            totp_secret=secret,
            totp_last_step=None,
            failed_attempts=0,
            locked_until=None,
        )
        ended = self._accounts.end_sessions(user_id, self._now, "reset-by-administrator")
        self._audit("user-reset", user=account.username, ended_sessions=ended)
        return credentials(account.username, None if password else new_password, secret)

    def unlock(self, user_id: int) -> Account:
        account = self.user(user_id)
        self._accounts.update_user(user_id, failed_attempts=0, locked_until=None)
        self._audit("user-unlock", user=account.username)
        return self.user(user_id)

    def disable(self, user_id: int) -> int:
        """Disables the account and ends its sessions; how many were open."""
        account = self._changeable(user_id, "disable")
        self._accounts.update_user(user_id, disabled=True)
        ended = self._accounts.end_sessions(user_id, self._now, "disabled-by-administrator")
        self._audit("user-disable", user=account.username, ended_sessions=ended)
        return ended

    def enable(self, user_id: int) -> Account:
        account = self.user(user_id)
        self._accounts.update_user(user_id, disabled=False)
        self._audit("user-enable", user=account.username)
        return self.user(user_id)

    def end_sessions(self, user_id: int) -> int:
        self.user(user_id)
        return self._sign_in.end_all(user_id, self._actor, self._now)

    def train(self, user_id: int, on: str = "today") -> Account:
        """Records the user's access-rules training attestation (today, or the date given)."""
        account = self.user(user_id)
        checks = check.Checks()
        when = checks.run("trained", check.trained_on, on, self._now)
        checks.done()
        assert when is not None
        self._accounts.update_user(user_id, trained_at=when)
        self._audit("user-train", user=account.username, trained_at=when.isoformat())
        return self.user(user_id)

    def _changeable(self, user_id: int, what: str) -> Account:
        account = self.user(user_id)
        if isinstance(self.by, User) and self.by.id == user_id:
            raise UsageError(
                f"You cannot {what} your own account: ask another administrator, or use "
                f"`carerecord user {what}` at the server"
            )
        return account

    def _account(self, row: UserAccount) -> Account:
        trained = row.trained_at
        return Account(
            id=row.id,
            username=row.username,
            name=row.display_name,
            org_ods=row.org_ods,
            role=Role(row.role),
            trained_at=trained,
            training_current=trained is not None and self._now - trained <= self._rules.training,
            locked=row.locked_until is not None and self._now < row.locked_until,
            disabled=row.disabled,
            open_sessions=self._accounts.open_sessions(row.id, self._now),
            external=row.external_issuer is not None,
        )

    # Organisations
    def organisations(self) -> list[RegisteredOrganisation]:
        networks = self._accounts.all_networks()
        return [
            RegisteredOrganisation(org, tuple(sorted(networks.get(org.ods_code, ()))))
            for org in self._store.organisations()
        ]

    def organisation(self, ods_code: str) -> RegisteredOrganisation:
        org = self._store.organisation(ods_code.strip().upper()[:12])
        if org is None:
            raise UnknownOrganisation(f"no organisation {ods_code!r} is registered")
        return RegisteredOrganisation(org, tuple(self._accounts.networks(org.ods_code)))

    def set_status(self, ods_code: str, status: str) -> RegisteredOrganisation:
        held = self.organisation(ods_code)
        checks = check.Checks()
        chosen = checks.run("status", check.status, status)
        if chosen == "onboarding" and self._own_org(held):
            checks.problems["status"] = (
                "Your own organisation cannot be set to onboarding here: you would lose access"
            )
        checks.done()
        assert chosen is not None
        org = held.organisation
        self._store.save_organisation(replace(org, status=chosen))
        self._audit("org-status", organisation=org.ods_code, was=org.status, status=chosen)
        return self.organisation(org.ods_code)

    def set_networks(
        self, ods_code: str, entries: list[str], allow_any: bool = False
    ) -> RegisteredOrganisation:
        """Replaces the networks the organisation's users may reach the record from (none:
        they cannot reach it at all)."""
        held = self.organisation(ods_code)
        checks = check.Checks()
        cidrs = checks.run("networks", check.networks, entries, allow_any)
        if (
            cidrs is not None
            and self._own_org(held)
            and not address_allowed(self._client_address, cidrs)
        ):
            checks.problems["networks"] = (
                f"Your own address ({self._client_address}) would no longer be allowed: "
                "include a network that holds it"
            )
        checks.done()
        assert cidrs is not None
        ods = held.organisation.ods_code
        self._accounts.set_networks(ods, cidrs)
        self._audit("org-networks", organisation=ods, was=list(held.networks), networks=cidrs)
        return self.organisation(ods)

    def _own_org(self, held: RegisteredOrganisation) -> bool:
        return isinstance(self.by, User) and self.by.org_ods == held.organisation.ods_code

    # National-emergency (COPI) periods
    def emergency_periods(self) -> list[EmergencyPeriod]:
        return [EmergencyPeriod(p, self._state(p)) for p in self._consent.copi_periods()]

    def declare_emergency(self, starts: str, ends: str, reason: str) -> EmergencyPeriod:
        start, end, why = check.copi_period(starts, ends, reason, self._now)
        detail = {"starts_at": start.isoformat(), "ends_at": end.isoformat(), "reason": why}
        period_id = self._consent.declare_copi(
            start, end, why, self._actor, self._now, self._event("copi-declare", **detail)
        )
        return self._period(period_id)

    def cancel_emergency(self, period_id: int) -> EmergencyPeriod:
        found = self._period(period_id)
        event = self._event("copi-cancel", period=period_id, reason=found.period.reason)
        if not self._consent.cancel_copi(period_id, self._now, event):
            raise UsageError(f"national-emergency period {period_id} is already cancelled")
        return self._period(period_id)

    def _period(self, period_id: int) -> EmergencyPeriod:
        found = next((p for p in self.emergency_periods() if p.period.id == period_id), None)
        if found is None:
            raise UnknownPeriod(
                f"no national-emergency period {period_id}: see `carerecord copi list`"
            )
        return found

    def _state(self, period: CopiPeriod) -> str:
        if period.cancelled_at is not None:
            return "cancelled"
        if self._now < period.starts_at:
            return "planned"
        return "in force" if self._now < period.ends_at else "ended"

    # The audit log
    @property
    def _actor(self) -> str:
        return self.by.username if isinstance(self.by, User) else f"operator:{self.by.login}"

    def _event(self, action: str, **detail: Any) -> AuditRecord:
        if isinstance(self.by, User):
            detail |= {
                "by_organisation": self.by.org_ods,
                "by_role": self.by.role.value,
                "client_address": self._client_address,
            }
        return AuditRecord(self._actor, action, "success", detail)

    def _audit(self, action: str, **detail: Any) -> None:
        self._consent.audit(self._event(action, **detail), self._now)
