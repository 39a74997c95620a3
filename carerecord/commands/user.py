"""`carerecord user add|list|reset|unlock|disable|enable|end-sessions|train`: local accounts,
administered at the server. Each change is written to the audit log as `operator:<login>`."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyotp
from rich.console import Console
from rich.table import Column, Table

from carerecord.access import admin_input
from carerecord.access.admin_records import Credentials
from carerecord.access.vocabulary import Role
from carerecord.commands.operator import administration
from carerecord.commands.options import add_db_option
from carerecord.errors import UsageError

PASSWORD_VARIABLE = "CARERECORD_PASSWORD"  # noqa: S105 (the variable's name, not a password)


def register(sub: Any) -> None:
    user = sub.add_parser("user", help="local user accounts")
    user_sub = user.add_subparsers(title="user commands", metavar="COMMAND", required=True)

    add = _command(user_sub, "add", "create a user", run_add)
    add.add_argument("--org", required=True, metavar="ODS", help="the user's organisation")
    add.add_argument("--role", required=True, help=f"one of: {', '.join(r.value for r in Role)}")
    add.add_argument("--name", help="display name, e.g. 'Dr Asha Patel'")
    add.add_argument(
        "--trained",
        nargs="?",
        const="today",
        metavar="DATE",
        help="record an access-rules training attestation: today, or on DATE (YYYY-MM-DD)",
    )
    add.add_argument(
        "--totp-secret",
        metavar="BASE32",
        help="the second factor's secret (at least 16 base32 characters; 32 recommended); "
        "without it one is generated and printed",
    )

    listing = user_sub.add_parser("list", help="show users (never their secrets)")
    add_db_option(listing)
    listing.set_defaults(run=run_list)

    _command(user_sub, "reset", "new password and second factor; unlocks; ends sessions", run_reset)
    _command(user_sub, "unlock", "unlock an account locked after failed attempts", run_unlock)
    _command(user_sub, "disable", "stop an account signing in and end its sessions", run_disable)
    _command(user_sub, "enable", "let a disabled account sign in again", run_enable)
    _command(user_sub, "end-sessions", "end every open session of a user", run_end_sessions)
    train = _command(user_sub, "train", "record an access-rules training attestation", run_train)
    train.add_argument("--on", default="today", metavar="DATE", help="default: today")


def _command(
    sub: Any, name: str, summary: str, run: Callable[[argparse.Namespace, Console], int]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary)
    parser.add_argument("username", metavar="USERNAME")
    add_db_option(parser)
    parser.set_defaults(run=run)
    return parser


def run_add(args: argparse.Namespace, console: Console) -> int:
    wanted = (args.username, args.org, args.role, args.name, args.trained)
    with administration(args) as admin:
        admin.check_new_user(*wanted, totp_secret=args.totp_secret)  # before asking a password
        made = admin.add_user(*wanted, password_from_operator(args.username), args.totp_secret)
        account = admin.user_named(made.username)
    trained = f", trained {uk_day(account.trained_at)}" if account.trained_at else ", not trained"
    console.print(
        f"added {account.username}: {account.role} at {account.org_ods}{trained}", highlight=False
    )
    if args.totp_secret:
        if len(made.totp_secret) < admin_input.GOOD_SECRET:
            console.print(
                "[bold yellow]warning:[/] the second-factor secret is shorter than 32 base32 "
                "characters (160 bits, as recommended)",
                highlight=False,
            )
    else:
        show_second_factor(made, console)
    return 0


def show_second_factor(made: Credentials, console: Console) -> None:
    """The new secret, printed this once: it is not shown again."""
    console.print(f"second-factor secret (shown only now): {made.totp_secret}", highlight=False)
    console.print(f"for an authenticator app: {made.provisioning_uri}", highlight=False)
    console.print(
        f"(the current code is {pyotp.TOTP(made.totp_secret).now()}; it changes every 30 seconds)",
        highlight=False,
    )


def password_from_operator(username: str) -> str:
    """From CARERECORD_PASSWORD, else asked for twice; checked before anything is written."""
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is None:
        given = getpass.getpass(f"password for {username}: ")
        if getpass.getpass("the same password again: ") != given:
            raise UsageError("the two passwords differ: nothing was changed")
    return admin_input.password(given)


def uk_day(moment: datetime) -> str:
    return f"{moment.astimezone(admin_input.UK):%Y-%m-%d}"


def run_list(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        accounts = admin.users()
    table = Table(
        Column("Username", no_wrap=True),
        "Name",
        "Role",
        "Org",
        "Trained",
        "Locked",
        "Disabled",
        "Sessions",
    )
    for account in accounts:
        trained = uk_day(account.trained_at) if account.trained_at else "never"
        if account.trained_at and not account.training_current:
            trained += " (expired)"
        table.add_row(
            account.username,
            account.name or "",
            account.role.value,
            account.org_ods,
            trained,
            "locked" if account.locked else "no",
            "disabled" if account.disabled else "no",
            str(account.open_sessions),
        )
    console.print(table)
    return 0


def run_reset(args: argparse.Namespace, console: Console) -> int:
    password = password_from_operator(args.username)
    with administration(args) as admin:
        made = admin.reset(admin.user_named(args.username).id, password)
    console.print(
        f"reset {made.username}: new password and second factor; unlocked; every session ended",
        highlight=False,
    )
    show_second_factor(made, console)
    return 0


def run_unlock(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        admin.unlock(admin.user_named(args.username).id)
    console.print(f"unlocked {args.username}", highlight=False)
    return 0


def run_disable(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        ended = admin.disable(admin.user_named(args.username).id)
    console.print(f"disabled {args.username}; {ended} session(s) ended", highlight=False)
    return 0


def run_enable(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        admin.enable(admin.user_named(args.username).id)
    console.print(f"enabled {args.username}", highlight=False)
    return 0


def run_end_sessions(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        ended = admin.end_sessions(admin.user_named(args.username).id)
    console.print(f"ended {ended} session(s) of {args.username}", highlight=False)
    return 0


def run_train(args: argparse.Namespace, console: Console) -> int:
    with administration(args) as admin:
        account = admin.train(admin.user_named(args.username).id, args.on)
    assert account.trained_at is not None
    console.print(
        f"recorded {account.username}'s access-rules training on {uk_day(account.trained_at)}",
        highlight=False,
    )
    return 0
