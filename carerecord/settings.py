"""Settings: one frozen object, read once from the environment, passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from carerecord.errors import ConfigurationError

ENV_PREFIX = "CARERECORD_"


def _setting(default: Any, help: str, secret: bool = False) -> Any:
    """A setting; a secret one is left out of the object's repr, so it never reaches a log."""
    return field(default=default, repr=not secret, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    db: str = _setting(
        "sqlite:///carerecord.db",
        "Database URL: sqlite:///PATH for the embedded store, postgresql://... for PostgreSQL.",
    )
    host: str = _setting("127.0.0.1", "Address the web server listens on.")
    port: int = _setting(8000, "Port the web server listens on.")
    workers: int = _setting(
        1,
        "Web server processes `carerecord serve` runs, sharing the port and the database; the "
        "HL7 v2 listener runs once, in the process that starts them.",
    )
    stale_feed_hours: int = _setting(
        24, "A source whose newest data is older than this many hours is shown as stale."
    )
    ingest_batch_size: int = _setting(
        1000, "Resources written per database transaction while ingesting files."
    )
    exclusion_sets: str = _setting(
        "",
        "Folder of FHIR ValueSets (*.json) listing legally restricted codes (the SNOMED CT UK "
        "sharing exclusion sets); items carrying any member code are refused at ingest. Empty "
        "means none are loaded, and ingest and serve warn about it.",
    )
    hl7_max_message_bytes: int = _setting(
        16 * 1024 * 1024, "Largest HL7 v2 message accepted over MLLP, in bytes."
    )
    mllp_host: str = _setting("127.0.0.1", "Address the HL7 v2 MLLP listener listens on.")
    mllp_port: int = _setting(0, "Port for the HL7 v2 MLLP listener; 0 means no listener.")
    mllp_tls_cert: str = _setting(
        "", "PEM certificate chain for MLLP over TLS; empty means plain TCP."
    )
    mllp_tls_key: str = _setting("", "PEM private key for the MLLP TLS certificate.")
    mllp_tls_client_ca: str = _setting(
        "",
        "PEM bundle of the certificate authorities whose client certificates MLLP senders may "
        "present; with TLS on, a sender without a valid certificate is refused.",
    )
    mllp_allow_plain_tcp: bool = _setting(
        False,
        "Allow a plain-TCP MLLP listener on an address other than loopback, senders then "
        "being known by registered source address only.",
    )
    mllp_max_connections: int = _setting(
        64, "Most MLLP connections open at once; more are refused."
    )
    mllp_max_connections_per_peer: int = _setting(
        16, "Most MLLP connections open at once from one address; more are refused."
    )
    mllp_message_seconds: int = _setting(
        60, "Seconds a sender has to finish a message once it has started it."
    )
    mllp_idle_seconds: int = _setting(
        300, "An MLLP connection that sends nothing for this many seconds is closed."
    )
    hl7_quarantine_excerpt_bytes: int = _setting(
        4096,
        "Bytes kept in the quarantine of a message from a sender that is not registered.",
    )
    hl7_processing_ids: str = _setting(
        "P",
        "Comma-separated HL7 v2 processing ids (MSH-11) accepted into records: P in "
        "production; a training database may add T or D.",
    )
    clock_skew_minutes: int = _setting(
        5,
        "How far in the future (by this server's clock) a message or resource time may be "
        "before it is quarantined.",
    )
    max_resource_bytes: int = _setting(
        1024 * 1024, "Largest FHIR resource accepted, in bytes (documents excepted)."
    )
    max_document_bytes: int = _setting(
        20 * 1024 * 1024,
        "Largest DocumentReference or Binary accepted, in bytes (attachments included).",
    )
    max_resource_elements: int = _setting(
        20_000, "Most JSON values (objects, arrays, strings, numbers) in one FHIR resource."
    )
    max_resource_depth: int = _setting(
        32, "Deepest nesting of objects and arrays in one FHIR resource."
    )
    push_max_bytes: int = _setting(
        64 * 1024 * 1024, "Largest request body the FHIR push API reads, in bytes."
    )
    push_max_elements: int = _setting(
        2_000_000, "Most JSON values in one request to the FHIR push API."
    )
    base_url: str = _setting(
        "",
        "The address this server is reached at, e.g. https://carerecord.example: the audience "
        "of client assertions and the SMART configuration's endpoints. Empty means "
        "http://HOST:PORT.",
    )
    allowed_hosts: str = _setting(
        "",
        "Comma-separated host names requests may be addressed to (the Host header); empty "
        "means the host of the base URL only (with 127.0.0.1 and localhost when it is loopback).",
    )
    session_idle_minutes: int = _setting(
        15, "A signed-in session with no request for this many minutes ends."
    )
    session_absolute_minutes: int = _setting(
        720, "A signed-in session ends this many minutes after sign-in, however busy."
    )
    sign_in_attempts: int = _setting(
        5, "Failed passwords or one-time codes in a row before the account is locked."
    )
    lockout_minutes: int = _setting(
        15, "How long a locked account stays locked (an administrator can unlock it sooner)."
    )
    access_rules: str = _setting(
        "",
        "TOML file of access rules (roles, their sections and overrides, national RBAC codes, "
        "time limits); empty means the rules.toml kept in the package.",
    )
    access_cache_seconds: int = _setting(
        5,
        "Organisations' rollout status and networks, and national-emergency periods, are read "
        "again after this many seconds (a change takes effect within it); 0 reads them on "
        "every request.",
    )
    trusted_proxies: str = _setting(
        "",
        "Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed for "
        "the client address; empty means the connecting address is the client.",
    )
    static_dir: str = _setting(
        "",
        "Folder holding the nhsuk-frontend assets; empty means the copy inside the package.",
    )
    oidc_issuer: str = _setting(
        "",
        "OpenID Connect issuer that signs staff in (such as NHS CIS2), exactly as its discovery "
        "document names it; empty means OpenID Connect sign-in is off.",
    )
    oidc_client_id: str = _setting("", "Client id carerecord is registered under at the issuer.")
    oidc_client_secret: str = _setting(
        "", "Client secret of that registration (never logged).", secret=True
    )
    oidc_redirect_url: str = _setting(
        "",
        "Address the issuer sends the browser back to, registered with it: this server's "
        "/sign-in/oidc/callback, e.g. https://carerecord.example/sign-in/oidc/callback.",
    )
    oidc_scopes: str = _setting(
        "openid profile nationalrbacaccess",
        "Scopes asked of the issuer: openid, and those that release the user's name and roles.",
    )
    oidc_token_auth_method: str = _setting(
        "client_secret_basic",
        "How carerecord proves itself at the issuer's token endpoint: client_secret_basic or "
        "client_secret_post.",
    )
    audit_signing_key: str = _setting(
        "",
        "PEM file of the private key (Ed25519, EC P-256 or RSA) that `carerecord audit head "
        "--signed` signs the chain head with; empty: heads are printed unsigned.",
    )
    audit_retention_years: int = _setting(
        8, "Years audit entries are kept; nothing else in carerecord can shorten this."
    )
    audit_alert_rules: str = _setting(
        "",
        "TOML file of the privacy officer's alert rules; empty: the rules shipped with "
        "carerecord (carerecord/audit/alert_rules.toml).",
    )
    usage_suppress_below: int = _setting(
        5,
        "In usage exports (/usage.csv), a value fewer than this many different staff "
        "contributed to is left out; 0 or 1 leaves nothing out.",
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then CARERECORD_* variables, then explicit overrides (command-line flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(f.name, raw, type(f.default))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    def db_without_password(self) -> str:
        """The database URL fit to print: any password replaced by ***."""
        return masked_url(self.db)

    @property
    def static_path(self) -> Path:
        if self.static_dir:
            return Path(self.static_dir)
        return Path(__file__).parent / "web" / "static"


def masked_url(url: str) -> str:
    """`url` with the password of its user part (scheme://user:password@host) as ***."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    credentials, at, host = netloc.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}{slash}{path}"


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _convert(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        if raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ConfigurationError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(
                f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}"
            ) from None
    return raw


def documented() -> dict[str, str]:
    """Every setting's environment variable and help text (the docs are checked against this)."""
    return {ENV_PREFIX + f.name.upper(): f.metadata["help"] for f in fields(Settings)}
