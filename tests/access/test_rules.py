"""The access rules file: what it says, and that a mistake in it stops start-up by name."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from carerecord.access.rules import DEFAULT_RULES, load_rules, parse_rules
from carerecord.access.vocabulary import OverrideKind, Role, Section
from carerecord.errors import ConfigurationError


def rules_data() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_RULES.read_text(encoding="utf-8"))


def test_the_kept_rules_cover_every_role_with_the_documented_sections() -> None:
    rules = load_rules()

    assert set(rules.roles) == set(Role)
    assert rules.for_role(Role.CLINICIAN).sections == frozenset(Section)
    assert rules.for_role(Role.ADMIN_CLERICAL).sections == {
        Section.DEMOGRAPHICS,
        Section.ENCOUNTERS,
    }
    assert rules.for_role(Role.ADMIN_CLERICAL).only_types == {Section.ENCOUNTERS: {"Appointment"}}
    for role in (Role.IG_OFFICER, Role.SYSTEM_ADMIN):
        assert rules.for_role(role).sections == frozenset()
        assert not rules.for_role(role).records
    assert rules.for_role(Role.CLINICIAN).overrides == {
        OverrideKind.EMERGENCY,
        OverrideKind.SAFEGUARDING,
    }
    assert OverrideKind.EMERGENCY not in rules.for_role(Role.CARE_HOME).overrides


def test_national_rbac_codes_map_to_one_role_each() -> None:
    rules = load_rules()

    assert rules.role_for_national("R8000") is Role.CLINICIAN
    assert rules.role_for_national("R0001") is Role.IG_OFFICER  # privacy officer
    assert rules.role_for_national("R8010") is Role.ADMIN_CLERICAL
    assert rules.role_for_national("R9999") is None
    assert "B0168" in rules.for_role(Role.CLINICIAN).activities  # emergency access
    assert {"B0015", "B0016"} <= rules.for_role(Role.IG_OFFICER).activities


def test_time_limits_come_from_the_file() -> None:
    rules = load_rules()

    assert rules.declared == timedelta(hours=24)
    assert rules.training == timedelta(days=365)
    assert rules.step_up == timedelta(minutes=5)
    assert "new-patient" in rules.declared_reasons


def _broken(change: Any) -> dict[str, Any]:
    data = rules_data()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["roles"].update(wizard=d["roles"]["clinician"]), "unknown role 'wizard'"),
        (lambda d: d["roles"].pop("care-home"), "no rules for role 'care-home'"),
        (lambda d: d["roles"]["clinician"].update(sections=["spleen"]), "unknown section 'spleen'"),
        (lambda d: d["roles"]["clinician"].update(overrides=["vibes"]), "unknown override 'vibes'"),
        (lambda d: d["roles"]["clinician"].update(national=["8000"]), "not a national role code"),
        (
            lambda d: d["roles"]["care-home"].update(national=["R8000"]),
            "R8000 maps to two roles",
        ),
        (lambda d: d["relationships"].update(declared_hours=0), "declared_hours"),
        (lambda d: d["training"].update(valid_days="yearly"), "valid_days"),
        (lambda d: d.pop("override_reasons"), "[override_reasons] is missing"),
        (lambda d: d["declared_reasons"].update(other=""), "other needs a description"),
        (lambda d: d["roles"].update(clinician="everything"), "must be a table"),
    ],
)
def test_a_mistake_in_the_rules_is_named(change: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        parse_rules(_broken(change))


def test_an_unreadable_rules_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text("[roles\n", encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"rules\.toml"):
        load_rules(bad)
    with pytest.raises(ConfigurationError, match=r"missing\.toml"):
        load_rules(tmp_path / "missing.toml")
