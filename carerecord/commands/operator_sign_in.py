"""Commands that show what senders sent (raw input, reasons naming people) are run by a named
operator: a `system-admin` account, its password checked as at the sign-in page, and every use
written to the audit log before anything is shown."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from carerecord.access.sign_in import Client, SignIn
from carerecord.audit.entry import AuditRecord
from carerecord.errors import UsageError
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.account_records import UserAccount

PASSWORD_VARIABLE = "CARERECORD_PASSWORD"  # noqa: S105 (where the password is, not one)


@dataclass(frozen=True)
class Operator:
    account: UserAccount
    command: str  # e.g. "quarantine show"


def add_operator_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--operator",
        metavar="USERNAME",
        required=True,
        help="your system-admin account (password from $CARERECORD_PASSWORD, else prompted); "
        "every use is recorded in the audit log",
    )


def signed_in_operator(store: Store, settings: Settings, username: str, command: str) -> Operator:
    """The operator, once their password is checked; SignInRefused (or UsageError without a
    password to check) otherwise."""
    password = _password(username)
    client = Client("command-line", f"carerecord {command}")
    account = SignIn(store, settings).operator(username, password, client, datetime.now(UTC))
    return Operator(account, command)


def record_use(
    store: Store,
    operator: Operator,
    detail: Mapping[str, object],
    patient_id: str | None = None,
) -> None:
    """The audit entry for one use: written before anything is shown, and if it cannot be
    written (AuditUnavailable) nothing is."""
    account = operator.account
    store.consent.audit(
        AuditRecord(
            account.username,
            operator.command.replace(" ", "-"),
            "success",
            {
                "command": operator.command,
                **detail,
                "organisation": account.org_ods,
                "role": account.role,
            },
            patient_id,
        ),
        datetime.now(UTC),
    )


def _password(username: str) -> str:
    held = os.environ.get(PASSWORD_VARIABLE)
    if held is not None:
        return held
    try:
        return getpass.getpass(f"password for operator {username}: ")
    except (EOFError, getpass.GetPassWarning):
        raise UsageError(
            f"no password for operator {username!r}: set {PASSWORD_VARIABLE} or run the "
            "command in a terminal"
        ) from None
