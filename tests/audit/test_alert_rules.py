"""The alert rules file: the shipped rules, a local file overriding them rule by rule, and
every kind of mistake stopping start-up with a message naming it."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from carerecord.app import create_app
from carerecord.audit.alert_rules import (
    DEFAULT_ALERT_RULES,
    RULE_NAMES,
    TITLES,
    explain,
    load_alert_rules,
)
from carerecord.errors import ConfigurationError
from carerecord.settings import Settings
from carerecord.store import Store


def test_the_shipped_rules_switch_every_rule_on_with_the_documented_defaults() -> None:
    rules = load_alert_rules()
    assert rules.enabled == frozenset(RULE_NAMES)
    assert rules.people == 30
    assert rules.labels == {"R", "V"}
    assert (rules.working.start, rules.working.end) == (time(8), time(18))
    assert rules.working.days == {0, 1, 2, 3, 4}
    assert rules.exempt_org_types == {"ambulance", "111"}
    assert set(TITLES) == set(RULE_NAMES)
    assert "more than 30 different people" in explain("unusual-volume", rules)
    assert "08:00 to 18:00, Mon, Tue, Wed, Thu, Fri" in explain(
        "out-of-hours-no-relationship", rules
    )


def test_the_shipped_file_is_package_data() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert "audit/alert_rules.toml" in pyproject
    assert DEFAULT_ALERT_RULES.is_file()


def test_a_local_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    local = tmp_path / "alerts.toml"
    local.write_text(
        "[rules.override]\nenabled = false\n\n[rules.unusual-volume]\npeople = 50\n\n"
        '[rules.out-of-hours-no-relationship]\nworking_hours = "07:30-20:00"\n'
        'working_days = ["Mon", "Sat"]\n',
        encoding="utf-8",
    )
    rules = load_alert_rules(local)
    assert not rules.on("override")
    assert rules.on("declared-relationship") and rules.on("unusual-volume")
    assert rules.people == 50
    assert (rules.working.start, rules.working.end) == (time(7, 30), time(20))
    assert rules.working.days == {0, 5}
    assert rules.exempt_org_types == {"ambulance", "111"}  # kept from the shipped file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.sneaky]\nenabled = true\n", "unknown rule 'sneaky'"),
        ("[rules.override]\nenabled = 'yes'\n", "enabled must be true or false"),
        ("[rules.unusual-volume]\npeople = '30'\n", "people must be a whole number"),
        ("[rules.unusual-volume]\npeople = true\n", "people must be a whole number"),
        ("[rules.unusual-volume]\npeople = 0\n", "people must be at least 1"),
        ("[rules.unusual-volume]\nhours = 2\n", "has no parameter 'hours'"),
        ("[rules.sensitive-record]\nlabels = 'R'\n", "labels must be a list"),
        ("[rules.sensitive-record]\nlabels = [1]\n", "labels must be a list of strings"),
        (
            '[rules.out-of-hours-no-relationship]\nworking_hours = "18:00-08:00"\n',
            "ends before it starts",
        ),
        ('[rules.out-of-hours-no-relationship]\nworking_hours = "8-18"\n', "HH:MM-HH:MM"),
        (
            '[rules.out-of-hours-no-relationship]\nworking_hours = "08:00-25:00"\n',
            "not a time of day",
        ),
        (
            '[rules.out-of-hours-no-relationship]\nworking_days = ["Monday"]\n',
            "unknown day 'Monday'",
        ),
        ("[override]\nenabled = true\n", "unknown table 'override'"),
        ("[rules.override\n", "alert rules"),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    local = tmp_path / "alerts.toml"
    local.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=re.escape(message)) as refused:
        load_alert_rules(local)
    assert str(local) in str(refused.value)


def test_a_bad_rules_file_stops_the_server_starting(tmp_path: Path) -> None:
    local = tmp_path / "alerts.toml"
    local.write_text("[rules.sneaky]\nenabled = true\n", encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / 'unused.db'}")
    settings = Settings(db="unused://", allowed_hosts="testserver", audit_alert_rules=str(local))
    with pytest.raises(ConfigurationError, match="unknown rule 'sneaky'"):
        create_app(settings, store)
    store.close()


def test_a_missing_rules_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nowhere\.toml"):
        load_alert_rules(tmp_path / "nowhere.toml")
