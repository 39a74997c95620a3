"""`carerecord audit ...`: the audit log from the terminal."""

from __future__ import annotations

from typing import Any

from carerecord.commands.audit_export import register_export


def register(sub: Any) -> None:
    command = sub.add_parser("audit", help="the audit log")
    audit_sub = command.add_subparsers(title="audit commands", metavar="COMMAND", required=True)
    register_export(audit_sub)
