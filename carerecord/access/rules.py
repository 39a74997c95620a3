"""The access rules file (rules.toml): roles, their sections and overrides, the national RBAC
codes that map to them, and the time limits. Read once; any unknown word stops start-up."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from carerecord.access.vocabulary import OverrideKind, Role, Section
from carerecord.errors import ConfigurationError

DEFAULT_RULES = Path(__file__).with_name("rules.toml")

E = TypeVar("E", Role, Section, OverrideKind)


@dataclass(frozen=True)
class RoleRules:
    role: Role
    title: str
    national: frozenset[str]
    activities: frozenset[str]
    sections: frozenset[Section]
    only_types: Mapping[Section, frozenset[str]]  # a section limited to these resource types
    overrides: frozenset[OverrideKind]
    records: bool  # whether the role opens people's records at all


@dataclass(frozen=True)
class AccessRules:
    roles: Mapping[Role, RoleRules]
    recent: timedelta
    declared: timedelta
    override: timedelta
    step_up: timedelta
    training: timedelta
    declared_reasons: Mapping[str, str]
    override_reasons: Mapping[OverrideKind, str]

    def for_role(self, role: Role) -> RoleRules:
        return self.roles[role]

    def role_for_national(self, code: str) -> Role | None:
        """The carerecord role a national RBAC role code maps to, if any."""
        for rules in self.roles.values():
            if code in rules.national:
                return rules.role
        return None

    @property
    def national_roles(self) -> dict[str, Role]:
        return {code: r.role for r in self.roles.values() for code in r.national}


def load_rules(path: Path | None = None) -> AccessRules:
    path = path or DEFAULT_RULES
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"access rules {path}: {exc}") from None
    return parse_rules(data, str(path))


def parse_rules(data: Mapping[str, Any], where: str = "access rules") -> AccessRules:
    roles_data = _table(data, "roles", where)
    unknown = sorted(set(roles_data) - {r.value for r in Role})
    if unknown:
        raise ConfigurationError(f"{where}: unknown role {unknown[0]!r}")
    missing = sorted(r.value for r in Role if r.value not in roles_data)
    if missing:
        raise ConfigurationError(f"{where}: no rules for role {missing[0]!r}")
    roles = {Role(name): _role(Role(name), body, where) for name, body in roles_data.items()}
    seen: dict[str, Role] = {}
    for rules in roles.values():
        for code in rules.national:
            if code in seen:
                raise ConfigurationError(f"{where}: national role {code} maps to two roles")
            seen[code] = rules.role
    rel = _table(data, "relationships", where)
    over = _table(data, "overrides", where)
    override_reasons = _table(data, "override_reasons", where)
    return AccessRules(
        roles=roles,
        recent=timedelta(days=_positive(rel, "recent_days", where)),
        declared=timedelta(hours=_positive(rel, "declared_hours", where)),
        override=timedelta(minutes=_positive(over, "minutes", where)),
        step_up=timedelta(minutes=_positive(over, "step_up_minutes", where)),
        training=timedelta(days=_positive(_table(data, "training", where), "valid_days", where)),
        declared_reasons=_texts(_table(data, "declared_reasons", where), where),
        override_reasons={
            _enum(OverrideKind, k, where, "override"): v
            for k, v in _texts(override_reasons, where).items()
        },
    )


def _role(role: Role, body: Any, where: str) -> RoleRules:
    if not isinstance(body, dict):
        raise ConfigurationError(f"{where}: roles.{role} must be a table")
    sections = frozenset(_enum(Section, s, where, "section") for s in _list(body, "sections"))
    only = body.get("only_types", {})
    if not isinstance(only, dict):
        raise ConfigurationError(f"{where}: roles.{role}.only_types must be a table")
    only_types = {
        _enum(Section, s, where, "section"): frozenset(str(t) for t in types)
        for s, types in only.items()
    }
    national = frozenset(str(code) for code in _list(body, "national"))
    for code in national:
        if not (len(code) == 5 and code[0] == "R" and code[1:].isdigit()):
            raise ConfigurationError(f"{where}: {code!r} is not a national role code (R0000)")
    return RoleRules(
        role=role,
        title=str(body.get("title", role.value)),
        national=national,
        activities=frozenset(str(code) for code in _list(body, "activities")),
        sections=sections,
        only_types=only_types,
        overrides=frozenset(
            _enum(OverrideKind, o, where, "override") for o in _list(body, "overrides")
        ),
        records=bool(body.get("records", False)),
    )


def _enum(kind: type[E], value: Any, where: str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ConfigurationError(f"{where}: unknown {what} {value!r}") from None


def _table(data: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}: [{name}] is missing")
    return value


def _list(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise ConfigurationError(f"access rules: {name} must be a list")
    return value


def _texts(table: Mapping[str, Any], where: str) -> dict[str, str]:
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"{where}: {key} needs a description")
    return dict(table)


def _positive(table: Mapping[str, Any], name: str, where: str) -> int:
    value = table.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"{where}: {name} must be a positive whole number")
    return value
