"""Mutual TLS: every peer must show a certificate the client CA signed, and a certificate may
send only as the organisations it is registered for."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest

from carerecord.errors import ConfigurationError
from carerecord.ingest.mllp_client import MLLPClient
from carerecord.ingest.mllp_service import tls_context
from carerecord.ingest.senders import certificate_credential
from carerecord.settings import Settings
from carerecord.store import Store
from tests.factories import make_org, register
from tests.ingest.listener import HOST, adt_a01, hl7_listener, parse_ack
from tests.support.certificates import Authority, Issued, client_context


@pytest.fixture
def pki(tmp_path: Path) -> tuple[Authority, Issued]:
    authority = Authority(tmp_path)
    return authority, authority.issue("carerecord", server=True)


def tls_settings(authority: Authority, server: Issued) -> dict[str, str]:
    return {
        "mllp_tls_cert": str(server.cert),
        "mllp_tls_key": str(server.key),
        "mllp_tls_client_ca": str(authority.cert),
    }


def enrol(store: Store, ods: str, issued: Issued) -> None:
    fingerprint, subject = certificate_credential(issued.cert.read_bytes())
    store.senders.add(ods, "certificate", fingerprint, subject, "tests", datetime.now(UTC))


def send_tls(port: int, context: ssl.SSLContext, message: bytes) -> str:
    with MLLPClient(HOST, port, timeout=30, ssl_context=context) as client:
        return parse_ack(client.send(message)).code


def test_a_registered_certificate_sends_as_its_organisation(
    hospital: Store, db_url: str, pki: tuple[Authority, Issued]
) -> None:
    authority, server = pki
    ral = authority.issue("RAL PAS")
    enrol(hospital, "RAL", ral)
    with hl7_listener(
        hospital, db_url, loopback_senders=False, **tls_settings(authority, server)
    ) as port:
        code = send_tls(port, client_context(authority.cert, ral), adt_a01("ADM-1"))

    assert code == "AA"


def test_no_client_certificate_is_refused_in_the_handshake(
    hospital: Store, db_url: str, pki: tuple[Authority, Issued]
) -> None:
    authority, server = pki
    with (
        hl7_listener(hospital, db_url, **tls_settings(authority, server)) as port,
        pytest.raises((ssl.SSLError, ConnectionError, OSError)),
    ):
        send_tls(port, client_context(authority.cert, None), adt_a01("ADM-1"))
    assert hospital.counts().get("resources", 0) == 0


def test_a_certificate_from_another_authority_is_refused_in_the_handshake(
    hospital: Store, db_url: str, pki: tuple[Authority, Issued], tmp_path: Path
) -> None:
    authority, server = pki
    stranger = Authority(tmp_path, "Other CA").issue("RAL PAS")
    with (
        hl7_listener(hospital, db_url, **tls_settings(authority, server)) as port,
        pytest.raises((ssl.SSLError, ConnectionError, OSError)),
    ):
        send_tls(port, client_context(authority.cert, stranger), adt_a01("ADM-1"))


def test_an_unregistered_certificate_is_answered_ar_naming_it(
    hospital: Store, db_url: str, pki: tuple[Authority, Issued]
) -> None:
    authority, server = pki
    unknown = authority.issue("Somebody")
    fingerprint, _ = certificate_credential(unknown.cert.read_bytes())
    with hl7_listener(hospital, db_url, **tls_settings(authority, server)) as port:
        code = send_tls(port, client_context(authority.cert, unknown), adt_a01("ADM-1"))

    assert code == "AR"  # the loopback address registration does not count under TLS
    [kept] = hospital.quarantine_entries()
    assert kept.reason_code == "unauthenticated-sender"
    assert fingerprint in kept.reason and "commonName=Somebody" in kept.reason


def test_a_registered_certificate_sending_as_someone_else_is_refused(
    hospital: Store, db_url: str, pki: tuple[Authority, Issued]
) -> None:
    authority, server = pki
    register(hospital, make_org("RGT", "acute"))
    ral = authority.issue("RAL PAS")
    enrol(hospital, "RAL", ral)
    with hl7_listener(
        hospital, db_url, loopback_senders=False, **tls_settings(authority, server)
    ) as port:
        code = send_tls(port, client_context(authority.cert, ral), adt_a01("M1", facility="RGT"))

    assert code == "AR"
    assert hospital.counts().get("resources", 0) == 0


def test_tls_without_a_client_ca_is_a_configuration_error(pki: tuple[Authority, Issued]) -> None:
    _, server = pki
    settings = Settings.from_env({}, mllp_tls_cert=str(server.cert), mllp_tls_key=str(server.key))
    with pytest.raises(ConfigurationError, match="CLIENT_CA"):
        tls_context(settings)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "pas.example.org"])  # noqa: S104
def test_plain_tcp_beyond_loopback_is_refused_unless_allowed(host: str) -> None:
    with pytest.raises(ConfigurationError, match="plain TCP"):
        tls_context(Settings.from_env({}, mllp_host=host))
    assert tls_context(Settings.from_env({}, mllp_host=host, mllp_allow_plain_tcp=True)) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_plain_tcp_on_loopback_is_allowed(host: str) -> None:
    assert tls_context(Settings.from_env({}, mllp_host=host)) is None
