"""Who a network peer has proved to be, and which organisations (MSH-4) it may send as.

Under TLS a peer is its client certificate (by SHA-256 fingerprint); over plain TCP, its
source address. A file given to `carerecord ingest --source` is vouched for by the operator and
has no peer. Registrations are read from the store and held briefly (RulesSource re-reads them
with the organisation registry), so a revocation takes effect within seconds."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from carerecord.ingest.hl7v2 import HL7Error
from carerecord.ingest.mllp import Peer
from carerecord.store.senders import ADDRESS, CERTIFICATE, RegisteredSender

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNAUTHENTICATED = "unauthenticated-sender"
REUSED = "control-id-reused"
_PEERS_HELD = 1024


def fingerprint(der: bytes) -> str:
    """A certificate's SHA-256 fingerprint, lower-case hex, as registered."""
    return hashlib.sha256(der).hexdigest()


def address_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The peer's address; an IPv4 peer on a dual-stack socket (::ffff:a.b.c.d) as IPv4."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def network_of(cidr: str) -> Network:
    """A registered address range; ValueError when it is not one."""
    return ipaddress.ip_network(cidr.strip(), strict=False)


def describe(peer: Peer) -> str:
    """The peer in words, for the quarantine and the message log (no secret in it)."""
    text = f"address {peer.host}"
    if peer.certificate is not None:
        text += f", certificate SHA-256 {fingerprint(peer.certificate)}"
        if peer.subject:
            text += f" ({peer.subject})"
    return text


@dataclass(frozen=True)
class SenderRules:
    """The registrations in force, and how much of an unproven message may be kept."""

    certificates: frozenset[tuple[str, str]] = frozenset()  # (fingerprint, ODS)
    networks: tuple[tuple[Network, str], ...] = ()  # (range, ODS)
    excerpt_bytes: int = 4096
    # Each peer's organisations, worked out once: these rules are replaced when re-read.
    _seen: dict[tuple[str, bytes | None], frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, registered: Iterable[RegisteredSender], excerpt_bytes: int) -> SenderRules:
        certificates, networks = set(), []
        for sender in registered:
            if sender.revoked_at is not None:
                continue
            if sender.kind == CERTIFICATE:
                certificates.add((sender.credential.lower(), sender.ods_code))
            elif sender.kind == ADDRESS:
                networks.append((network_of(sender.credential), sender.ods_code))
        return cls(frozenset(certificates), tuple(networks), excerpt_bytes)

    def may_send_as(self, peer: Peer, ods_code: str) -> bool:
        return ods_code in self._organisations(peer)

    def known(self, peer: Peer) -> bool:
        """Registered for some organisation: what it sends is worth keeping whole."""
        return bool(self._organisations(peer))

    def _organisations(self, peer: Peer) -> frozenset[str]:
        key = (peer.host, peer.certificate)
        found = self._seen.get(key)
        if found is None:
            if len(self._seen) >= _PEERS_HELD:  # many peers, each refused: hold none
                self._seen.clear()
            found = self._seen[key] = self._work_out(peer)
        return found

    def _work_out(self, peer: Peer) -> frozenset[str]:
        # Under TLS the certificate decides; an address range counts only over plain TCP.
        if peer.certificate is not None:
            shown = fingerprint(peer.certificate)
            return frozenset(ods for held, ods in self.certificates if held == shown)
        address = address_of(peer.host)
        if address is None:
            return frozenset()
        return frozenset(
            ods for net, ods in self.networks if net.version == address.version and address in net
        )


@dataclass(frozen=True)
class Refusal:
    """Why a message is not even looked at: the error for the ACK, the quarantine reason, and
    how much of it to keep (None: all of it)."""

    reason_code: str
    error: HL7Error
    reason: str
    excerpt_bytes: int | None = field(default=None)


def refusal(rules: SenderRules, ods_code: str, peer: Peer | None) -> Refusal | None:
    """AR for a network peer not registered to send as `ods_code` (MSH-4); None otherwise."""
    if peer is None or rules.may_send_as(peer, ods_code):
        return None
    error = HL7Error(
        f"this connection is not registered to send as {ods_code} (MSH-4); ask the record's "
        "operators to register its certificate or address for that organisation",
        code="207",
        location="MSH^1^4",
    )
    reason = f"{describe(peer)} is not registered to send as {ods_code}"
    return Refusal(UNAUTHENTICATED, error, reason, rules.excerpt_bytes)


def excerpt_limit(rules: SenderRules, peer: Peer | None) -> int | None:
    """How much of an unreadable message to keep: an excerpt, from a peer that proved nothing."""
    return None if peer is None or rules.known(peer) else rules.excerpt_bytes


def peer_record(peer: Peer | None, location: str) -> str:
    """What the message log records of who sent a message."""
    return (describe(peer) if peer is not None else f"file {location}")[:300]


def certificate_credential(pem: bytes) -> tuple[str, str]:
    """(fingerprint, subject) of the first certificate in a PEM file; ValueError if none."""
    certificate = x509.load_pem_x509_certificate(pem)
    der = certificate.public_bytes(serialization.Encoding.DER)
    return fingerprint(der), certificate.subject.rfc4514_string()


def address_credential(cidr: str) -> str:
    """A registered address range in its canonical form; ValueError when it is not one, or
    when it would let every address in."""
    network = network_of(cidr)
    if network.prefixlen == 0:
        raise ValueError(f"{cidr} is every address: register the sender's own range")
    return str(network)
