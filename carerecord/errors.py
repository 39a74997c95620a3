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
    """Signing in cannot go ahead. The message says why in plain words a user can act on, and
    holds no token or claim value, so it can be shown and logged as it is."""
