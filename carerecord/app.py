"""Composition root for the web server: one Store, one Settings, passed to everything."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

from carerecord import __version__, web
from carerecord.access.actors import Actor, User
from carerecord.access.administration import Administration
from carerecord.access.alert_desk import AlertDesk
from carerecord.access.as_seen import AsSeen
from carerecord.access.audit_desk import AuditDesk
from carerecord.access.audit_reader import AuditEventReader, SystemReader
from carerecord.access.gate import RecordAccess
from carerecord.access.oidc import OidcClient, OidcConfig
from carerecord.access.registry import AccessRegistry
from carerecord.access.rules import load_rules
from carerecord.access.sign_in import Client, SignIn
from carerecord.access.usage_desk import UsageDesk
from carerecord.api.audit_events import install_audit_events
from carerecord.audit.alert_rules import load_alert_rules
from carerecord.hosts import TrustedHosts
from carerecord.ingest.rules import RulesSource
from carerecord.origin import allowed_hosts, base_url
from carerecord.push.auth import BackendAuth
from carerecord.push.routes import install_push
from carerecord.settings import Settings
from carerecord.store import Store
from carerecord.store.clients import ClientRegistry
from carerecord.store.oidc_states import OidcStates
from carerecord.web.security_headers import SecurityHeaders


def create_app(settings: Settings, store: Store, rules: RulesSource | None = None) -> FastAPI:
    app = FastAPI(
        title="carerecord", version=__version__, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings

    intake = rules or RulesSource(store, settings)
    access_rules = load_rules(Path(settings.access_rules) if settings.access_rules else None)
    app.state.access_rules = access_rules
    app.state.sign_in = SignIn(store, settings)
    # Sign-in through an identity provider, when one is configured: its pending sign-ins live
    # in the database, so any server process can finish one another began.
    oidc = OidcConfig.from_settings(settings)
    app.state.oidc = (
        None if oidc is None else OidcClient(oidc, OidcStates(store), access_rules.national_roles)
    )

    # Organisations, networks and COPI periods are re-read every few seconds, not per request.
    registry = AccessRegistry(store, settings.access_cache_seconds)
    app.state.copi_in_force = registry.copi_in_force

    # Pages receive a factory, never the store: every read goes through RecordAccess.
    def open_record(
        actor: Actor | User,
        now: datetime,
        client_address: str,
        user_agent: str = "",
        request_id: str = "",
    ) -> RecordAccess:
        return RecordAccess(
            store,
            actor,
            access_rules,
            now,
            client_address,
            intake.exclusions,
            registry,
            user_agent=user_agent,
            request_id=request_id,
        )

    app.state.open_record = open_record

    # The privacy officer's rebuilt pages: AsSeen checks the role and audits each one.
    def open_as_seen(user: User, now: datetime, client_address: str, **request: str) -> AsSeen:
        return AsSeen(store, open_record(user, now, client_address, **request), now)

    app.state.open_as_seen = open_as_seen

    # The administration pages likewise: the service decides who may administer.
    def open_administration(user: User, now: datetime, client_address: str) -> Administration:
        return Administration(
            store, settings, user, now, client_address=client_address, rules=access_rules
        )

    app.state.open_administration = open_administration

    # And the usage figures: counts from the audit log, for system administrators only.
    def open_usage(user: User, now: datetime, client_address: str) -> UsageDesk:
        return UsageDesk(store, settings, user, now, access_rules, client_address)

    app.state.open_usage = open_usage

    # The privacy officer's audit log pages: the desk decides who may read the log.
    def open_audit_desk(user: User, now: datetime, client: Client, request_id: str) -> AuditDesk:
        return AuditDesk(store, user, access_rules, now, client, request_id)

    app.state.open_audit_desk = open_audit_desk

    # The log as FHIR AuditEvents: the reader decides which systems and users may read it.
    def open_audit_reader(
        reader: User | SystemReader, now: datetime, client: Client, request_id: str
    ) -> AuditEventReader:
        return AuditEventReader(store, reader, access_rules, now, client, request_id)

    app.state.open_audit_reader = open_audit_reader

    # The privacy officer's alerts: the rules are read (and checked) once, at start-up.
    alert_rules = load_alert_rules(
        Path(settings.audit_alert_rules) if settings.audit_alert_rules else None
    )

    def open_alert_desk(user: User, now: datetime, client_address: str) -> AlertDesk:
        return AlertDesk(store, alert_rules, access_rules, user, now, client_address)

    app.state.open_alert_desk = open_alert_desk

    @app.get("/health", include_in_schema=False)
    def health() -> Response:
        up = store.ping()
        body = {"status": "ok" if up else "unavailable", "database": store.dialect}
        return Response(
            orjson.dumps({**body, "version": __version__}),
            status_code=200 if up else 503,
            media_type="application/json",
        )

    # Source systems push FHIR here; what they may send is decided by the intake rules.
    auth = BackendAuth(ClientRegistry(store))
    install_push(app, store, intake, auth, settings)
    install_audit_events(app, auth, base_url(settings))
    web.install(app, settings)
    # A request for another host reaches nothing but the security headers, added last so
    # they wrap every response, errors and refusals included.
    app.add_middleware(TrustedHosts, allowed=allowed_hosts(settings))
    app.add_middleware(SecurityHeaders, settings=settings)
    return app
