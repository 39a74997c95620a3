"""The one exception tree. Domain names only: each edge (HTTP, HL7 ACK, CLI) translates once."""

from __future__ import annotations


class CareRecordError(Exception):
    """Base of everything carerecord raises on purpose."""


class ConfigurationError(CareRecordError):
    """A setting or its value cannot be used."""


class UnknownOrganisation(CareRecordError):
    """An ODS code that is not registered."""


class InvalidOrganisation(CareRecordError):
    """Organisation details that cannot be registered as given."""


class MalformedInput(CareRecordError):
    """Input that cannot be parsed at all (not JSON, not NDJSON, not a FHIR resource)."""


class UnsupportedFormat(CareRecordError):
    """A file whose format carerecord does not (yet) read."""


class PatientNotFound(CareRecordError):
    """No patient the caller may see has this id; existence is never revealed."""


class UsageError(CareRecordError):
    """A command was asked for something it cannot do as asked."""


class SignInRefused(CareRecordError):
    """Signing in cannot go ahead; the message says why in words a user can act on."""


class AccessRefused(CareRecordError):
    """A check about the user or the request failed (network, rollout, training); the message
    says which, in plain words. Unlike PatientNotFound, this is about the user, not a person."""


class RecordWithheld(CareRecordError):
    """The user may know who the person is, but not open their record (no relationship, or
    an objection in force): carries what may be shown, so the page can offer the way on."""

    def __init__(self, withheld: object) -> None:
        super().__init__("record withheld")
        self.withheld = withheld


class AuditUnavailable(CareRecordError):
    """The audit log could not be written, so what was asked for is not shown or done."""


class NotSignedIn(CareRecordError):
    """A page that needs a signed-in user was asked for without one."""
