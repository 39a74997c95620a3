from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from carerecord.errors import ConfigurationError
from carerecord.settings import Settings, documented

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    page = DOCS.read_text()
    missing = [name for name in documented() if f"`{name}`" not in page]
    assert missing == []


def test_flags_beat_environment_beats_defaults() -> None:
    env = {"CARERECORD_DB": "sqlite:///from-env.db", "CARERECORD_PORT": "9000"}

    settings = Settings.from_env(env, db="sqlite:///from-flag.db", port=None)

    assert settings.db == "sqlite:///from-flag.db"
    assert settings.port == 9000
    assert settings.host == "127.0.0.1"


def test_a_setting_that_is_not_a_number_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="CARERECORD_PORT must be a whole number"):
        Settings.from_env({"CARERECORD_PORT": "eighty"})


def test_the_oidc_client_secret_never_appears_in_the_settings_repr() -> None:
    secret = secrets.token_urlsafe(16)
    settings = Settings.from_env({"CARERECORD_OIDC_CLIENT_SECRET": secret})

    assert settings.oidc_client_secret == secret
    assert secret not in repr(settings)
    assert "oidc_client_id=''" in repr(settings)


def test_a_yes_or_no_setting_reads_true_or_false_and_refuses_anything_else() -> None:
    assert Settings.from_env({"CARERECORD_MLLP_ALLOW_PLAIN_TCP": "true"}).mllp_allow_plain_tcp
    assert not Settings.from_env({"CARERECORD_MLLP_ALLOW_PLAIN_TCP": "0"}).mllp_allow_plain_tcp
    with pytest.raises(ConfigurationError, match="CARERECORD_MLLP_ALLOW_PLAIN_TCP"):
        Settings.from_env({"CARERECORD_MLLP_ALLOW_PLAIN_TCP": "sometimes"})


def test_a_database_password_is_never_printed() -> None:
    from carerecord.settings import Settings, masked_url

    settings = Settings(db="postgresql://care:s3cr%40t@db.example:5432/care")
    assert settings.db_without_password() == "postgresql://care:***@db.example:5432/care"
    assert "s3cr" not in settings.db_without_password()
    assert masked_url("sqlite:///carerecord.db") == "sqlite:///carerecord.db"
    assert masked_url("postgresql://care@db/care") == "postgresql://care@db/care"
